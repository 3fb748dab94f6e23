/*
 * What the benchmark's C helpers share: a loopback UDP socket with large buffers, a helper that dies
 * with its parent (the bench's Node process), and a line-based control channel on stdin/stdout so the
 * bench can read counters at the edges of a measuring window. EOF on stdin means "exit".
 */
#ifndef BENCH_IO_H
#define BENCH_IO_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

/* CLOCK_MONOTONIC in ns: every report carries it last, so the bench divides each helper's counts by the
 * helper's own interval between two reports, not by when the answers happened to reach it. */
static inline long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A parent that crashes must not leave a helper spinning on a core. */
static inline void die_with_parent(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) exit(1);
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline struct sockaddr_in loopback(const char *ip, int port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", ip);
    exit(2);
  }
  return addr;
}

/* Buffers as large as allowed: SO_*BUFFORCE needs CAP_NET_ADMIN, the plain option is capped by *mem_max. */
static inline int udp_socket(const char *ip, int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int size = 32 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_in addr = loopback(ip, port);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  return fd;
}

static inline int bound_port(int fd) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  return ntohs(addr.sin_port);
}

/* Reads what is waiting on stdin; returns 0 at EOF (the bench closed it: time to exit). */
static inline int read_commands(void (*on_line)(void)) {
  char buf[256];
  ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n == 0) return 0;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n') on_line();
  return 1;
}

/* RTCP shares the port with RTP (rtcp-mux): payload types 72–79 with the marker bit are RTCP (RFC 5761). */
static inline int is_rtp(const unsigned char *p, size_t len) {
  if (len < 12 || (p[0] & 0xc0) != 0x80) return 0;
  int pt = p[1] & 0x7f;
  return pt < 72 || pt > 79;
}

#endif
