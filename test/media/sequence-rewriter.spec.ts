// SequenceRewriter: our drops and insertions leave no gap; input loss stays a gap; late packets
// land in their hole; 16-bit wrap.
import t from 'tap';
import { SequenceRewriter } from '../../src/media/clamp/sequence-rewriter.js';

const BASE = 0x10000 + 65530; // extended, as the tracker gives them; wraps after 6

t.test('drops and insertions renumber contiguously across the wrap', async (t) => {
  const r = new SequenceRewriter();
  const out: number[] = [];
  const counts = [1, 1, 0, 0, 3, 1, 2, 0, 1, 1];
  counts.forEach((k, i) => {
    const first = r.place(BASE + i, k);
    for (let j = 0; j < k; j++) out.push((first + j) % 0x10000);
  });
  t.same(out, [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3], 'one run, wrapping');
  t.equal(
    r.offset,
    counts.reduce((a, k) => a + k - 1, 0),
  );
});

t.test('loss in the input stays a gap of the same size', async (t) => {
  const r = new SequenceRewriter();
  t.equal(r.place(BASE, 1), 65530);
  t.equal(r.place(BASE + 1, 0), 65531);
  t.equal(r.place(BASE + 4, 1), 65533, 'two lost: two numbers skipped (one less for the drop)');
});

t.test('a late packet takes the number of its hole, never one already sent', async (t) => {
  const r = new SequenceRewriter();
  r.place(BASE, 1); // 65530
  r.place(BASE + 2, 3); // BASE+1 missing: 65532, 65533, 65534
  r.place(BASE + 3, 0);
  r.place(BASE + 4, 1); // 65535
  t.equal(r.place(BASE + 1, 1), 65531, 'the hole');
  t.equal(r.place(BASE + 1, 2), -1, 'a hole holds one packet');
  t.equal(r.place(BASE + 5, 1), 0);
});

t.test('a late packet older than the history of changes is refused', async (t) => {
  const r = new SequenceRewriter();
  r.place(BASE, 1);
  for (let i = 2; i < 200; i++) r.place(BASE + i, i % 2 === 0 ? 0 : 2);
  t.equal(r.place(BASE + 1, 1), -1);
  t.equal(r.place(BASE + 200, 1), (BASE + 200 + r.offset) % 0x10000);
});
