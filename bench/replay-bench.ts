// Replay throughput: `replayCapture` (capture reading, RTP tracking, RFC 4733, G.711/Opus decode
// and the in-band detector on every stream) in RTP packets/s and in capture time per wall-clock
// time on one core; baseline `tshark -q -z rtp,streams` on the same files in the same run.
// Two workloads: `replay`, the recorded PCMU call repeated into one long call (about 12 min at
// the default 100 copies, so that tshark's start-up is a small part of its time), and
// `replay-fixtures`, every capture of fixtures/rtp (small files: tshark's start-up dominates).
// tshark is a process per file, so its start-up (timed on a one-frame capture) is reported and
// the ratio is also given with it excluded. tshark only lists streams; we also decode every
// stream and run the DTMF detector on it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readCaptureFrames } from '../src/capture/capture-file.js';
import { encodePcap, ipv4UdpPacket, type WrittenFrame } from '../src/capture/capture-writer.js';
import { createUdpDecoder, decodeFrame, type UdpDatagram } from '../src/capture/udp-decoder.js';
import { looksLikeRtp, rtpSequence, rtpTimestamp } from '../src/rtp/rtp-packet.js';
import { replayCapture } from '../src/replay/replay.js';
import { projectRoot } from './fixture.js';
import { median } from './median.js';

export const REPLAY_FIXTURE_DIR = 'fixtures/rtp';
const BASELINE = 'tshark -q -z rtp,streams';

export interface ReplayBenchOptions {
  readonly repetitions?: number;
  /** Copies of the recorded PCMU call in the long capture (default 20, about 2.5 min). */
  readonly longCopies?: number;
}

/** The recorded call the long capture repeats. */
const LONG_SOURCE = 'pcmu.pcapng';

/**
 * One long call made of `copies` back-to-back repetitions of a recorded one: each copy's RTP
 * sequence numbers, RTP timestamps and capture times continue where the previous copy ended
 * (SIP only in the first copy, RTCP dropped), so both tools see the same two long streams. It
 * makes tshark's start-up a small part of its time.
 */
export function buildLongCapture(bytes: Uint8Array, copies: number): { pcap: Uint8Array; linkType: number } {
  const frames: { timeMs: number; data: Uint8Array; rtpAt: number; sip: boolean }[] = [];
  let linkType = 1;
  const decoder = createUdpDecoder();
  readCaptureFrames(bytes, LONG_SOURCE, (frame) => {
    linkType = frame.linkType;
    let datagram: UdpDatagram | undefined;
    decodeFrame(decoder, frame, (d) => (datagram = d));
    if (datagram === undefined) return;
    const rtp = looksLikeRtp(datagram.payload);
    const sip = !rtp && datagram.payload[0] >= 0x41 && datagram.payload[0] <= 0x5a;
    if (!rtp && !sip) return;
    frames.push({ timeMs: frame.timeMs, data: frame.data, rtpAt: rtp ? datagram.payload.byteOffset - frame.data.byteOffset : -1, sip });
  });
  // Per stream (by RTP port pair, which the offset cannot tell apart here: by frame bytes), the
  // span of sequence numbers and timestamps one copy covers.
  const span = new Map<string, { seq: number; ts: number }>();
  const keyOf = (f: { data: Uint8Array; rtpAt: number }): string =>
    Array.from(f.data.subarray(f.rtpAt - 8, f.rtpAt - 4)).join(',') + '/' + Array.from(f.data.subarray(f.rtpAt + 8, f.rtpAt + 12)).join(',');
  for (const f of frames) {
    if (f.rtpAt < 0) continue;
    const key = keyOf(f);
    const s = span.get(key) ?? { seq: 0, ts: 0 };
    s.seq = Math.max(s.seq, rtpSequence(f.data.subarray(f.rtpAt)));
    s.ts = Math.max(s.ts, rtpTimestamp(f.data.subarray(f.rtpAt)));
    span.set(key, s);
  }
  const firsts = new Map<string, { seq: number; ts: number }>();
  for (const f of frames) {
    if (f.rtpAt < 0) continue;
    const key = keyOf(f);
    const s = firsts.get(key) ?? { seq: Infinity, ts: Infinity };
    s.seq = Math.min(s.seq, rtpSequence(f.data.subarray(f.rtpAt)));
    s.ts = Math.min(s.ts, rtpTimestamp(f.data.subarray(f.rtpAt)));
    firsts.set(key, s);
  }
  const duration = frames[frames.length - 1].timeMs - frames[0].timeMs + 20;
  const out: WrittenFrame[] = [];
  for (let k = 0; k < copies; k++) {
    for (const f of frames) {
      if (f.sip && k > 0) continue;
      const data = new Uint8Array(f.data); // a copy (Buffer.prototype.slice would be a view)
      if (f.rtpAt >= 0) {
        const key = keyOf(f);
        const last = span.get(key) ?? { seq: 0, ts: 0 };
        const first = firsts.get(key) ?? { seq: 0, ts: 0 };
        const view = new DataView(data.buffer, f.rtpAt);
        view.setUint16(2, (view.getUint16(2) + k * (last.seq - first.seq + 1)) & 0xffff);
        view.setUint32(4, (view.getUint32(4) + k * (last.ts - first.ts + 160)) >>> 0);
      }
      out.push({ timeMs: f.timeMs + k * duration, data });
    }
  }
  return { pcap: encodePcap(out, { linkType }), linkType };
}

/** One workload: captures replayed by us and by tshark, each file once per repetition. */
export interface ReplayWorkload {
  readonly name: string;
  readonly description: string;
  readonly files: readonly string[];
  readonly packets: number;
  /** Sum of the captures' durations, s. */
  readonly captureSeconds: number;
  /** Wall-clock seconds per repetition over all files. */
  readonly oursSeconds: number[];
  readonly tsharkSeconds: number[];
  readonly tsharkStartupSeconds: number[];
}

export interface ReplayBenchResults {
  readonly repetitions: number;
  readonly workloads: readonly ReplayWorkload[];
  /** Why tshark was not run, if it was not. */
  readonly tsharkNote: string | null;
}

function runTshark(file: string): number {
  const t0 = performance.now();
  const result = spawnSync('tshark', ['-q', '-z', 'rtp,streams', '-r', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`tshark failed on ${file}: ${result.stderr || result.error?.message}`);
  return seconds;
}

async function measureWorkload(name: string, description: string, files: readonly string[], repetitions: number, tiny: string, tsharkNote: string | null): Promise<ReplayWorkload> {
  const inputs = files.map((file) => ({ file, bytes: new Uint8Array(readFileSync(file)) }));
  // Warm-up and totals.
  let packets = 0;
  let captureMs = 0;
  for (const input of inputs) {
    const result = await replayCapture(input.bytes, input.file);
    packets += result.rtpPackets;
    captureMs += result.durationMs;
  }
  const oursSeconds: number[] = [];
  const tsharkSeconds: number[] = [];
  const tsharkStartupSeconds: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const contenders = [
      async (): Promise<void> => {
        const t0 = performance.now();
        for (const input of inputs) await replayCapture(input.bytes, input.file);
        oursSeconds.push((performance.now() - t0) / 1000);
      },
    ];
    if (tsharkNote === null) {
      contenders.push(async () => {
        tsharkSeconds.push(files.reduce((s, file) => s + runTshark(file), 0));
        tsharkStartupSeconds.push(runTshark(tiny));
      });
    }
    // Alternate the order so drift hits both.
    for (let k = 0; k < contenders.length; k++) await contenders[(r + k) % contenders.length]();
  }
  return { name, description, files: files.map((f) => basename(f)), packets, captureSeconds: captureMs / 1000, oursSeconds, tsharkSeconds, tsharkStartupSeconds };
}

export async function measureReplayBenchmark(options: ReplayBenchOptions = {}): Promise<ReplayBenchResults> {
  const root = projectRoot();
  const manifest = JSON.parse(readFileSync(join(root, REPLAY_FIXTURE_DIR, 'manifest.json'), 'utf8')) as { fixtures: { file: string }[] };
  const files = manifest.fixtures.map((f) => join(root, REPLAY_FIXTURE_DIR, f.file));
  const repetitions = Math.max(1, Math.floor(options.repetitions ?? 5));
  const copies = Math.max(1, Math.floor(options.longCopies ?? 100));
  const probe = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  const tsharkNote = probe.status === 0 ? null : 'tshark not installed (apt-get install tshark)';
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-bench-'));
  try {
    const tiny = join(dir, 'one-frame.pcap');
    writeFileSync(tiny, encodePcap([{ timeMs: 0, data: ipv4UdpPacket('127.0.0.1', 1, '127.0.0.1', 2, new Uint8Array(12)) }], { linkType: 101 }));
    const long = join(dir, `pcmu-x${copies}.pcap`);
    writeFileSync(long, buildLongCapture(readFileSync(join(root, REPLAY_FIXTURE_DIR, LONG_SOURCE)), copies).pcap);
    const workloads = [
      await measureWorkload('replay', `${LONG_SOURCE} repeated ${copies} times as one call`, [long], repetitions, tiny, tsharkNote),
      await measureWorkload('replay-fixtures', `the ${files.length} captures in ${REPLAY_FIXTURE_DIR}`, files, repetitions, tiny, tsharkNote),
    ];
    return { repetitions, workloads, tsharkNote };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function formatReplayBenchmark(r: ReplayBenchResults, json: boolean): string[] {
  const lines: string[] = [];
  for (const w of r.workloads) {
    const ours = w.packets / median(w.oursSeconds);
    const realTime = w.captureSeconds / median(w.oursSeconds);
    const common = {
      benchmark: w.name,
      unit: 'packets/s',
      captures: w.description,
      packets: w.packets,
      captureSeconds: round(w.captureSeconds, 2),
      repetitions: r.repetitions,
      ours: Math.round(ours),
      realTimePerCore: round(realTime, 1),
      baseline: BASELINE,
    };
    if (r.tsharkNote !== null) {
      if (json) lines.push(JSON.stringify({ ...common, skipped: true, reason: r.tsharkNote }));
      else lines.push(`${w.name}: ${w.description}: ours ${Math.round(ours)} packets/s (${realTime.toFixed(0)}x real time per core); ${BASELINE} skipped (${r.tsharkNote})`);
      continue;
    }
    const files = w.files.length;
    const tshark = w.packets / median(w.tsharkSeconds);
    const startup = median(w.tsharkStartupSeconds);
    const ratio = median(w.oursSeconds.map((s, i) => w.tsharkSeconds[i] / s));
    // tshark pays its start-up once per file. Excluding it is a difference of two noisy timings,
    // so it comes from the medians and is null when the difference is not clearly positive.
    const tsharkWork = median(w.tsharkSeconds) - files * startup;
    const clear = tsharkWork > 0.05 * median(w.tsharkSeconds);
    const tsharkExcluding = clear ? w.packets / tsharkWork : null;
    const ratioExcluding = clear ? tsharkWork / median(w.oursSeconds) : null;
    if (json) {
      lines.push(
        JSON.stringify({
          ...common,
          baselineValue: Math.round(tshark),
          ratio: round(ratio, 3),
          baselineStartupMs: round(startup * 1000, 1),
          baselineValueExcludingStartup: tsharkExcluding === null ? null : Math.round(tsharkExcluding),
          ratioExcludingStartup: ratioExcluding === null ? null : round(ratioExcluding, 3),
          runs: { ours: w.oursSeconds.map((s) => round(s, 4)), baseline: w.tsharkSeconds.map((s) => round(s, 4)), baselineStartup: w.tsharkStartupSeconds.map((s) => round(s, 4)) },
        }),
      );
      continue;
    }
    lines.push(
      `${w.name}: ${w.description} (${w.packets} RTP packets, ${w.captureSeconds.toFixed(1)} s of calls), median of ${r.repetitions} runs: ` +
        `ours ${Math.round(ours)} packets/s (${realTime.toFixed(0)}x real time per core), ${BASELINE} ${Math.round(tshark)} packets/s, ratio ${ratio.toFixed(2)}; ` +
        `excluding tshark's start-up (${(startup * 1000).toFixed(0)} ms per file) ` +
        (tsharkExcluding === null || ratioExcluding === null ? 'n/a (start-up is nearly all of its time)' : `${Math.round(tsharkExcluding)} packets/s, ratio ${ratioExcluding.toFixed(2)}`),
    );
  }
  return lines;
}
