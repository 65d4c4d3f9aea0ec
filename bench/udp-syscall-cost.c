// The platform's floor for a UDP relay: CPU per datagram sent and received one system call at a
// time (what Node's dgram does) against sendmmsg/recvmmsg batches of 32 (what the C load
// generator does), and the cost of a bare system call. Not part of `npm run bench` (it measures
// the machine, not toneguard); docs/measurements.md quotes it. Build and run:
//   gcc -O2 -o /tmp/udp-syscall-cost bench/udp-syscall-cost.c && /tmp/udp-syscall-cost
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PACKETS = 20000, BATCH = 32, BYTES = 172 }; /* a 20 ms G.711 RTP packet */

/* CPU time of this process, s: what the load on the machine does not inflate. */
static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  int receiver = socket(AF_INET, SOCK_DGRAM, 0);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof to;
  if (receiver < 0 || sender < 0 || bind(receiver, (struct sockaddr *)&to, sizeof to) != 0 || getsockname(receiver, (struct sockaddr *)&to, &len) != 0) {
    perror("socket");
    return 1;
  }
  int rcvbuf = 8 << 20;
  setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

  char one[BYTES] = {0};
  double t0 = cpu_seconds();
  for (int i = 0; i < PACKETS; i++) {
    sendto(sender, one, BYTES, 0, (struct sockaddr *)&to, sizeof to);
    recv(receiver, one, BYTES, MSG_DONTWAIT);
  }
  printf("sendto+recv: %.2f us per packet\n", (cpu_seconds() - t0) / PACKETS * 1e6);

  static char bufs[BATCH][BYTES];
  struct iovec iov[BATCH];
  struct mmsghdr out[BATCH], in[BATCH];
  memset(out, 0, sizeof out);
  memset(in, 0, sizeof in);
  for (int k = 0; k < BATCH; k++) {
    iov[k].iov_base = bufs[k];
    iov[k].iov_len = BYTES;
    out[k].msg_hdr.msg_iov = &iov[k];
    out[k].msg_hdr.msg_iovlen = 1;
    out[k].msg_hdr.msg_name = &to;
    out[k].msg_hdr.msg_namelen = sizeof to;
    in[k].msg_hdr.msg_iov = &iov[k];
    in[k].msg_hdr.msg_iovlen = 1;
  }
  t0 = cpu_seconds();
  for (int i = 0; i < PACKETS / BATCH; i++) {
    sendmmsg(sender, out, BATCH, 0);
    recvmmsg(receiver, in, BATCH, MSG_DONTWAIT, NULL);
  }
  printf("sendmmsg+recvmmsg x%d: %.2f us per packet\n", BATCH, (cpu_seconds() - t0) / (PACKETS / BATCH * BATCH) * 1e6);

  t0 = cpu_seconds();
  for (int i = 0; i < PACKETS; i++) getppid();
  printf("getppid: %.2f us per system call\n", (cpu_seconds() - t0) / PACKETS * 1e6);
  return 0;
}
