"""Converts a pocketsphinx `sendump` into a Sphinx-III `mixture_weights` file.

Debian's en-US model ships its mixture weights only as `sendump` (8-bit, for the decoder), but
sphinxtrain's `bw` and `map_adapt` read `mixture_weights`. The python 2 `sendump.py` in
sphinxtrain does the same; this is it for python 3 with numpy.

    python3 sendump_to_mixw.py SENDUMP MIXTURE_WEIGHTS

sendump layout (pocketsphinx ptm_mgau.c read_sendump): int32-length-prefixed, NUL-terminated
header strings ending at a zero length; with `cluster_count 0`, int32 rows (Gaussians per
codebook) and int32 columns (senones); then for each feature stream, for each Gaussian, one byte
per senone: -log_1.0001(weight) >> mixw_shift (10 unless the header says otherwise).
"""

import struct
import sys

import numpy as np


def read_sendump(path):
    with open(path, 'rb') as f:
        data = f.read()
    fmt = '<i'
    pos = 0

    def int32():
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)[0]
        pos += 4
        return v

    first = struct.unpack_from('<i', data, 0)[0]
    if first < 1 or first > 999:
        fmt = '>i'
    header = {}
    while True:
        n = int32()
        if n == 0:
            break
        text = data[pos:pos + n].rstrip(b'\0').decode('ascii', 'replace')
        pos += n
        parts = text.split()
        if len(parts) == 2 and parts[1].lstrip('-').isdigit():
            header[parts[0]] = int(parts[1])
    if header.get('cluster_count', 0) != 0:
        raise SystemExit('clustered sendump (cluster_count > 0) is not supported')
    n_feat = header.get('feature_count', 1)
    shift = header.get('mixw_shift', 10)
    rows = int32()
    cols = int32()
    need = n_feat * rows * cols
    if len(data) - pos < need:
        raise SystemExit(f'sendump too short: {len(data) - pos} bytes for {n_feat}x{rows}x{cols}')
    q = np.frombuffer(data, dtype=np.uint8, count=need, offset=pos).reshape(n_feat, rows, cols)
    # Weights in log base 1.0001; renormalised per senone and stream (the 8-bit quantisation
    # leaves the sums a few per cent off 1).
    w = np.power(1.0001, -(q.astype(np.float64) * (1 << shift)))
    w = w.transpose(2, 0, 1)  # senone, stream, Gaussian
    w /= w.sum(axis=2, keepdims=True)
    return w.astype(np.float32)


def write_mixw(path, w):
    n_sen, n_feat, n_gau = w.shape
    with open(path, 'wb') as f:
        head = b's3\nversion 1.0\n'
        pad = (4 - (len(head) + len(b'endhdr\n')) % 4) % 4
        f.write(head + b' ' * pad + b'endhdr\n')
        f.write(struct.pack('<i', 0x11223344))
        f.write(struct.pack('<IIII', n_sen, n_feat, n_gau, w.size))
        f.write(w.astype('<f4').tobytes())


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: sendump_to_mixw.py SENDUMP MIXTURE_WEIGHTS')
    w = read_sendump(sys.argv[1])
    write_mixw(sys.argv[2], w)
    print(f'{sys.argv[2]}: {w.shape[0]} senones, {w.shape[1]} streams, {w.shape[2]} Gaussians')


if __name__ == '__main__':
    main()
