// What the least a secure G.711 packet's clamp must do costs when compiled ahead of time, on this
// machine: per packet of 160 mu-law codes, decode them into an 8 kHz history, run the eight DTMF
// Goertzel filters over every completed 51-sample sub-block (two passes of four, in doubles, as
// the TypeScript kernel in native-free-dsp/goertzel-bank.ts), form each bin's DFT and 102-sample
// window value, test the window's strongest row and column, keep the codes in an 8,192-slot ring
// and copy out the codes of 26 ms earlier. That is a packet with no tone in it, without what the
// clamp adds around it (the detector's full window tests and tone track, candidate gates, mute
// schedule, late and lost packets, the RTP side). S streams in one thread, one packet to each in
// turn (as a media worker serves its calls), CPU time per packet: a floor for a compiled clamp,
// to set beside `npm run bench -- --only clamp-stage`. Not part of `npm run bench` (it measures
// no toneguard code); docs/measurements.md quotes it.
//   gcc -O2 -o /tmp/clamp-floor bench/clamp-floor.c -lm && /tmp/clamp-floor [STREAMS] [PACKETS]
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUB 51
#define RING 2048
#define CODES 8192
#define DELAY 208
static const double FREQ[8] = {697, 770, 852, 941, 1209, 1336, 1477, 1633};
static double coef[8], finARe[8], finAIm[8], finBRe[8], finBIm[8], rotRe[8], rotIm[8];
static int16_t ulaw[256];

typedef struct {
  int16_t hist[RING];
  uint8_t codes[CODES];
  uint8_t kept[CODES];
  double x1Re[8], x1Im[8], winRe[8], winIm[8];
  long pos, blockStart;
  int subPos;
  double energy;
  int hits;
} Stream;

static int16_t ulaw_decode(uint8_t u) {
  u = ~u;
  int t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return (u & 0x80) ? (0x84 - t) : (t - 0x84);
}

static void subblock(Stream *s) {
  double s1[8] = {0}, s2[8] = {0};
  for (int pass = 0; pass < 2; pass++) {
    const double *c = coef + 4 * pass;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, t;
    for (int j = 0; j < SUB; j++) {
      double x = s->hist[(s->blockStart + j) & (RING - 1)];
      t = x - b0 + c[0] * a0; b0 = a0; a0 = t;
      t = x - b1 + c[1] * a1; b1 = a1; a1 = t;
      t = x - b2 + c[2] * a2; b2 = a2; a2 = t;
      t = x - b3 + c[3] * a3; b3 = a3; a3 = t;
    }
    s1[4 * pass] = a0; s1[4 * pass + 1] = a1; s1[4 * pass + 2] = a2; s1[4 * pass + 3] = a3;
    s2[4 * pass] = b0; s2[4 * pass + 1] = b1; s2[4 * pass + 2] = b2; s2[4 * pass + 3] = b3;
  }
  double p[8];
  for (int k = 0; k < 8; k++) {
    double xr = finARe[k] * s1[k] + finBRe[k] * s2[k], xi = finAIm[k] * s1[k] + finBIm[k] * s2[k];
    s->winRe[k] = s->x1Re[k] + rotRe[k] * xr - rotIm[k] * xi;
    s->winIm[k] = s->x1Im[k] + rotRe[k] * xi + rotIm[k] * xr;
    s->x1Re[k] = xr; s->x1Im[k] = xi;
    p[k] = s->winRe[k] * s->winRe[k] + s->winIm[k] * s->winIm[k];
  }
  int r = 0, c = 4;
  for (int k = 1; k < 4; k++) if (p[k] > p[r]) r = k;
  for (int k = 5; k < 8; k++) if (p[k] > p[c]) c = k;
  if (p[r] > 1e9 && p[c] > 1e9 && p[r] + p[c] > 0.5 * s->energy) s->hits++;
  s->energy = 0;
  s->blockStart += SUB;
}

static void packet(Stream *s, const uint8_t *in, uint8_t *out) {
  for (int i = 0; i < 160; i++) {
    long t = s->pos + i;
    int16_t x = ulaw[in[i]];
    s->hist[t & (RING - 1)] = x;
    s->energy += (double)x * x;
    s->codes[t & (CODES - 1)] = in[i];
    s->kept[t & (CODES - 1)] = 1;
    if (++s->subPos == SUB) { s->subPos = 0; subblock(s); }
  }
  for (int i = 0; i < 160; i++) {
    long t = s->pos + i - DELAY;
    out[i] = t >= 0 && s->kept[t & (CODES - 1)] ? s->codes[t & (CODES - 1)] : 0xff;
  }
  s->pos += 160;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int S = argc > 1 ? atoi(argv[1]) : 1000, P = argc > 2 ? atoi(argv[2]) : 300;
  if (S < 1 || P < 1) {
    fprintf(stderr, "usage: clamp-floor [STREAMS >= 1] [PACKETS >= 1]\n");
    return 2;
  }
  for (int k = 0; k < 8; k++) {
    double w = 2 * M_PI * FREQ[k] / 8000;
    coef[k] = 2 * cos(w);
    finARe[k] = cos(w * (SUB - 1)); finAIm[k] = -sin(w * (SUB - 1));
    finBRe[k] = -cos(w * SUB); finBIm[k] = sin(w * SUB);
    rotRe[k] = cos(w * SUB); rotIm[k] = -sin(w * SUB);
  }
  for (int u = 0; u < 256; u++) ulaw[u] = ulaw_decode(u);
  Stream *st = calloc(S, sizeof(Stream));
  if (st == NULL) {
    fprintf(stderr, "clamp-floor: out of memory for %d streams\n", S);
    return 1;
  }
  static uint8_t input[1 << 16];
  uint8_t out[160];
  unsigned sink = 0;
  srand(1);
  for (int i = 0; i < (1 << 16); i++) input[i] = (uint8_t)(rand() >> 7);
  double t0 = cpu_s();
  for (int p = 0; p < P; p++)
    for (int s = 0; s < S; s++) {
      packet(&st[s], input + (((unsigned)p * 977u + (unsigned)s * 160u) & ((1 << 16) - 161)), out);
      sink += out[p % 160];
    }
  double t1 = cpu_s();
  long hits = 0;
  for (int s = 0; s < S; s++) hits += st[s].hits;
  // sink and hits are printed so that the compiler keeps the work.
  printf("%d streams: %.3f us per packet (%u %ld)\n", S, (t1 - t0) * 1e6 / ((double)S * P), sink, hits);
  return 0;
}
