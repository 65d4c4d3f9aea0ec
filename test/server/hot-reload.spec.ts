// Which keys a SIGHUP may change: each hot key's apply runs when something under it changed;
// any other changed key refuses the reload, named by its dotted path.
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { changedPaths, planReload, type HotReloadable } from '../../src/server/hot-reload.js';

const hot = (path: string): HotReloadable => ({ path, apply: () => undefined });
const HOT = [hot('log.level'), hot('http.token'), hot('http.webhookSecret'), hot('sip.trustedSources')];

t.test('changed leaves, by dotted path; arrays are one leaf', async (t) => {
  t.same(changedPaths({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { b: 1, c: [1, 3] }, d: 'y' }), ['a.c', 'd']);
  t.same(changedPaths({ a: { b: 1 } }, { a: { b: 1, e: 2 } }), ['a.e'], 'an added key counts');
  t.same(changedPaths({ a: 1 }, { a: 1 }), []);
});

t.test('token, webhook key and log level apply; anything else needs a restart', async (t) => {
  const before = parseConfig({ http: { token: 'a' } });
  const rotated = planReload(before, parseConfig({ http: { token: 'b', webhookSecret: 'w' }, log: { level: 'debug' } }), HOT);
  t.same(
    rotated.apply.map((h) => h.path),
    ['log.level', 'http.token', 'http.webhookSecret'],
  );
  t.same(rotated.needRestart, []);
  const mixed = planReload(before, parseConfig({ http: { token: 'b', listen: '127.0.0.1:9999' }, clamp: { mode: 'tone' } }), HOT);
  t.same(mixed.needRestart, ['clamp.mode', 'http.listen.port'], 'every key that cannot be applied is named');
  t.same(planReload(before, parseConfig({ http: { token: 'a' } }), HOT), { apply: [], needRestart: [] }, 'the same file changes nothing');
});

t.test('a hot key covers everything under it (a list such as sip.trustedSources is one value)', async (t) => {
  const plan = planReload(parseConfig({}), parseConfig({}), HOT);
  t.same(plan.apply, []);
  const covering = [hot('gateway.credentials')];
  const next = parseConfig({ gateway: { credentials: { name: 'n', transactionKey: 'k' } } });
  t.same(planReload(parseConfig({}), next, covering).needRestart, []);
  t.same(
    planReload(parseConfig({}), next, covering).apply.map((h) => h.path),
    ['gateway.credentials'],
  );
});
