// What a relay thread pays per datagram when it keeps up with its calls, on this machine: every
// one of S sockets (one per stream, as SDP gives them) has one datagram ready per batch, the
// thread reads each and sends it on. Two ways, the relay thread's CPU time per datagram:
//   epoll: epoll_wait, then a recvmmsg per ready socket and a sendto per datagram (the native
//          media I/O today, src/media/udp/native-udp.c): two system calls per datagram;
//   uring: io_uring, a receive armed on every socket and the sends of a batch queued, all
//          submitted and reaped with one io_uring_enter per batch.
// A generator thread sends each batch (one sendmmsg, one datagram to each socket) and reads
// what the relay sent on (recvmmsg) before the next, so batches do not overlap. Not part of
// `npm run bench` (it measures the platform, not toneguard); docs/measurements.md quotes it.
//   gcc -O2 -pthread -o /tmp/udp-uring-cost bench/udp-uring-cost.c && /tmp/udp-uring-cost [SOCKETS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { BATCHES = 300, BYTES = 172, MAX_SOCKETS = 2000 };

static int S = 500;
static int relay_fd[MAX_SOCKETS];
static struct sockaddr_in relay_addr[MAX_SOCKETS];
static int gen_fd, sink_fd;
static struct sockaddr_in sink_addr;


static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int udp_socket(struct sockaddr_in *bound) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int buf = 4 << 20;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("socket");
    exit(1);
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  *bound = a;
  return fd;
}

// Receive headers for recvmmsg: datagram j into bufs[j], its source (if `from`) into from[j].
static void receive_headers(struct mmsghdr *m, struct iovec *v, char (*bufs)[2048], struct sockaddr_in *from, int n) {
  for (int j = 0; j < n; j++) {
    v[j].iov_base = bufs[j];
    v[j].iov_len = sizeof bufs[j];
    memset(&m[j], 0, sizeof m[j]);
    m[j].msg_hdr.msg_iov = &v[j];
    m[j].msg_hdr.msg_iovlen = 1;
    if (from != NULL) {
      m[j].msg_hdr.msg_name = &from[j];
      m[j].msg_hdr.msg_namelen = sizeof from[j];
    }
  }
}

// The generator: a batch to every relay socket, then waits until the relay has sent it all on.
static void *generator(void *arg) {
  (void)arg;
  static char payload[BYTES];
  static struct mmsghdr msgs[MAX_SOCKETS];
  static struct iovec iov[MAX_SOCKETS];
  static char sink_buf[64][2048];
  for (int i = 0; i < S; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = BYTES;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &relay_addr[i];
    msgs[i].msg_hdr.msg_namelen = sizeof relay_addr[i];
  }
  for (int b = 0; b < BATCHES; b++) {
    for (int sent = 0; sent < S;) {
      int n = sendmmsg(gen_fd, msgs + sent, S - sent, 0);
      if (n > 0) sent += n;
    }

    // Drain the sink until the relay has sent the whole batch on.
    for (int got = 0; got < S;) {
      struct mmsghdr in[64];
      struct iovec v[64];
      receive_headers(in, v, sink_buf, NULL, 64);
      int n = recvmmsg(sink_fd, in, 64, MSG_DONTWAIT, NULL);
      if (n > 0) got += n;
    }
  }
  return NULL;
}

// --- epoll: what the native media I/O does -------------------------------------------------

static double run_epoll(void) {
  int ep = epoll_create1(0);
  for (int i = 0; i < S; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, relay_fd[i], &ev);
  }
  static struct epoll_event ready[MAX_SOCKETS];
  static char buf[2048];
  long relayed = 0;
  double t0 = thread_cpu();
  while (relayed < (long)S * BATCHES) {
    int n = epoll_wait(ep, ready, S, 100);
    for (int k = 0; k < n; k++) {
      int fd = relay_fd[ready[k].data.u32];
      struct mmsghdr m[8];
      struct iovec v[8];
      struct sockaddr_in from[8];
      static char bufs[8][2048];
      // Set up per read, as native-udp.c does.
      receive_headers(m, v, bufs, from, 8);
      int got = recvmmsg(fd, m, 8, MSG_DONTWAIT, NULL);
      for (int j = 0; j < got; j++) {
        memcpy(buf, bufs[j], m[j].msg_len);
        sendto(fd, buf, m[j].msg_len, 0, (struct sockaddr *)&sink_addr, sizeof sink_addr);
        relayed++;
      }
    }
  }
  double cpu = thread_cpu() - t0;
  close(ep);
  return cpu;
}

// --- io_uring (raw system calls: Debian has no liburing here) ------------------------------

struct ring {
  int fd;
  unsigned *sq_tail, *sq_mask, *sq_array;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  unsigned pending;
};

static int ring_init(struct ring *r, unsigned entries) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (r->fd < 0) return -1;
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
  char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  char *cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq : mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED) return -1;
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  r->pending = 0;
  return 0;
}

static struct io_uring_sqe *ring_sqe(struct ring *r) {
  unsigned tail = *r->sq_tail + r->pending;
  unsigned i = tail & *r->sq_mask;
  r->sq_array[i] = i;
  r->pending++;
  struct io_uring_sqe *sqe = &r->sqes[i];
  memset(sqe, 0, sizeof *sqe);
  return sqe;
}

// Submits what is queued and waits for at least `wait` completions.
static void ring_enter(struct ring *r, unsigned wait) {
  atomic_store_explicit((_Atomic unsigned *)r->sq_tail, *r->sq_tail + r->pending, memory_order_release);
  unsigned n = r->pending;
  r->pending = 0;
  while (syscall(__NR_io_uring_enter, r->fd, n, wait, wait > 0 ? IORING_ENTER_GETEVENTS : 0, NULL, 0) < 0 && errno == EINTR) {
  }
}

struct slot {
  char in[2048], out[2048];
  struct iovec in_iov, out_iov;
  struct msghdr in_msg, out_msg;
  struct sockaddr_in from;
  int received;
};

static void arm_recv(struct ring *r, struct slot *s, int i) {
  struct io_uring_sqe *sqe = ring_sqe(r);
  sqe->opcode = IORING_OP_RECVMSG;
  sqe->fd = relay_fd[i];
  sqe->addr = (uint64_t)(uintptr_t)&s->in_msg;
  sqe->len = 1;
  sqe->user_data = (uint64_t)i << 1;
}

static double run_uring(void) {
  struct ring r;
  if (ring_init(&r, 4096) != 0) {
    perror("io_uring_setup");
    return -1;
  }
  struct slot *slots = calloc((size_t)S, sizeof *slots);
  for (int i = 0; i < S; i++) {
    struct slot *s = &slots[i];
    s->in_iov = (struct iovec){s->in, sizeof s->in};
    s->in_msg = (struct msghdr){.msg_name = &s->from, .msg_namelen = sizeof s->from, .msg_iov = &s->in_iov, .msg_iovlen = 1};
    s->out_iov = (struct iovec){s->out, 0};
    s->out_msg = (struct msghdr){.msg_name = &sink_addr, .msg_namelen = sizeof sink_addr, .msg_iov = &s->out_iov, .msg_iovlen = 1};
    arm_recv(&r, s, i);
  }
  ring_enter(&r, 0);
  long relayed = 0;
  double t0 = thread_cpu();
  while (relayed < (long)S * BATCHES) {
    // Submits the previous batch's sends and re-armed receives; waits for something to reap.
    ring_enter(&r, 1);
    unsigned head = *r.cq_head;
    unsigned tail = atomic_load_explicit((_Atomic unsigned *)r.cq_tail, memory_order_acquire);
    for (; head != tail; head++) {
      struct io_uring_cqe *cqe = &r.cqes[head & *r.cq_mask];
      uint64_t u = cqe->user_data;
      int res = cqe->res;
      if ((u & 1) == 0) {
        int i = (int)(u >> 1);
        struct slot *s = &slots[i];
        if (res > 0) {
          memcpy(s->out, s->in, (size_t)res);
          s->out_iov.iov_len = (size_t)res;
          struct io_uring_sqe *sqe = ring_sqe(&r);
          sqe->opcode = IORING_OP_SENDMSG;
          sqe->fd = relay_fd[i];
          sqe->addr = (uint64_t)(uintptr_t)&s->out_msg;
          sqe->len = 1;
          sqe->user_data = ((uint64_t)i << 1) | 1;
          relayed++;
          s->received++;
        }
        // No receive is left armed after the last batch: it would take the next run's datagrams.
        s->in_msg.msg_namelen = sizeof s->from;
        if (s->received < BATCHES) arm_recv(&r, s, i);
      }
    }
    atomic_store_explicit((_Atomic unsigned *)r.cq_head, head, memory_order_release);
  }
  ring_enter(&r, 0);
  double cpu = thread_cpu() - t0;
  close(r.fd);
  free(slots);
  return cpu;
}

static double process_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/** The relay thread's CPU, s; `whole` gets the process's (generator and any kernel worker of the ring included). */
static double measure(double (*relay)(void), double *whole) {
  pthread_t g;
  double p0 = process_cpu();
  pthread_create(&g, NULL, generator, NULL);
  double cpu = relay();
  pthread_join(g, NULL);
  *whole = process_cpu() - p0;
  return cpu;
}

int main(int argc, char **argv) {
  if (argc > 1) S = atoi(argv[1]);
  if (S < 1 || S > MAX_SOCKETS) S = 500;
  for (int i = 0; i < S; i++) relay_fd[i] = udp_socket(&relay_addr[i]);
  struct sockaddr_in g;
  gen_fd = udp_socket(&g);
  sink_fd = udp_socket(&sink_addr);
  double datagrams = (double)S * BATCHES;
  // Alternated, three rounds each: the machine is shared and noisy.
  double best_epoll = 1e9, best_uring = 1e9;
  for (int round = 0; round < 3; round++) {
    double we, wu;
    double e = measure(run_epoll, &we) / datagrams * 1e6;
    double u = measure(run_uring, &wu) / datagrams * 1e6;
    if (u < 0) return 1;
    if (e < best_epoll) best_epoll = e;
    if (u < best_uring) best_uring = u;
    printf("round %d: relay thread's CPU per datagram: epoll + recvmmsg + sendto %.2f us, io_uring %.2f us (whole process, generator included: %.2f and %.2f us)\n", round + 1, e, u,
           we / datagrams * 1e6, wu / datagrams * 1e6);
  }
  printf("%d sockets, one datagram each per batch, %d batches: epoll %.2f us, io_uring %.2f us per datagram (best of 3); io_uring/epoll %.2f\n", S, BATCHES, best_epoll, best_uring, best_uring / best_epoll);
  return 0;
}
