// Clamp stage throughput: the joined caller -> agent stage (createClampStage: RTP side +
// in-band clamp) in secure mode against the same stage outside secure mode (pass-through: the
// packet forwarded untouched), PCMU 20 ms packets of the speech-with-digits fixture, interleaved,
// median of the per-repetition ratios. Reported in packets/s and 50-packet/s streams per core.
// Then the secure stage's cost per packet with many streams in one thread (each packet of the
// fixture to every stream in turn, as a media thread serves its calls) against one stream in
// the same run: what the calls' state costs once it no longer fits in the caches; and the same
// with the detector's wasm kernel instead of the clamp's TypeScript one, runs interleaved.
import { performance } from 'node:perf_hooks';
import { encodeUlaw } from '../native-free-dsp/g711.js';
import { createClampStage } from '../src/media/clamp/create-clamp-stage.js';
import type { ClampStage } from '../src/media/clamp/clamp-stage.js';
import type { GoertzelKernel } from '../native-free-dsp/dtmf-detector.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS } from '../src/media/clamp/inband-clamp.js';
import { loadFixture, projectRoot } from './fixture.js';
import { median } from './median.js';

const FRAME = 160;
const HEADER = 12;
const PACKETS_PER_S = 50;
const BASELINE = 'pass-through';

/** Streams in one thread for the per-stream cost (a media worker serves hundreds of calls). */
export const CLAMP_STAGE_STREAMS = [1, 250, 1000] as const;
/** Packets per stream for those runs (6 s of audio each). */
const STREAM_PACKETS = 300;

export interface ClampStageBenchResult {
  /** Secure cost per packet, us, by streams in one thread (default CLAMP_STAGE_STREAMS; one stream first), the best of the repetitions. */
  readonly byStreams: readonly { readonly streams: number; readonly usPerPacket: number }[];
  /** The same with the detector's wasm kernel (the clamp's default is TypeScript), in the same order. */
  readonly wasmByStreams: readonly { readonly streams: number; readonly usPerPacket: number }[];
  readonly packets: number;
  readonly repetitions: number;
  readonly secure: number[];
  readonly passThrough: number[];
  readonly latencyMs: number;
}

let sink = 0;

/** RTP packets (PCMU, PT 0) of the fixture, headers written by hand (the timed loop copies them). */
function packetsOf(samples: Int16Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, seq = 0; i + FRAME <= samples.length; i += FRAME, seq++) {
    const p = new Uint8Array(HEADER + FRAME);
    p[0] = 0x80;
    p[1] = 0;
    p[2] = (seq >> 8) & 0xff;
    p[3] = seq & 0xff;
    const ts = i >>> 0;
    p[4] = ts >>> 24;
    p[5] = (ts >>> 16) & 0xff;
    p[6] = (ts >>> 8) & 0xff;
    p[7] = ts & 0xff;
    p[8] = 0x12;
    p[9] = 0x34;
    p[10] = 0x56;
    p[11] = 0x78;
    encodeUlaw(samples.subarray(i, i + FRAME), p.subarray(HEADER));
    out.push(p);
  }
  return out;
}

/** A PCMU stage whose output goes to the sink (read at the end, so the work is not optimised away). */
function newStage(secure: boolean, detectorKernel: GoertzelKernel = DEFAULT_INBAND_CLAMP_OPTIONS.detectorKernel): ClampStage {
  return createClampStage({
    inband: { detectorKernel },
    codec: 'PCMU',
    eventPayloadType: 101,
    mode: 'silence',
    secure,
    send: (p) => {
      sink += p[HEADER];
    },
    onDigit: () => {},
  });
}

function run(packets: readonly Uint8Array[], secure: boolean): number {
  const stage = newStage(secure);
  const buf = new Uint8Array(HEADER + FRAME);
  const t0 = performance.now();
  for (let i = 0; i < packets.length; i++) {
    buf.set(packets[i]); // the stage rewrites in place: each run starts from the same bytes
    stage.push(buf, i * 20);
  }
  const seconds = (performance.now() - t0) / 1000;
  stage.close();
  return packets.length / seconds;
}

/** Secure stages for `streams` streams, each packet to every stream in turn: us per packet (wall clock, one thread busy). */
function runStreams(packets: readonly Uint8Array[], streams: number, kernel: GoertzelKernel): number {
  const stages = Array.from({ length: streams }, () => newStage(true, kernel));
  const buf = new Uint8Array(HEADER + FRAME);
  const n = Math.min(STREAM_PACKETS, packets.length);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    for (const stage of stages) {
      buf.set(packets[i]);
      stage.push(buf, i * 20);
    }
  }
  const us = ((performance.now() - t0) * 1000) / (n * streams);
  for (const stage of stages) stage.close();
  return us;
}

export function measureClampStageBenchmark(options: { repetitions?: number; seconds?: number; streams?: readonly number[] } = {}): ClampStageBenchResult {
  const repetitions = Math.max(3, Math.floor(options.repetitions ?? 5));
  const fixture = loadFixture(projectRoot());
  const packets = packetsOf(fixture.samples.subarray(0, Math.min(fixture.samples.length, (options.seconds ?? 60) * 8000)));
  run(packets, true); // warm-up
  run(packets, false);
  const secure: number[] = [];
  const passThrough: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    if (r % 2 === 0) {
      secure.push(run(packets, true));
      passThrough.push(run(packets, false));
    } else {
      passThrough.push(run(packets, false));
      secure.push(run(packets, true));
    }
  }
  const byStreams: { streams: number; usPerPacket: number }[] = [];
  const wasmByStreams: { streams: number; usPerPacket: number }[] = [];
  for (const streams of options.streams ?? CLAMP_STAGE_STREAMS) {
    let best = Infinity;
    let bestWasm = Infinity;
    // Best of several runs (a few for the many-stream runs, which take seconds each), the two
    // kernels alternately so that the host's noise falls on both.
    for (let r = 0; r < (streams < 100 ? 30 : 3); r++) {
      best = Math.min(best, runStreams(packets, streams, DEFAULT_INBAND_CLAMP_OPTIONS.detectorKernel));
      bestWasm = Math.min(bestWasm, runStreams(packets, streams, 'wasm'));
    }
    byStreams.push({ streams, usPerPacket: best });
    wasmByStreams.push({ streams, usPerPacket: bestWasm });
  }
  if (sink === Number.MIN_SAFE_INTEGER) throw new Error('unreachable'); // reads the sink
  return { byStreams, wasmByStreams, packets: packets.length, repetitions, secure, passThrough, latencyMs: DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs };
}

/** Lines for `toneguard bench`: the secure stage against pass-through, as a ratio. */
export function formatClampStageBenchmark(r: ClampStageBenchResult, json: boolean): string[] {
  const secure = median(r.secure);
  const pass = median(r.passThrough);
  const ratio = median(r.secure.map((x, i) => x / r.passThrough[i]));
  const streams = Math.floor(secure / PACKETS_PER_S);
  const passStreams = Math.floor(pass / PACKETS_PER_S);
  const one = r.byStreams[0].usPerPacket;
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'clamp-stage',
        unit: 'packets/s',
        packets: r.packets,
        repetitions: r.repetitions,
        ours: Math.round(secure),
        baseline: BASELINE,
        baselineValue: Math.round(pass),
        ratio: Math.round(ratio * 1e4) / 1e4,
        streamsPerCore: streams,
        baselineStreamsPerCore: passStreams,
        usPerPacket: Math.round(1e7 / secure) / 10,
        addedLatencyMs: r.latencyMs,
      }),
      JSON.stringify({
        benchmark: 'clamp-stage-streams',
        unit: 'us/packet',
        baseline: 'one stream',
        baselineValue: Math.round(one * 100) / 100,
        streams: r.byStreams.map((s) => ({ streams: s.streams, usPerPacket: Math.round(s.usPerPacket * 100) / 100, ratio: Math.round((s.usPerPacket / one) * 100) / 100 })),
      }),
      JSON.stringify({
        benchmark: 'clamp-stage-kernel',
        unit: 'us/packet',
        ours: 'wasm detector kernel',
        baseline: `${DEFAULT_INBAND_CLAMP_OPTIONS.detectorKernel} detector kernel (the clamp's default)`,
        streams: r.wasmByStreams.map((s, i) => ({
          streams: s.streams,
          usPerPacket: Math.round(s.usPerPacket * 100) / 100,
          baselineValue: Math.round(r.byStreams[i].usPerPacket * 100) / 100,
          ratio: Math.round((s.usPerPacket / r.byStreams[i].usPerPacket) * 100) / 100,
        })),
      }),
    ];
  }
  return [
    `clamp-stage: secure ${Math.round(secure)} packets/s (${streams} streams per core, ${(1e6 / secure).toFixed(1)} us/packet), ${BASELINE} ${Math.round(pass)} packets/s (${passStreams} streams per core), ratio ${ratio.toFixed(4)}, added latency ${r.latencyMs.toFixed(1)} ms`,
    `clamp-stage-streams: secure, us per packet with N streams in one thread against one stream: ${r.byStreams.map((s) => `${s.streams} ${s.usPerPacket.toFixed(2)} (${(s.usPerPacket / one).toFixed(2)}x)`).join(', ')}`,
    `clamp-stage-kernel: secure with the detector's wasm kernel against its ${DEFAULT_INBAND_CLAMP_OPTIONS.detectorKernel} kernel (the clamp's default), us per packet with N streams: ${r.wasmByStreams
      .map((s, i) => `${s.streams} ${s.usPerPacket.toFixed(2)} against ${r.byStreams[i].usPerPacket.toFixed(2)} (${(s.usPerPacket / r.byStreams[i].usPerPacket).toFixed(2)}x)`)
      .join(', ')}`,
  ];
}
