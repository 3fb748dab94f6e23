/*
 * The ceiling baseline: the least a forwarder can do. Each RTP packet received is sent on to N streams,
 * each with its own SSRC like an SFU's consumers (a 12-byte header per copy, the payload shared through a
 * second iovec, so the per-copy work is what the kernel must do anyway). Receives with recvmmsg and sends
 * with sendmmsg, up to BATCH copies per system call.
 *
 *   udp-relay <listen-port> <sink-ip> <sink-port> <fan-out> <first-ssrc>
 * Prints "ready <port>"; each line on stdin is answered "relayed <packets-in> <packets-out>"; EOF exits.
 */
#include "bench-io.h"
#include <poll.h>

#define IN_BATCH 64
#define OUT_BATCH 1024
#define HEADER 12

static unsigned long long packets_in, packets_out;

static void report(void) { printf("relayed %llu %llu %lld\n", packets_in, packets_out, monotonic_ns()); }

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp-relay <listen-port> <sink-ip> <sink-port> <fan-out> <first-ssrc>\n");
    return 2;
  }
  die_with_parent();
  int fd = udp_socket("127.0.0.1", atoi(argv[1]));
  struct sockaddr_in sink = loopback(argv[2], atoi(argv[3]));
  int fanout = atoi(argv[4]);
  unsigned first_ssrc = (unsigned)strtoul(argv[5], NULL, 0);
  if (fanout < 1 || fanout > 100000) {
    fprintf(stderr, "fan-out must be 1..100000\n");
    return 2;
  }
  printf("ready %d\n", bound_port(fd));

  static unsigned char in_buf[IN_BATCH][1500];
  static struct iovec in_iov[IN_BATCH];
  static struct mmsghdr in_msgs[IN_BATCH];
  for (int i = 0; i < IN_BATCH; i++) {
    in_iov[i].iov_base = in_buf[i];
    in_iov[i].iov_len = sizeof in_buf[i];
    in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
    in_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  static unsigned char headers[OUT_BATCH][HEADER];
  static struct iovec out_iov[OUT_BATCH][2];
  static struct mmsghdr out_msgs[OUT_BATCH];
  for (int i = 0; i < OUT_BATCH; i++) {
    out_iov[i][0].iov_base = headers[i];
    out_iov[i][0].iov_len = HEADER;
    out_msgs[i].msg_hdr.msg_iov = out_iov[i];
    out_msgs[i].msg_hdr.msg_iovlen = 2;
    out_msgs[i].msg_hdr.msg_name = &sink;
    out_msgs[i].msg_hdr.msg_namelen = sizeof sink;
  }

  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) die("poll");
    if (fds[0].revents && !read_commands(report)) return 0;
    if (!(fds[1].revents & POLLIN)) continue;
    int n = recvmmsg(fd, in_msgs, IN_BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
      unsigned len = in_msgs[i].msg_len;
      if (len <= HEADER || !is_rtp(in_buf[i], len)) continue;
      packets_in++;
      int queued = 0;
      for (int copy = 0; copy < fanout; copy++) {
        unsigned ssrc = first_ssrc + (unsigned)copy;
        unsigned char *h = headers[queued];
        memcpy(h, in_buf[i], 8);
        h[8] = ssrc >> 24; h[9] = ssrc >> 16; h[10] = ssrc >> 8; h[11] = ssrc;
        out_iov[queued][1].iov_base = in_buf[i] + HEADER;
        out_iov[queued][1].iov_len = len - HEADER;
        if (++queued == OUT_BATCH || copy == fanout - 1) {
          for (int done = 0; done < queued;) {
            int m = sendmmsg(fd, out_msgs + done, (unsigned)(queued - done), 0);
            if (m < 0) {
              if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
              die("sendmmsg");
            }
            done += m;
          }
          packets_out += (unsigned long long)queued;
          queued = 0;
        }
      }
    }
  }
}
