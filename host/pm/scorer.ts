/**
 * Window in, score out: the DSP front-end (host/pm/features.ts), normalization and quantization
 * per the model's edgerun.pm metadata, one inference, and the score rule (host/pm/model_meta.ts).
 */
import { InputError, ModelError } from '../errors.js';
import type { KernelFlavor } from '../run/kernels.js';
import type { ModelRunner, RunnerFrontEnd } from '../run/runner.js';
import type { Runtime } from '../run/runtimes/runtime.js';
import { createFeatureExtractor, type FeatureExtractor, type FeaturePlan, planFeatures } from './features.js';
import type { PmMeta } from './model_meta.js';

export interface WindowScore {
  score: number;
  /** anomaly / rul: "anomaly" or "normal"; classify: the most probable class. */
  label: string;
  anomaly: boolean;
  /** Classify only: class probabilities, dequantized. */
  probabilities?: number[];
}

export interface ScorerTiming {
  windows: number;
  featuresMs: number;
  modelMs: number;
}

export interface Scorer {
  readonly meta: PmMeta;
  readonly featureCount: number;
  readonly plan: FeaturePlan;
  readonly timing: ScorerTiming;
  /** Scores one window (windowSize x channels samples, interleaved); null while the context fills. */
  push(samples: ArrayLike<number>): WindowScore | null;
  /** Forgets the context and the model's recurrent state. */
  reset(): void;
}

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The runner's own front-end (a compiled module's) when it was built for these features (hop
 *  aside), normalization and context; else null and the host computes them. */
function frontEndFor(runner: ModelRunner, meta: PmMeta): RunnerFrontEnd | null {
  const fe = runner.frontEnd;
  if (!fe) return null;
  const key = (m: PmMeta) => {
    const spec = { ...m.features, hop: 0 };
    return JSON.stringify([spec, m.normalize, m.context], [...Object.keys(spec), 'mean', 'std'].sort());
  };
  return key(fe.pm) === key(meta) ? fe : null;
}

/** Checks that the model's tensors fit the metadata; the runner must be fresh (not shared). */
export function createScorer(runner: ModelRunner, meta: PmMeta, options: { kernels?: KernelFlavor; runtime?: Runtime; where?: string } = {}): Scorer {
  const where = options.where ?? 'model';
  if (runner.inputs.length !== 1 || runner.outputs.length < 1) throw new ModelError(`${where}: a scoring model has one input and at least one output, this one ${runner.inputs.length} and ${runner.outputs.length}`);
  const input = runner.inputs[0];
  const output = runner.outputs[0];
  for (const t of [input, output]) {
    if (t.dtype !== 'int8') throw new ModelError(`${where}: tensor ${JSON.stringify(t.name)} is ${t.dtype}; scoring needs int8 input and output`);
    if (!(t.scale > 0)) throw new ModelError(`${where}: tensor ${JSON.stringify(t.name)} has no quantization scale`);
  }
  const plan = planFeatures(meta.features);
  const featureCount = plan.featureCount;
  const inputCount = meta.context * featureCount;
  if (elements(input.shape) !== inputCount) {
    throw new InputError(`${where}: the model takes ${elements(input.shape)} input values, the features give ${meta.context} x ${featureCount} = ${inputCount}`);
  }
  const outputCount = elements(output.shape);
  if (meta.score === 'mse' && outputCount !== inputCount) throw new ModelError(`${where}: an autoencoder's output (${outputCount} values) must match its input (${inputCount})`);
  if (meta.score === '1-p0' && outputCount !== meta.labels!.length) throw new ModelError(`${where}: ${meta.labels!.length} labels for ${outputCount} class outputs`);

  const inData = input.data as Int8Array;
  const outData = output.data as Int8Array;
  const { scale: inScale, zeroPoint: inZp } = input;
  const { scale: outScale, zeroPoint: outZp } = output;
  const { mean, std } = meta.normalize;
  const frontEnd = frontEndFor(runner, meta);
  // The host's own front-end, only when the runner has none for these features.
  let extractor: FeatureExtractor | null = null;
  // Quantized feature vectors of the context, oldest first (the module's own, with a front-end).
  const history = frontEnd ? frontEnd.quantized : new Int8Array(inputCount);
  let filled = 0;
  const timing: ScorerTiming = { windows: 0, featuresMs: 0, modelMs: 0 };

  const quantizeInto = (features: Float32Array, at: number) => {
    for (let i = 0; i < featureCount; i++) {
      const v = (features[i] - mean[i]) / std[i] / inScale;
      // Round half away from zero, then clamp: TFLite's quantization of a float.
      const q = Math.sign(v) * Math.round(Math.abs(v)) + inZp;
      history[at + i] = q < -128 ? -128 : q > 127 ? 127 : q;
    }
  };

  const scoreOf = (): WindowScore => {
    if (meta.score === 'mse') {
      let sum = 0;
      for (let i = 0; i < inputCount; i++) {
        // `history`, not the input tensor: the arena may reuse the input's bytes for later tensors.
        const d = (outData[i] - outZp) * outScale - (history[i] - inZp) * inScale;
        sum += d * d;
      }
      const score = sum / inputCount;
      const anomaly = score > meta.threshold;
      return { score, label: anomaly ? 'anomaly' : 'normal', anomaly };
    }
    if (meta.score === '1-p0') {
      const probabilities = Array.from(outData, (q) => (q - outZp) * outScale);
      let best = 0;
      for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
      const score = 1 - probabilities[0];
      return { score, label: meta.labels![best], anomaly: score > meta.threshold, probabilities };
    }
    const score = (outData[0] - outZp) * outScale * meta.rulScaleS!;
    const anomaly = score < meta.threshold;
    return { score, label: anomaly ? 'anomaly' : 'normal', anomaly };
  };

  /** The host path: features, then the context shifted and written to the input tensor when full. */
  const pushHost = (samples: ArrayLike<number>): boolean => {
    extractor ??= createFeatureExtractor(meta.features, { kernels: options.kernels, runtime: options.runtime });
    const features = extractor.compute(samples);
    if (filled === meta.context) {
      history.copyWithin(0, featureCount);
      filled--;
    }
    quantizeInto(features, filled * featureCount);
    filled++;
    if (filled < meta.context) return false;
    inData.set(history);
    return true;
  };

  return {
    meta, featureCount, plan, timing,
    push(samples) {
      const t0 = performance.now();
      const ready = frontEnd ? frontEnd.push(samples) : pushHost(samples);
      const t1 = performance.now();
      timing.featuresMs += t1 - t0;
      if (!ready) return null;
      runner.invoke();
      const result = scoreOf();
      timing.modelMs += performance.now() - t1;
      timing.windows++;
      return result;
    },
    reset() {
      filled = 0;
      runner.reset();
    },
  };
}
