// The in-band DTMF clamp behind the RTP clamp stage (caller -> agent, G.711): the AudioClamp the
// stage calls with each outgoing frame, built on the streaming InbandClamp.
//
// G.711 codes (RTP timestamps, extended) -> decode -> InbandClamp (detects in-band tones itself,
// mutes them inside its lookahead, and mutes the stage's clampWindow()s too: RFC 4733 events
// widened by a gateway's leaked tone) -> encode. Unmuted samples keep their original code, so
// audio outside muted spans is byte-identical to what came in, only delayed by the lookahead
// (G.711 decode/encode is not an identity: mu-law's two zero codes).
//
// Time: the clamp runs on a contiguous sample stream; RTP time maps onto it by a base timestamp.
// A hole (lost packets) is pushed as silence, so the detector sees time pass and a tone cut by a
// loss is still timed right; a hole longer than HOLE_CAP pushes HOLE_CAP of silence (enough to
// empty the line and end any tone) and moves the base. A late frame's own samples have already
// gone through as silence (their time is past): it gets the clamped output for its timestamps
// from the output history, like any frame. Nothing the detector has not examined reaches the agent.
//
// In-band digits go to onDigit, except tone inside a clamp window (an RFC 4733 event's own tone,
// leaked by a gateway: the event receiver reports that digit).
//
// No allocation per packet: fixed rings keyed by extended timestamp. reset() (secure mode turned
// on again) starts a fresh clamp, whose line refills from silence.
import { decodeAlaw, decodeUlaw, linearToAlaw, linearToUlaw } from '../../../native-free-dsp/g711.js';
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import { ClampWindowRing, MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
import { silenceCode, type G711Codec } from './g711-fill.js';
import { InbandClamp, type ClampMode, type InbandClampOptions } from './inband-clamp.js';
import { MediaError } from '../media-error.js';

/** A digit the in-band detector found in the caller's audio, in RTP time. */
export interface InbandAudioDigit {
  readonly digit: DtmfDigit;
  /** RTP timestamps (wire, 32-bit) of the tone's start and end, as the detector measured them. */
  readonly startTs: number;
  readonly endTs: number;
}

export interface InbandAudioClampOptions {
  readonly codec: G711Codec;
  readonly mode: ClampMode;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly clamp?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Every in-band digit confirmed, once, when its tone ends. */
  readonly onDigit?: (digit: InbandAudioDigit) => void;
}

/** Ring size, samples (1.024 s at 8 kHz): lookahead + largest frame + reordering history. */
const RING = 8192;
const MASK = RING - 1;
/** Windows remembered to tell an event's own leaked tone from an in-band digit. */
const WINDOW_HISTORY = 8;
/** Most silence pushed for one hole, samples (200 ms): longer than lookahead + hangover. */
const HOLE_CAP = 1600;
const TS_MOD = 2 ** 32;

export class InbandAudioClamp implements AudioClamp {
  readonly lookaheadSamples: number;
  readonly codec: G711Codec;
  readonly mode: ClampMode;
  private readonly options: InbandClampOptions | Partial<InbandClampOptions>;
  private readonly onDigit: ((digit: InbandAudioDigit) => void) | undefined;
  private readonly silence: number;
  private readonly encode: (sample: number) => number;
  private readonly decode: (src: Uint8Array, dst: Int16Array, length?: number) => void;
  private clamp: InbandClamp;
  /** Extended timestamp of the clamp's input sample 0; -1 before the first frame or window. */
  private baseTs = -1;
  /** Input codes by extended timestamp, and which timestamp each slot holds (NaN: none). */
  private readonly inCodes = new Uint8Array(RING);
  private readonly inTs = new Float64Array(RING).fill(NaN);
  /** Clamped codes by the input timestamp they replace (output at ts T is input T - lookahead). */
  private readonly outCodes = new Uint8Array(RING);
  private readonly outTs = new Float64Array(RING).fill(NaN);
  private readonly pcmIn = new Int16Array(MAX_FRAME_SAMPLES);
  private readonly pcmOut = new Int16Array(MAX_FRAME_SAMPLES);
  private readonly weights = new Float32Array(MAX_FRAME_SAMPLES);
  /** The latest clampWindow()s, extended timestamps [from, to). */
  private readonly windows = new ClampWindowRing(WINDOW_HISTORY);
  private closed = false;

  constructor(options: InbandAudioClampOptions) {
    const { codec, mode } = options;
    if (codec !== 'PCMU' && codec !== 'PCMA') throw new MediaError('EOPTIONS', `codec must be PCMU or PCMA, got ${String(codec)}`);
    this.codec = codec;
    this.mode = mode;
    this.options = { ...options.clamp, mode };
    this.onDigit = options.onDigit;
    this.silence = silenceCode(codec);
    this.encode = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
    this.decode = codec === 'PCMU' ? decodeUlaw : decodeAlaw;
    this.clamp = this.newClamp(); // validates the options (InbandClampError)
    this.lookaheadSamples = this.clamp.delaySamples;
    if (this.lookaheadSamples > RING - 2 * MAX_FRAME_SAMPLES) throw new MediaError('EOPTIONS', `lookahead too long: ${this.lookaheadSamples} samples`);
  }

  /** The comfort-noise level the clamp follows now (noise mode), dBm0. */
  get backgroundDbm0(): number {
    return this.clamp.backgroundDbm0;
  }

  /** Samples replaced so far (since the last reset). */
  get mutedSamples(): number {
    return this.clamp.mutedSamples;
  }

  process(payload: Uint8Array, extTs: number): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    const n = payload.length;
    if (n > MAX_FRAME_SAMPLES) {
      // Larger than the buffers: nothing of it may pass unexamined.
      payload.fill(this.silence);
      return;
    }
    if (this.baseTs < 0) this.baseTs = extTs;
    let next = this.baseTs + this.clamp.position;
    if (extTs + n <= next - RING / 2) {
      // Far behind everything: a new timeline (the sender restarted): start over.
      this.restart(extTs);
      next = extTs;
    }
    if (extTs > next) {
      // A hole: the detector sees it pass as silence.
      const gap = extTs - next;
      this.pushSilence(Math.min(gap, HOLE_CAP));
      // Beyond the cap the line holds only silence and every tone has ended: skip the rest.
      if (gap > HOLE_CAP) this.baseTs += gap - HOLE_CAP;
      next = this.baseTs + this.clamp.position;
    }
    if (extTs + n > next) {
      const skip = next - extTs; // > 0 only when the frame overlaps time already pushed
      for (let i = skip; i < n; i++) {
        const j = (extTs + i) & MASK;
        this.inCodes[j] = payload[i];
        this.inTs[j] = extTs + i;
      }
      // (A view only in the rare overlapping case: the common path allocates nothing.)
      this.decode(skip === 0 ? payload : payload.subarray(skip), this.pcmIn, n - skip);
      this.pushPcm(n - skip);
    }
    const from = extTs - this.lookaheadSamples;
    for (let i = 0; i < n; i++) {
      const ts = from + i;
      const j = ts & MASK;
      payload[i] = this.outTs[j] === ts ? this.outCodes[j] : this.silence;
    }
  }

  clampWindow(fromExtTs: number, toExtTs: number): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    if (!(toExtTs > fromExtTs)) return;
    if (this.baseTs < 0) this.baseTs = fromExtTs; // a window before any audio: time starts there
    this.clamp.mute(fromExtTs - this.baseTs, toExtTs - this.baseTs);
    this.windows.add(fromExtTs, toExtTs);
  }

  reset(): void {
    if (this.closed) return;
    this.restart(-1);
  }

  close(): void {
    if (this.closed) return;
    this.clamp.close();
    this.closed = true;
  }

  private newClamp(): InbandClamp {
    return new InbandClamp(this.options, {
      onDigit: (event) => {
        if (this.onDigit === undefined || this.baseTs < 0) return;
        const start = this.baseTs + Math.round(event.startMs * 8);
        const end = this.baseTs + Math.round(event.endMs * 8);
        // Tone inside a clamp window is the event's own (a gateway leaking it around its RFC 4733
        // packets): the event receiver reports that digit, once.
        if (this.windows.overlaps(start, end)) return;
        this.onDigit({ digit: event.digit, startTs: start % TS_MOD, endTs: end % TS_MOD });
      },
    });
  }

  private restart(baseTs: number): void {
    this.clamp.close();
    this.clamp = this.newClamp();
    this.baseTs = baseTs;
    this.inTs.fill(NaN);
    this.outTs.fill(NaN);
    this.windows.clear();
  }

  private pushSilence(samples: number): void {
    let left = samples;
    while (left > 0) {
      const m = left < MAX_FRAME_SAMPLES ? left : MAX_FRAME_SAMPLES;
      const at = this.baseTs + this.clamp.position;
      for (let i = 0; i < m; i++) this.inTs[(at + i) & MASK] = NaN; // nothing arrived there
      this.pcmIn.fill(0, 0, m);
      this.pushPcm(m);
      left -= m;
    }
  }

  /** Pushes pcmIn[0, m) and stores the m clamped codes that come out. */
  private pushPcm(m: number): void {
    const src0 = this.baseTs + this.clamp.position - this.lookaheadSamples;
    this.clamp.push(this.pcmIn, this.pcmOut, m, this.weights);
    for (let k = 0; k < m; k++) {
      const ts = src0 + k;
      const j = ts & MASK;
      let code: number;
      if (this.weights[k] === 0) code = this.inTs[j] === ts ? this.inCodes[j] : this.silence;
      else code = this.encode(this.pcmOut[k]);
      this.outCodes[j] = code;
      this.outTs[j] = ts;
    }
  }
}
