// The word model file: a round trip through the int8 file form keeps the classifier's choices,
// and malformed or inconsistent files are refused with ERR_SPEECH_MODEL_FILE.
import t from 'tap';
import { classifySegment, SEGMENT_VECTOR_LENGTH, type WordModel } from '../../native-free-dsp/speech-classifier.js';
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
