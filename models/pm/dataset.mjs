#!/usr/bin/env node
/**
 * Datasets for the predictive-maintenance models (models/pm/train.py): sensor runs from the
 * physics-based synthesizer (host/pm/synth.ts), turned into feature vectors by the WebAssembly DSP
 * front-end (host/pm/features.ts) exactly as `edgerun stream` computes them at run time, written
 * as .npy files into models/pm/data/ (git-ignored).
 *
 * A fleet of MACHINES machines (fleet seed SEED) is split by machine with splitMachines: one test
 * machine per block of five ids. Every machine, train or test, gets the same kinds of runs; the
 * training script uses train machines only for training, normalization and threshold calibration,
 * and test machines only for metrics.
 *
 *   steady/   steady runs (constant fault and severity) for the anomaly detector and the classifier,
 *             features FEATURE_SPEC:
 *               healthy: HEALTHY_RUNS runs of HEALTHY_S seconds (run ids 0..),
 *               each fault of FAULTS[1..] (inner, outer, ball, imbalance, misalignment, looseness):
 *               FAULT_RUNS runs of FAULT_S seconds, severity uniform in SEVERITY (0.2..1), and
 *               SUBTLE_RUNS more with severity uniform in SUBTLE (0.05..0.2) (reported apart)
 *   degrade/  degradation runs for the remaining-useful-life regressor, features RUL_SPEC: per
 *             machine DEGRADE_RUNS runs of a bearing fault (inner, outer or ball), initial severity
 *             uniform in DEGRADE_S0, life uniform in DEGRADE_LIFE_S seconds, run to failure
 *
 * Windows: windowSize samples starting every hop samples from the start of each run (as a stream
 * would see them), all five-channel samples of the run synthesized first. Labels per window: fault
 * index into FAULTS (0 healthy), severity (at the window's last sample; 0 for healthy), RUL
 * (seconds from the window's last sample to failure; -1 outside degradation runs).
 *
 * Files per set: X.npy float32 [N, F] features (channel-major, names in meta.json), fault.npy
 * int32, machine.npy int32, test.npy int8 (1 = test machine), run.npy int32 (a run number unique
 * in the set: windows of one run share it, in time order), severity.npy float32, rul.npy float32,
 * life.npy float32 (seconds; 0 outside degradation runs), meta.json (specs, names, config, counts).
 *
 * Deterministic: the synthesizer is seeded; severities and lives come from a seeded PRNG per
 * (machine, kind, index); machines are processed in parallel by worker threads but written in
 * machine order, so the files do not depend on --jobs.
 *
 * Usage: node models/pm/dataset.mjs [--only steady|degrade] [--machines N] [--jobs N] [--out DIR]
 * (after `npm run build`). Progress on stderr.
 */
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', '..', 'dist', 'host');
const { synthesize, splitMachines, FAULTS } = await import(join(DIST, 'pm', 'synth.js'));
const { createFeatureExtractor, planFeatures } = await import(join(DIST, 'pm', 'features.js'));
const { writeNpy } = await import(join(DIST, 'io', 'npy.js'));

export const SEED = 1;
export const MACHINES = 200;
export const RATE = 10000;
/** CSV columns feeding the feature channels, in order. */
export const COLUMNS = ['ax', 'ay', 'az'];

/**
 * Per channel: 5 stats (mean, rms, peak, crest, kurtosis), 40 log-spaced band energies 8 Hz..5 kHz
 * (1 bin wide at the shaft harmonics, a few hundred Hz at the resonances), 48 envelope-spectrum
 * bands over 0..600 Hz of the 1.6..4.8 kHz band-pass (the structural resonances the bearing
 * impacts ring sit at 1.8..4 kHz); ln of the energies. 3 x 93 = 279 features.
 */
export const FEATURE_SPEC = {
  windowSize: 4096, hop: 2048, sampleRate: RATE, channels: COLUMNS.length,
  features: ['stats', 'bands', 'envelope'],
  bands: 40, bandRange: [8, 5000], bandScale: 'log',
  envelopeBand: [1600, 4800], envelopeBands: 48, envelopeRange: [0, 600],
  log: true, logFloor: 1e-10,
};
/**
 * The RUL regressor's features, one window per second: per channel the 5 stats and 12 log-spaced
 * band energies 8 Hz..5 kHz. 3 x 17 = 51 features.
 */
export const RUL_SPEC = {
  windowSize: 4096, hop: RATE, sampleRate: RATE, channels: COLUMNS.length,
  features: ['stats', 'bands'], bands: 12, bandRange: [8, 5000], bandScale: 'log', log: true, logFloor: 1e-10,
};

const HEALTHY_RUNS = 8;
const HEALTHY_S = 3;
const FAULT_RUNS = 4;
const FAULT_S = 2;
const SEVERITY = [0.2, 1];
const SUBTLE_RUNS = 1;
const SUBTLE = [0.05, 0.2];
const DEGRADE_RUNS = 2;
const DEGRADE_FAULTS = ['inner', 'outer', 'ball'];
const DEGRADE_S0 = [0.03, 0.08];
const DEGRADE_LIFE_S = [60, 180];

/** mulberry32 over a string key: the dataset's own draws (severities, lives), independent of the synthesizer's. */
function prng(key) {
  let s = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) s = Math.imul(s ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uniform = (r, [lo, hi]) => lo + (hi - lo) * r();
const round4 = (x) => Math.round(x * 1e4) / 1e4;

/** The runs of one machine in one set: synthesizer options plus labels. */
function runsOf(set, machine) {
  const runs = [];
  let run = 0;
  if (set === 'steady') {
    for (let i = 0; i < HEALTHY_RUNS; i++) runs.push({ fault: 'healthy', run: run++, duration: HEALTHY_S });
    for (const fault of FAULTS.slice(1)) {
      const r = prng(`${SEED}/steady/${machine}/${fault}`);
      for (let i = 0; i < FAULT_RUNS; i++) runs.push({ fault, run: run++, duration: FAULT_S, severity: round4(uniform(r, SEVERITY)) });
      for (let i = 0; i < SUBTLE_RUNS; i++) runs.push({ fault, run: run++, duration: FAULT_S, severity: round4(uniform(r, SUBTLE)), subtle: true });
    }
  } else {
    const r = prng(`${SEED}/degrade/${machine}`);
    for (let i = 0; i < DEGRADE_RUNS; i++) {
      const fault = DEGRADE_FAULTS[Math.floor(r() * DEGRADE_FAULTS.length)];
      const severity = round4(uniform(r, DEGRADE_S0));
      const life = Math.round(uniform(r, DEGRADE_LIFE_S));
      runs.push({ fault, run: 1000 + i, duration: life, degrade: life, severity });
    }
  }
  return runs;
}

/** Features and labels of every window of one machine's runs in a set. */
function machineData(set, machine, spec) {
  const fx = createFeatureExtractor(spec);
  const n = spec.windowSize;
  const channels = COLUMNS.length;
  const buf = new Float32Array(n * channels);
  const rows = [];
  const labels = { fault: [], severity: [], rul: [], life: [], runIndex: [], subtle: [] };
  runsOf(set, machine).forEach((opt, runIndex) => {
    const s = synthesize({ seed: SEED, machine, run: opt.run, fault: opt.fault, severity: opt.severity, duration: opt.duration, degrade: opt.degrade, rate: RATE });
    const cols = COLUMNS.map((c) => s[c]);
    const life = opt.degrade ?? 0;
    const s0 = opt.severity ?? 0;
    for (let start = 0; start + n <= s.meta.samples; start += spec.hop) {
      for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) buf[i * channels + c] = cols[c][start + i];
      rows.push(fx.compute(buf));
      const t = (start + n - 1) / RATE; // the window's last sample, as the synthesizer labels windows
      labels.fault.push(FAULTS.indexOf(opt.fault));
      labels.severity.push(opt.fault === 'healthy' ? 0 : opt.degrade ? s0 * Math.exp((t / life) * Math.log(1 / s0)) : s0);
      labels.rul.push(opt.degrade ? life - t : -1);
      labels.life.push(life);
      labels.runIndex.push(runIndex);
      labels.subtle.push(opt.subtle ? 1 : 0);
    }
  });
  const f = fx.plan.featureCount;
  const X = new Float32Array(rows.length * f);
  rows.forEach((r, i) => X.set(r, i * f));
  return { X, ...labels, windows: rows.length, runs: labels.runIndex.length ? labels.runIndex.at(-1) + 1 : 0 };
}

if (!isMainThread) {
  const { set, spec, machines } = workerData;
  for (const machine of machines) {
    const d = machineData(set, machine, spec);
    parentPort.postMessage({ machine, d }, [d.X.buffer]);
  }
} else {
  await main();
}

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
}

async function main() {
  if (process.argv.includes('--help')) {
    process.stdout.write('Usage: node models/pm/dataset.mjs [--only steady|degrade] [--machines N] [--jobs N] [--out DIR]\n');
    return;
  }
  const only = arg('--only', null);
  const count = Number(arg('--machines', MACHINES));
  const jobs = Math.max(1, Number(arg('--jobs', Math.min(2, availableParallelism()))));
  const out = arg('--out', join(HERE, 'data'));
  const sets = only ? [only] : ['steady', 'degrade'];
  for (const set of sets) if (!['steady', 'degrade'].includes(set)) throw new Error(`unknown set ${set}`);
  const split = splitMachines(SEED, count);
  const testSet = new Set(split.test);
  for (const set of sets) {
    const spec = set === 'steady' ? FEATURE_SPEC : RUL_SPEC;
    const plan = planFeatures(spec);
    const t0 = Date.now();
    const results = new Array(count);
    let done = 0;
    const ids = Array.from({ length: count }, (_, i) => i);
    await Promise.all(Array.from({ length: jobs }, (_, j) => new Promise((resolve, reject) => {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { set, spec, machines: ids.filter((i) => i % jobs === j) } });
      w.on('message', ({ machine, d }) => {
        results[machine] = d;
        done++;
        const el = (Date.now() - t0) / 1000;
        process.stderr.write(`\r${set}: ${done}/${count} machines, ${el.toFixed(0)} s elapsed, ~${((el / done) * (count - done)).toFixed(0)} s left   `);
      });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
    })));
    process.stderr.write('\n');
    const N = results.reduce((s, d) => s + d.windows, 0);
    const F = plan.featureCount;
    const X = new Float32Array(N * F);
    const cols = { fault: new Int32Array(N), machine: new Int32Array(N), test: new Int8Array(N), run: new Int32Array(N), severity: new Float32Array(N), rul: new Float32Array(N), life: new Float32Array(N), subtle: new Int8Array(N) };
    let row = 0;
    let runBase = 0;
    for (let m = 0; m < count; m++) {
      const d = results[m];
      X.set(d.X, row * F);
      for (let i = 0; i < d.windows; i++, row++) {
        cols.fault[row] = d.fault[i];
        cols.machine[row] = m;
        cols.test[row] = testSet.has(m) ? 1 : 0;
        cols.run[row] = runBase + d.runIndex[i];
        cols.severity[row] = d.severity[i];
        cols.rul[row] = d.rul[i];
        cols.life[row] = d.life[i];
        cols.subtle[row] = d.subtle[i];
      }
      runBase += d.runs;
    }
    const dir = join(out, set);
    mkdirSync(dir, { recursive: true });
    const save = (name, dtype, shape, a) => {
      const tmp = join(dir, `${name}.npy.tmp`);
      writeFileSync(tmp, writeNpy(dtype, shape, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
      renameSync(tmp, join(dir, `${name}.npy`));
    };
    save('X', 'float32', [N, F], X);
    save('fault', 'int32', [N], cols.fault);
    save('machine', 'int32', [N], cols.machine);
    save('test', 'int8', [N], cols.test);
    save('run', 'int32', [N], cols.run);
    save('severity', 'float32', [N], cols.severity);
    save('rul', 'float32', [N], cols.rul);
    save('life', 'float32', [N], cols.life);
    save('subtle', 'int8', [N], cols.subtle);
    const meta = {
      set, seed: SEED, machines: count, split, rate: RATE, columns: COLUMNS, features: spec, featureCount: F, names: plan.names,
      faults: FAULTS, windows: N, runs: runBase,
      config: set === 'steady'
        ? { healthyRuns: HEALTHY_RUNS, healthyS: HEALTHY_S, faultRuns: FAULT_RUNS, faultS: FAULT_S, severity: SEVERITY, subtleRuns: SUBTLE_RUNS, subtle: SUBTLE }
        : { degradeRuns: DEGRADE_RUNS, faults: DEGRADE_FAULTS, initialSeverity: DEGRADE_S0, lifeS: DEGRADE_LIFE_S },
    };
    writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    process.stderr.write(`${set}: ${N} windows x ${F} features from ${runBase} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${dir}\n`);
  }
}
