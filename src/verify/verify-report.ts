// The evidence a verify run leaves: report.json signed with the operator's Ed25519 key (over a
// canonical serialisation: keys sorted, no whitespace) and a self-contained report.html for a
// person. `verify --check` recomputes the signature. Neither holds any card data: the test keys
// are the sixteen keypad symbols, not a card.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { GroupResult } from './verify-analysis.js';

export interface CallReport {
  readonly codec: string;
  /** secure: secure mode on (must be clean); control: secure mode off (must leak). */
  readonly kind: 'secure' | 'control';
  readonly toneguardCallId: string | null;
  readonly verdict: 'clean' | 'leak' | 'error';
  readonly error: string | null;
  readonly voiceDbm0: number | null;
  readonly audioPackets: number;
  /** The audio codecs (by payload type) the agent received: the codec the call ran on at the agent's end. */
  readonly agentCodecs: readonly string[];
  readonly digitsRecoveredTotal: number;
  /** Digits multimon-ng decodes from the agent's audio; null when it is not installed. */
  readonly multimonDigits: number | null;
  readonly groups: readonly GroupResult[];
}

export interface VerifyReport {
  readonly tool: 'toneguard verify';
  readonly version: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly target: string;
  readonly agentListen: string;
  readonly secureMode: 'api' | 'always';
  readonly codecs: readonly string[];
  readonly criteria: { readonly toneFloorDbm0: number; readonly maxToneMsPerKey: number; readonly minVoiceDbm0: number };
  readonly calls: readonly CallReport[];
  /** Per transport, whether the control call showed that a leak on it would be seen. */
  readonly control: Readonly<Record<string, 'leak-seen' | 'no-leak-seen' | 'not-run'>>;
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly reasons: readonly string[];
}

export interface SignedReport {
  readonly report: VerifyReport;
  readonly signature: { readonly algorithm: 'Ed25519'; readonly publicKey: string; readonly value: string };
}

/** JSON with object keys sorted at every level: the bytes that are signed. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function loadSigningKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
  return key;
}

export function newSigningKey(): { privatePem: string; key: KeyObject } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), key: privateKey };
}

export function signReport(report: VerifyReport, key: KeyObject): SignedReport {
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  const value = sign(null, Buffer.from(canonicalJson(report)), key).toString('base64');
  return { report, signature: { algorithm: 'Ed25519', publicKey, value } };
}

export type CheckResult = { readonly ok: true; readonly verdict: string } | { readonly ok: false; readonly reason: string };

/** Validates a signed report; with `expectedPublicKey`, also that it was signed by that key. */
export function checkSignedReport(text: string, expectedPublicKey?: string): CheckResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || !('report' in parsed) || !('signature' in parsed)) return { ok: false, reason: 'not a signed verify report (report and signature expected)' };
  const { report, signature } = parsed as { report: unknown; signature: unknown };
  if (typeof signature !== 'object' || signature === null) return { ok: false, reason: 'no signature' };
  const s = signature as Record<string, unknown>;
  if (s.algorithm !== 'Ed25519' || typeof s.publicKey !== 'string' || typeof s.value !== 'string') return { ok: false, reason: 'the signature is not an Ed25519 signature with its public key' };
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(s.publicKey);
  } catch {
    return { ok: false, reason: 'the public key cannot be read' };
  }
  if (expectedPublicKey !== undefined) {
    let expected: KeyObject;
    try {
      expected = createPublicKey(expectedPublicKey);
    } catch {
      return { ok: false, reason: 'the expected public key cannot be read' };
    }
    if (!expected.equals(publicKey)) return { ok: false, reason: 'signed by another key than the one given' };
  }
  const valid = verifySignature(null, Buffer.from(canonicalJson(report)), publicKey, Buffer.from(s.value, 'base64'));
  if (!valid) return { ok: false, reason: 'the signature does not match the report (it was changed after signing)' };
  const verdict = typeof report === 'object' && report !== null && 'verdict' in report ? String(report.verdict) : 'unknown';
  return { ok: true, verdict };
}

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page a person reads: verdict, reasons, the per-call tables. No scripts, no external resources. */
export function reportHtml(signed: SignedReport): string {
  const r = signed.report;
  const colour = r.verdict === 'pass' ? '#1b7f3b' : r.verdict === 'fail' ? '#b3261e' : '#8a6d00';
  const rows = (c: CallReport): string =>
    c.groups
      .map(
        (g) =>
          `<tr><td>${esc(g.group)}</td><td>${esc(g.transports.join(' + '))}</td><td>${g.keyMs}</td><td>${g.digitsSent}</td><td class="n${g.digitsRecovered > 0 ? ' bad' : ''}">${g.digitsRecovered}</td>` +
          `<td class="n">${g.toneMsMax}</td><td class="n">${g.toneMsTotal}</td><td class="n${g.telephoneEventPackets > 0 ? ' bad' : ''}">${g.telephoneEventPackets}</td><td class="n${g.sipInfoDigits > 0 ? ' bad' : ''}">${g.sipInfoDigits}</td></tr>`,
      )
      .join('\n');
  const calls = r.calls
    .map(
      (c) => `<section><h2>${esc(c.codec)}, ${c.kind === 'secure' ? 'secure mode on' : 'control: secure mode off'}: <span class="${c.verdict}">${esc(c.verdict)}</span></h2>
<p>toneguard call: ${esc(c.toneguardCallId ?? '-')}; caller's voice at the agent: ${c.voiceDbm0 === null ? '-' : `${c.voiceDbm0.toFixed(1)} dBm0`}; audio packets: ${c.audioPackets} (${esc(c.agentCodecs.join(', ') || 'none')});
digits recovered by toneguard's detector: ${c.digitsRecoveredTotal}; by multimon-ng: ${c.multimonDigits ?? 'not installed'}${c.error === null ? '' : `; error: ${esc(c.error)}`}</p>
<table><thead><tr><th>keys</th><th>sent as</th><th>key ms</th><th>sent</th><th>recovered</th><th>tone ms, max per key</th><th>tone ms, total</th><th>telephone-event packets</th><th>SIP INFO digits</th></tr></thead>
<tbody>${rows(c)}</tbody></table></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>toneguard verify: ${esc(r.verdict)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1d1d1f;padding:0 1rem}h1{font-size:1.6rem}
.verdict{display:inline-block;padding:.2rem .8rem;border-radius:.3rem;color:#fff;background:${colour}}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}td.n{text-align:right}td.bad{background:#fde7e5;font-weight:bold}.clean{color:#1b7f3b}.leak{color:#b3261e}.error{color:#8a6d00}
code{font-size:.9em}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}</style></head>
<body><h1>DTMF leak test <span class="verdict">${esc(r.verdict.toUpperCase())}</span></h1>
<dl><dt>Target</dt><dd><code>${esc(r.target)}</code></dd><dt>Agent</dt><dd><code>${esc(r.agentListen)}</code></dd><dt>Secure mode</dt><dd>${esc(r.secureMode)}</dd>
<dt>Codecs</dt><dd>${esc(r.codecs.join(', '))}</dd><dt>Run</dt><dd>${esc(r.startedAt)} to ${esc(r.finishedAt)}</dd><dt>Tool</dt><dd>${esc(r.tool)} ${esc(r.version)}</dd>
<dt>Control</dt><dd>${esc(
    Object.entries(r.control)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; '),
  )}</dd></dl>
<h2>Why</h2><ul>${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
<p>Pass means: with secure mode on, no key sent in-band, as RFC 4733 events or as SIP INFO could be recovered at the agent (no digit from toneguard's detector or multimon-ng, no telephone-event packet, no SIP INFO digit, less than ${r.criteria.maxToneMsPerKey} ms of any key's tone pair above ${r.criteria.toneFloorDbm0} dBm0), the caller's voice still reached the agent (at least ${r.criteria.minVoiceDbm0} dBm0), and the control call with secure mode off showed that the same measurement does see a leak.</p>
${calls}
<h2>Signature</h2><p>report.json is signed with Ed25519; check it with <code>toneguard verify --check report.json --public-key KEY.pem</code>. Public key:</p><pre>${esc(signed.signature.publicKey)}</pre>
</body></html>
`;
}
