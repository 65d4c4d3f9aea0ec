// What reached the agent, measured against what the caller sent (pure): per group of keys, the
// digits a DTMF detector recovers from the agent's audio, the milliseconds of each key's tone
// pair still above -45 dBm0, the telephone-event packets and the SIP INFO digits the agent got.
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { dtmfFrequencies } from '../../native-free-dsp/dtmf-tones.js';
import { meanSquareToDbm0 } from '../../native-free-dsp/levels.js';
import { RATE, type CallerPlan, type Group } from './verify-plan.js';

const SAMPLES_PER_MS = RATE / 1000;
/** Analysis block for tone energy: 10 ms (Goertzel bins 100 Hz wide, narrower than DTMF spacing). */
const BLOCK = 80;
/** A block holds a tone when both frequencies are at least this loud... */
export const TONE_FLOOR_DBM0 = -45;
/** ...and together carry at least this share of the block's power (a tone, not voice or noise). */
const TONAL_SHARE = 0.5;
/** How late the agent's copy of a key may arrive (relay, clamp lookahead, jitter), ms. */
export const ARRIVAL_SLACK_MS = 250;

export interface AgentCapture {
  /** The agent's decoded audio on the caller's timeline (sample 0 = caller's media start). */
  readonly pcm: Int16Array;
  /** Arrival times (caller timeline, ms) of telephone-event packets. */
  readonly eventPacketsMs: readonly number[];
  /** Arrival times (caller timeline, ms) of SIP INFO requests carrying a digit. */
  readonly infoDigitsMs: readonly number[];
  /** RTP packets of audio received. */
  readonly audioPackets: number;
  /** Their codecs, by payload type (0 PCMU, 8 PCMA, 9 G722). */
  readonly audioCodecs?: readonly string[];
}

export interface GroupResult {
  readonly group: Group['name'];
  readonly transports: readonly string[];
  readonly keyMs: number;
  readonly digitsSent: number;
  /** Digits toneguard's detector recovers from the agent's audio within the group's span. */
  readonly digitsRecovered: number;
  /** Per key, ms of its tone pair above -45 dBm0 at the agent (10 ms resolution). */
  readonly toneMsMax: number;
  readonly toneMsTotal: number;
  readonly telephoneEventPackets: number;
  readonly sipInfoDigits: number;
}

/** Mean-square power at `hz` over pcm[start, start+BLOCK) (Goertzel; a sine of amplitude A gives A²/2). */
function tonePower(pcm: Int16Array, start: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < BLOCK; i++) {
    const s0 = pcm[start + i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magnitude2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * magnitude2) / (BLOCK * BLOCK);
}

function blockPower(pcm: Int16Array, start: number): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += pcm[start + i] * pcm[start + i];
  return sum / BLOCK;
}

/** ms of a key's tone pair present at the agent between `fromMs` and `toMs`. */
export function toneMs(pcm: Int16Array, digit: Group['keys'][number]['digit'], fromMs: number, toMs: number): number {
  const { lowHz, highHz } = dtmfFrequencies(digit);
  let blocks = 0;
  const first = Math.max(0, Math.floor((fromMs * SAMPLES_PER_MS) / BLOCK));
  const last = Math.floor(Math.min(pcm.length, toMs * SAMPLES_PER_MS) / BLOCK);
  for (let b = first; b < last; b++) {
    const at = b * BLOCK;
    if (at + BLOCK > pcm.length) break;
    const low = tonePower(pcm, at, lowHz);
    const high = tonePower(pcm, at, highHz);
    if (meanSquareToDbm0(low) < TONE_FLOOR_DBM0 || meanSquareToDbm0(high) < TONE_FLOOR_DBM0) continue;
    if (low + high >= TONAL_SHARE * blockPower(pcm, at)) blocks++;
  }
  return (blocks * BLOCK) / SAMPLES_PER_MS;
}

/** Active level of the agent's audio over a span, dBm0 (the caller's voice must get through). */
export function levelDbm0(pcm: Int16Array, fromMs: number, toMs: number): number {
  const a = Math.max(0, Math.round(fromMs * SAMPLES_PER_MS));
  const b = Math.min(pcm.length, Math.round(toMs * SAMPLES_PER_MS));
  if (b <= a) return -Infinity;
  let sum = 0;
  for (let i = a; i < b; i++) sum += pcm[i] * pcm[i];
  return meanSquareToDbm0(sum / (b - a));
}

export interface CallAnalysis {
  readonly groups: readonly GroupResult[];
  /** Level of the caller's voice stretch at the agent, dBm0. */
  readonly voiceDbm0: number;
  /** Digits the detector finds in the whole agent recording. */
  readonly digitsRecoveredTotal: number;
}

export function analyseCall(plan: CallerPlan, capture: AgentCapture): CallAnalysis {
  const detected = detectDtmf(capture.pcm);
  const within = (ms: number, g: Group): boolean => ms >= g.startMs - 50 && ms < g.endMs + ARRIVAL_SLACK_MS;
  const groups = plan.groups.map((g): GroupResult => {
    const perKey = g.keys.map((k) => toneMs(capture.pcm, k.digit, k.startMs, k.endMs + ARRIVAL_SLACK_MS));
    return {
      group: g.name,
      transports: g.transports,
      keyMs: g.onMs,
      digitsSent: g.keys.length,
      digitsRecovered: detected.filter((e) => within(e.startMs, g)).length,
      toneMsMax: Math.max(0, ...perKey),
      toneMsTotal: perKey.reduce((a, b) => a + b, 0),
      telephoneEventPackets: capture.eventPacketsMs.filter((ms) => within(ms, g)).length,
      sipInfoDigits: capture.infoDigitsMs.filter((ms) => within(ms, g)).length,
    };
  });
  return { groups, voiceDbm0: levelDbm0(capture.pcm, plan.voice.startMs + 100, plan.voice.endMs), digitsRecoveredTotal: detected.length };
}
