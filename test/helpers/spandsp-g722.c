/*
 * Reference G.722 for the bit-exactness tests: spandsp's g722_encode / g722_decode (64 kbit/s,
 * 16 kHz, unpacked: one code byte per two samples) over raw files.
 *
 *   spandsp-g722 enc IN.s16le OUT.g722     16 kHz s16le (host order) -> codes
 *   spandsp-g722 dec IN.g722 OUT.s16le     codes -> 16 kHz s16le
 *   spandsp-g722 dec8k IN.g722 OUT.s16le   codes -> the low band at 8 kHz (G722_SAMPLE_RATE_8000)
 *
 * Fed in 160-code chunks (one 20 ms RTP packet), as the media plane does.
 * Build: gcc -O2 -o spandsp-g722 spandsp-g722.c -lspandsp
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>

#define CHUNK_CODES 160

static unsigned char *read_all(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*size > 0 ? *size : 1);
    if (buf == NULL || fread(buf, 1, *size, f) != (size_t) *size) { fprintf(stderr, "read %s failed\n", path); exit(2); }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: spandsp-g722 enc|dec IN OUT\n"); return 2; }
    long size;
    unsigned char *in = read_all(argv[2], &size);
    FILE *out = fopen(argv[3], "wb");
    if (out == NULL) { perror(argv[3]); return 2; }
    if (strcmp(argv[1], "enc") == 0) {
        g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
        const int16_t *pcm = (const int16_t *) in;
        long samples = size / 2;
        uint8_t codes[CHUNK_CODES];
        for (long i = 0; i < samples; i += 2 * CHUNK_CODES) {
            int n = samples - i < 2 * CHUNK_CODES ? (int) (samples - i) : 2 * CHUNK_CODES;
            int bytes = g722_encode(enc, codes, pcm + i, n);
            fwrite(codes, 1, bytes, out);
        }
    } else if (strcmp(argv[1], "dec") == 0 || strcmp(argv[1], "dec8k") == 0) {
        g722_decode_state_t *dec = g722_decode_init(NULL, 64000, strcmp(argv[1], "dec8k") == 0 ? G722_SAMPLE_RATE_8000 : 0);
        int16_t pcm[2 * CHUNK_CODES];
        for (long i = 0; i < size; i += CHUNK_CODES) {
            int n = size - i < CHUNK_CODES ? (int) (size - i) : CHUNK_CODES;
            int samples = g722_decode(dec, pcm, in + i, n);
            fwrite(pcm, 2, samples, out);
        }
    } else {
        fprintf(stderr, "mode must be enc, dec or dec8k\n");
        return 2;
    }
    fclose(out);
    free(in);
    return 0;
}
