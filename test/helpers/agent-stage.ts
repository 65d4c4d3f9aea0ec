// Runs RTP streams through the agent clamp stage (createClampStage) and reads back what the
// agent would receive: packets, the audio laid out by timestamp, and the digits reported.
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import { createClampStage } from '../../src/media/clamp/create-clamp-stage.js';
import { PressClock, type RtpPress } from './press-clock.js';
import type { ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { buildStream, checkStream, decodeByTimestamp, EVENT_PT, FRAME, type Segment, type StreamCheck, type StreamPacket } from './rtp-streams.js';

export interface AgentRun {
  readonly packets: Uint8Array[];
  readonly check: StreamCheck;
  /** Output audio from the first packet's timestamp. */
  readonly pcm: Int16Array;
  /** The same, with the lookahead removed: index n is what replaced input sample n. */
  readonly aligned: Int16Array;
  readonly digits: RtpPress[];
  readonly lookahead: number;
}

export interface AgentRunOptions {
  readonly mode: ClampMode;
  readonly codec?: 'PCMU' | 'PCMA';
  readonly secure?: boolean;
  /** Secure mode switched before these packet indices (index -> on). */
  readonly switches?: ReadonlyMap<number, boolean>;
}

/** The lookahead of the default in-band clamp, samples. */
export const LOOKAHEAD = 208;

export function runAgent(packets: readonly StreamPacket[], options: AgentRunOptions): AgentRun {
  const out: Uint8Array[] = [];
  const digits: RtpPress[] = [];
  const clock = new PressClock();
  const codec = options.codec ?? 'PCMU';
  const stage = createClampStage({
    codec,
    eventPayloadType: EVENT_PT,
    mode: options.mode,
    secure: options.secure ?? true,
    send: (p) => out.push(p.slice()),
    onDigit: (d) => digits.push(clock.rtp(d)),
  });
  packets.forEach((p, i) => {
    const on = options.switches?.get(i);
    if (on !== undefined) stage.setSecure(on);
    clock.saw(p.bytes, p.atMs);
    stage.push(p.bytes.slice(), p.atMs);
  });
  stage.close();
  const pcm = decodeByTimestamp(out, codec);
  return { packets: out, check: checkStream(out), pcm, aligned: pcm.subarray(LOOKAHEAD), digits, lookahead: LOOKAHEAD };
}

/** A stream of audio frames only, carrying `pcm` (padded to whole frames). */
export function audioStream(pcm: Int16Array, codec: 'PCMU' | 'PCMA' = 'PCMU'): StreamPacket[] {
  return buildStream({ pcm, codec, segments: [{ kind: 'audio', frames: Math.ceil(pcm.length / FRAME) }] });
}

export function streamOf(pcm: Int16Array, segments: readonly Segment[]): StreamPacket[] {
  return buildStream({ pcm, segments });
}

/** What G.711 carries of `pcm` (encode then decode), the reference for bit-identity. */
export function g711Reference(pcm: Int16Array, codec: 'PCMU' | 'PCMA' = 'PCMU'): Int16Array {
  const codes = new Uint8Array(pcm.length);
  (codec === 'PCMU' ? encodeUlaw : encodeAlaw)(pcm, codes);
  const ref = new Int16Array(pcm.length);
  (codec === 'PCMU' ? decodeUlaw : decodeAlaw)(codes, ref);
  return ref;
}

export interface FidelityFigure {
  readonly frames: number;
  readonly identical: number;
  readonly invalidStreams: number;
  readonly inbandDigits: number;
}

export interface FidelityInput {
  readonly packets: readonly StreamPacket[];
  readonly reference: Int16Array;
}

/** A PCM buffer as a PCMU stream, and what G.711 carries of it. */
export function fidelityInput(pcm: Int16Array): FidelityInput {
  return { packets: audioStream(pcm), reference: g711Reference(pcm) };
}

/**
 * Each PCM buffer as a PCMU stream through the stage in secure mode: 20 ms frames of what the
 * agent hears (lookahead removed) bit-identical to what G.711 carries of the input.
 */
export function fidelityThroughStage(inputs: readonly FidelityInput[], mode: ClampMode): FidelityFigure {
  let frames = 0,
    identical = 0,
    invalidStreams = 0,
    inbandDigits = 0;
  for (const { packets, reference } of inputs) {
    const run = runAgent(packets, { mode });
    if (run.check.seqBreaks.length > 0 || run.check.tsBreaks.length > 0 || run.check.ssrcs.size !== 1) invalidStreams++;
    const n = Math.min(run.aligned.length, reference.length);
    for (let f = 0; f + 160 <= n; f += 160) {
      frames++;
      let same = true;
      for (let k = f; k < f + 160; k++)
        if (run.aligned[k] !== reference[k]) {
          same = false;
          break;
        }
      if (same) identical++;
    }
    inbandDigits += run.digits.length;
  }
  return { frames, identical, invalidStreams, inbandDigits };
}
