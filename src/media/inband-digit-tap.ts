// In-band DTMF on an RTP audio stream (G.711): decodes each packet and runs the native-free-dsp
// detector over the stream's samples in RTP-timestamp order, so the detector's sample positions
// are RTP timestamps: a lost packet becomes silence of its length, a late or duplicate packet is
// skipped (the detector needs a contiguous stream), a jump of more than a second (restart) starts
// the stream afresh. Reports confirmed digits and tone candidates (for clamping) with extended
// RTP timestamps (the caller extends them; see `push`). No allocation per packet.
import { createDtmfDetector, dtmfRx, type DtmfDetector } from '../../native-free-dsp/dtmf-detector.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { decodeAlaw, decodeUlaw } from '../../native-free-dsp/g711.js';
import type { G711Codec } from './g711-fill.js';

const SAMPLES_PER_MS = 8;
/** Largest gap filled with silence, samples (1 s); beyond it the stream restarts. */
const MAX_GAP = 8000;
const SCRATCH = 960;

export interface InbandDigitListener {
  /** A digit confirmed (tone still on), its start as an extended RTP timestamp. */
  readonly onDigit: (digit: DtmfDigit, startExtTs: number) => void;
  /** A tone that may be DTMF began at `startExtTs` (before confirmation). */
  readonly onCandidate?: (startExtTs: number) => void;
  /** The last candidate ended at `endExtTs`. */
  readonly onCandidateEnd?: (endExtTs: number) => void;
}

export class InbandDigitTap {
  private readonly decode: (src: Uint8Array, dst: Int16Array, length?: number) => void;
  private readonly listener: InbandDigitListener;
  private detector: DtmfDetector;
  private readonly pcm = new Int16Array(SCRATCH);
  private readonly zeros = new Int16Array(SCRATCH);
  /** Extended timestamp of the detector's sample 0, and of the next sample expected; -1: not started. */
  private baseTs = -1;
  private nextTs = -1;

  constructor(codec: G711Codec, listener: InbandDigitListener) {
    this.decode = codec === 'PCMU' ? decodeUlaw : decodeAlaw;
    this.listener = listener;
    this.detector = this.newDetector();
  }

  /** One packet's G.711 payload, `extTs` its extended RTP timestamp. */
  push(payload: Uint8Array, extTs: number): void {
    if (this.baseTs < 0 || extTs - this.nextTs > MAX_GAP || this.nextTs - extTs > MAX_GAP) this.restart(extTs);
    let skip = 0;
    if (extTs < this.nextTs) {
      skip = this.nextTs - extTs;
      if (skip >= payload.length) return;
    } else {
      let gap = extTs - this.nextTs;
      while (gap > 0) {
        const n = gap < SCRATCH ? gap : SCRATCH;
        this.nextTs += n;
        dtmfRx(this.detector, this.zeros, n);
        gap -= n;
      }
    }
    for (let at = skip; at < payload.length; at += SCRATCH) {
      const n = Math.min(SCRATCH, payload.length - at);
      this.decode(payload.subarray(at, at + n), this.pcm, n);
      this.nextTs += n;
      dtmfRx(this.detector, this.pcm, n);
    }
  }

  /** Forgets the stream (secure mode restarts, new SSRC). */
  reset(): void {
    this.baseTs = -1;
    this.nextTs = -1;
  }

  private restart(extTs: number): void {
    this.detector = this.newDetector();
    this.baseTs = extTs;
    this.nextTs = extTs;
  }

  private toTs(ms: number): number {
    return this.baseTs + Math.round(ms * SAMPLES_PER_MS);
  }

  private newDetector(): DtmfDetector {
    const l = this.listener;
    return createDtmfDetector({
      onDigitStart: (digit, startMs) => l.onDigit(digit, this.toTs(startMs)),
      onDigit: () => undefined,
      onToneCandidate: (startMs) => l.onCandidate?.(this.toTs(startMs)),
      onToneCandidateEnd: (endMs) => l.onCandidateEnd?.(this.toTs(endMs)),
    });
  }
}
