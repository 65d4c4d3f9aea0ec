// The codec port for a negotiated codec: one new instance per leg and direction (codec-port.ts).
import type { AudioCodecName } from '../media-session.js';
import type { CodecPort } from './codec-port.js';
import { G711Port } from './g711-port.js';
import { G722Port } from './g722-port.js';
import { OpusPort } from './opus-port.js';

export function createCodecPort(name: AudioCodecName): CodecPort {
  if (name === 'opus') return new OpusPort();
  if (name === 'G722') return new G722Port();
  return new G711Port(name);
}
