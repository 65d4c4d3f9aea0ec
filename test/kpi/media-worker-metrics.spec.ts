// The per-worker gauges read the media worker pool's state at scrape time: calls per worker and
// event-loop lag (seconds; a worker that has not reported yet has no lag series).
import t from 'tap';
import { KpiMetrics } from '../../src/kpi/kpi-metrics.js';

t.test('media worker gauges follow the source at each scrape', async (t) => {
  const metrics = new KpiMetrics();
  t.notMatch(await metrics.registry.metrics(), /toneguard_media_worker_calls\{/, 'no series without workers');
  let state = [
    { index: 0, calls: 3, lagMs: 1.5 },
    { index: 1, calls: 1, lagMs: NaN },
  ];
  metrics.mediaWorkers(() => state);
  const first = await metrics.registry.metrics();
  t.match(first, /toneguard_media_worker_calls\{worker="0"\} 3/);
  t.match(first, /toneguard_media_worker_calls\{worker="1"\} 1/);
  t.match(first, /toneguard_media_worker_event_loop_lag_seconds\{worker="0"\} 0\.0015/);
  t.notMatch(first, /toneguard_media_worker_event_loop_lag_seconds\{worker="1"\}/, 'no lag before the first report');
  state = [{ index: 0, calls: 0, lagMs: 0.2 }];
  const second = await metrics.registry.metrics();
  t.match(second, /toneguard_media_worker_calls\{worker="0"\} 0/);
  t.notMatch(second, /worker="1"/, 'a series per worker of the current state only');
});
