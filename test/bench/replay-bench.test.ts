// The replay benchmark end to end with one repetition: figures present, positive, finite, and
// printed in the documented forms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../bench/fixture.js';
import { buildLongCapture, formatReplayBenchmark, measureReplayBenchmark } from '../../bench/replay-bench.js';
import { replayCapture } from '../../src/replay/replay.js';

interface ReplayLine {
  benchmark: string;
  unit: string;
  packets: number;
  ours: number;
  realTimePerCore: number;
  baseline: string;
  baselineValue?: number;
  ratio?: number;
  ratioExcludingStartup?: number | null;
  skipped?: boolean;
  reason?: string;
}

t.test('replay throughput against tshark', async (t) => {
  const results = await measureReplayBenchmark({ repetitions: 1, longCopies: 5 });
  t.same(
    results.workloads.map((w) => w.name),
    ['replay', 'replay-fixtures'],
  );
  const [long, fixtures] = results.workloads;
  const call = await replayCapture(readFileSync(join(projectRoot(), 'fixtures/rtp/pcmu.pcapng')), 'pcmu.pcapng');
  t.equal(long.packets, 5 * call.rtpPackets, `the long capture holds 5 copies of the call's ${call.rtpPackets} RTP packets`);
  t.ok(long.captureSeconds > 5 * 7, `${long.captureSeconds} s of call`);
  t.ok(fixtures.packets > 5000, `${fixtures.packets} RTP packets in the fixtures`);
  const lines = formatReplayBenchmark(results, true);
  t.equal(lines.length, 2);
  const json = JSON.parse(lines[0]) as ReplayLine;
  t.equal(json.benchmark, 'replay');
  t.equal(json.unit, 'packets/s');
  t.equal(json.baseline, 'tshark -q -z rtp,streams');
  t.ok(json.ours > 0 && Number.isFinite(json.ours));
  t.ok(json.realTimePerCore > 1, `faster than real time (${json.realTimePerCore}x)`);
  if (json.skipped === true) {
    t.match(json.reason, /tshark/);
  } else {
    t.ok((json.baselineValue ?? 0) > 0 && (json.ratio ?? 0) > 0, 'tshark measured, ratio positive');
    t.ok(json.ratioExcludingStartup === null || (json.ratioExcludingStartup ?? 0) > 0, 'start-up-excluded ratio positive or n/a');
  }
  const text = formatReplayBenchmark(results, false);
  t.equal(text.length, 2);
  for (const line of text)
    t.match(
      line,
      /^replay(-fixtures)?: .+: ours \d+ packets\/s \(\d+x real time per core\)(, tshark -q -z rtp,streams \d+ packets\/s, ratio \d+\.\d\d; excluding tshark's start-up \(\d+ ms per file\) (\d+ packets\/s, ratio \d+\.\d\d|n\/a .+)|; tshark -q -z rtp,streams skipped \(.+\))$/,
    );
});

t.test('the long capture is one continuous call: digits repeat, nothing lost', async (t) => {
  const { pcap } = buildLongCapture(readFileSync(join(projectRoot(), 'fixtures/rtp/pcmu.pcapng')), 3);
  const result = await replayCapture(pcap, 'long.pcap');
  t.equal(result.streams.length, 2);
  for (const s of result.streams) {
    t.equal(s.lost, 0);
    t.equal(s.duplicates, 0);
  }
  const caller = result.streams.find((s) => s.id.srcPort === 10000);
  t.equal(caller?.digits.map((d) => d.digit).join(''), '1474929'.repeat(3));
});
