// Scale-out: several instances behind Kamailio (examples/kamailio/kamailio.cfg, run for real).
// Calls placed through Kamailio spread over both instances; an instance that stops (SIGTERM:
// 503 to new calls, calls in progress go on to their BYE, then gone) finishes its calls while
// Kamailio sends every new call to the other one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Kamailio, kamailioAvailable, KAMAILIO, KAMAILIO_CFG, checkKamailioConfig } from '../helpers/kamailio.js';
import { FakeSipInstance, SipCaller, freeUdpPort, type PlacedCall } from '../helpers/sip-peer.js';

/**
 * One instance behind the balancer. This is the one place to swap the stand-in for a real
 * `toneguard serve --config X` (sip.listen 127.0.0.1:PORT): `answered` from its KPIs or
 * /metrics, `stop` = SIGTERM and wait for the exit, `kill` = SIGKILL.
 */
interface Backend {
  readonly port: number;
  /** Calls this instance answered, by its own count. */
  answered(): Promise<number>;
  /** New calls it refused (503) while draining. */
  refused(): Promise<number>;
  /** SIGTERM semantics: refuse new calls (503), finish the open ones, exit. Resolves on exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

async function startBackend(port: number): Promise<Backend> {
  const instance = await FakeSipInstance.start(port);
  return {
    port: instance.port,
    answered: async () => instance.answered,
    refused: async () => instance.refused,
    stop: () => instance.drain(),
    kill: () => instance.close(),
  };
}

const isRoot = process.getuid?.() === 0;
if (!kamailioAvailable() && !isRoot) {
  t.plan(0, `${KAMAILIO} missing (Debian package kamailio; scripts/install-test-tools.sh installs it as root)`);
  process.exit(0);
}

t.test('the example config passes kamailio -c', async (t) => {
  const r = checkKamailioConfig(KAMAILIO_CFG);
  t.ok(r.ok, r.output.slice(-2000));
  t.match(r.output, /config file ok/);
});

t.test('calls spread over two instances through Kamailio; a stopping instance finishes its calls and new ones go to the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-kamailio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [a, b] = await Promise.all([startBackend(await freeUdpPort()), startBackend(await freeUdpPort())]);
  t.teardown(() => Promise.all([a.kill(), b.kill()]));
  const started = performance.now();
  const kamailio = await Kamailio.start({ dir, port: await freeUdpPort(), backends: [`sip:127.0.0.1:${a.port}`, `sip:127.0.0.1:${b.port}`], pingIntervalS: 1, failoverMs: 1000 });
  t.teardown(() => kamailio.stop());
  t.comment(`kamailio ready in ${(performance.now() - started).toFixed(0)} ms`);
  const caller = await SipCaller.open(kamailio.port);
  t.teardown(() => caller.close());

  const tally = (calls: readonly PlacedCall[]) => ({ a: calls.filter((c) => c.answeredBy === a.port).length, b: calls.filter((c) => c.answeredBy === b.port).length });

  // 20 calls, 4 at a time: answered, ACKed, hung up through Kamailio.
  const first: PlacedCall[] = [];
  const byeStatuses: number[] = [];
  for (let batch = 0; batch < 5; batch++) {
    const calls = await Promise.all([0, 1, 2, 3].map(() => caller.call()));
    first.push(...calls);
    byeStatuses.push(...(await Promise.all(calls.map((c) => c.hangUp()))));
  }
  const spread = tally(first);
  t.comment(`20 calls: ${spread.a} on A, ${spread.b} on B; setup ${Math.max(...first.map((c) => c.setupMs)).toFixed(0)} ms at most`);
  t.equal(spread.a + spread.b, 20, 'every call answered by one of the instances');
  t.ok(spread.a >= 5 && spread.b >= 5, `round-robin spreads the calls (${spread.a}/${spread.b})`);
  t.same(byeStatuses, new Array(20).fill(200), 'every BYE reached the instance that answered (record-route)');
  t.equal((await a.answered()) + (await b.answered()), 20, 'the instances count 20 calls between them');
  t.equal(await a.answered(), spread.a, "A's own count matches what the caller saw");

  // A call in progress on A, then A is stopped (SIGTERM).
  let onA: PlacedCall | undefined;
  const extra: PlacedCall[] = [];
  for (let i = 0; i < 4 && !onA; i++) {
    const c = await caller.call();
    if (c.answeredBy === a.port) onA = c;
    else extra.push(c);
  }
  if (!onA) throw new Error('no call landed on A');
  const aStopped = a.stop();
  let aGone = false;
  void aStopped.then(() => {
    aGone = true;
  });

  const during: PlacedCall[] = [];
  for (let i = 0; i < 10; i++) during.push(await caller.call());
  t.same(tally(during), { a: 0, b: 10 }, 'while A drains, every new call goes to B');
  t.comment(`setup while A drains: ${during.map((c) => c.setupMs.toFixed(0)).join(', ')} ms`);
  t.notOk(aGone, 'A is still up: its call is not over');
  t.ok((await a.refused()) >= 1, `new calls reached A while it drained and failed over to B on its 503 (${await a.refused()})`);
  t.equal(await onA.hangUp(), 200, "A's call ends normally (BYE through Kamailio to A)");
  await aStopped;
  t.ok(aGone, 'A exits once its last call ended');

  // A is gone (no answer at all); probing has marked it down: new calls go to B without a timeout.
  await new Promise((r) => setTimeout(r, 1500));
  const after: PlacedCall[] = [];
  for (let i = 0; i < 6; i++) after.push(await caller.call());
  t.same(tally(after), { a: 0, b: 6 }, 'after A stopped, every new call goes to B');
  t.ok(
    after.every((c) => c.setupMs < 900),
    `no failover timeout once A is marked down (${after.map((c) => c.setupMs.toFixed(0)).join(', ')} ms)`,
  );
  for (const c of [...extra, ...during, ...after]) t.equal(await c.hangUp(), 200);
  t.comment(`scenario took ${(performance.now() - started).toFixed(0)} ms`);
});
