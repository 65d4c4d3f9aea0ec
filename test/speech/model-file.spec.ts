// The word model file: a round trip through the int8 file form keeps the classifier's choices,
// and malformed or inconsistent files are refused with ERR_SPEECH_MODEL_FILE.
import t from 'tap';
import { checkWordModel, classifySegment, denseLayers, isSparseLayer, SEGMENT_VECTOR_LENGTH, sparseLayer, type SparseLayer, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { loadWordModel, parseWordModel, serialiseWordModel } from '../../src/speech/model-file.js';

function randomModel(seed: number): WordModel {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const layer = (inputs: number, outputs: number) => ({ inputs, outputs, weights: Float32Array.from({ length: inputs * outputs }, rnd), bias: Float32Array.from({ length: outputs }, rnd) });
  const net = () => ({
    inputMean: Float32Array.from({ length: SEGMENT_VECTOR_LENGTH }, rnd),
    inputScale: Float32Array.from({ length: SEGMENT_VECTOR_LENGTH }, () => 1 + rnd()),
    layers: [layer(SEGMENT_VECTOR_LENGTH, 16), layer(16, 4)],
  });
  return { labels: ['0', '1', 'yes', 'garbage'], networks: [net(), net()] };
}

t.test('int8 round trip keeps the posteriors within 2 %', async (t) => {
  const model = randomModel(7);
  const back = parseWordModel(JSON.parse(JSON.stringify(serialiseWordModel(model))));
  let worst = 0;
  for (let k = 0; k < 20; k++) {
    const v = Float32Array.from({ length: SEGMENT_VECTOR_LENGTH }, (_, i) => Math.sin(i * (k + 1)));
    const a = classifySegment(model, v);
    const b = classifySegment(back, v);
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  t.ok(worst < 0.02, `largest posterior change ${worst}`);
});

t.test('malformed model files are refused with a code', async (t) => {
  const good = serialiseWordModel(randomModel(3));
  const cases: Array<[string, unknown]> = [
    ['not an object', 42],
    ['wrong format', { ...good, format: 'other/1' }],
    ['weights of the wrong size', { ...good, networks: [{ ...good.networks[0], layers: [{ ...good.networks[0].layers[0], weights: 'AAAA' }, good.networks[0].layers[1]] }] }],
    ['output size differs from the labels', { ...good, labels: ['0', '1', 'garbage'] }],
    ['layers that do not chain', { ...good, networks: [{ ...good.networks[0], layers: [good.networks[0].layers[1]] }] }],
    ['non-finite values', { ...good, networks: [{ ...good.networks[0], inputMean: [Infinity] }] }],
  ];
  for (const [name, json] of cases) t.throws(() => parseWordModel(json), { code: 'ERR_SPEECH_MODEL_FILE' }, name);
  t.throws(() => loadWordModel('/nonexistent/model.json'), { code: 'ERR_SPEECH_MODEL_FILE' });
});

t.test('the shipped model loads and covers the vocabulary', async (t) => {
  const model = loadWordModel();
  for (const label of ['0', '9', 'oh', 'double', 'triple', 'pay the balance', 'yes', 'no', 'correct', 'change', 'garbage']) t.ok(model.labels.includes(label), label);
});

t.test('the shipped model keeps its convolution layers sparse and classifies as the dense form does', async (t) => {
  const model = loadWordModel();
  const dense = denseLayers(model);
  for (const net of model.networks) {
    t.same(net.layers.map(isSparseLayer), [true, true, false, false], 'the two convolutions sparse, the dense layers not');
    const stored = net.layers.reduce((sum, l) => sum + (isSparseLayer(l) ? l.values.length : l.weights.length), 0);
    const full = net.layers.reduce((sum, l) => sum + l.inputs * l.outputs, 0);
    t.ok(stored < 0.3 * full, `${stored} of ${full} weights kept`);
  }
  let s = 11;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  let differing = 0;
  for (let k = 0; k < 50; k++) {
    const v = Float32Array.from({ length: SEGMENT_VECTOR_LENGTH }, () => 8 * rnd());
    const a = classifySegment(model, v);
    const b = classifySegment(dense, v);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  }
  t.equal(differing, 0, 'identical posteriors');
  t.same(serialiseWordModel(model), serialiseWordModel(dense), 'the file form is the same from either');
});

t.test('inconsistent sparse layers are refused', async (t) => {
  const base = randomModel(5);
  const sparse = sparseLayer(base.networks[0].layers[0] as Parameters<typeof sparseLayer>[0]);
  const withFirst = (layer: SparseLayer): WordModel => ({ ...base, networks: [{ ...base.networks[0], layers: [layer, base.networks[0].layers[1]] }] });
  t.doesNotThrow(() => checkWordModel(withFirst(sparse)));
  const swapped = Uint16Array.from(sparse.columns);
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  const cases: Array<[string, SparseLayer]> = [
    ['offsets that do not cover the weights', { ...sparse, rowStart: sparse.rowStart.slice(0, -1) }],
    ['a column past the inputs', { ...sparse, columns: Uint16Array.from(sparse.columns, (c, j) => (j === 3 ? SEGMENT_VECTOR_LENGTH : c)) }],
    ['columns out of order', { ...sparse, columns: swapped }],
    ['decreasing offsets', { ...sparse, rowStart: Uint32Array.from(sparse.rowStart, (r, o) => (o === 1 ? sparse.rowStart[2] + 1 : r)) }],
    ['a non-finite weight', { ...sparse, values: Float32Array.from(sparse.values, (v, j) => (j === 0 ? NaN : v)) }],
  ];
  for (const [name, layer] of cases) t.throws(() => checkWordModel(withFirst(layer)), { code: 'ERR_SPEECH_MODEL' }, name);
});
