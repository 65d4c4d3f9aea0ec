// The codec port for a negotiated codec: one new instance per leg and direction (codec-port.ts).
import type { AudioCodecName } from '../media-session.js';
import type { CodecPort } from './codec-port.js';
import { G711Port } from './g711-port.js';
import { OpusPort } from './opus-port.js';

export function createCodecPort(name: AudioCodecName): CodecPort {
  return name === 'opus' ? new OpusPort() : new G711Port(name);
}
