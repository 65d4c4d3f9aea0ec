// rtp.workers: unset by default (the server starts one media worker per core), 0 keeps the media
// on the main thread, and a bad value is named by its path.
import { availableParallelism } from 'node:os';
import t from 'tap';
import { defaultConfig, parseConfig } from '../../src/config/load-config.js';
import { defaultMediaWorkers } from '../../src/media/workers/media-worker-pool.js';

t.test('rtp.workers', async (t) => {
  t.equal(defaultConfig().rtp.workers, undefined, 'unset by default');
  t.equal(defaultMediaWorkers(), availableParallelism(), 'unset: one per core');
  t.equal(parseConfig({ rtp: { workers: 0 } }).rtp.workers, 0, '0: in-process');
  t.equal(parseConfig({ rtp: { workers: 4 } }).rtp.workers, 4);
  t.throws(() => parseConfig({ rtp: { workers: -1 } }), /rtp\.workers/);
  t.throws(() => parseConfig({ rtp: { workers: 1.5 } }), /rtp\.workers/);
  t.throws(() => parseConfig({ rtp: { workers: 'two' } }), /rtp\.workers/);
});
