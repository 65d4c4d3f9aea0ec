// The fixed-port plan of the test suite (test/helpers/ports.ts): files running at once in
// different tap job slots never share a port, slot 0 keeps the numbers as written, and each slot's
// ports stay clear of the defaults `npm start` binds and of the blocks tests bind on their own.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { TEST_PORT_SLOTS, TEST_SLOT, testPort, testPortRange } from '../helpers/ports.js';

const PLANNED: readonly (readonly [number, number])[] = [
  [4000, 5999],
  [8500, 8599],
  [30000, 33999],
  [34000, 37999],
];

function image(slot: number): Set<number> {
  const ports = new Set<number>();
  for (const [first, last] of PLANNED) for (let p = first; p <= last; p++) if (p !== 5060) ports.add(testPort(p, slot));
  return ports;
}

t.test('slot 0 keeps the numbers; other slots move them', async (t) => {
  t.equal(testPort(5740, 0), 5740);
  t.equal(testPortRange('34000-34099', 0), '34000-34099');
  t.not(testPort(5740, 1), 5740);
  t.equal(testPortRange('34000-34099', 1), `${testPort(34000, 1)}-${testPort(34099, 1)}`);
  t.equal(testPort(34099, 1) - testPort(34000, 1), 99, 'a range keeps its width (even/odd RTP pairs too)');
  t.equal(testPort(34000, 1) % 2, 0);
});

t.test('the slots are disjoint, and clear of the npm start defaults and the 51000-59999 blocks', async (t) => {
  const images = Array.from({ length: TEST_PORT_SLOTS }, (_, s) => image(s));
  for (let a = 0; a < images.length; a++) {
    for (const p of images[a]) {
      for (let b = a + 1; b < images.length; b++) if (images[b].has(p)) t.fail(`port ${p} is in slot ${a} and slot ${b}`);
    }
    const reserved = [...images[a]].filter((p) => p === 5060 || p === 8080 || p === 8443 || (p >= 20000 && p <= 29999) || (p >= 51000 && p <= 59999) || p > 65535 || p < 1024);
    t.same(reserved, [], `slot ${a}: no default or reserved port`);
  }
  t.equal(images[1].size, images[0].size, 'every planned port has an image');
});

t.test('a port outside the plan, or a range across two planned ranges, is an error', async (t) => {
  t.throws(() => testPort(3999), /outside the test port plan/);
  t.throws(() => testPort(5060), /default SIP port/);
  t.throws(() => testPortRange('5000-5099'), /default SIP port/);
  t.throws(() => testPort(40000), /outside the test port plan/);
  t.throws(() => testPortRange('5990-8510'), /not inside one range/);
  t.throws(() => testPortRange('33900-34099'), /not inside one range/);
  t.throws(() => testPortRange('34000'), /FIRST-LAST/);
});

t.test('this file runs in the slot tap gave it, and tap never runs more files at once than there are slots', async (t) => {
  t.equal(TEST_SLOT, Number(process.env.TAP_JOB_ID ?? '0'));
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { tap?: { jobs?: number } };
  const jobs = pkg.tap?.jobs ?? 1;
  t.ok(jobs >= 1 && jobs <= TEST_PORT_SLOTS, `tap jobs (${jobs}) within the ${TEST_PORT_SLOTS} port slots`);
});
