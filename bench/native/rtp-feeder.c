/*
 * The benchmark's publisher: VP8-like RTP at a fixed packet rate and size to one address, paced on the
 * monotonic clock. Frames of pps/fps packets (marker on the last), VP8 payload descriptor and frame tag as
 * a browser sends them, so a mediasoup consumer sees keyframes: one at start, one every 2 s, and one
 * whenever a PLI or FIR arrives on the same socket (a comedia transport sends its RTCP back there).
 *
 *   rtp-feeder <dest-ip> <dest-port> <packets-per-second> <packet-bytes> <ssrc> <payload-type>
 * Prints "ready <local-port>"; each line on stdin is answered "sent <packets> <keyframes>"; EOF exits.
 */
#include "bench-io.h"
#include <poll.h>
#include <time.h>

#define FPS 30
#define DESCRIPTOR_BYTES 6
#define KEYFRAME_EVERY_NS 2000000000LL

static unsigned long long sent_packets;
static unsigned long long keyframes;

static void report(void) { printf("sent %llu %llu %lld\n", sent_packets, keyframes, monotonic_ns()); }

/* A PLI (206/1) or FIR (206/4) anywhere in a compound RTCP packet. */
static int asks_keyframe(const unsigned char *p, ssize_t len) {
  for (ssize_t at = 0; at + 4 <= len;) {
    if ((p[at] & 0xc0) != 0x80) return 0;
    int fmt = p[at] & 0x1f;
    if (p[at + 1] == 206 && (fmt == 1 || fmt == 4)) return 1;
    at += ((p[at + 2] << 8 | p[at + 3]) + 1) * 4;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: rtp-feeder <dest-ip> <dest-port> <pps> <packet-bytes> <ssrc> <payload-type>\n");
    return 2;
  }
  die_with_parent();
  struct sockaddr_in dest = loopback(argv[1], atoi(argv[2]));
  int pps = atoi(argv[3]);
  int bytes = atoi(argv[4]);
  unsigned ssrc = (unsigned)strtoul(argv[5], NULL, 0);
  int pt = atoi(argv[6]);
  if (pps < 1 || pps > 1000000 || bytes < 12 + DESCRIPTOR_BYTES + 10 || bytes > 1500) {
    fprintf(stderr, "pps must be 1..1000000 and packet-bytes 28..1500\n");
    return 2;
  }
  int fd = udp_socket("127.0.0.1", 0);
  printf("ready %d\n", bound_port(fd));

  unsigned char packet[1500];
  memset(packet, 0x5a, sizeof packet);
  int per_frame = pps / FPS > 0 ? pps / FPS : 1;
  unsigned short seq = (unsigned short)(ssrc * 7);
  unsigned picture_id = ssrc & 0x7fff;
  unsigned tl0 = 0;
  int keyframe_wanted = 1;
  long long start = monotonic_ns(), last_keyframe = start;
  unsigned long long frame = 0;
  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};

  for (;;) {
    long long now = monotonic_ns();
    unsigned long long due = (unsigned long long)((now - start) / 1000) * (unsigned long long)pps / 1000000ULL;
    while (sent_packets < due) {
      int index = (int)(sent_packets % (unsigned long long)per_frame);
      if (index == 0) {
        frame = sent_packets / (unsigned long long)per_frame;
        if (now - last_keyframe >= KEYFRAME_EVERY_NS) keyframe_wanted = 1;
      }
      int key = index == 0 ? keyframe_wanted : 0;
      packet[0] = 0x80;
      packet[1] = (unsigned char)(pt | (index == per_frame - 1 ? 0x80 : 0));
      packet[2] = seq >> 8;
      packet[3] = seq & 0xff;
      unsigned ts = (unsigned)(frame * 90000ULL / FPS);
      packet[4] = ts >> 24; packet[5] = ts >> 16; packet[6] = ts >> 8; packet[7] = ts;
      packet[8] = ssrc >> 24; packet[9] = ssrc >> 16; packet[10] = ssrc >> 8; packet[11] = ssrc;
      /* VP8 payload descriptor: X, S on the frame's first packet; PictureID (15 bit), TL0PICIDX, TID 0 + Y. */
      packet[12] = 0x80 | (index == 0 ? 0x10 : 0);
      packet[13] = 0xe0;
      packet[14] = 0x80 | (picture_id >> 8);
      packet[15] = picture_id & 0xff;
      packet[16] = tl0 & 0xff;
      packet[17] = 0x20;
      if (index == 0) {
        unsigned tag = (key ? 0 : 1) | (1 << 4) | ((unsigned)(bytes * per_frame / 2) << 5);
        packet[18] = tag; packet[19] = tag >> 8; packet[20] = tag >> 16;
        if (key) {
          packet[21] = 0x9d; packet[22] = 0x01; packet[23] = 0x2a;
          packet[24] = 640 & 0xff; packet[25] = 640 >> 8; packet[26] = 360 & 0xff; packet[27] = 360 >> 8;
          keyframe_wanted = 0;
          keyframes++;
          last_keyframe = now;
        }
      }
      sendto(fd, packet, (size_t)bytes, 0, (struct sockaddr *)&dest, sizeof dest);
      if (index == 0) memset(packet + 18, 0x5a, 10);
      if (index == per_frame - 1) {
        picture_id = (picture_id + 1) & 0x7fff;
        tl0++;
      }
      seq++;
      sent_packets++;
    }
    long long next = start + (long long)((sent_packets + 1) * 1000000000ULL / (unsigned long long)pps);
    long long wait = next - monotonic_ns();
    struct timespec timeout = {.tv_sec = wait > 0 ? wait / 1000000000LL : 0, .tv_nsec = wait > 0 ? wait % 1000000000LL : 0};
    if (ppoll(fds, 2, &timeout, NULL) > 0) {
      if (fds[0].revents && !read_commands(report)) return 0;
      if (fds[1].revents & POLLIN) {
        unsigned char rtcp[1500];
        ssize_t n;
        while ((n = recv(fd, rtcp, sizeof rtcp, MSG_DONTWAIT)) > 0)
          if (asks_keyframe(rtcp, n)) keyframe_wanted = 1;
      }
    }
  }
}
