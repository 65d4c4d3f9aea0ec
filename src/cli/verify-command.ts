// `toneguard verify --target SIP-URI [...]` (docs/cli.md, docs/assessors.md): a live leak test
// of a deployment, leaving report.json (signed) and report.html in --report DIR; and
// `toneguard verify --check report.json [--public-key KEY.pem]`. Exit 0 pass (or a valid
// signature), 1 fail (a leak; or a bad signature), 2 usage, 3 inconclusive.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { VerifyCodec } from '../verify/verify-error.js';
import { checkSignedReport, loadSigningKey, newSigningKey, reportHtml, signReport } from '../verify/verify-report.js';
import { runVerify } from '../verify/verify-run.js';
import { messageOf } from '../errors.js';

export const VERIFY_EXIT = { pass: 0, fail: 1, inconclusive: 3 } as const;

export interface VerifyCommandOptions {
  readonly target?: string;
  readonly agentListen: string;
  readonly codecs: readonly VerifyCodec[];
  readonly report: string;
  readonly secureMode: 'api' | 'always';
  readonly api?: string;
  readonly token?: string;
  readonly localAddress: string;
  readonly key?: string;
  readonly check?: string;
  readonly publicKey?: string;
  readonly version: string;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`${what} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
}

export async function runVerifyCommand(options: VerifyCommandOptions, writeOut: (text: string) => void, writeErr: (text: string) => void): Promise<number> {
  if (options.check !== undefined) {
    const result = checkSignedReport(readText(options.check, 'report'), options.publicKey === undefined ? undefined : readText(options.publicKey, '--public-key'));
    writeOut(result.ok ? `${options.check}: signature valid; verdict ${result.verdict}\n` : `${options.check}: INVALID: ${result.reason}\n`);
    return result.ok ? 0 : 1;
  }
  if (options.target === undefined) throw new InvalidArgumentError('--target SIP-URI is required (or --check REPORT)');
  let key;
  if (options.key === undefined) {
    mkdirSync(options.report, { recursive: true });
    const fresh = newSigningKey();
    const file = join(options.report, 'verify-key.pem');
    writeFileSync(file, fresh.privatePem, { mode: 0o600 });
    writeErr(`verify: no --key given: signed with a new Ed25519 key written to ${file} (keep it, or pass your own with --key)\n`);
    key = fresh.key;
  } else {
    try {
      key = loadSigningKey(readText(options.key, '--key'));
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      throw new InvalidArgumentError(`--key ${options.key}: ${messageOf(error)}`);
    }
  }
  const report = await runVerify({
    target: options.target,
    agentListen: options.agentListen,
    codecs: options.codecs,
    secureMode: options.secureMode,
    api: options.api,
    token: options.token,
    localAddress: options.localAddress,
    version: options.version,
    log: (line) => writeErr(`${line}\n`),
  });
  const signed = signReport(report, key);
  mkdirSync(options.report, { recursive: true });
  writeFileSync(join(options.report, 'report.json'), `${JSON.stringify(signed, null, 2)}\n`);
  writeFileSync(join(options.report, 'report.html'), reportHtml(signed));
  const lines = [`verify: ${report.verdict.toUpperCase()} (${options.target}, ${report.codecs.join(', ')})`, ...report.reasons.map((r) => `  ${r}`)];
  for (const c of report.calls) {
    const digits = c.groups.reduce((n, g) => n + g.digitsRecovered, 0);
    const events = c.groups.reduce((n, g) => n + g.telephoneEventPackets, 0);
    const infos = c.groups.reduce((n, g) => n + g.sipInfoDigits, 0);
    const tone = Math.max(0, ...c.groups.map((g) => g.toneMsMax));
    lines.push(
      `  ${c.codec} ${c.kind}: ${c.verdict}; digits recovered ${digits} (multimon-ng ${c.multimonDigits ?? '-'}), telephone-event packets ${events}, SIP INFO digits ${infos}, max tone ms per key ${tone}`,
    );
  }
  lines.push(`  report: ${join(options.report, 'report.json')}, ${join(options.report, 'report.html')}`);
  writeOut(`${lines.join('\n')}\n`);
  return VERIFY_EXIT[report.verdict];
}
