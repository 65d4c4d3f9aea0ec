/*
 * Reference DTMF receiver for the benchmarks: spandsp's dtmf_rx over a raw 8 kHz s16le file,
 * fed in 160-sample chunks (one 20 ms RTP packet), as toneguard's detector is in bench/run.ts.
 *
 *   spandsp-harness FILE REPEATS
 *
 * Prints, for the first repetition, one line per digit:  digit D START END  (sample indexes,
 * each the end of the chunk in which spandsp reported the edge, so up to 160 samples late),
 * then  digits STRING  (the same digits in order), then for all repetitions together
 *   samples 123  seconds 0.0123  samples_per_second 1.0e+07
 * Timing covers dtmf_rx_init, dtmf_rx and dtmf_rx_free, not reading the file.
 *
 * Build: gcc -O2 -o spandsp-harness spandsp-harness.c -lspandsp
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

#define CHUNK_SAMPLES 160

static int repetition;
static long chunk_end;      /* sample index just after the chunk being processed */
static int current_digit;   /* 0 when no digit is on */
static long current_start;
static char digits[1 << 16];
static size_t digit_count;

static void append_digit(int d)
{
    if (digit_count + 1 < sizeof(digits))
        digits[digit_count++] = (char) d;
}

/* spandsp 0.0.6 reports through the realtime callback only once one is set; this one still
   collects anything a version that calls both would deliver. */
static void digits_cb(void *user_data, const char *d, int len)
{
    (void) user_data;
    if (repetition != 0)
        return;
    for (int i = 0; i < len; i++)
        append_digit(d[i]);
}

/* code: the digit's ASCII value when a digit starts, 0 when it ends. */
static void realtime_cb(void *user_data, int code, int level, int delay)
{
    (void) user_data;
    (void) level;
    (void) delay;
    if (repetition != 0)
        return;
    if (current_digit != 0 && code != current_digit)
        printf("digit %c %ld %ld\n", current_digit, current_start, chunk_end);
    if (code != 0 && code != current_digit) {
        current_start = chunk_end;
        append_digit(code);
    }
    current_digit = code;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE.s16le REPEATS\n", argv[0]);
        return 2;
    }
    int repeats = atoi(argv[2]);
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL || repeats < 1) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    long n = bytes / 2;
    int16_t *amp = malloc((size_t) n * sizeof(int16_t) + 1);
    if (amp == NULL || fread(amp, sizeof(int16_t), (size_t) n, f) != (size_t) n) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 2;
    }
    fclose(f);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (repetition = 0; repetition < repeats; repetition++) {
        dtmf_rx_state_t *s = dtmf_rx_init(NULL, digits_cb, NULL);
        dtmf_rx_set_realtime_callback(s, realtime_cb, NULL);
        current_digit = 0;
        for (long i = 0; i < n; i += CHUNK_SAMPLES) {
            int len = (n - i < CHUNK_SAMPLES) ? (int) (n - i) : CHUNK_SAMPLES;
            chunk_end = i + len;
            dtmf_rx(s, amp + i, len);
        }
        if (repetition == 0 && current_digit != 0)
            printf("digit %c %ld %ld\n", current_digit, current_start, n);
        dtmf_rx_free(s);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    double seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    digits[digit_count] = '\0';
    printf("digits %s\n", digits);
    printf("samples %ld seconds %.6f samples_per_second %.6e\n", n * (long) repeats, seconds, (double) n * repeats / seconds);
    free(amp);
    return 0;
}
