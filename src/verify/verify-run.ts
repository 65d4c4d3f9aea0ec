// One verify run: for each codec a call with secure mode on and, when the deployment's API can
// switch it, a control call with it off, all at once; then what reached the agent is measured
// and judged. The verdict is pass only when every secure call is clean, the caller's voice got
// through, and the control saw a leak on every transport (else the test proves nothing).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uriDestination, parseSipUri } from '../sip/sip-stack.js';
import { analyseCall, TONE_FLOOR_DBM0 } from './verify-analysis.js';
import { VerifyAgent } from './verify-agent.js';
import { VerifyCaller } from './verify-caller.js';
import { VerifyError, type VerifyCodec } from './verify-error.js';
import { buildCallerPlan } from './verify-plan.js';
import type { CallReport, VerifyReport } from './verify-report.js';
import { messageOf } from '../errors.js';

export interface VerifyOptions {
  readonly target: string;
  readonly agentListen: string;
  readonly codecs: readonly VerifyCodec[];
  /** api: switch secure mode per call over the deployment's HTTP API; always: expect every call clamped. */
  readonly secureMode: 'api' | 'always';
  /** Base URL of toneguard's HTTP API and its token (secureMode api). */
  readonly api?: string;
  readonly token?: string;
  /** Address the caller binds (SIP and RTP). */
  readonly localAddress: string;
  readonly version: string;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
}

const MAX_TONE_MS_PER_KEY = 20;
const MIN_VOICE_DBM0 = -40;
const ANSWER_TIMEOUT_MS = 10_000;

function multimonDigits(pcm: Int16Array): number | null {
  if (spawnSync('sh', ['-c', 'command -v multimon-ng && command -v sox']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-verify-'));
  try {
    const raw8k = join(dir, 'agent.raw');
    const raw22k = join(dir, 'agent-22k.raw');
    writeFileSync(raw8k, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    if (spawnSync('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', raw8k, '-t', 'raw', '-r', '22050', raw22k]).status !== 0) return null;
    const out = spawnSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'raw', raw22k], { encoding: 'utf8', maxBuffer: 1 << 22 });
    return (out.stdout.match(/^DTMF: /gm) ?? []).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function setSecure(options: VerifyOptions, callId: string, on: boolean): Promise<void> {
  const url = `${(options.api ?? '').replace(/\/$/, '')}/calls/${encodeURIComponent(callId)}/secure`;
  const res = await fetch(url, { method: on ? 'POST' : 'DELETE', headers: options.token === undefined || options.token === '' ? {} : { authorization: `Bearer ${options.token}` } });
  if (!res.ok) throw new VerifyError('EAPI', `${on ? 'POST' : 'DELETE'} ${url}: ${res.status}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const log = options.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const target = parseSipUri(options.target);
  const destination = uriDestination(options.target);
  if (target === undefined || destination === undefined) throw new VerifyError('EUSAGE', `--target ${options.target}: not a SIP URI`);
  if (options.secureMode === 'api' && options.api === undefined) throw new VerifyError('EUSAGE', 'secure mode "api" needs --api URL (the deployment\'s HTTP API)');
  const plan = buildCallerPlan();
  const run = randomBytes(3).toString('hex');
  const agent = await VerifyAgent.listen(options.agentListen);
  const caller = await VerifyCaller.open(options.localAddress);
  const hostPort = `${target.host}${target.port === undefined ? '' : `:${target.port}`}`;
  const kinds: CallReport['kind'][] = options.secureMode === 'api' ? ['secure', 'control'] : ['secure'];
  try {
    const jobs = options.codecs.flatMap((codec) => kinds.map((kind) => ({ codec, kind })));
    const calls = await Promise.all(
      jobs.map(async ({ codec, kind }, n): Promise<CallReport> => {
        const user = `verify-${run}-${n}`;
        const expected = agent.expect(user, plan.durationMs);
        const empty = { codec, kind, toneguardCallId: null, voiceDbm0: null, audioPackets: 0, agentCodecs: [], digitsRecoveredTotal: 0, multimonDigits: null, groups: [] };
        try {
          await sleep(n * 150); // do not open every call in the same millisecond
          const call = await caller.call(destination, `sip:${user}@${hostPort}`, codec);
          const answered = await Promise.race([expected.invited.then(() => true), sleep(ANSWER_TIMEOUT_MS).then(() => false)]);
          if (!answered) throw new VerifyError('ECALL', `the call did not reach the agent at ${options.agentListen}`);
          const id = expected.toneguardCallId ?? call.dialog.callId;
          if (options.secureMode === 'api') await setSecure(options, id, kind === 'secure');
          await sleep(400);
          log(`verify: ${codec} ${kind} call ${id}: sending ${plan.groups.length} groups of keys (${(plan.durationMs / 1000).toFixed(0)} s)`);
          await call.play(plan, (t0) => (expected.recording.startedAt = t0));
          await sleep(300);
          await call.hangUp();
          const capture = expected.recording.capture();
          const analysis = analyseCall(plan, capture);
          const multimon = multimonDigits(capture.pcm);
          const leaked =
            analysis.groups.some((g) => g.digitsRecovered > 0 || g.telephoneEventPackets > 0 || g.sipInfoDigits > 0 || g.toneMsMax >= MAX_TONE_MS_PER_KEY) ||
            (multimon ?? 0) > 0 ||
            analysis.digitsRecoveredTotal > 0;
          const deaf = capture.audioPackets === 0 || analysis.voiceDbm0 < MIN_VOICE_DBM0;
          return {
            codec,
            kind,
            toneguardCallId: expected.toneguardCallId ?? null,
            verdict: deaf && !leaked ? 'error' : leaked ? 'leak' : 'clean',
            error: deaf ? `the caller's voice did not reach the agent (${analysis.voiceDbm0.toFixed(1)} dBm0, ${capture.audioPackets} audio packets)` : null,
            voiceDbm0: Number.isFinite(analysis.voiceDbm0) ? Number(analysis.voiceDbm0.toFixed(1)) : null,
            audioPackets: capture.audioPackets,
            agentCodecs: capture.audioCodecs ?? [],
            digitsRecoveredTotal: analysis.digitsRecoveredTotal,
            multimonDigits: multimon,
            groups: analysis.groups,
          };
        } catch (error) {
          return { ...empty, verdict: 'error', error: messageOf(error) };
        }
      }),
    );
    return judge(options, calls, startedAt);
  } finally {
    await caller.close();
    await agent.close();
  }
}

const TRANSPORTS = ['inband', 'rfc4733', 'sip-info'] as const;

/** Whether a call shows the keys of a transport at the agent (the control must, for that transport's check to count). */
function leakSeen(call: CallReport, transport: (typeof TRANSPORTS)[number]): boolean {
  const groups = call.groups.filter((g) => g.transports.length === 1 && g.transports[0] === transport);
  if (transport === 'inband') return groups.some((g) => g.digitsRecovered >= g.digitsSent / 2);
  if (transport === 'rfc4733') return groups.some((g) => g.telephoneEventPackets > 0 || g.digitsRecovered >= g.digitsSent / 2);
  return groups.some((g) => g.sipInfoDigits > 0);
}

export function judge(options: Pick<VerifyOptions, 'target' | 'agentListen' | 'secureMode' | 'codecs' | 'version'>, calls: readonly CallReport[], startedAt: string): VerifyReport {
  const reasons: string[] = [];
  const secure = calls.filter((c) => c.kind === 'secure');
  const controls = calls.filter((c) => c.kind === 'control');
  for (const c of secure) {
    if (c.verdict === 'leak') reasons.push(`${c.codec}: keys reached the agent with secure mode on`);
    if (c.error !== null) reasons.push(`${c.codec}: ${c.error}`);
  }
  const control: Record<string, 'leak-seen' | 'no-leak-seen' | 'not-run'> = {};
  for (const t of TRANSPORTS) {
    if (controls.length === 0) control[t] = 'not-run';
    else control[t] = controls.every((c) => c.error === null && leakSeen(c, t)) ? 'leak-seen' : 'no-leak-seen';
  }
  for (const c of controls) if (c.error !== null) reasons.push(`${c.codec} control: ${c.error}`);
  const unproven = TRANSPORTS.filter((t) => control[t] === 'no-leak-seen');
  if (unproven.length > 0) reasons.push(`the control call (secure mode off) did not show ${unproven.join(', ')} keys at the agent, so a leak there would not be seen`);
  if (controls.length === 0) reasons.push('no control call: secure mode "always" cannot be switched off, so the run does not show that it would see a leak');
  const leak = secure.some((c) => c.verdict === 'leak');
  const broken = secure.some((c) => c.verdict === 'error') || secure.length === 0;
  const verdict: VerifyReport['verdict'] = leak ? 'fail' : broken || unproven.length > 0 ? 'inconclusive' : 'pass';
  if (verdict === 'pass') reasons.unshift('no key sent with secure mode on could be recovered at the agent, on any transport or codec');
  return {
    tool: 'toneguard verify',
    version: options.version,
    startedAt,
    finishedAt: new Date().toISOString(),
    target: options.target,
    agentListen: options.agentListen,
    secureMode: options.secureMode,
    codecs: options.codecs,
    criteria: { toneFloorDbm0: TONE_FLOOR_DBM0, maxToneMsPerKey: MAX_TONE_MS_PER_KEY, minVoiceDbm0: MIN_VOICE_DBM0 },
    calls,
    control,
    verdict,
    reasons,
  };
}
