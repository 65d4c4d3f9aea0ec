// Measures test-time vocal-tract warps on one held-out speaker's isolated clips (docs/speech.md,
// "Alternatives measured"): the classifier at each warp of the filter bank, posteriors averaged
// over warps, one warp chosen per speaker by mean confidence (unsupervised, as VTLN would), and
// the most confident warp per clip. Offline tooling only.
//   node --import tsx scripts/speech/test-time-warps.ts --fsdd DIR --model M.json --speaker NAME
import { parseArgs } from 'node:util';
import { classifySegment } from '../../native-free-dsp/speech-classifier.js';
import { loadWordModel } from '../../src/speech/model-file.js';
import { channel, concat, loadFsdd, Rng, silence } from './corpus.js';
import { LABELS, longestSegment, segmentAudio, vectorOf } from './dataset.js';

const { values } = parseArgs({ options: { fsdd: { type: 'string' }, model: { type: 'string' }, speaker: { type: 'string' } } });
if (!values.fsdd || !values.model || !values.speaker) throw new Error('--fsdd DIR --model FILE --speaker NAME are required');
const model = loadWordModel(values.model);
const clips = loadFsdd(values.fsdd).filter((c) => c.speaker === values.speaker);
const WARPS = [0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15];
const rng = new Rng(7);
// posts[clip][warp] = log posteriors (null when no segment)
const posts: (Float32Array | null)[][] = [];
const labels: number[] = [];
for (const c of clips) {
  const x = channel(concat([silence(400), c.samples, silence(400)]), rng, { gainDb: 0, snrDb: 70, ulaw: true });
  const row: (Float32Array | null)[] = [];
  for (const w of WARPS) {
    const s = segmentAudio(x, w);
    const main = longestSegment(s.segments.filter((g) => !g.tooLong));
    if (main === undefined) {
      row.push(null);
      continue;
    }
    const p = classifySegment(model, vectorOf(s, main));
    row.push(Float32Array.from(p, (v) => Math.log(Math.max(v, 1e-9))));
  }
  posts.push(row);
  labels.push(LABELS.indexOf(c.label));
}
const argmax = (p: Float32Array) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
  return b;
};
function acc(pick: (row: (Float32Array | null)[]) => Float32Array | null): string {
  let right = 0,
    confident = 0;
  posts.forEach((row, i) => {
    const p = pick(row);
    if (!p) return;
    const b = argmax(p);
    if (b === labels[i]) {
      right++;
      if (Math.exp(p[b]) >= 0.6) confident++;
    }
  });
  return `${((100 * right) / posts.length).toFixed(1)} % best, ${((100 * confident) / posts.length).toFixed(1)} % confident`;
}
const mean = (ps: (Float32Array | null)[]) => {
  const ok = ps.filter((p): p is Float32Array => p !== null);
  if (!ok.length) return null;
  const out = new Float32Array(ok[0].length);
  for (const p of ok) for (let k = 0; k < out.length; k++) out[k] += p[k] / ok.length;
  let m = -Infinity;
  for (const v of out) m = Math.max(m, v);
  let z = 0;
  for (const v of out) z += Math.exp(v - m);
  for (let k = 0; k < out.length; k++) out[k] -= m + Math.log(z);
  return out;
};
WARPS.forEach((w, j) => console.log(`warp ${w}: ${acc((r) => r[j])}`));
console.log(`TTA mean of all warps: ${acc(mean)}`);
console.log(`TTA 0.95/1/1.05: ${acc((r) => mean([r[2], r[3], r[4]]))}`);
console.log(`TTA 0.9-1.1: ${acc((r) => mean(r.slice(1, 6)))}`);
// Unsupervised per-speaker warp: the warp with the highest mean top posterior over this speaker's clips.
const conf = WARPS.map((_, j) => posts.reduce((a, r) => a + (r[j] ? Math.exp(r[j]![argmax(r[j]!)]) : 0), 0) / posts.length);
const best = conf.indexOf(Math.max(...conf));
console.log(`mean confidence per warp: ${conf.map((c) => c.toFixed(3)).join(' ')}; chosen ${WARPS[best]}: ${acc((r) => r[best])}`);
// Per-utterance max-confidence warp.
console.log(
  `per-clip most confident warp: ${acc((r) => {
    let bp: Float32Array | null = null;
    let bc = -Infinity;
    for (const p of r)
      if (p) {
        const c = p[argmax(p)];
        if (c > bc) {
          bc = c;
          bp = p;
        }
      }
    return bp;
  })}`,
);
