/**
 * Synthetic predictive-maintenance sensor data for rotating machines, from physics: tri-axial
 * vibration (g), motor current (A) and housing temperature (°C), seeded and reproducible, with
 * per-window labels (fault class, severity, remaining useful life) and a train/test split by machine.
 * The public API of the generator; `edgerun synth` is a thin layer over it.
 */
import { InputError } from '../errors.js';
import { bearingFrequencies, type BearingFrequencies } from './bearing.js';
import { CSV_HEADER, csvRows, type SensorBlock } from './csv.js';
import { type Channels, type Fault, FAULTS, shaftHzAt, SignalGenerator, type WindowLabel } from './generator.js';
import { type Machine, makeMachine } from './machine.js';

export { bearingFrequencies } from './bearing.js';
export type { BearingFrequencies, BearingGeometry } from './bearing.js';
export { CSV_HEADER, csvBytes, csvRows } from './csv.js';
export type { SensorBlock } from './csv.js';
export { FAULTS } from './generator.js';
export type { Channels, Fault, WindowLabel } from './generator.js';
export { machineSplit, makeMachine, SPLIT_BLOCK, splitMachines } from './machine.js';
export type { Machine, Split } from './machine.js';

export interface SynthOptions {
  /** Fleet seed, a whole number 0..4294967295: machines and noise derive from it (default 1). */
  seed?: number;
  /** Machine id, 0..999999 (default 0): its motor, bearing, resonances and sensors. */
  machine?: number;
  /** Run index, 0..999999 (default 0): another operating point and noise realization of the same machine. */
  run?: number;
  /** Fault class (default healthy). */
  fault?: Fault;
  /** Fault severity, 0 < s ≤ 1 where 1 is the failure threshold (default 0.5); in a degradation run the initial severity, < 1 (default 0.05). Not for healthy runs. */
  severity?: number;
  /** Length of the run, seconds, up to 86400 (default 10; in a degradation run, the life). */
  duration?: number;
  /** Samples per second, a whole number 1000..200000 (default 10000). */
  rate?: number;
  /** Degradation run: severity grows exponentially from `severity` to 1 at this many seconds (the life; ≥ duration). */
  degrade?: number;
  /** Samples per label window, 1..10000000 (default rate: one-second windows). */
  window?: number;
}

export interface SynthMeta {
  format: 'edgerun.synth/1';
  seed: number;
  /** The machine's parameters, with its id and split. */
  machine: Machine;
  run: number;
  fault: Fault;
  /** Severity at t = 0 (0 for healthy). */
  severity: number;
  /** Exponential growth s(t) = s0 (1 / s0)^(t / lifeS); RUL = lifeS − t. */
  degradation: { model: 'exponential'; initialSeverity: number; failureSeverity: 1; lifeS: number } | null;
  rate: number;
  samples: number;
  durationS: number;
  channels: { name: string; unit: string }[];
  /** At the run's mean load: shaft speed, supply frequency and bearing defect frequencies, Hz. */
  frequencies: { shaftHz: number; lineHz: number } & BearingFrequencies;
  meanLoad: number;
  windowSamples: number;
  /** One label per window (the last may be shorter); complete once every sample is generated. */
  windows: WindowLabel[];
}

/** A run generated block by block. */
export interface Synth {
  readonly meta: SynthMeta;
  /** The next block of at most maxSamples samples (default one second), or null at the end of the run. */
  next(maxSamples?: number): SensorBlock | null;
}

/** A whole run in memory. */
export interface SynthRun extends Channels {
  meta: SynthMeta;
}

export const CHANNELS = [
  { name: 'ax', unit: 'g' }, { name: 'ay', unit: 'g' }, { name: 'az', unit: 'g' },
  { name: 'current', unit: 'A' }, { name: 'temperature', unit: 'degC' },
];

/** Most samples synthesize() holds in memory (about 1 GB); longer runs stream through createSynth(). */
const MAX_IN_MEMORY = 50_000_000;

function wholeNumber(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) throw new InputError(`${name} must be a whole number ${lo}..${hi}, got ${value}`);
  return value;
}

function seconds(name: string, value: number): number {
  if (!(value > 0 && value <= 86400)) throw new InputError(`${name} must be a number of seconds > 0 and ≤ 86400, got ${value}`);
  return value;
}

/** Validated options with defaults filled in. */
function resolve(o: SynthOptions) {
  const fault = o.fault ?? 'healthy';
  if (!FAULTS.includes(fault)) throw new InputError(`unknown fault ${JSON.stringify(fault)} (faults: ${FAULTS.join(', ')})`);
  const seed = wholeNumber('seed', o.seed ?? 1, 0, 0xffffffff);
  const machine = wholeNumber('machine', o.machine ?? 0, 0, 999999);
  const run = wholeNumber('run', o.run ?? 0, 0, 999999);
  const rate = wholeNumber('rate', o.rate ?? 10000, 1000, 200000);
  const lifeS = o.degrade === undefined ? null : seconds('degrade', o.degrade);
  let severity = 0;
  if (fault === 'healthy') {
    if (o.severity !== undefined && o.severity !== 0) throw new InputError('a healthy run has no fault severity (leave severity out)');
    if (lifeS !== null) throw new InputError('a healthy run does not degrade: give a fault with degrade');
  } else if (lifeS === null) {
    severity = o.severity ?? 0.5;
    if (!(severity > 0 && severity <= 1)) throw new InputError(`severity must be > 0 and ≤ 1 (1 is the failure threshold), got ${severity}`);
  } else {
    severity = o.severity ?? 0.05;
    if (!(severity > 0 && severity < 1)) throw new InputError(`the initial severity of a degradation run must be > 0 and < 1, got ${severity}`);
  }
  const durationS = seconds('duration', o.duration ?? lifeS ?? 10);
  if (lifeS !== null && durationS > lifeS) throw new InputError(`duration ${durationS} s runs past the failure at degrade ${lifeS} s`);
  const samples = Math.max(1, Math.round(durationS * rate));
  const windowSamples = wholeNumber('window', o.window ?? rate, 1, 10_000_000);
  return { seed, machine: makeMachine(seed, machine), run, fault, severity, lifeS, rate, samples, durationS, windowSamples };
}

/** The generator of a resolved run, and its description. */
function start(spec: ReturnType<typeof resolve>): { generator: SignalGenerator; meta: SynthMeta } {
  const generator = new SignalGenerator(spec);
  const shaftHz = shaftHzAt(spec.machine, generator.loadMean);
  const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const defects = bearingFrequencies(spec.machine.bearing, shaftHz);
  const meta: SynthMeta = {
    format: 'edgerun.synth/1',
    seed: spec.seed,
    machine: spec.machine,
    run: spec.run,
    fault: spec.fault,
    severity: spec.severity,
    degradation: spec.lifeS === null ? null : { model: 'exponential', initialSeverity: spec.severity, failureSeverity: 1, lifeS: spec.lifeS },
    rate: spec.rate,
    samples: spec.samples,
    durationS: spec.durationS,
    channels: CHANNELS,
    frequencies: {
      shaftHz: round4(shaftHz), lineHz: spec.machine.lineHz,
      ftf: round4(defects.ftf), bpfo: round4(defects.bpfo), bpfi: round4(defects.bpfi), bsf: round4(defects.bsf),
    },
    meanLoad: generator.loadMean,
    windowSamples: spec.windowSamples,
    windows: generator.windows,
  };
  return { generator, meta };
}

function channels(n: number): Channels {
  return { ax: new Float32Array(n), ay: new Float32Array(n), az: new Float32Array(n), current: new Float32Array(n), temperature: new Float32Array(n) };
}

/** Starts a run: validates the options (InputError, one line) and describes the run in `meta`. */
export function createSynth(options: SynthOptions = {}): Synth {
  const spec = resolve(options);
  const { generator, meta } = start(spec);
  return {
    meta,
    next(maxSamples = spec.rate): SensorBlock | null {
      const n = Math.min(maxSamples, spec.samples - generator.position);
      if (n <= 0) return null;
      const block = { start: generator.position, ...channels(n) };
      generator.fill(block, 0, n);
      return block;
    },
  };
}

/** A whole run in memory (up to 50,000,000 samples; stream longer runs with createSynth). */
export function synthesize(options: SynthOptions = {}): SynthRun {
  const spec = resolve(options);
  if (spec.samples > MAX_IN_MEMORY) throw new InputError(`${spec.samples} samples is too many to hold in memory (at most ${MAX_IN_MEMORY}): stream the run with createSynth()`);
  const { generator, meta } = start(spec);
  const run = { meta, ...channels(spec.samples) };
  generator.fill(run, 0, spec.samples);
  return run;
}

/** The run as CSV text: the header line, then one row per sample. */
export function toCsv(run: SynthRun): string {
  return `${CSV_HEADER}\n${csvRows({ ...run, start: 0 }, run.meta.rate)}`;
}
