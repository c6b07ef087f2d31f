/**
 * Predictive-maintenance models (models/pm, built by models/pm/train.py): each runs bit-exact in
 * edgerun on its committed input (TFLite BUILTIN_REF output), on both kernel modules; its
 * edgerun.pm metadata is consistent with the model; and features computed by the WebAssembly DSP
 * front-end on synthesized sensor data, normalized and quantized as the metadata says, make a
 * model input that runs and scores sensibly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../host/index.js';
import { createFeatureExtractor, planFeatures, type FeatureSpec } from '../host/pm/features.js';
import { splitMachines, synthesize, type Fault } from '../host/pm/synth.js';
import { readModel } from '../host/tflite/reader.js';
import { asBytes, firstDifference, npyBytes, ROOT } from './helpers.js';

const DIR = join(ROOT, 'models', 'pm');
const MODELS = ['anomaly_ae', 'fault_cnn', 'rul'] as const;
const TASKS = { anomaly_ae: 'anomaly', fault_cnn: 'classify', rul: 'rul' } as const;
const SCORES = { anomaly: 'mse', classify: '1-p0', rul: 'value' } as const;

interface Meta {
  format: string;
  task: 'anomaly' | 'classify' | 'rul';
  columns: string[];
  features: FeatureSpec;
  context: number;
  normalize: { mean: number[]; std: number[] };
  score: string;
  rulScaleS?: number;
  labels?: string[];
  threshold: number;
  calibration: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

const bytesOf = (name: string) => new Uint8Array(readFileSync(join(DIR, `${name}.tflite`)));

function metaOf(name: string): Meta {
  const entries = readModel(bytesOf(name)).metadata.filter((m) => m.name === 'edgerun.pm');
  assert.is(entries.length, 1, `${name}: one edgerun.pm metadata entry`);
  assert.ok(entries[0].data, `${name}: edgerun.pm has a buffer`);
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entries[0].data!)) as Meta;
}

/** q = clamp(round half away from zero (z / scale) + zero point, -128, 127). */
function quantize(z: number, scale: number, zeroPoint: number): number {
  const v = z / scale;
  return Math.min(127, Math.max(-128, Math.sign(v) * Math.floor(Math.abs(v) + 0.5) + zeroPoint));
}

test('pm models are bit-exact with TFLite BUILTIN_REF on their inputs (simd and ref kernels)', () => {
  for (const name of MODELS) {
    for (const kernels of ['simd', 'ref'] as const) {
      const it = loadModel(bytesOf(name), { kernels }).createInterpreter();
      asBytes(it.inputs[0].data).set(npyBytes(join(DIR, `${name}.input.npy`)));
      it.invoke();
      assert.is(firstDifference(asBytes(it.outputs[0].data), npyBytes(join(DIR, `${name}.expected.npy`))), -1, `${name} (${kernels})`);
    }
  }
});

test('pm model metadata (edgerun.pm) is complete and agrees with the model', () => {
  for (const name of MODELS) {
    const meta = metaOf(name);
    const model = loadModel(bytesOf(name));
    const [input, output] = [model.inputs[0], model.outputs[0]];
    assert.is(meta.format, 'edgerun.pm/1', name);
    assert.is(meta.task, TASKS[name], name);
    assert.is(meta.score, SCORES[meta.task], name);
    assert.ok(meta.columns.length > 0 && meta.columns.every((c) => ['ax', 'ay', 'az', 'current', 'temperature'].includes(c)), `${name}: columns`);
    assert.is(meta.features.channels, meta.columns.length, `${name}: channels = columns`);
    const featureCount = planFeatures(meta.features).featureCount;
    assert.is(meta.normalize.mean.length, featureCount, `${name}: normalize.mean`);
    assert.is(meta.normalize.std.length, featureCount, `${name}: normalize.std`);
    assert.ok(meta.normalize.std.every((s) => Number.isFinite(s) && s > 0), `${name}: std > 0`);
    assert.ok(meta.normalize.mean.every(Number.isFinite), `${name}: finite mean`);
    assert.ok(Number.isInteger(meta.context) && meta.context >= 1, `${name}: context`);
    if (meta.task !== 'rul') assert.is(meta.context, 1, `${name}: one feature vector per inference`);
    assert.is(input.dtype, 'int8', name);
    assert.is(output.dtype, 'int8', name);
    assert.is(input.shape.reduce((a, b) => a * b, 1), meta.context * featureCount, `${name}: input = context x features`);
    const outputs = output.shape.reduce((a, b) => a * b, 1);
    if (meta.task === 'anomaly') assert.is(outputs, meta.context * featureCount, `${name}: reconstructs its input`);
    if (meta.task === 'classify') {
      assert.is(meta.labels?.length, outputs, `${name}: one label per output`);
      assert.is(meta.labels![0], 'healthy', `${name}: class 0 is healthy`);
    }
    if (meta.task === 'rul') {
      assert.is(outputs, 1, name);
      assert.ok(typeof meta.rulScaleS === 'number' && meta.rulScaleS > 0, `${name}: rulScaleS`);
    }
    assert.ok(Number.isFinite(meta.threshold), `${name}: threshold`);
    assert.type(meta.calibration, 'object', name);
    assert.type(meta.metrics, 'object', name);
  }
});

/** Scores one synthesized run's last `context` windows through a pm model, as edgerun stream would. */
function scoreRun(name: string, machine: number, fault: Fault, severity?: number): { meta: Meta; score: number; out: number[] } {
  const meta = metaOf(name);
  const spec = meta.features;
  const K = meta.context;
  const samples = spec.windowSize + (K - 1) * spec.hop;
  const run = synthesize({ seed: 1, machine, fault, severity, duration: samples / spec.sampleRate, rate: spec.sampleRate });
  assert.is(run.meta.samples, samples);
  const fx = createFeatureExtractor(spec);
  const columns = meta.columns.map((c) => run[c as 'ax']);
  const window = new Float32Array(spec.windowSize * columns.length);
  const model = loadModel(bytesOf(name));
  const it = model.createInterpreter();
  const { scale, zeroPoint } = model.inputs[0];
  const input = it.inputs[0].data as Int8Array;
  const z: number[] = [];
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < spec.windowSize; i++) columns.forEach((col, c) => (window[i * columns.length + c] = col[k * spec.hop + i]));
    const f = fx.compute(window);
    f.forEach((v, j) => z.push((v - meta.normalize.mean[j]) / meta.normalize.std[j]));
  }
  assert.is(z.length, input.length, `${name}: feature vectors fill the input`);
  z.forEach((v, j) => (input[j] = quantize(v, scale, zeroPoint)));
  it.invoke();
  const o = model.outputs[0];
  const out = Array.from(it.outputs[0].data as Int8Array, (q) => (q - o.zeroPoint) * o.scale);
  let score: number;
  if (meta.score === 'mse') score = out.reduce((s, y, j) => s + (y - (input[j] - zeroPoint) * scale) ** 2, 0) / out.length;
  else if (meta.score === '1-p0') score = 1 - out[0];
  else score = out[0] * meta.rulScaleS!;
  assert.ok(Number.isFinite(score), `${name}: finite score`);
  return { meta, score, out };
}

test('features of synthesized sensor data, normalized and quantized per the metadata, run through each pm model', () => {
  const machine = splitMachines(1, 10).test[0]; // a test machine: never seen in training
  const healthy = scoreRun('anomaly_ae', machine, 'healthy');
  const faulty = scoreRun('anomaly_ae', machine, 'outer', 0.8);
  assert.ok(faulty.score > faulty.meta.threshold, `outer-race fault: score ${faulty.score} > threshold ${faulty.meta.threshold}`);
  assert.ok(healthy.score < faulty.score, `healthy ${healthy.score} < faulty ${faulty.score}`);
  const cls = scoreRun('fault_cnn', machine, 'outer', 0.8);
  const label = cls.meta.labels![cls.out.indexOf(Math.max(...cls.out))];
  assert.is(label, 'outer', 'diagnosed fault');
  assert.ok(cls.score > cls.meta.threshold, 'classifier flags the fault');
  const rul = scoreRun('rul', machine, 'inner', 0.9);
  assert.ok(rul.score < rul.meta.rulScaleS! * 1.5 && rul.score > -rul.meta.rulScaleS!, `RUL ${rul.score} s in range`);
});

test.run();
