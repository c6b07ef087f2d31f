/**
 * `edgerun.pm`: what a predictive-maintenance model needs besides its graph, stored in the .tflite
 * (Model.metadata entry "edgerun.pm", UTF-8 JSON) and carried into compiled modules' edgerun.meta:
 * which CSV columns feed the DSP front-end, the feature spec, per-feature normalization, how the
 * model's output becomes a score, and the calibrated threshold. README "Streaming scores".
 */
import { InputError, ModelError } from '../errors.js';
import { type FeatureSpec, planFeatures } from './features.js';

export const PM_METADATA = 'edgerun.pm';
export const PM_FORMAT = 'edgerun.pm/1';

export type PmTask = 'anomaly' | 'classify' | 'rul';
/**
 * How an inference becomes a score:
 *   mse    mean over input elements of (dequant(output) - dequant(input))^2 (autoencoder)
 *   1-p0   1 - dequant(output[0]), class 0 being healthy; the label is labels[argmax output]
 *   value  dequant(output[0]) * rulScaleS: remaining useful life, seconds
 */
export type PmScore = 'mse' | '1-p0' | 'value';

export interface PmMeta {
  format: typeof PM_FORMAT;
  task: PmTask;
  /** CSV columns feeding the feature channels, in order (features.channels of them). */
  columns: string[];
  features: FeatureSpec;
  /** Consecutive feature vectors per inference, oldest first. */
  context: number;
  /** z = (f - mean) / std per feature, then quantized with the input tensor's scale and zero point. */
  normalize: { mean: number[]; std: number[] };
  score: PmScore;
  rulScaleS?: number;
  labels?: string[];
  /** Anomaly when score > threshold (anomaly, classify) or score < threshold (rul). */
  threshold: number;
  calibration?: unknown;
  metrics?: unknown;
}

const TASK_SCORE: Record<PmTask, PmScore> = { anomaly: 'mse', classify: '1-p0', rul: 'value' };

function fail(where: string, message: string): never {
  throw new ModelError(`${where}: ${message}`);
}

function finiteArray(where: string, name: string, v: unknown, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(where, `${name} must be ${length} finite numbers (one per feature)`);
  }
  return v as number[];
}

/** Validates edgerun.pm JSON (text or parsed). `where` prefixes errors: the file or model it came from. */
export function parsePmMeta(source: string | unknown, where: string): PmMeta {
  let m: Record<string, unknown>;
  try {
    m = (typeof source === 'string' ? JSON.parse(source) : source) as Record<string, unknown>;
  } catch (e) {
    fail(where, `edgerun.pm metadata is not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(where, 'edgerun.pm metadata must be a JSON object');
  if (m.format !== PM_FORMAT) fail(where, `edgerun.pm format must be ${JSON.stringify(PM_FORMAT)}, got ${JSON.stringify(m.format)}`);
  const task = m.task as PmTask;
  if (!Object.hasOwn(TASK_SCORE, task)) fail(where, `edgerun.pm task must be anomaly, classify or rul, got ${JSON.stringify(m.task)}`);
  const score = (m.score ?? TASK_SCORE[task]) as PmScore;
  if (score !== TASK_SCORE[task]) fail(where, `edgerun.pm score for a ${task} model must be ${TASK_SCORE[task]}, got ${JSON.stringify(m.score)}`);
  const columns = m.columns;
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string' && c.length > 0) || new Set(columns).size !== columns.length) {
    fail(where, 'edgerun.pm columns must be distinct CSV column names');
  }
  const features = m.features as FeatureSpec;
  if (features === null || typeof features !== 'object') fail(where, 'edgerun.pm features must be a feature spec object');
  if (features.channels !== columns.length) fail(where, `edgerun.pm features.channels is ${features.channels} but ${columns.length} columns feed them`);
  let featureCount: number;
  try {
    featureCount = planFeatures(features).featureCount;
  } catch (e) {
    fail(where, (e as Error).message);
  }
  const context = m.context ?? 1;
  if (!Number.isInteger(context) || (context as number) < 1 || (context as number) > 4096) fail(where, `edgerun.pm context must be a whole number 1..4096, got ${JSON.stringify(m.context)}`);
  const normalize = m.normalize as PmMeta['normalize'];
  if (normalize === null || typeof normalize !== 'object') fail(where, 'edgerun.pm normalize must be {mean, std}');
  finiteArray(where, 'normalize.mean', normalize.mean, featureCount);
  finiteArray(where, 'normalize.std', normalize.std, featureCount);
  if (!normalize.std.every((s) => s > 0)) fail(where, 'normalize.std must be > 0');
  if (typeof m.threshold !== 'number' || !Number.isFinite(m.threshold)) fail(where, 'edgerun.pm threshold must be a finite number');
  const meta: PmMeta = {
    format: PM_FORMAT, task, columns: columns as string[], features, context: context as number,
    normalize: { mean: normalize.mean, std: normalize.std }, score, threshold: m.threshold,
  };
  if (task === 'rul') {
    if (typeof m.rulScaleS !== 'number' || !(m.rulScaleS > 0) || !(m.rulScaleS <= 1e12)) fail(where, 'edgerun.pm rulScaleS must be a positive number of seconds, at most 1e12');
    meta.rulScaleS = m.rulScaleS;
  }
  if (task === 'classify') {
    const labels = m.labels;
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) fail(where, 'edgerun.pm labels must list the class names (class 0 healthy)');
    meta.labels = labels as string[];
  }
  if (m.calibration !== undefined) meta.calibration = m.calibration;
  if (m.metrics !== undefined) meta.metrics = m.metrics;
  return meta;
}

/** The edgerun.pm entry of a model's metadata, or null if it has none. */
export function pmMetaOf(metadata: readonly { name: string; data: Uint8Array | null }[], where: string): PmMeta | null {
  const entry = metadata.find((m) => m.name === PM_METADATA);
  if (!entry) return null;
  if (!entry.data) fail(where, 'the edgerun.pm metadata entry has no data');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(entry.data);
  } catch {
    fail(where, 'the edgerun.pm metadata is not UTF-8');
  }
  return parsePmMeta(text, where);
}

/** Overrides from the command line: a feature spec, window and hop, threshold. Re-validated. */
export function withOverrides(meta: PmMeta, o: { features?: Partial<FeatureSpec>; window?: number; hop?: number; threshold?: number }, where: string): PmMeta {
  const features = { ...meta.features, ...o.features };
  if (o.window !== undefined) features.windowSize = o.window;
  if (o.hop !== undefined) features.hop = o.hop;
  if (o.hop === undefined && o.window !== undefined && features.hop > features.windowSize) features.hop = features.windowSize;
  if (!Number.isInteger(features.hop) || features.hop < 1 || features.hop > 10_000_000) throw new InputError(`hop must be a whole number of samples 1..10000000, got ${features.hop}`);
  try {
    planFeatures(features);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const threshold = o.threshold ?? meta.threshold;
  if (!Number.isFinite(threshold)) throw new InputError(`threshold must be a finite number, got ${o.threshold}`);
  return parsePmMeta({ ...meta, features, threshold }, where);
}
