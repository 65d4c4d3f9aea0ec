// Word classifier for one segment: a fixed-length vector from the segment's MFCCs, then small
// networks of dense layers (ReLU hidden layers, softmax output) whose weights come from a model
// file. A convolutional network trained offline arrives here in the same dense form (each
// convolution as its Toeplitz matrix, scripts/speech/train_torch.py). A loaded model keeps such
// mostly-zero matrices as their non-zero weights by row (`sparseLayers`): the shipped CNNs'
// convolution matrices are 79-88 % zeros, so a word costs a fraction of the dense form's work
// and memory, with the same posteriors (only exact zeros are left out, in the same order).
//
// Segment vector: c1..c12 as they are (subtracting their mean over a segment as short as one word
// would remove most of its vowel; measured no better on held-out speakers), c0 relative to the
// segment's loudest frame (level independence), first differences by the +-2 frame regression, all resampled by linear
// interpolation to SEGMENT_STEPS time steps, plus the log duration. The model's own mean and
// standard deviation then normalise every input.

import { MFCC_COEFFS } from './speech-features.js';

export const SEGMENT_STEPS = 24;
export const SEGMENT_VECTOR_LENGTH = SEGMENT_STEPS * MFCC_COEFFS * 2 + 1;
const DELTA_SPAN = 2;

/** The model file held an unusable layer or vector. */
export class SpeechModelError extends Error {
  readonly code = 'ERR_SPEECH_MODEL';
  constructor(message: string) {
    super(`speech model: ${message}`);
    this.name = 'SpeechModelError';
  }
}

export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** outputs x inputs, row-major. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** A layer's non-zero weights by row (compressed sparse rows), columns increasing in each row. */
export interface SparseLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** outputs + 1 offsets into `columns` and `values`: row o is [rowStart[o], rowStart[o + 1]). */
  readonly rowStart: Uint32Array;
  readonly columns: Uint16Array;
  readonly values: Float32Array;
  readonly bias: Float32Array;
}

export type NetworkLayer = DenseLayer | SparseLayer;

/** One perceptron: input normalisation and dense layers. */
export interface WordNetwork {
  readonly inputMean: Float32Array;
  readonly inputScale: Float32Array;
  readonly layers: readonly NetworkLayer[];
}

/** A layer is kept sparse when at most this share of its weights is non-zero. */
export const SPARSE_MAX_DENSITY = 0.5;

/** Labels and one or more networks, whose posteriors are combined by geometric mean. */
export interface WordModel {
  readonly labels: readonly string[];
  readonly networks: readonly WordNetwork[];
}

/** Fixed-length vector of a segment given frame-major MFCCs (frames x 13). */
export function segmentVector(mfcc: Float32Array, frames: number, out: Float32Array = new Float32Array(SEGMENT_VECTOR_LENGTH)): Float32Array {
  const c = MFCC_COEFFS;
  if (frames < 1) {
    out.fill(0);
    return out;
  }
  const norm = new Float32Array(frames * c);
  let maxE = -Infinity;
  for (let f = 0; f < frames; f++) if (mfcc[f * c] > maxE) maxE = mfcc[f * c];
  for (let f = 0; f < frames; f++) {
    norm[f * c] = mfcc[f * c] - maxE;
    for (let k = 1; k < c; k++) norm[f * c + k] = mfcc[f * c + k];
  }
  const delta = new Float32Array(frames * c);
  const denom = 2 * (1 + 4); // sum of n^2 for n = 1..DELTA_SPAN, doubled
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < c; k++) {
      let d = 0;
      for (let n = 1; n <= DELTA_SPAN; n++) {
        const a = Math.min(frames - 1, f + n);
        const b = Math.max(0, f - n);
        d += n * (norm[a * c + k] - norm[b * c + k]);
      }
      delta[f * c + k] = d / denom;
    }
  }
  for (let t = 0; t < SEGMENT_STEPS; t++) {
    const pos = frames === 1 ? 0 : (t * (frames - 1)) / (SEGMENT_STEPS - 1);
    const i0 = Math.floor(pos);
    const i1 = Math.min(frames - 1, i0 + 1);
    const w = pos - i0;
    for (let k = 0; k < c; k++) {
      out[t * 2 * c + k] = (1 - w) * norm[i0 * c + k] + w * norm[i1 * c + k];
      out[t * 2 * c + c + k] = (1 - w) * delta[i0 * c + k] + w * delta[i1 * c + k];
    }
  }
  out[SEGMENT_VECTOR_LENGTH - 1] = Math.log(frames);
  norm.fill(0);
  delta.fill(0);
  return out;
}

/** Posterior probability of each label for a segment vector. */
export function classifySegment(model: WordModel, vector: Float32Array): Float32Array {
  if (model.networks.length === 1) return softmaxInPlace(networkOutput(model.networks[0], vector));
  // Geometric mean of the networks' posteriors: mean of their log-softmax, renormalised.
  const sum = new Float32Array(model.labels.length);
  for (const net of model.networks) {
    const y = networkOutput(net, vector);
    let max = -Infinity;
    for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
    let z = 0;
    for (let i = 0; i < y.length; i++) z += Math.exp(y[i] - max);
    const logZ = max + Math.log(z);
    for (let i = 0; i < y.length; i++) sum[i] += (y[i] - logZ) / model.networks.length;
  }
  return softmaxInPlace(sum);
}

/** The last layer's activations (logits) of one network. */
function networkOutput(model: WordNetwork, vector: Float32Array): Float32Array {
  let x = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) x[i] = (vector[i] - model.inputMean[i]) * model.inputScale[i];
  for (let l = 0; l < model.layers.length; l++) {
    const layer = model.layers[l];
    const relu = l < model.layers.length - 1;
    const y = new Float32Array(layer.outputs);
    if (isSparseLayer(layer)) {
      const { rowStart, columns, values } = layer;
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.bias[o];
        for (let j = rowStart[o], end = rowStart[o + 1]; j < end; j++) sum += values[j] * x[columns[j]];
        y[o] = relu && sum < 0 ? 0 : sum;
      }
    } else {
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.bias[o];
        const row = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) sum += layer.weights[row + i] * x[i];
        y[o] = relu && sum < 0 ? 0 : sum;
      }
    }
    x.fill(0);
    x = y;
  }
  return x;
}

export function softmaxInPlace(x: Float32Array): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = Math.exp(x[i] - max);
    sum += x[i];
  }
  for (let i = 0; i < x.length; i++) x[i] /= sum;
  return x;
}

export function isSparseLayer(layer: NetworkLayer): layer is SparseLayer {
  return 'rowStart' in layer;
}

/** The non-zero weights of a dense layer by row. */
export function sparseLayer(layer: DenseLayer): SparseLayer {
  const nonZero = countNonZero(layer.weights);
  const rowStart = new Uint32Array(layer.outputs + 1);
  const columns = new Uint16Array(nonZero);
  const values = new Float32Array(nonZero);
  const { inputs, weights } = layer;
  let j = 0;
  for (let o = 0; o < layer.outputs; o++) {
    rowStart[o] = j;
    const row = o * inputs;
    for (let i = 0; i < inputs; i++) {
      const w = weights[row + i];
      if (w === 0) continue;
      columns[j] = i;
      values[j++] = w;
    }
  }
  rowStart[layer.outputs] = j;
  return { inputs: layer.inputs, outputs: layer.outputs, rowStart, columns, values, bias: layer.bias };
}

function countNonZero(weights: Float32Array): number {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) n++;
  return n;
}

/** The dense form of a layer (what the model file holds). */
export function denseLayer(layer: NetworkLayer): DenseLayer {
  if (!isSparseLayer(layer)) return layer;
  const weights = new Float32Array(layer.inputs * layer.outputs);
  for (let o = 0; o < layer.outputs; o++) for (let j = layer.rowStart[o]; j < layer.rowStart[o + 1]; j++) weights[o * layer.inputs + layer.columns[j]] = layer.values[j];
  return { inputs: layer.inputs, outputs: layer.outputs, weights, bias: layer.bias };
}

/** The model with every layer dense (the form the model file holds; the baseline of `bench --only speech`). */
export function denseLayers(model: WordModel): WordModel {
  return { labels: model.labels, networks: model.networks.map((net) => ({ ...net, layers: net.layers.map(denseLayer) })) };
}

/** The model with every layer of at most SPARSE_MAX_DENSITY non-zero weights in sparse form. */
export function sparseLayers(model: WordModel): WordModel {
  const networks = model.networks.map((net) => ({
    ...net,
    layers: net.layers.map((layer) => {
      if (isSparseLayer(layer) || layer.inputs > 0xffff) return layer;
      return countNonZero(layer.weights) <= SPARSE_MAX_DENSITY * layer.weights.length ? sparseLayer(layer) : layer;
    }),
  }));
  return { labels: model.labels, networks };
}

/** Checks the shapes of a model built from a file (the file is input, so shapes are not trusted). */
export function checkWordModel(model: WordModel): WordModel {
  if (model.networks.length === 0) throw new SpeechModelError('no network');
  for (const net of model.networks) checkNetwork(net, model.labels.length);
  return model;
}

function checkNetwork(model: WordNetwork, labels: number): void {
  if (model.inputMean.length !== SEGMENT_VECTOR_LENGTH || model.inputScale.length !== SEGMENT_VECTOR_LENGTH)
    throw new SpeechModelError(`input normalisation must have ${SEGMENT_VECTOR_LENGTH} values`);
  let inputs = SEGMENT_VECTOR_LENGTH;
  for (const layer of model.layers) {
    if (layer.inputs !== inputs) throw new SpeechModelError(`layer expects ${layer.inputs} inputs, previous gives ${inputs}`);
    if (layer.bias.length !== layer.outputs) throw new SpeechModelError('layer bias count does not match its shape');
    if (isSparseLayer(layer)) checkSparse(layer);
    else if (layer.weights.length !== layer.inputs * layer.outputs) throw new SpeechModelError('layer weight count does not match its shape');
    for (const v of isSparseLayer(layer) ? layer.values : layer.weights) if (!Number.isFinite(v)) throw new SpeechModelError('non-finite weight');
    inputs = layer.outputs;
  }
  if (model.layers.length === 0 || inputs !== labels) throw new SpeechModelError(`output size ${inputs} differs from ${labels} labels`);
}

function checkSparse(layer: SparseLayer): void {
  const { rowStart, columns, values } = layer;
  if (rowStart.length !== layer.outputs + 1 || rowStart[0] !== 0 || rowStart[layer.outputs] !== values.length || columns.length !== values.length)
    throw new SpeechModelError('sparse layer offsets do not match its weights');
  for (let o = 0; o < layer.outputs; o++) {
    if (rowStart[o + 1] < rowStart[o]) throw new SpeechModelError('sparse layer offsets decrease');
    for (let j = rowStart[o]; j < rowStart[o + 1]; j++) {
      if (columns[j] >= layer.inputs || (j > rowStart[o] && columns[j] <= columns[j - 1])) throw new SpeechModelError('sparse layer columns out of range or order');
    }
  }
}
