// Replay of captures: the recorded baresip fixtures give the digits of fixtures/rtp/manifest.json
// on exactly the streams tshark lists; synthetic captures cover payload-type defaults, merging of a
// digit sent two ways, IPv6; randomly corrupted fixtures never make the reader throw.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { encodeUlaw } from '../../native-free-dsp/g711.js';
import { G722Encoder } from '../../native-free-dsp/g722.js';
import { resample } from '../../native-free-dsp/resample.js';
import { generateDtmfSequence } from '../../native-free-dsp/tone-generator.js';
import { encodePcap, ipv4UdpPacket } from '../../src/capture/capture-writer.js';
import { LINKTYPE_RAW } from '../../src/capture/udp-decoder.js';
import { endpoint, replayCapture, type ReplayStream } from '../../src/replay/replay.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'fixtures', 'rtp');

interface ManifestStream {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly codec: string;
  readonly digits: string;
}
interface Manifest {
  readonly fixtures: readonly { readonly file: string; readonly kind: 'recorded' | 'derived' | 'synthetic'; readonly streams: readonly ManifestStream[] }[];
}
const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')) as Manifest;

const streamOf = (streams: readonly ReplayStream[], srcPort: number): ReplayStream | undefined => streams.find((s) => s.id.srcPort === srcPort);
const digitsOf = (s: ReplayStream | undefined): string => (s?.digits ?? []).map((d) => d.digit).join('');

const tsharkAvailable = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

/** tshark's RTP streams as `src:port>dst:port/ssrc`. */
/** Streams tshark lists; a synthetic capture has no SIP/SDP, so tshark must find RTP by its heuristic. */
function tsharkStreams(file: string, heuristic = false): string[] {
  const out = spawnSync('tshark', [...(heuristic ? ['-o', 'rtp.heuristic_rtp:TRUE'] : []), '-r', file, '-q', '-z', 'rtp,streams'], { encoding: 'utf8' }).stdout;
  const streams: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-Fa-f]+)/.exec(line);
    if (m !== null) streams.push(`${m[1]}:${m[2]}>${m[3]}:${m[4]}/${parseInt(m[5], 16)}`);
  }
  return streams.sort();
}

for (const fixture of manifest.fixtures) {
  t.test(`${fixture.file}: the manifest's digits on every stream`, async (t) => {
    const path = join(fixtures, fixture.file);
    const result = await replayCapture(readFileSync(path), fixture.file);
    t.equal(result.error, undefined);
    t.equal(result.streams.length, fixture.streams.length, 'no extra streams');
    for (const expected of fixture.streams) {
      const s = streamOf(result.streams, expected.srcPort);
      t.ok(s, `stream from port ${expected.srcPort}`);
      t.same([s?.id.src, s?.id.dst, s?.id.dstPort, s?.codec], [expected.src, expected.dst, expected.dstPort, expected.codec]);
      t.equal(digitsOf(s), expected.digits, `digits from port ${expected.srcPort}`);
    }
    if (tsharkAvailable) {
      const ours = result.streams.map((s) => `${s.id.src}:${s.id.srcPort}>${s.id.dst}:${s.id.dstPort}/${s.id.ssrc}`).sort();
      t.same(ours, tsharkStreams(path, fixture.kind === 'synthetic'), 'the streams tshark -z rtp,streams lists');
    }
  });
}

t.test('the impairments of the derived fixtures are really there', async (t) => {
  const load = async (file: string): Promise<ReplayStream | undefined> => streamOf((await replayCapture(readFileSync(join(fixtures, file)), file)).streams, 10000);
  const loss = await load('pcmu-loss.pcap');
  t.ok((loss?.lost ?? 0) > 20, `loss: ${loss?.lost} packets lost`);
  const reorder = await load('pcmu-reorder.pcap');
  t.ok((reorder?.late ?? 0) > 20, `reorder: ${reorder?.late} late packets`);
  const dup = await load('pcmu-dup.pcap');
  t.ok((dup?.duplicates ?? 0) > 20, `duplication: ${dup?.duplicates} duplicates`);
  const pcmu = await load('pcmu.pcapng');
  t.same(
    pcmu?.digits.map((d) => `${d.digit}:${d.source}`),
    ['1:inband', '4:inband', '7:inband', '4:rfc4733', '9:rfc4733', '2:rfc4733', '9:rfc4733'],
  );
  const info = await load('pcma-info.pcapng');
  t.same(
    info?.digits.map((d) => `${d.digit}:${d.source}`),
    ['2:inband', '5:inband', '8:inband', '7:sip-info', '*:sip-info', '#:rfc4733', 'A:rfc4733', 'B:rfc4733'],
    'the RFC 4733 "*" is merged into the INFO "*" the server got first',
  );
});

// ---------------------------------------------------------------------------------------------
// Synthetic captures (no SDP): one PCMU stream with in-band tones and telephone-events.

interface SyntheticOptions {
  readonly eventPt: number;
  /** Digits as RFC 4733 events: [digit, startMs]. */
  readonly events: readonly [string, number][];
  /** In-band tone digits, each 100 ms, starting at the given ms. */
  readonly tones: readonly [string, number][];
  readonly totalMs: number;
}

function syntheticCapture(o: SyntheticOptions): Uint8Array {
  const pcm = new Int16Array((o.totalMs * 8) | 0);
  for (const [digit, atMs] of o.tones) {
    const tone = generateDtmfSequence([{ digit: digit as '1', durationMs: 100, lowDbm0: -10 }]);
    pcm.set(tone, atMs * 8);
  }
  const ulaw = new Uint8Array(pcm.length);
  encodeUlaw(pcm, ulaw);
  const packets: { ts: number; ms: number; pt: number; marker: boolean; payload: Uint8Array }[] = [];
  for (let at = 0; at + 160 <= ulaw.length; at += 160) packets.push({ ts: at, ms: at / 8, pt: 0, marker: at === 0, payload: ulaw.slice(at, at + 160) });
  for (const [digit, atMs] of o.events) {
    planDigitPackets(digit as '1', atMs * 8, 800).forEach((p, i) => packets.push({ ts: p.timestamp, ms: atMs + 20 * i + 0.5, pt: o.eventPt, marker: p.marker, payload: p.payload }));
  }
  packets.sort((a, b) => a.ms - b.ms);
  return encodePcap(
    packets.map((p, seq) => ({
      timeMs: 1_000_000 + p.ms,
      data: ipv4UdpPacket(
        '10.1.1.1',
        30000,
        '10.1.1.2',
        40000,
        serializeRtp({ payloadType: p.pt, marker: p.marker, sequence: (65500 + seq) & 0xffff, timestamp: (0xffffff00 + p.ts) >>> 0, ssrc: 0x1234abcd, payload: p.payload }),
      ),
    })),
    { linkType: LINKTYPE_RAW },
  );
}

t.test('no SDP: telephone-event on PT 101 by default, another PT only with eventPt', async (t) => {
  const onPt96 = syntheticCapture({
    eventPt: 96,
    events: [
      ['4', 200],
      ['2', 600],
    ],
    tones: [],
    totalMs: 1200,
  });
  const byDefault = await replayCapture(onPt96, 'x.pcap');
  t.equal(byDefault.streams.length, 1);
  t.equal(digitsOf(byDefault.streams[0]), '', 'PT 96 is not telephone-event without SDP or --event-pt');
  const overridden = await replayCapture(onPt96, 'x.pcap', { eventPt: 96 });
  t.equal(digitsOf(overridden.streams[0]), '42');
  t.equal(overridden.streams[0].codec, 'PCMU');
  t.equal(overridden.streams[0].id.ssrc, 0x1234abcd);
  const on101 = await replayCapture(syntheticCapture({ eventPt: 101, events: [['#', 300]], tones: [], totalMs: 800 }), 'x.pcap');
  t.equal(digitsOf(on101.streams[0]), '#');
});

t.test('a digit sent as events and as in-band tone at once is reported once; others are kept', async (t) => {
  const capture = syntheticCapture({
    eventPt: 101,
    events: [
      ['5', 200],
      ['8', 1400],
    ],
    tones: [
      ['5', 210],
      ['5', 800],
      ['9', 1100],
    ],
    totalMs: 2000,
  });
  const result = await replayCapture(capture, 'x.pcap');
  const s = result.streams[0];
  t.same(
    s.digits.map((d) => `${d.digit}:${d.source}`),
    ['5:rfc4733', '5:inband', '9:inband', '8:rfc4733'],
  );
  t.ok(Math.abs(s.digits[0].atMs - 200) < 1, `event time from the RTP timestamp (${s.digits[0].atMs} ms)`);
  t.ok(Math.abs(s.digits[1].atMs - 800) < 10, `in-band time from the samples (${s.digits[1].atMs} ms)`);
  t.equal(s.lost, 0, 'sequence wrap at 65535 is not loss');
});

t.test('an SSRC change on the same 5-tuple starts a new stream; RTCP and stray datagrams are not streams', async (t) => {
  const frames = [];
  for (let i = 0; i < 20; i++) {
    const ssrc = i < 10 ? 0xaaaa0001 : 0xbbbb0002;
    frames.push({
      timeMs: i * 20,
      data: ipv4UdpPacket('10.0.0.1', 2000, '10.0.0.2', 3000, serializeRtp({ payloadType: 8, sequence: i, timestamp: i * 160, ssrc, payload: new Uint8Array(160).fill(0xd5) })),
    });
    frames.push({ timeMs: i * 20 + 1, data: ipv4UdpPacket('10.0.0.1', 2001, '10.0.0.2', 3001, new Uint8Array([0x80, 201, 0, 1, 0xaa, 0xaa, 0, 1])) });
  }
  frames.push({ timeMs: 500, data: ipv4UdpPacket('10.0.0.9', 53, '10.0.0.2', 53, new Uint8Array(40).fill(0x81)) });
  const result = await replayCapture(encodePcap(frames, { linkType: LINKTYPE_RAW }), 'x.pcap');
  t.same(
    result.streams.map((s) => [s.id.ssrc, s.codec, s.packets, s.lost]),
    [
      [0xaaaa0001, 'PCMA', 10, 0],
      [0xbbbb0002, 'PCMA', 10, 0],
    ],
  );
  t.equal(endpoint('2001:db8::1', 5004), '[2001:db8::1]:5004', 'IPv6 endpoints in brackets');
  t.equal(endpoint('127.0.0.1', 5004), '127.0.0.1:5004');
});

// ---------------------------------------------------------------------------------------------
// Fuzz: random corruption of every fixture.

t.test('fuzz: corrupted and truncated fixtures never throw; truncation is reported', async (t) => {
  let seed = 4733;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((seed / 0x80000000) * n);
  };
  let runs = 0;
  let errors = 0;
  for (const fixture of manifest.fixtures) {
    const original = readFileSync(join(fixtures, fixture.file));
    for (let i = 0; i < 12; i++) {
      const bytes = new Uint8Array(original);
      const kind = i % 3;
      let input: Uint8Array = bytes;
      if (kind === 0) for (let k = 0; k < 40; k++) bytes[random(bytes.length)] = random(256);
      else if (kind === 1) input = bytes.subarray(0, random(bytes.length));
      else {
        const at = random(bytes.length - 64);
        for (let k = 0; k < 64; k++) bytes[at + k] = random(256);
      }
      const result = await replayCapture(input, fixture.file);
      runs++;
      if (result.error !== undefined) {
        errors++;
        t.match(result.error.message, new RegExp(`^${fixture.file.replace('.', '\\.')}: `), 'the message names the file');
      }
      if (kind === 1 && input.length < original.length && input.length > 0) t.ok(result.error !== undefined, `truncated at ${input.length} of ${original.length}`);
    }
  }
  t.ok(runs === manifest.fixtures.length * 12 && errors > 0, `${runs} runs, ${errors} reported errors`);
});

// ---------------------------------------------------------------------------------------------
// A synthetic G.722 capture (static PT 9, no SDP): in-band tones and events through the live
// clamp stage on the G.722 codec port, the audio decoded for --write-audio.

t.test('G.722 (PT 9, no SDP): in-band tones and RFC 4733 events reported; lower band decoded at 8 kHz', async (t) => {
  const totalMs = 2000;
  const pcm8k = new Int16Array(totalMs * 8);
  for (const [digit, atMs] of [
    ['3', 300],
    ['7', 1200],
  ] as const)
    pcm8k.set(generateDtmfSequence([{ digit, durationMs: 100, lowDbm0: -10 }]), atMs * 8);
  const codes = new Uint8Array(pcm8k.length); // one G.722 byte per 8 kHz tick
  new G722Encoder().encode(resample(pcm8k, 8000, 16_000).subarray(0, 2 * pcm8k.length), codes);
  const packets: { ts: number; ms: number; pt: number; marker: boolean; payload: Uint8Array }[] = [];
  for (let at = 0; at + 160 <= codes.length; at += 160) packets.push({ ts: at, ms: at / 8, pt: 9, marker: at === 0, payload: codes.slice(at, at + 160) });
  planDigitPackets('9', 700 * 8, 800).forEach((p, i) => packets.push({ ts: p.timestamp, ms: 700 + 20 * i + 0.5, pt: 101, marker: p.marker, payload: p.payload }));
  packets.sort((a, b) => a.ms - b.ms);
  const capture = encodePcap(
    packets.map((p, seq) => ({
      timeMs: 1_000_000 + p.ms,
      data: ipv4UdpPacket('10.1.1.1', 30000, '10.1.1.2', 40000, serializeRtp({ payloadType: p.pt, marker: p.marker, sequence: seq, timestamp: p.ts, ssrc: 0x722, payload: p.payload })),
    })),
    { linkType: LINKTYPE_RAW },
  );
  const result = await replayCapture(capture, 'g722.pcap', { keepAudio: true });
  t.equal(result.streams.length, 1);
  const s = result.streams[0];
  t.equal(s.codec, 'G722');
  t.same(
    s.digits.map((d) => `${d.digit}:${d.source}`),
    ['3:inband', '9:rfc4733', '7:inband'],
    'in-band digits from the decoded G.722 lower band, the event from RFC 4733',
  );
  t.ok(Math.abs(s.digits[0].atMs - 300) < 10, `in-band time from the samples (${s.digits[0].atMs} ms)`);
  t.equal(s.audioRate, 8000);
  t.equal(s.audio?.length, pcm8k.length, 'audio laid out at 8 kHz, one sample per RTP tick');
  // The decoded lower band carries the tone at its level (within 1 dB of the input's).
  const rms = (x: Int16Array, from: number, to: number): number => Math.sqrt(x.subarray(from, to).reduce((a, v) => a + v * v, 0) / (to - from));
  const level = 20 * Math.log10(rms(s.audio ?? new Int16Array(1), 1220 * 8, 1280 * 8) / rms(pcm8k, 1220 * 8, 1280 * 8));
  t.ok(Math.abs(level) < 1, `tone level in the decoded audio: ${level.toFixed(2)} dB from the input's`);
});
