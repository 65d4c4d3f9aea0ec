// What `toneguard verify` sends on the caller's leg of one test call: every keypad digit over
// each transport (in-band tones, RFC 4733 events, SIP INFO) in the patterns that break weak
// clamps (fast dialling at the Q.24 minimum, keys over the caller's voice, a gateway that sends
// a key as tone and event at once), with a stretch of voice first so the report can show that
// the caller's voice still reaches the agent. Pure: a timeline of 8 kHz audio plus events.
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { mixDtmf } from '../../native-free-dsp/tone-generator.js';
import { dbm0ToAmplitude } from '../../native-free-dsp/levels.js';

export const RATE = 8000;
const SAMPLES_PER_MS = RATE / 1000;

export type Transport = 'inband' | 'rfc4733' | 'sip-info';

/** A group of the sixteen keys sent one way; the report has one row per group. */
export interface Group {
  readonly name: 'inband' | 'inband-fast' | 'inband-talk-over' | 'rfc4733' | 'rfc4733-fast' | 'double-send' | 'sip-info';
  readonly transports: readonly Transport[];
  readonly onMs: number;
  readonly offMs: number;
  /** Start and end of the group on the caller's timeline, ms. */
  readonly startMs: number;
  readonly endMs: number;
  readonly keys: readonly { readonly digit: DtmfDigit; readonly startMs: number; readonly endMs: number }[];
}

export interface CallerPlan {
  /** The caller's audio, 8 kHz linear, from the start of media (ms 0). */
  readonly pcm: Int16Array;
  /** Span of the voice stretch, ms. */
  readonly voice: { readonly startMs: number; readonly endMs: number };
  readonly groups: readonly Group[];
  /** RFC 4733 events: the audio frames they cover are replaced by event packets (unless double-send keeps both). */
  readonly events: readonly { readonly digit: DtmfDigit; readonly startMs: number; readonly durationMs: number; readonly keepAudio: boolean }[];
  readonly infos: readonly { readonly digit: DtmfDigit; readonly atMs: number; readonly durationMs: number }[];
  readonly durationMs: number;
}

/** Voice-like test signal: noise shaped to the speech band, syllable-modulated at 4 Hz (never tonal). */
function mixVoice(out: Float64Array, start: number, length: number, dbm0: number, seed: number): void {
  let s = seed >>> 0;
  let lp = 0;
  let prev = 0;
  const amplitude = dbm0ToAmplitude(dbm0) * 10; // the shaped noise keeps about 1/20 of the white noise power
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const white = s / 0x100000000 - 0.5;
    lp += 0.35 * (white - lp); // low-pass near 1.5 kHz
    const band = lp - prev * 0.9; // pre-emphasis: less below 300 Hz
    prev = lp;
    const envelope = 0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * (start + i)) / RATE);
    out[start + i] += amplitude * band * envelope;
  }
}

export interface PlanOptions {
  /** Level of each tone's low group, dBm0 (the high group 2 dB lower: normal twist). */
  readonly toneDbm0?: number;
}

/** The schedule of one test call (the same for every codec). */
export function buildCallerPlan(options: PlanOptions = {}): CallerPlan {
  const toneDbm0 = options.toneDbm0 ?? -8;
  const specs: { name: Group['name']; transports: Transport[]; onMs: number; offMs: number }[] = [
    { name: 'inband', transports: ['inband'], onMs: 70, offMs: 70 },
    { name: 'inband-fast', transports: ['inband'], onMs: 40, offMs: 40 },
    { name: 'inband-talk-over', transports: ['inband'], onMs: 70, offMs: 70 },
    { name: 'rfc4733', transports: ['rfc4733'], onMs: 80, offMs: 80 },
    { name: 'rfc4733-fast', transports: ['rfc4733'], onMs: 40, offMs: 60 },
    { name: 'double-send', transports: ['inband', 'rfc4733'], onMs: 80, offMs: 80 },
    { name: 'sip-info', transports: ['sip-info'], onMs: 100, offMs: 150 },
  ];
  const voice = { startMs: 200, endMs: 1700 };
  const GAP_MS = 600;
  let at = voice.endMs + GAP_MS;
  const groups: Group[] = [];
  const events: CallerPlan['events'][number][] = [];
  const infos: CallerPlan['infos'][number][] = [];
  const tones: { digit: DtmfDigit; startMs: number; durationMs: number }[] = [];
  const talkOver: { startMs: number; endMs: number }[] = [];
  for (const spec of specs) {
    // RFC 4733 keys start on a packet boundary (20 ms), as a phone's do.
    if (spec.transports.includes('rfc4733')) at = Math.ceil(at / 20) * 20;
    const startMs = at;
    const keys = DTMF_DIGITS.map((digit) => {
      const key = { digit, startMs: at, endMs: at + spec.onMs };
      at += spec.onMs + spec.offMs;
      return key;
    });
    for (const k of keys) {
      if (spec.transports.includes('inband')) tones.push({ digit: k.digit, startMs: k.startMs, durationMs: spec.onMs });
      if (spec.transports.includes('rfc4733')) events.push({ digit: k.digit, startMs: k.startMs, durationMs: spec.onMs, keepAudio: spec.transports.includes('inband') });
      if (spec.transports.includes('sip-info')) infos.push({ digit: k.digit, atMs: k.startMs, durationMs: spec.onMs });
    }
    if (spec.name === 'inband-talk-over') talkOver.push({ startMs: startMs - 300, endMs: at + 300 });
    groups.push({ ...spec, startMs, endMs: at, keys });
    at += GAP_MS;
  }
  const durationMs = at + 1000;
  const mix = new Float64Array(durationMs * SAMPLES_PER_MS);
  mixVoice(mix, voice.startMs * SAMPLES_PER_MS, (voice.endMs - voice.startMs) * SAMPLES_PER_MS, -20, 1);
  for (const [i, span] of talkOver.entries()) mixVoice(mix, span.startMs * SAMPLES_PER_MS, (span.endMs - span.startMs) * SAMPLES_PER_MS, -20, 2 + i);
  for (const t of tones) mixDtmf(mix, t.startMs * SAMPLES_PER_MS, { digit: t.digit, durationMs: t.durationMs, lowDbm0: toneDbm0, twistDb: 2 });
  const pcm = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(mix[i])));
  return { pcm, voice, groups, events, infos, durationMs };
}
