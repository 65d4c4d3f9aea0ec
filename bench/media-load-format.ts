// The media-load bench's output: one line per level, the capacity table (a row per level, a
// column per contender) and the JSON line of `toneguard bench --json`.
import { GOAL_TRANSIT_MS, isPlainRelay, isServe, LOAD_CONTENDERS, SLACK_MS, type LoadContender, type MediaLoadBenchResult, type MediaLoadLevel } from './media-load-result.js';

/** The contenders that ran, in LOAD_CONTENDERS order. */
function contendersRun(r: MediaLoadBenchResult): LoadContender[] {
  return LOAD_CONTENDERS.filter((c) => r.capacity[c] !== undefined);
}

/** The levels run (calls), ascending. */
function levelCalls(r: MediaLoadBenchResult): number[] {
  return [...new Set(r.levels.map((l) => l.calls))].sort((a, b) => a - b);
}

/** A level that failed before it could be measured (serve: the server or the calls' setup). */
function unmeasured(l: MediaLoadLevel): l is MediaLoadLevel & { readonly note: string } {
  return l.expected === 0 && l.note !== null;
}

function contenderLabel(c: LoadContender, r: Pick<MediaLoadBenchResult, 'workers' | 'serveWorkers' | 'io'>): string {
  if (c === 'serve') return `toneguard serve rtp.workers=${r.serveWorkers}`;
  if (c === 'serve-plain') return `toneguard serve rtp.workers=${r.serveWorkers}, not secure`;
  if (c === 'baseline-dgram') return 'plain-udp-relay (node:dgram)';
  if (c === 'baseline-threads') return `plain-udp-relay (${r.io} I/O, ${r.workers} threads)`;
  return c === 'baseline' ? `plain-udp-relay (${r.io} I/O)` : c === 'ours' ? 'toneguard rtp.workers=0' : `toneguard rtp.workers=${r.workers}`;
}

/** Digits out of the agent side: events and in-band frames (the plain relay passes them, a clamp must not). */
function digitsAtAgent(l: MediaLoadLevel): string {
  const d = l.digitsAtAgent;
  return `digits at agent: ${d.events} events, ${d.toneFrames === null ? '?' : d.toneFrames} tone frames`;
}

function cell(l: MediaLoadLevel | undefined): string {
  if (l === undefined) return '-';
  if (unmeasured(l)) return `failed: ${l.note}`;
  const gen = l.generatorLimited ? ' gen-limited' : '';
  return `${l.lost}/${l.expected} lost, p99 ${l.p99Ms.toFixed(1)} ms${l.goalPass ? '' : ' x'}${gen}, ${Number.isFinite(l.relayCores) ? l.relayCores.toFixed(2) : '?'} cores${l.note === null ? '' : ` (failed: ${l.note})`}`;
}

/** The capacity table: one row per level, one column per contender. */
export function mediaLoadTable(r: MediaLoadBenchResult): string[] {
  const contenders = contendersRun(r);
  const calls = levelCalls(r);
  const rows = calls.map((n) => `| ${n} | ${contenders.map((c) => cell(r.levels.find((l) => l.calls === n && l.contender === c))).join(' | ')} |`);
  const serve =
    r.capacity.serve === undefined && r.capacity['serve-plain'] === undefined
      ? []
      : [`serve: \`toneguard serve\` child process, calls set up over SIP, secure mode over the HTTP API (not secure: left outside it), log level warn; rtp.workers=${r.serveWorkers}`];
  const gen = r.levels.map((l) => l.generatorCores).filter((x): x is number => x !== null);
  return [
    `| calls | ${contenders.map((c) => contenderLabel(c, r)).join(' | ')} |`,
    `|---|${contenders.map(() => '---').join('|')}|`,
    ...rows,
    `| goal capacity (0 loss, p99 transit <= ${GOAL_TRANSIT_MS} ms) | ${contenders.map((c) => r.capacity[c]?.goal ?? 0).join(' | ')} |`,
    `generator: ${r.generator === 'c' ? `C (${GENERATOR_DESCRIPTION})` : 'Node worker thread'}${r.generatorNote === null ? '' : ` - ${r.generatorNote}`}; digits: ${r.digits}` +
      (gen.length === 0 ? '' : `; generator CPU ${Math.min(...gen).toFixed(2)}-${Math.max(...gen).toFixed(2)} cores`),
    ...serve,
  ];
}

const GENERATOR_DESCRIPTION = 'bench/rtp-load-generator.c, sendmmsg/recvmmsg, kernel receive timestamps';

export function formatMediaLoadBenchmark(r: MediaLoadBenchResult, json: boolean): string[] {
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'media-load',
        unit: 'calls',
        ours: r.oursCapacity,
        baseline: 'plain-udp-relay',
        baselineValue: r.baselineCapacity,
        ratio: Number.isNaN(r.ratio) ? null : Math.round(r.ratio * 1e4) / 1e4,
        lookaheadMs: r.lookaheadMs,
        oursZeroLoss: r.oursZeroLoss,
        baselineZeroLoss: r.baselineZeroLoss,
        zeroLossRatio: r.baselineZeroLoss === 0 ? null : Math.round((r.oursZeroLoss / r.baselineZeroLoss) * 1e4) / 1e4,
        criterion: `0 loss and p99 audio latency <= media delay + ${SLACK_MS} ms`,
        goalCriterion: `0 loss and p99 transit <= ${GOAL_TRANSIT_MS} ms`,
        capacity: r.capacity,
        workers: r.workers,
        io: r.io,
        serveWorkers: r.serveWorkers,
        generator: r.generator,
        generatorNote: r.generatorNote,
        digits: r.digits,
        levels: r.levels.map((l) => ({
          ...l,
          cpuUsPerPacket: round2(l.cpuUsPerPacket),
          p50Ms: round2(l.p50Ms),
          p99Ms: round2(l.p99Ms),
          maxMs: round2(l.maxMs),
          p99AudioMs: round2(l.p99AudioMs),
          relayCores: round2(l.relayCores),
          setupMs: Math.round(l.setupMs),
          generatorCores: l.generatorCores === null ? null : round2(l.generatorCores),
        })),
      }),
    ];
  }
  const lines = r.levels.map((l) =>
    unmeasured(l)
      ? `  ${contenderLabel(l.contender, r).padEnd(24)} ${String(l.calls).padStart(5)} calls: FAILED: ${l.note}`
      : `  ${contenderLabel(l.contender, r).padEnd(24)} ${String(l.calls).padStart(5)} calls: lost ${l.lost}/${l.expected}, transit p50 ${l.p50Ms.toFixed(2)} p99 ${l.p99Ms.toFixed(2)} max ${l.maxMs.toFixed(1)} ms, ` +
        `cpu ${l.cpuUsPerPacket.toFixed(2)} us/packet (${l.callsPerCore} calls/core, ${l.relayCores.toFixed(2)} cores), ` +
        `audio p99 ${l.p99AudioMs.toFixed(2)} ms (budget ${l.budgetMs.toFixed(0)}) ${l.pass ? 'pass' : 'FAIL'}${l.generatorCores === null ? '' : `, generator ${l.generatorCores.toFixed(2)} cores`}` +
        `${l.generatorLimited ? ` (generator-limited: ${(l.lateSendShare * 100).toFixed(0)} % of sends late)` : ''}, ${digitsAtAgent(l)}` +
        `${isServe(l.contender) ? `, setup ${(l.setupMs / 1000).toFixed(1)} s` : ''}${l.note === null ? '' : `; FAILED: ${l.note}`}`,
  );
  return [summaryLine(r), ...lines, ...mediaLoadTable(r), ...cpuRatioLines(r)];
}

/** The first line: the ours/baseline ratio when both ran, then each contender that ran (not run: not named). */
function summaryLine(r: MediaLoadBenchResult): string {
  const ran = contendersRun(r);
  const ratio =
    r.capacity.ours !== undefined && r.capacity.baseline !== undefined
      ? `ours/plain-udp-relay ratio ${Number.isNaN(r.ratio) ? 'n/a' : r.ratio.toFixed(4)} (0 loss, p99 audio latency <= media delay + ${SLACK_MS} ms; lookahead ${r.lookaheadMs} ms); `
      : '';
  const each = ran.map((c) => {
    const k = r.capacity[c];
    return `${contenderLabel(c, r)}: ${k?.strict ?? 0} calls, zero-loss ${k?.zeroLoss ?? 0}, goal ${k?.goal ?? 0}`;
  });
  return `media-load (secure, digits in every call): ${ratio}${each.join('; ')}`;
}

/**
 * CPU per packet against the plain relay's at the same level (both without loss): the figure
 * that says what secure mode costs, whatever the machine's load (time waiting for a core is not
 * counted). With the C generator every contender counts its whole process (serve: the server's),
 * V8's helper threads included.
 */
export function cpuRatioLines(r: MediaLoadBenchResult): string[] {
  const out: string[] = [];
  for (const n of levelCalls(r)) {
    for (const baseline of ['baseline', 'baseline-threads'] as const) {
      const base = r.levels.find((l) => l.calls === n && l.contender === baseline);
      if (base === undefined || base.lost > 0 || !(base.cpuUsPerPacket > 0)) continue;
      const parts = r.levels
        .filter((l) => l.calls === n && !isPlainRelay(l.contender) && l.lost === 0 && Number.isFinite(l.cpuUsPerPacket))
        .map((l) => `${contenderLabel(l.contender, r)} ${l.cpuUsPerPacket.toFixed(2)} us = ${(l.cpuUsPerPacket / base.cpuUsPerPacket).toFixed(2)}x`);
      if (parts.length > 0)
        out.push(`cpu per packet at ${n} calls (half of them clamped, digits in every call), against ${contenderLabel(baseline, r)} ${base.cpuUsPerPacket.toFixed(2)} us: ${parts.join('; ')}`);
    }
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
