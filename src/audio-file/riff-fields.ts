// RIFF's field encodings, named once for the WAV parser and its `fmt ` chunk reader: integers
// are little-endian, chunk IDs are four-character codes (Microsoft "Multimedia Programming
// Interface and Data Specifications 1.0", RIFF). Reads assume the caller checked the bounds.

export function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

export function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/** Chunk IDs are four printable ASCII characters; anything else is garbage, not a chunk. */
export function isChunkId(b: Uint8Array, at: number): boolean {
  if (at + 4 > b.length) return false;
  for (let i = at; i < at + 4; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}
