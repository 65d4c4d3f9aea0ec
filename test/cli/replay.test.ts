// `toneguard replay` end to end: the compiled CLI on the recorded fixtures (docs/cli.md):
// one line per stream, --json per digit, --write-audio, --event-pt, and bad or
// truncated captures (what was readable, then the error, exit 2, no stack trace).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compileCli, PROJECT_ROOT } from '../helpers/cli.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';

const { cli, workDir: dir, run } = compileCli(t, 'cli-replay');
const fixtures = join(PROJECT_ROOT, 'fixtures', 'rtp');

const noStack = /^\s+at /m;

t.test('the build', async (t) => {
  t.ok(existsSync(cli), `tsc emitted ${cli}`);
});

t.test('one line per stream: SRC:PORT -> DST:PORT ssrc=0x........ CODEC digits=...', async (t) => {
  const result = run('replay', join(fixtures, 'pcmu.pcapng'));
  t.equal(result.status, 0);
  t.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  t.equal(lines.pop(), '', 'ends with a newline');
  t.equal(lines.length, 2);
  for (const line of lines) t.match(line, /^127\.0\.0\.1:100[02]0 -> 127\.0\.0\.1:100[02]0 ssrc=0x[0-9a-f]{8} PCMU digits=[0-9*#A-D]*$/);
  t.ok(lines.some((l) => l.startsWith('127.0.0.1:10000 -> 127.0.0.1:10020 ') && l.endsWith(' digits=1474929')));
  t.ok(lines.some((l) => l.startsWith('127.0.0.1:10020 -> 127.0.0.1:10000 ') && l.endsWith(' digits=0#')));
  const opus = run('replay', join(fixtures, 'opus.pcapng'));
  t.match(opus.stdout, /127\.0\.0\.1:10000 -> 127\.0\.0\.1:10020 ssrc=0x[0-9a-f]{8} opus digits=3690123\n/);
});

t.test('--json: one object per digit, keys in contract order', async (t) => {
  const result = run('replay', '--json', join(fixtures, 'pcma-info.pcapng'));
  t.equal(result.status, 0);
  const lines = result.stdout.trim().split('\n');
  t.equal(lines.length, 10, '8 + 2 digits');
  for (const line of lines) {
    t.match(
      line,
      /^\{"stream":\{"src":"127\.0\.0\.1","srcPort":\d+,"dst":"127\.0\.0\.1","dstPort":\d+,"ssrc":"0x[0-9a-f]{8}","codec":"PCMA"\},"digit":"[0-9*#A-D]","source":"(rfc4733|inband|sip-info)","atMs":\d+\.\d\}$/,
    );
  }
  const parsed = lines.map((l) => JSON.parse(l) as { digit: string; source: string; atMs: number; stream: { srcPort: number } });
  t.same(
    parsed.filter((p) => p.stream.srcPort === 10000).map((p) => p.digit + p.source[0]),
    ['2i', '5i', '8i', '7s', '*s', '#r', 'Ar', 'Br'],
  );
  const times = parsed.filter((p) => p.stream.srcPort === 10000).map((p) => p.atMs);
  t.same(
    times,
    times.slice().sort((a, b) => a - b),
    'in time order',
  );
});

t.test("--write-audio DIR: one WAV per decoded stream, with the call's length and digits, and its clamped version", async (t) => {
  const out = join(dir, 'audio');
  const result = run('replay', '--write-audio', out, join(fixtures, 'pcmu.pcapng'));
  t.equal(result.status, 0);
  const all = readdirSync(out).sort();
  const files = all.filter((f) => !f.endsWith('-clamped.wav'));
  t.equal(files.length, 2);
  t.equal(all.length, 4, 'plus one clamped WAV per stream');
  for (const f of files) {
    const clamped = f.replace(/\.wav$/, '-clamped.wav');
    if (!t.ok(all.includes(clamped), `${clamped} is there`)) continue;
    const decoded = parseWav(readFileSync(join(out, f)), f);
    const wav = parseWav(readFileSync(join(out, clamped)), clamped);
    t.same([wav.sampleRate, wav.length], [decoded.sampleRate, decoded.length], `${clamped}: same rate and length as the decoded stream`);
    t.equal(run('detect', join(out, clamped)).stdout, '\n', `${clamped}: no in-band digit left`);
  }
  for (const f of files) {
    t.match(f, /^\d-127\.0\.0\.1_100[02]0-127\.0\.0\.1_100[02]0-0x[0-9a-f]{8}\.wav$/);
    const wav = parseWav(readFileSync(join(out, f)), f);
    t.equal(wav.sampleRate, 8000);
    t.ok(wav.channelData[0].length > 8000 * 5, `${f}: more than 5 s`);
  }
  const callerWav = files.find((f) => /^\d-127\.0\.0\.1_10000-/.test(f));
  if (callerWav !== undefined) t.equal(run('detect', join(out, callerWav)).stdout, '147\n', "the caller's in-band digits are in its WAV");
  const opusOut = join(dir, 'opus');
  t.equal(run('replay', '--write-audio', opusOut, join(fixtures, 'opus.pcapng')).status, 0);
  for (const f of readdirSync(opusOut)) t.equal(parseWav(readFileSync(join(opusOut, f)), f).sampleRate, 8000, 'Opus decoded at 8 kHz');
});

t.test('--event-pt: validated as a payload type', async (t) => {
  t.equal(run('replay', '--event-pt', '96', join(fixtures, 'pcmu.pcapng')).status, 0);
  const bad = run('replay', '--event-pt', '300', join(fixtures, 'pcmu.pcapng'));
  t.equal(bad.status, 2);
  t.match(bad.stderr, /payload type/);
  t.notMatch(bad.stderr, noStack);
});

t.test('bad input: exit 2, the file named, no stack trace', async (t) => {
  const notCapture = join(dir, 'x.wav');
  writeFileSync(notCapture, 'RIFF....WAVEfmt ');
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, '');
  for (const [file, words] of [
    [notCapture, /x\.wav: not a pcap or pcapng capture/],
    [empty, /empty\.pcap: empty file/],
    [join(dir, 'missing.pcap'), /missing\.pcap: cannot read the file \(ENOENT\)/],
    [dir, /cannot read the file \(EISDIR\)/],
  ] as const) {
    const result = run('replay', file);
    t.equal(result.status, 2, file);
    t.equal(result.stdout, '');
    t.match(result.stderr, words);
    t.notMatch(result.stderr, noStack);
  }
  t.equal(run('replay').status, 2, 'no capture given');
});

t.test('a truncated capture: the streams read so far, then the error, exit 2', async (t) => {
  const bytes = readFileSync(join(fixtures, 'pcmu.pcapng'));
  const cut = join(dir, 'cut.pcapng');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8) + 3));
  const result = run('replay', cut);
  t.equal(result.status, 2);
  t.match(result.stdout, /^127\.0\.0\.1:10020 -> 127\.0\.0\.1:10000 ssrc=0x[0-9a-f]{8} PCMU digits=0#\n127\.0\.0\.1:10000 -> 127\.0\.0\.1:10020 ssrc=0x[0-9a-f]{8} PCMU digits=147/);
  t.match(result.stderr, /^toneguard: error: .*cut\.pcapng: truncated pcapng block after frame \d+/);
  t.notMatch(result.stderr, noStack);
});
