// Networks trained offline (scripts/speech/train_torch.py writes float JSON) become a model file:
// the imported model computes the same posteriors as the float network, several networks are
// averaged, and files whose labels or shapes disagree are refused.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifySegment, SEGMENT_VECTOR_LENGTH, softmaxInPlace } from '../../native-free-dsp/speech-classifier.js';
import { parseWordModel, serialiseWordModel } from '../../src/speech/model-file.js';
import { importNetworks } from '../../scripts/speech/import-network.js';

const LABELS = ['0', '1', 'garbage'];

function floatNetwork(
  seed: number,
  hidden = 8,
): { labels: string[]; inputMean: number[]; inputScale: number[]; layers: Array<{ inputs: number; outputs: number; weights: number[]; bias: number[] }> } {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const layer = (inputs: number, outputs: number) => ({ inputs, outputs, weights: Array.from({ length: inputs * outputs }, rnd), bias: Array.from({ length: outputs }, rnd) });
  return {
    labels: LABELS,
    inputMean: Array.from({ length: SEGMENT_VECTOR_LENGTH }, rnd),
    inputScale: Array.from({ length: SEGMENT_VECTOR_LENGTH }, () => 1 + rnd()),
    layers: [layer(SEGMENT_VECTOR_LENGTH, hidden), layer(hidden, LABELS.length)],
  };
}

/** The float network by hand: normalise, ReLU hidden layers, softmax. */
function reference(net: ReturnType<typeof floatNetwork>, v: Float32Array): Float32Array {
  let x = Array.from(v, (val, i) => (val - net.inputMean[i]) * net.inputScale[i]);
  net.layers.forEach((l, k) => {
    const y = Array.from({ length: l.outputs }, (_, o) => l.bias[o] + x.reduce((sum, xi, i) => sum + l.weights[o * l.inputs + i] * xi, 0));
    x = k < net.layers.length - 1 ? y.map((a) => Math.max(0, a)) : y;
  });
  return softmaxInPlace(Float32Array.from(x));
}

t.test('an imported network, through the int8 file form, keeps the float posteriors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const net = floatNetwork(11);
  writeFileSync(join(dir, 'a.json'), JSON.stringify(net));
  const model = parseWordModel(JSON.parse(JSON.stringify(serialiseWordModel(importNetworks([join(dir, 'a.json')])))));
  t.same(model.labels, LABELS);
  let worst = 0;
  for (let k = 0; k < 10; k++) {
    const v = Float32Array.from({ length: SEGMENT_VECTOR_LENGTH }, (_, i) => Math.cos(i * (k + 2)));
    const a = reference(net, v);
    const b = classifySegment(model, v);
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  t.ok(worst < 0.02, `largest posterior difference ${worst}`);
});

t.test('several networks become one averaged model; disagreeing files are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.json'), JSON.stringify(floatNetwork(1)));
  writeFileSync(join(dir, 'b.json'), JSON.stringify(floatNetwork(2, 12)));
  t.equal(importNetworks([join(dir, 'a.json'), join(dir, 'b.json')]).networks.length, 2);
  writeFileSync(join(dir, 'other-labels.json'), JSON.stringify({ ...floatNetwork(3), labels: ['1', '0', 'garbage'] }));
  t.throws(() => importNetworks([join(dir, 'a.json'), join(dir, 'other-labels.json')]), /labels differ/);
  const bad = floatNetwork(4);
  bad.layers[1].inputs = 9;
  writeFileSync(join(dir, 'bad-shape.json'), JSON.stringify(bad));
  t.throws(() => importNetworks([join(dir, 'bad-shape.json')]), { code: 'ERR_SPEECH_MODEL' });
  t.throws(() => importNetworks([]), /no network/);
});
