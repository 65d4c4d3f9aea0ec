// `toneguard scan` end to end (the compiled CLI) on a corpus of recordings: every keyed card
// number is found (WAV mu-law/A-law/PCM, stereo 16 kHz, pcap/pcapng with in-band PCMU/PCMA/Opus,
// RFC 4733 and SIP INFO), no card findings in speech, music and non-card digits or in the whole
// talk-off corpus, unreadable files listed with exit 2, and no output ever holds a card number.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compileCli } from '../helpers/cli.js';
import { MUSIC_DIR, REQUIRE_MUSIC, REQUIRE_SPEECH, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { buildScanCorpus } from '../helpers/scan-corpus.js';

const { run } = compileCli(t, 'cli-scan');

interface JsonFinding {
  readonly file: string;
  readonly stream: string;
  readonly kind: string;
  readonly cardType: string | null;
  readonly last4: string | null;
  readonly digitCount: number;
  readonly confidence: number;
}
interface JsonReport {
  readonly findings: readonly JsonFinding[];
  readonly errors: readonly { file: string; code: string; message: string }[];
  readonly summary: { files: number; findings: number; cardNumbers: number; errors: number; audioMs: number };
}

if (requireTools(t, REQUIRE_SPEECH, REQUIRE_MUSIC)) {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-scan-corpus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const corpus = buildScanCorpus(dir);
  const outputs: string[] = [];
  const scan = (...args: string[]): ReturnType<typeof run> => {
    const result = run('scan', '--no-progress', ...args);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  t.test('every card number in the corpus is found, on its stream, and nothing else is a card', async (t) => {
    const result = scan('--json', dir);
    t.equal(result.status, 2, 'exit 2: some files are unreadable');
    const report = JSON.parse(result.stdout) as JsonReport;
    const cards = report.findings.filter((f) => f.kind === 'card-number');
    for (const expected of corpus.cards) {
      const hit = cards.find((f) => f.file === expected.file && f.stream.includes(expected.stream) && f.cardType === expected.cardType && f.last4 === expected.last4);
      t.ok(hit, `${expected.file.slice(dir.length)}: ${expected.cardType} ****${expected.last4}`, { found: cards.filter((f) => f.file === expected.file) });
    }
    t.equal(cards.length, corpus.cards.length, 'no extra card findings (speech, music, non-card digits, the agent stream)');
    t.equal(report.findings.length, cards.length, 'no short runs without --min-digits');
    for (const f of cards) t.ok(f.confidence > 0.5 && f.confidence <= 1, `confidence ${f.confidence} (${f.file.slice(dir.length)})`);
    t.same(report.errors.map((e) => e.file).sort(), [...corpus.unreadable].sort(), 'the unreadable files are listed');
    t.equal(report.summary.cardNumbers, corpus.cards.length);
    t.ok(report.summary.audioMs > 5 * 60_000, `${(report.summary.audioMs / 60_000).toFixed(1)} min of audio scanned`);
  });

  t.test('exit 1 for findings without errors, 0 for a clean file; one job gives the same report as two', async (t) => {
    const one = scan('--json', '--jobs', '1', join(dir, 'calls', '2025'));
    const two = scan('--json', '--jobs', '2', join(dir, 'calls', '2025'));
    t.equal(one.status, 1);
    const strip = (text: string): unknown => ({ ...(JSON.parse(text) as JsonReport), summary: undefined });
    t.same(strip(two.stdout), strip(one.stdout));
    t.equal(scan(join(dir, 'calls', 'speech-only.wav'), join(dir, 'calls', 'music-only.wav')).status, 0);
  });

  t.test('Opus captures scanned by a pool of workers give the report one job gives (Opus is decoded in the main thread)', async (t) => {
    const one = scan('--json', '--jobs', '1', join(dir, 'captures'));
    const three = scan('--json', '--jobs', '3', join(dir, 'captures'));
    const strip = (text: string): unknown => ({ ...(JSON.parse(text) as JsonReport), summary: undefined });
    t.same(strip(three.stdout), strip(one.stdout));
    t.equal(three.status, one.status);
    t.notMatch(three.stdout, /EOPUS_THREAD|main thread only/, 'no file reported as undecodable in a worker');
  });

  t.test('--min-digits reports the non-card runs by kind and length, never their digits', async (t) => {
    const result = scan('--json', '--min-digits', '3', join(dir, 'calls', 'not-cards.wav'));
    t.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as JsonReport;
    t.same(
      report.findings.map((f) => [f.kind, f.digitCount, f.last4]),
      [
        ['digits', 11, null],
        ['digits', 8, null],
        ['expiry-like', 4, null],
        ['digits', 16, null],
        ['expiry-like', 4, null],
      ],
    );
    t.notMatch(result.stdout, /07700900123|12345678|4111111111111112/);
  });

  t.test('text and CSV reports: file, stream, time span, type, last four, confidence', async (t) => {
    const text = scan(join(dir, 'calls', 'amex-alaw.wav'));
    t.equal(text.status, 1);
    t.match(text.stdout, /amex-alaw\.wav {2}audio {2}00:00:0\d\.\d-00:00:\d\d\.\d {2}card-number american-express \*{4}0005 \(15 digits\) {2}confidence [01]\.\d\d {2}\[inband\]\n/);
    t.match(text.stdout, /^1 file\(s\), 1 finding\(s\) in 1 file\(s\) \(1 card number\(s\)\), 0 unreadable; 0\.5 min of audio in [\d.]+ s/m);
    const csv = scan('--csv', join(dir, 'captures'));
    const lines = csv.stdout.trim().split('\n');
    t.equal(lines[0], 'file,stream,kind,start_ms,end_ms,digits,card_type,last4,confidence,signals,error');
    t.ok(
      lines.some((l) => l.includes(',card-number,') && l.includes(',jcb,0000,1,sip-info,')),
      'the SIP INFO card',
    );
    t.ok(
      lines.some((l) => l.includes('not-a-capture.pcap') && l.includes(',error,')),
      'the unreadable capture',
    );
    t.equal(csv.status, 2);
  });

  t.test('bad input: missing paths, odd files, a link loop, usage errors; never a crash', async (t) => {
    const odd = join(dir, 'odd');
    mkdirSync(odd);
    writeFileSync(
      join(odd, 'random.wav'),
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff),
    );
    writeFileSync(join(odd, 'empty.pcapng'), new Uint8Array(0));
    writeFileSync(join(odd, 'riff-only.wav'), new TextEncoder().encode('RIFF\xff\xff\xff\x7fWAVEfmt '));
    symlinkSync(odd, join(odd, 'loop'));
    const result = scan('--json', odd, join(dir, 'no-such-dir'));
    t.equal(result.status, 2);
    const report = JSON.parse(result.stdout) as JsonReport;
    t.equal(report.errors.length, 4, 'three bad files and the missing path');
    t.notMatch(result.stderr, /^\s+at /m, 'no stack trace');
    t.equal(scan('--json', '--csv', dir).status, 2, '--json with --csv is a usage error');
    t.equal(scan('--jobs', '0', dir).status, 2);
    t.equal(run('scan').status, 2, 'a path is required');
  });

  t.test('the talk-off corpus (real speech, music on hold) gives no finding at all', async (t) => {
    const result = scan('--json', '--min-digits', '1', SPEECH_DIR, MUSIC_DIR);
    const report = JSON.parse(result.stdout) as JsonReport;
    t.equal(report.summary.findings, 0, `${report.summary.files} files, ${(report.summary.audioMs / 60_000).toFixed(1)} min`);
    t.ok(report.summary.audioMs > 40 * 60_000);
    t.equal(result.status, 0);
  });

  t.test('no output of any run holds a card number or its first twelve digits', async (t) => {
    const all = outputs.join('\n');
    for (const secret of corpus.secrets) {
      t.notOk(all.includes(secret), `${secret.slice(-4)}: full number absent`);
      t.notOk(all.includes(secret.slice(0, 12)), `${secret.slice(-4)}: first twelve absent`);
    }
  });
}
