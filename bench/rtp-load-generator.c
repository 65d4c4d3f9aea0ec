/*
 * RTP load generator and sink of the media-load bench, in C so that it takes a small share of
 * the machine it measures (the Node generator competes with the relay for the same cores).
 * Compiled at bench time: gcc -O2 -o rtp-load-generator bench/rtp-load-generator.c -lm
 *
 * One thread. Per call two streams, "caller" (stream 2c) and "agent" (2c+1), G.711 mu-law,
 * 160-byte frames at 50 packets/s each, phases spread evenly over the 20 ms frame. Every call
 * carries a digit once a second (100 ms): even calls as RFC 4733 events (RFC 4733 §2.5: in place
 * of audio, updates every frame, the end three times), odd calls as an in-band DTMF tone
 * (digit 5: 770 + 1336 Hz) in the audio payload. Sending uses sendmmsg, receiving recvmmsg, on a
 * few sockets shared by many calls (the relay tells calls apart by its own leg ports). It sleeps
 * between sends (0.2-1 ms) and then drains what arrived, rather than waking per packet.
 *
 * Transit: send time (CLOCK_REALTIME) per stream and RTP timestamp slot (audio, and what a clamp
 * sends in place of an event) or per sequence number (events a plain relay forwards), against the
 * kernel's receive timestamp (SO_TIMESTAMPNS), so the generator's own scheduling is not counted.
 *
 * Digits that reach the agent side are counted: RFC 4733 events out of a call's agent-side port,
 * and audio frames there that hold the in-band digit's two tones (Goertzel, 770 and 1336 Hz).
 *
 * Usage: rtp-load-generator ADDRESS TARGETS_FILE WARMUP_MS MEASURE_MS EVENTS_RELAYED RCVBUF
 *   TARGETS_FILE: one line per call, "CALLER_SIDE_PORT AGENT_SIDE_PORT" of the relay.
 * Prints "ports P Q" per call (the generator's sockets for that call's caller and agent stream),
 * then "ready"; waits for "start" on stdin, or "start FILE" when the relay's ports are known only
 * once it has the generator's (calls set up over SIP): FILE then replaces TARGETS_FILE, same
 * number of calls; prints one JSON line with the result and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 160           /* samples (bytes of mu-law) per 20 ms */
#define FRAME_MS 20.0
#define AUDIO_PT 0
#define EVENT_PT 101
#define DIGIT_PERIOD_SLOTS 50 /* a digit per second */
#define DIGIT_SLOTS 5         /* 100 ms */
#define SEQ0 1000
#define TS0 0x10000u
#define DRAIN_MS 300.0
#define CALLS_PER_SOCKET 50
#define BATCH 64
#define LATE_MS FRAME_MS      /* a frame behind schedule: falling behind, not timer jitter */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* ITU-T G.711 mu-law, 14-bit magnitude with bias 0x84. */
static uint8_t ulaw(int16_t sample) {
  int s = sample, sign = 0;
  if (s < 0) { s = -s; sign = 0x80; }
  if (s > 32635) s = 32635;
  s += 0x84;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
  int mantissa = (s >> (exponent + 3)) & 0x0f;
  return (uint8_t)~(sign | (exponent << 4) | mantissa);
}

/* ITU-T G.711 mu-law to linear. */
static int ulaw_decode(uint8_t u) {
  u = ~u;
  int t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return (u & 0x80) ? 0x84 - t : t - 0x84;
}

/* Goertzel power at f Hz over n samples, relative to the frame's energy: about 1 for a pure
 * tone on a bin, 0.3-0.5 for each tone of a DTMF pair, about 2/n for noise. */
static double tone_share(const double *x, int n, double energy, double f) {
  double coeff = 2 * cos(2 * M_PI * f / 8000.0), s1 = 0, s2 = 0;
  for (int i = 0; i < n; i++) { double s0 = x[i] + coeff * s1 - s2; s2 = s1; s1 = s0; }
  return 2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * energy);
}

/* The in-band digit (5: 770 + 1336 Hz) in a mu-law frame: both tones well above noise. */
static int holds_digit_tone(const uint8_t *payload, int n) {
  double x[FRAME], energy = 0;
  if (n > FRAME) n = FRAME;
  for (int i = 0; i < n; i++) { x[i] = ulaw_decode(payload[i]); energy += x[i] * x[i]; }
  if (n < FRAME / 2 || energy / n < 1e4) return 0; /* silence or near it (below ~-50 dBm0) */
  return tone_share(x, n, energy, 770) > 0.15 && tone_share(x, n, energy, 1336) > 0.15;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void put16(uint8_t *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* Stream s's digit phase at slot k: 0..DIGIT_SLOTS-1 inside a digit, beyond otherwise. */
static int digit_phase(int s, long k) {
  if (s & 1) return DIGIT_SLOTS; /* the agent side sends no digits */
  return (int)((k + (s >> 1) * 7) % DIGIT_PERIOD_SLOTS);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s ADDRESS TARGETS_FILE WARMUP_MS MEASURE_MS EVENTS_RELAYED RCVBUF\n", argv[0]);
    return 2;
  }
  const char *address = argv[1];
  double warmup = atof(argv[3]), measure = atof(argv[4]);
  int events_relayed = atoi(argv[5]);
  int rcvbuf = atoi(argv[6]);

  FILE *tf = fopen(argv[2], "r");
  if (!tf) { perror("targets"); return 2; }
  int cap = 1024, calls = 0;
  int (*targets)[2] = malloc(sizeof(int[2]) * cap);
  while (fscanf(tf, "%d %d", &targets[calls][0], &targets[calls][1]) == 2) {
    if (++calls == cap) { cap *= 2; targets = realloc(targets, sizeof(int[2]) * cap); }
  }
  fclose(tf);
  if (calls == 0) { fprintf(stderr, "no targets\n"); return 2; }

  /* Sockets: per side one for every CALLS_PER_SOCKET calls (each with its own receive buffer). */
  int per_side = (calls + CALLS_PER_SOCKET - 1) / CALLS_PER_SOCKET;
  int nsock = per_side * 2; /* socket 2j: caller side j, 2j+1: agent side j */
  int *fd = calloc(nsock, sizeof(int));
  int *fd_port = calloc(nsock, sizeof(int));
  struct sockaddr_in bind_to = { .sin_family = AF_INET };
  inet_pton(AF_INET, address, &bind_to.sin_addr);
  for (int i = 0; i < nsock; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd[i], SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd[i], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    if (bind(fd[i], (struct sockaddr *)&bind_to, sizeof bind_to) != 0) { perror("bind"); return 1; }
    struct sockaddr_in got; socklen_t len = sizeof got;
    getsockname(fd[i], (struct sockaddr *)&got, &len);
    fd_port[i] = ntohs(got.sin_port);
  }
  for (int c = 0; c < calls; c++) printf("ports %d %d\n", fd_port[2 * (c % per_side)], fd_port[2 * (c % per_side) + 1]);
  printf("ready\n");
  fflush(stdout);
  char line[4096];
  if (!fgets(line, sizeof line, stdin) || strncmp(line, "start", 5) != 0) return 1;
  if (line[5] == ' ') {
    line[strcspn(line, "\r\n")] = 0;
    FILE *nf = fopen(line + 6, "r");
    if (!nf) { perror("targets"); return 2; }
    for (int c = 0; c < calls; c++) {
      if (fscanf(nf, "%d %d", &targets[c][0], &targets[c][1]) != 2) { fprintf(stderr, "targets: fewer than %d calls\n", calls); return 2; }
    }
    fclose(nf);
  }
  /* The relay's leg port -> the stream whose packets come out of it: out of a call's agent-side
   * port comes its caller stream (2c), out of its caller-side port its agent stream (2c+1). */
  int *from_port = malloc(sizeof(int) * 65536);
  for (int p = 0; p < 65536; p++) from_port[p] = -1;
  for (int c = 0; c < calls; c++) {
    if (targets[c][0] <= 0 || targets[c][0] > 65535 || targets[c][1] <= 0 || targets[c][1] > 65535) { fprintf(stderr, "targets: bad port in call %d\n", c); return 2; }
    from_port[targets[c][1]] = 2 * c;
    from_port[targets[c][0]] = 2 * c + 1;
  }

  int streams = calls * 2;
  long slots = (long)ceil((warmup + measure) / FRAME_MS);
  long per_stream_packets = slots + (slots / DIGIT_PERIOD_SLOTS + 1) * 2 + 4;
  double *sent_by_slot = malloc(sizeof(double) * streams * slots);
  double *sent_by_seq = malloc(sizeof(double) * streams * per_stream_packets);
  uint8_t *got_by_slot = calloc((size_t)streams * slots, 1);
  uint8_t *got_by_seq = calloc((size_t)streams * per_stream_packets, 1);
  for (long i = 0; i < streams * slots; i++) sent_by_slot[i] = -1;
  for (long i = 0; i < streams * per_stream_packets; i++) sent_by_seq[i] = -1;
  int *seq = malloc(sizeof(int) * streams);
  for (int s = 0; s < streams; s++) seq[s] = SEQ0;
  long lat_cap = (long)streams * slots + 16, lat_n = 0;
  double *lat = malloc(sizeof(double) * lat_cap);

  /* Noise-like mu-law audio (codes away from silence) and the in-band digit's five frames. */
  uint8_t pattern[FRAME * 50], tone[FRAME * DIGIT_SLOTS];
  uint32_t seed = 7;
  for (int i = 0; i < FRAME * 50; i++) { seed = seed * 1664525u + 1013904223u; pattern[i] = 0xe0 + (seed >> 28); }
  for (int i = 0; i < FRAME * DIGIT_SLOTS; i++) {
    double t = i / 8000.0;
    tone[i] = ulaw((int16_t)(7000 * sin(2 * M_PI * 770 * t) + 7000 * sin(2 * M_PI * 1336 * t)));
  }

  /* Per socket: a batch of messages under construction. */
  struct mmsghdr (*out)[BATCH] = calloc(nsock, sizeof *out);
  struct iovec (*out_iov)[BATCH] = calloc(nsock, sizeof *out_iov);
  struct sockaddr_in (*out_to)[BATCH] = calloc(nsock, sizeof *out_to);
  uint8_t (*out_buf)[BATCH][12 + FRAME] = calloc(nsock, sizeof *out_buf);
  int *out_n = calloc(nsock, sizeof(int));
  long packets_sent = 0, sends = 0, late_sends = 0, send_errors = 0;
  long events_at_agent = 0, tone_frames_at_agent = 0; /* digits that got through to the agent side */

  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct sockaddr_in in_from[BATCH];
  uint8_t in_buf[BATCH][256];
  char in_ctl[BATCH][64];

  double t0 = now_ms() + 20, measure_from = t0 + warmup, measure_to = t0 + warmup + measure;
  double cpu0 = cpu_ms(), wall0 = now_ms();
  long cursor = 0, total = slots * streams;

  #define FLUSH(sock) do { \
      int done_ = 0; \
      while (done_ < out_n[sock]) { \
        int r_ = sendmmsg(fd[sock], out[sock] + done_, out_n[sock] - done_, 0); \
        if (r_ <= 0) { if (errno == EAGAIN || errno == EWOULDBLOCK) { nanosleep(&(struct timespec){ 0, 100000 }, NULL); continue; } send_errors += out_n[sock] - done_; break; } \
        done_ += r_; \
      } \
      out_n[sock] = 0; \
    } while (0)

  /* Queues one packet of stream s on its socket; returns its buffer (12 + len bytes used). */
  #define QUEUE(s, len, bufp) do { \
      int c_ = (s) >> 1, sock_ = 2 * (c_ % per_side) + ((s) & 1); \
      if (out_n[sock_] == BATCH) FLUSH(sock_); \
      int n_ = out_n[sock_]++; \
      out_to[sock_][n_] = bind_to; \
      out_to[sock_][n_].sin_port = htons(targets[c_][(s) & 1]); \
      out_iov[sock_][n_].iov_base = out_buf[sock_][n_]; \
      out_iov[sock_][n_].iov_len = 12 + (len); \
      out[sock_][n_].msg_hdr = (struct msghdr){ .msg_name = &out_to[sock_][n_], .msg_namelen = sizeof(struct sockaddr_in), .msg_iov = &out_iov[sock_][n_], .msg_iovlen = 1 }; \
      bufp = out_buf[sock_][n_]; \
    } while (0)

  double end = 0;
  for (;;) {
    double now = now_ms();
    /* Send everything due. Stream s sends slot k at t0 + k * 20 ms + s * 20 ms / streams. */
    while (cursor < total) {
      long k = cursor / streams;
      int s = (int)(cursor % streams);
      double due = t0 + k * FRAME_MS + (s * FRAME_MS) / streams;
      if (due > now) break;
      if (now - due > LATE_MS) late_sends++;
      sends++;
      int c = s >> 1, phase = digit_phase(s, k);
      int rfc4733 = (c & 1) == 0;
      uint8_t *p;
      if (phase < DIGIT_SLOTS && rfc4733) {
        long start = k - phase;
        int copies = phase == DIGIT_SLOTS - 1 ? 3 : 1;
        for (int n = 0; n < copies; n++) {
          int sq = seq[s]++;
          QUEUE(s, 4, p);
          p[0] = 0x80;
          p[1] = (phase == 0 && n == 0 ? 0x80 : 0) | EVENT_PT;
          put16(p + 2, sq & 0xffff);
          put32(p + 4, TS0 + (uint32_t)(start * FRAME));
          put32(p + 8, 0x1000 + s);
          p[12] = 5; /* event 5 */
          p[13] = (phase == DIGIT_SLOTS - 1 ? 0x80 : 0) | 10; /* E bit, volume -10 dBm0 */
          put16(p + 14, (phase + 1) * FRAME);
          sent_by_seq[(long)s * per_stream_packets + (sq - SEQ0)] = now;
          packets_sent++;
        }
        sent_by_slot[(long)s * slots + k] = now; /* what a clamp sends in place of the event */
      } else {
        int sq = seq[s]++;
        QUEUE(s, FRAME, p);
        p[0] = 0x80;
        p[1] = AUDIO_PT | (k == 0 ? 0x80 : 0);
        put16(p + 2, sq & 0xffff);
        put32(p + 4, TS0 + (uint32_t)(k * FRAME));
        put32(p + 8, 0x1000 + s);
        if (phase < DIGIT_SLOTS) memcpy(p + 12, tone + phase * FRAME, FRAME);
        else memcpy(p + 12, pattern + ((k + c) % 50) * FRAME, FRAME);
        sent_by_slot[(long)s * slots + k] = now;
        packets_sent++;
      }
      cursor++;
    }
    for (int i = 0; i < nsock; i++) if (out_n[i] > 0) FLUSH(i);
    if (cursor == total && end == 0) end = now + DRAIN_MS;

    /* Receive everything waiting. */
    for (int i = 0; i < nsock; i++) {
      for (;;) {
        for (int j = 0; j < BATCH; j++) {
          in_iov[j] = (struct iovec){ in_buf[j], sizeof in_buf[j] };
          in[j].msg_hdr = (struct msghdr){ .msg_name = &in_from[j], .msg_namelen = sizeof in_from[j], .msg_iov = &in_iov[j], .msg_iovlen = 1, .msg_control = in_ctl[j], .msg_controllen = sizeof in_ctl[j] };
        }
        int r = recvmmsg(fd[i], in, BATCH, MSG_DONTWAIT, NULL);
        if (r <= 0) break;
        double read_at = now_ms();
        for (int j = 0; j < r; j++) {
          const uint8_t *m = in_buf[j];
          if (in[j].msg_len < 12) continue;
          int from = from_port[ntohs(in_from[j].sin_port)];
          if (from < 0) continue;
          double at = read_at;
          for (struct cmsghdr *cm = CMSG_FIRSTHDR(&in[j].msg_hdr); cm; cm = CMSG_NXTHDR(&in[j].msg_hdr, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
              struct timespec ts;
              memcpy(&ts, CMSG_DATA(cm), sizeof ts);
              at = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
            }
          }
          int pt = m[1] & 0x7f;
          double sent;
          if ((from & 1) == 0) { /* out of the agent-side port: what the agent would hear */
            if (pt == EVENT_PT) events_at_agent++;
            else if (pt == AUDIO_PT && in[j].msg_len > 12 && holds_digit_tone(m + 12, (int)in[j].msg_len - 12)) tone_frames_at_agent++;
          }
          if (pt == AUDIO_PT) {
            uint32_t ts = ((uint32_t)m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7]) - TS0;
            if (ts % FRAME != 0 || ts / FRAME >= (uint32_t)slots) continue;
            long idx = (long)from * slots + ts / FRAME;
            if (got_by_slot[idx] || (sent = sent_by_slot[idx]) < 0) continue;
            got_by_slot[idx] = 1;
          } else if (pt == EVENT_PT && events_relayed) {
            long off = (m[2] << 8 | m[3]) - SEQ0;
            if (off < 0 || off >= per_stream_packets) continue;
            long idx = (long)from * per_stream_packets + off;
            if (got_by_seq[idx] || (sent = sent_by_seq[idx]) < 0) continue;
            got_by_seq[idx] = 1;
          } else continue;
          if (sent >= measure_from && sent < measure_to && lat_n < lat_cap) lat[lat_n++] = at - sent;
        }
      }
    }
    now = now_ms();
    if (end != 0 && now >= end) break;
    /* Sleep until the next send is due, at least 0.2 ms and at most 1 ms: arrivals carry the
     * kernel's timestamp, so reading them a little later costs no accuracy, and not waking per
     * packet keeps the generator's share of the machine small. */
    double next = cursor < total ? t0 + (cursor / streams) * FRAME_MS + ((cursor % streams) * FRAME_MS) / streams : end;
    double wait = fmax(0.2, fmin(next - now, 1.0));
    nanosleep(&(struct timespec){ 0, (long)(wait * 1e6) }, NULL);
  }
  double cpu = cpu_ms() - cpu0, wall = now_ms() - wall0;

  long expected = 0, received = 0;
  for (int s = 0; s < streams; s++) {
    for (long k = 0; k < slots; k++) {
      long i = (long)s * slots + k;
      double t = sent_by_slot[i];
      if (t < measure_from || t >= measure_to) continue;
      /* With a plain relay, an RFC 4733 call's digit slots carry no audio: only its events count. */
      if (events_relayed && ((s >> 1) & 1) == 0 && digit_phase(s, k) < DIGIT_SLOTS) continue;
      expected++;
      received += got_by_slot[i];
    }
    if (!events_relayed) continue;
    for (long n = 0; n < per_stream_packets; n++) {
      long i = (long)s * per_stream_packets + n;
      double t = sent_by_seq[i];
      if (t < measure_from || t >= measure_to) continue;
      expected++;
      received += got_by_seq[i];
    }
  }
  qsort(lat, lat_n, sizeof(double), cmp_double);
  #define AT(q) (lat_n == 0 ? -1 : lat[(long)fmin(lat_n - 1, floor((q) * lat_n))])
  printf("{\"expected\":%ld,\"received\":%ld,\"sent\":%ld,\"p50Ms\":%.4f,\"p99Ms\":%.4f,\"maxMs\":%.4f,\"lateSendShare\":%.6f,\"sendErrors\":%ld,\"eventsAtAgent\":%ld,\"toneFramesAtAgent\":%ld,\"cpuMs\":%.1f,\"wallMs\":%.1f}\n",
         expected, received, packets_sent, AT(0.5), AT(0.99), lat_n == 0 ? -1 : lat[lat_n - 1], sends == 0 ? 0.0 : (double)late_sends / sends, send_errors, events_at_agent, tone_frames_at_agent, cpu, wall);
  fflush(stdout);
  return 0;
}
