/*
 * The benchmark's receiver: every forwarded stream of every system goes to this one UDP port. It reads
 * with recvmmsg into 16-byte buffers (the kernel truncates; the RTP header is all it needs) so that it
 * costs far less per packet than any forwarder, and counts RTP packets (RTCP is ignored) in total and per
 * SSRC.
 *
 *   rtp-sink <port>
 * Prints "ready <port>"; each line on stdin is answered "received <packets> <ssrcs-seen>"; EOF exits.
 */
#include "bench-io.h"
#include <poll.h>

#define BATCH 512
#define HEAD 16
#define SSRC_SLOTS 65536

static unsigned long long received;
static unsigned ssrc_keys[SSRC_SLOTS];
static unsigned char ssrc_used[SSRC_SLOTS];
static unsigned ssrcs_seen;

static void report(void) { printf("received %llu %u %lld\n", received, ssrcs_seen, monotonic_ns()); }

static void note_ssrc(unsigned ssrc) {
  for (unsigned slot = (ssrc * 2654435761u) % SSRC_SLOTS, probes = 0; probes < SSRC_SLOTS; slot = (slot + 1) % SSRC_SLOTS, probes++) {
    if (!ssrc_used[slot]) {
      ssrc_used[slot] = 1;
      ssrc_keys[slot] = ssrc;
      ssrcs_seen++;
      return;
    }
    if (ssrc_keys[slot] == ssrc) return;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: rtp-sink <port>\n");
    return 2;
  }
  die_with_parent();
  int fd = udp_socket("127.0.0.1", atoi(argv[1]));
  printf("ready %d\n", bound_port(fd));

  static unsigned char heads[BATCH][HEAD];
  static struct iovec iovs[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iovs[i].iov_base = heads[i];
    iovs[i].iov_len = HEAD;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) die("poll");
    if (fds[0].revents && !read_commands(report)) return 0;
    if (!(fds[1].revents & POLLIN)) continue;
    int n;
    while ((n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL)) > 0) {
      for (int i = 0; i < n; i++) {
        /* msg_len is the datagram's length even when truncated into the 16-byte buffer. */
        if (!is_rtp(heads[i], msgs[i].msg_len)) continue;
        /* Padding (P bit): mediasoup's bandwidth probation packets on transports with transport-cc, not
         * media — counted, they made a fan-out look up to ~7 % larger than it is. The feeder never pads. */
        if (heads[i][0] & 0x20) continue;
        received++;
        note_ssrc((unsigned)heads[i][8] << 24 | heads[i][9] << 16 | heads[i][10] << 8 | heads[i][11]);
      }
      if (n < BATCH) break;
    }
  }
}
