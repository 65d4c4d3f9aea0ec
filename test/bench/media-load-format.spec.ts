// The media-load bench's CPU comparison: per level, each toneguard contender's CPU per packet over
// the plain relay's, only where both carried the level without loss.
import t from 'tap';
import type { MediaLoadBenchResult, MediaLoadLevel } from '../../bench/media-load-bench.js';
import { cpuRatioLines } from '../../bench/media-load-format.js';

function level(contender: MediaLoadLevel['contender'], calls: number, lost: number, cpuUsPerPacket: number): MediaLoadLevel {
  return { contender, calls, lost, cpuUsPerPacket } as unknown as MediaLoadLevel;
}

t.test('CPU per packet as a ratio to the plain relay, where both carried the level', async (t) => {
  const r = {
    workers: 2,
    serveWorkers: 1,
    io: 'native',
    levels: [level('baseline', 250, 0, 10), level('ours', 250, 0, 13), level('ours-workers', 250, 4, 12), level('serve', 250, 0, 15.5), level('baseline', 500, 7, 9), level('ours', 500, 0, 12)],
  } as unknown as MediaLoadBenchResult;
  const lines = cpuRatioLines(r);
  t.equal(lines.length, 1, 'no line for a level the relay lost packets at');
  t.match(
    lines[0],
    /^cpu per packet at 250 calls .*against plain-udp-relay \(native I\/O\) 10\.00 us: toneguard rtp\.workers=0 13\.00 us = 1\.30x; toneguard serve rtp\.workers=1 15\.50 us = 1\.55x$/,
  );
  t.notMatch(lines[0], /workers=2/, 'a contender that lost packets is left out');
});

t.test('CPU per packet also against the relay on threads, and no plain relay is a contender of another', async (t) => {
  const r = {
    workers: 2,
    serveWorkers: 2,
    io: 'native',
    levels: [
      level('baseline', 750, 0, 8),
      level('baseline-threads', 750, 0, 12),
      level('baseline-dgram', 750, 0, 16),
      level('serve', 750, 0, 15.6),
      level('baseline-threads', 1000, 0, 10),
      level('serve', 1000, 0, 13),
    ],
  } as unknown as MediaLoadBenchResult;
  const lines = cpuRatioLines(r);
  t.equal(lines.length, 3, 'one line per plain relay that carried the level');
  t.match(lines[0], /^cpu per packet at 750 calls .*against plain-udp-relay \(native I\/O\) 8\.00 us: toneguard serve rtp\.workers=2 15\.60 us = 1\.95x$/);
  t.match(lines[1], /^cpu per packet at 750 calls .*against plain-udp-relay \(native I\/O, 2 threads\) 12\.00 us: toneguard serve rtp\.workers=2 15\.60 us = 1\.30x$/);
  t.match(lines[2], /^cpu per packet at 1000 calls .*against plain-udp-relay \(native I\/O, 2 threads\) 10\.00 us: toneguard serve rtp\.workers=2 13\.00 us = 1\.30x$/);
  t.notMatch(lines.join('\n'), /node:dgram\) 16/, 'the dgram relay is not compared as a contender');
});
