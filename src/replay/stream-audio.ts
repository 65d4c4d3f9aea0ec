// A replayed stream's audio for --write-audio: the main payload type's packets decoded
// (G.711, G.722's lower band, Opus) and laid out at 8 kHz by RTP timestamp.
import { decodeAlaw, decodeUlaw } from '../../native-free-dsp/g711.js';
import { G722Port } from '../media/codecs/g722-port.js';
import { createOpusCodec, opusDecode, type OpusCodec } from '../media/codecs/opus-codec.js';
import { rtpPayloadType } from '../rtp/rtp-packet.js';
import type { StoredPacket } from './capture-streams.js';

/** A jump in the timeline larger than this is a discontinuity, not silence to fill, ms. */
const MAX_FILLED_GAP_MS = 60_000;
/** Largest G.722 payload decoded for --write-audio, bytes (120 ms, as the clamp takes). */
const MAX_G722_PAYLOAD = 960;

interface Timeline {
  samples: Int16Array;
  length: number;
}

function ensure(t: Timeline, end: number): void {
  if (end <= t.samples.length) return;
  let size = Math.max(t.samples.length * 2, 8000);
  while (size < end) size *= 2;
  const next = new Int16Array(size);
  next.set(t.samples.subarray(0, t.length));
  t.samples = next;
}

/**
 * The stream's audio at 8 kHz laid out by timestamp (PCMU, PCMA, G.722, Opus), for --write-audio.
 * G.722: its lower band (0-4 kHz at 8 kHz, the codec's own split: what the detector hears).
 */
export function decodeAudio(packets: readonly StoredPacket[], encoding: string | undefined, mainPt: number | undefined, audioClock: number): Int16Array | undefined {
  if (encoding !== 'PCMU' && encoding !== 'PCMA' && encoding !== 'G722' && encoding !== 'OPUS') return undefined;
  const audioRate = 8000;
  const opus: OpusCodec | undefined = encoding === 'OPUS' ? createOpusCodec(1, 8000) : undefined;
  const g722 = encoding === 'G722' ? new G722Port() : undefined;
  const upper = new Int16Array(g722 === undefined ? 0 : MAX_G722_PAYLOAD);
  const baseTs = packets[0].extTs;
  // Sized from the timestamp span so that it rarely grows (bounded: a corrupt span does not allocate).
  const spanSamples = ((packets[packets.length - 1].extTs - baseTs) * audioRate) / audioClock;
  const initial = Number.isFinite(spanSamples) && spanSamples > 0 ? Math.min(Math.ceil(spanSamples) + 2 * audioRate, 3600 * audioRate) : 0;
  const timeline: Timeline = { samples: new Int16Array(initial), length: 0 };
  let shift = 0; // samples added/removed at discontinuities
  const maxGap = (MAX_FILLED_GAP_MS * audioRate) / 1000;
  for (const p of packets) {
    if (rtpPayloadType(p.bytes) !== mainPt) continue;
    const payload = p.bytes.subarray(p.start, p.end);
    let at = Math.round(((p.extTs - baseTs) * audioRate) / audioClock) + shift;
    if (at - timeline.length > maxGap || at < timeline.length - maxGap) {
      shift += timeline.length - at;
      at = timeline.length;
    }
    if (at < 0) continue;
    if (opus !== undefined) {
      const pcm = opusDecode(opus, payload);
      if (pcm === undefined) continue;
      ensure(timeline, at + pcm.length);
      timeline.samples.set(pcm, at);
      timeline.length = Math.max(timeline.length, at + pcm.length);
    } else if (g722 !== undefined) {
      if (payload.length > upper.length) continue;
      ensure(timeline, at + payload.length);
      g722.decodeBands(payload, timeline.samples.subarray(at, at + payload.length), upper);
      timeline.length = Math.max(timeline.length, at + payload.length);
    } else {
      ensure(timeline, at + payload.length);
      (encoding === 'PCMU' ? decodeUlaw : decodeAlaw)(payload, timeline.samples.subarray(at, at + payload.length));
      timeline.length = Math.max(timeline.length, at + payload.length);
    }
  }
  return timeline.length > 0 ? timeline.samples.slice(0, timeline.length) : undefined;
}
