// Duration of an Opus packet from its TOC byte and frame count (RFC 6716 §3.1-3.2), without
// decoding: what libopus's opus_packet_get_nb_samples computes, at the 48 kHz RTP clock.

/** Frame duration per TOC configuration (bits 7-3), in 48 kHz samples (RFC 6716 Table 2). */
function frameSamples48(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return (config & 1) === 0 ? 480 : 960; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3]; // CELT-only: 2.5, 5, 10, 20 ms
}

/** Samples at 48 kHz the packet carries; undefined if it is empty or its frame count is invalid. */
export function opusPacketSamples48(payload: Uint8Array): number | undefined {
  if (payload.length === 0) return undefined;
  const toc = payload[0];
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    if (payload.length < 2) return undefined;
    frames = payload[1] & 0x3f;
    if (frames === 0) return undefined;
  } else frames = 2;
  const samples = frames * frameSamples48(toc >> 3);
  // RFC 6716 §3.2.5: a packet holds at most 120 ms.
  return samples > 5760 ? undefined : samples;
}

/** A size field of a code 2 or 3 packet (RFC 6716 §3.2.1): [size, bytes read] or undefined. */
function readSize(p: Uint8Array, at: number): [number, number] | undefined {
  if (at >= p.length) return undefined;
  if (p[at] < 252) return [p[at], 1];
  if (at + 1 >= p.length) return undefined;
  return [p[at] + 4 * p[at + 1], 2];
}

/** The compressed frames of an Opus packet (views, without the TOC), or undefined if malformed (RFC 6716 §3.2). */
export function opusPacketFrames(p: Uint8Array): Uint8Array[] | undefined {
  if (p.length === 0) return undefined;
  const code = p[0] & 3;
  if (code === 0) return [p.subarray(1)];
  if (code === 1) {
    if ((p.length - 1) % 2 !== 0) return undefined;
    const half = (p.length - 1) / 2;
    return [p.subarray(1, 1 + half), p.subarray(1 + half)];
  }
  if (code === 2) {
    const size = readSize(p, 1);
    if (size === undefined || 1 + size[1] + size[0] > p.length) return undefined;
    const start = 1 + size[1];
    return [p.subarray(start, start + size[0]), p.subarray(start + size[0])];
  }
  if (p.length < 2) return undefined;
  const vbr = (p[1] & 0x80) !== 0;
  const count = p[1] & 0x3f;
  if (count === 0) return undefined;
  let at = 2;
  let padding = 0;
  if ((p[1] & 0x40) !== 0) {
    // Padding length: bytes of 255 add 254 each and continue (§3.2.5).
    while (true) {
      if (at >= p.length) return undefined;
      const b = p[at++];
      padding += b === 255 ? 254 : b;
      if (b !== 255) break;
    }
  }
  const sizes: number[] = [];
  if (vbr) {
    for (let k = 0; k + 1 < count; k++) {
      const size = readSize(p, at);
      if (size === undefined) return undefined;
      sizes.push(size[0]);
      at += size[1];
    }
  }
  const end = p.length - padding;
  if (end < at) return undefined;
  if (vbr) {
    const used = sizes.reduce((a, b) => a + b, 0);
    if (at + used > end) return undefined;
    sizes.push(end - at - used);
  } else {
    if ((end - at) % count !== 0) return undefined;
    for (let k = 0; k < count; k++) sizes.push((end - at) / count);
  }
  const frames: Uint8Array[] = [];
  for (const size of sizes) {
    frames.push(p.subarray(at, at + size));
    at += size;
  }
  return frames;
}

/**
 * Opus packets of one configuration (same TOC mode, bandwidth, frame size and stereo flag) as one
 * code 3 VBR packet (RFC 6716 §3.2.5), e.g. 2 x 60 ms as 120 ms; undefined if they differ, a
 * packet is malformed or the result would exceed 120 ms / 48 frames.
 */
export function joinOpusPackets(packets: readonly Uint8Array[]): Uint8Array | undefined {
  if (packets.length === 0 || packets[0].length === 0) return undefined;
  const toc = packets[0][0] & 0xfc;
  const frames: Uint8Array[] = [];
  for (const p of packets) {
    if (p.length === 0 || (p[0] & 0xfc) !== toc) return undefined;
    const f = opusPacketFrames(p);
    if (f === undefined) return undefined;
    frames.push(...f);
  }
  if (frames.length > 48 || frames.length * frameSamples48(toc >> 3) > 5760) return undefined;
  const sizeBytes: number[] = [];
  for (let k = 0; k + 1 < frames.length; k++) {
    const len = frames[k].length;
    if (len > 1275) return undefined;
    if (len < 252) sizeBytes.push(len);
    else sizeBytes.push(252 + (len & 3), (len - 252 - (len & 3)) >> 2);
  }
  const body = frames.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(2 + sizeBytes.length + body);
  out[0] = toc | 3;
  out[1] = 0x80 | frames.length; // VBR, no padding
  out.set(sizeBytes, 2);
  let at = 2 + sizeBytes.length;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}
