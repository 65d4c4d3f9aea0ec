// Training a small multilayer perceptron on CPU in plain TypeScript: ReLU hidden layers, softmax
// cross-entropy, Adam, mini-batches, dropout on the hidden layers. Enough for ~20k vectors of
// 625 inputs in a few minutes on one core.

import type { DenseLayer, WordModel } from '../../native-free-dsp/speech-classifier.js';
import { classifySegment } from '../../native-free-dsp/speech-classifier.js';
import { Rng } from './corpus.js';

export interface Example {
  vector: Float32Array;
  label: number;
}

export interface TrainOptions {
  hidden: number[];
  epochs: number;
  batch: number;
  learningRate: number;
  weightDecay: number;
  dropout: number;
  /** Standard deviation of Gaussian noise added to the normalised inputs while training. */
  inputNoise?: number;
  seed: number;
  /** Stop after this many seconds even if epochs remain. */
  maxSeconds: number;
  log?: (line: string) => void;
}

interface Layer {
  inputs: number;
  outputs: number;
  w: Float32Array;
  b: Float32Array;
  gw: Float32Array;
  gb: Float32Array;
  mw: Float32Array;
  vw: Float32Array;
  mb: Float32Array;
  vb: Float32Array;
}

export function trainMlp(examples: Example[], labels: string[], o: TrainOptions): WordModel {
  const rng = new Rng(o.seed);
  const dim = examples[0].vector.length;
  const mean = new Float32Array(dim);
  const scale = new Float32Array(dim);
  for (const e of examples) for (let i = 0; i < dim; i++) mean[i] += e.vector[i];
  for (let i = 0; i < dim; i++) mean[i] /= examples.length;
  for (const e of examples) for (let i = 0; i < dim; i++) scale[i] += (e.vector[i] - mean[i]) ** 2;
  for (let i = 0; i < dim; i++) scale[i] = 1 / Math.sqrt(scale[i] / examples.length + 1e-6);
  const xs = examples.map((e) => {
    const x = new Float32Array(dim);
    for (let i = 0; i < dim; i++) x[i] = (e.vector[i] - mean[i]) * scale[i];
    return x;
  });
  const sizes = [dim, ...o.hidden, labels.length];
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l];
    const outputs = sizes[l + 1];
    const w = new Float32Array(inputs * outputs);
    const std = Math.sqrt(2 / inputs);
    for (let i = 0; i < w.length; i++) w[i] = rng.gauss() * std;
    layers.push({
      inputs,
      outputs,
      w,
      b: new Float32Array(outputs),
      gw: new Float32Array(w.length),
      gb: new Float32Array(outputs),
      mw: new Float32Array(w.length),
      vw: new Float32Array(w.length),
      mb: new Float32Array(outputs),
      vb: new Float32Array(outputs),
    });
  }
  const acts = sizes.map((n) => new Float32Array(n));
  const grads = sizes.map((n) => new Float32Array(n));
  const masks = sizes.map((n) => new Float32Array(n));
  const order = xs.map((_, i) => i);
  const started = Date.now();
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    let correct = 0;
    const lr = o.learningRate * (epoch >= o.epochs * 0.7 ? 0.3 : 1);
    for (let start = 0; start < order.length; start += o.batch) {
      const end = Math.min(order.length, start + o.batch);
      for (const layer of layers) {
        layer.gw.fill(0);
        layer.gb.fill(0);
      }
      for (let k = start; k < end; k++) {
        const idx = order[k];
        acts[0].set(xs[idx]);
        if (o.inputNoise) for (let i = 0; i < dim; i++) acts[0][i] += o.inputNoise * rng.gauss();
        for (let l = 0; l < layers.length; l++) {
          const L = layers[l];
          const x = acts[l];
          const y = acts[l + 1];
          const hidden = l < layers.length - 1;
          for (let j = 0; j < L.outputs; j++) {
            let s = L.b[j];
            const row = j * L.inputs;
            for (let i = 0; i < L.inputs; i++) s += L.w[row + i] * x[i];
            if (hidden) {
              const keep = rng.next() >= o.dropout ? 1 / (1 - o.dropout) : 0;
              masks[l + 1][j] = s > 0 ? keep : 0;
              s = s > 0 ? s * keep : 0;
            }
            y[j] = s;
          }
        }
        const out = acts[layers.length];
        let max = -Infinity;
        for (let j = 0; j < out.length; j++) if (out[j] > max) max = out[j];
        let sum = 0;
        for (let j = 0; j < out.length; j++) sum += Math.exp(out[j] - max);
        const label = examples[idx].label;
        let best = 0;
        for (let j = 0; j < out.length; j++) {
          const p = Math.exp(out[j] - max) / sum;
          grads[layers.length][j] = p - (j === label ? 1 : 0);
          if (out[j] > out[best]) best = j;
        }
        loss += -(out[label] - max - Math.log(sum));
        if (best === label) correct++;
        for (let l = layers.length - 1; l >= 0; l--) {
          const L = layers[l];
          const x = acts[l];
          const gy = grads[l + 1];
          const gx = grads[l];
          if (l > 0) gx.fill(0);
          for (let j = 0; j < L.outputs; j++) {
            const g = gy[j];
            if (g === 0) continue;
            L.gb[j] += g;
            const row = j * L.inputs;
            for (let i = 0; i < L.inputs; i++) {
              L.gw[row + i] += g * x[i];
              if (l > 0) gx[i] += g * L.w[row + i];
            }
          }
          if (l > 0) for (let i = 0; i < L.inputs; i++) gx[i] *= masks[l][i];
        }
      }
      step++;
      const n = end - start;
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - Math.pow(b1, step);
      const c2 = 1 - Math.pow(b2, step);
      for (const L of layers) {
        adam(L.w, L.gw, L.mw, L.vw, n, lr, b1, b2, c1, c2, o.weightDecay);
        adam(L.b, L.gb, L.mb, L.vb, n, lr, b1, b2, c1, c2, 0);
      }
    }
    o.log?.(`epoch ${epoch + 1}: loss ${(loss / order.length).toFixed(4)} train accuracy ${((100 * correct) / order.length).toFixed(2)} % (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if ((Date.now() - started) / 1000 > o.maxSeconds) break;
  }
  const dense: DenseLayer[] = layers.map((L) => ({ inputs: L.inputs, outputs: L.outputs, weights: L.w, bias: L.b }));
  return { labels, networks: [{ inputMean: mean, inputScale: scale, layers: dense }] };
}

function adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, b1: number, b2: number, c1: number, c2: number, decay: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] / n + decay * w[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
  }
}

export function accuracy(model: WordModel, examples: Example[]): number {
  let ok = 0;
  for (const e of examples) {
    const p = classifySegment(model, e.vector);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    if (best === e.label) ok++;
  }
  return ok / Math.max(1, examples.length);
}
