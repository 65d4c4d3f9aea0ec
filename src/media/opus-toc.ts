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
