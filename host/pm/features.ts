/**
 * Feature extraction for predictive maintenance on the DSP kernels (assembly/ref/dsp.ts): a
 * FeatureSpec becomes a plan (tables computed once: Hann window, twiddles, sparse triangular
 * filter banks, scales), installed into a kernel instance's memory; then one `dsp_features` call
 * per window turns interleaved float32 samples into a feature vector.
 *
 * Feature vector: channel-major; per channel, in this order, the groups asked for:
 *   stats     mean, rms, peak, crest, kurtosis (dsp_stats: about the mean; kurtosis 3 for Gaussian)
 *   bands     `bands` band energies of the power spectrum, triangular filters with edges evenly
 *             spaced on `bandScale` (HTK mel 2595 log10(1 + f/700), linear, or log) over `bandRange`
 *   envelope  `envelopeBands` linear triangular bands over `envelopeRange` (Hz) of the envelope
 *             spectrum (amplitudes, not powers) of the `envelopeBand` band-pass: the resonance
 *             that bearing impacts excite, demodulated so the impact rate (BPFO, BPFI, ...) shows
 * Band values are ln(max(E, logFloor)) when `log` (default), else E.
 * Scales: power P_k = 2 |X_k|^2 / (n sum w^2), so sum_k P_k is about the window's mean square
 * (Parseval with the Hann window); envelope spectrum = (4 / m) |E_k|, so a modulation of
 * amplitude a on the carrier's envelope shows as about a (the envelope inherits the Hann window
 * from the windowed spectrum it is computed from, hence 4/m rather than 2/m).
 */
import { BLOCKS } from '../abi/blocks.js';
import { InputError, KernelError } from '../errors.js';
import { kernelModule, type KernelFlavor } from '../run/kernels.js';
import type { KernelInstance, Runtime } from '../run/runtimes/runtime.js';
import { v8Runtime } from '../run/runtimes/v8.js';

export type FeatureGroup = 'stats' | 'bands' | 'envelope';
export type BandScale = 'mel' | 'linear' | 'log';

export interface FeatureSpec {
  /** Samples per channel in a window: a power of two, 16..65536 (256..8192 typical). */
  windowSize: number;
  /** Samples between the starts of consecutive windows (for streaming callers; 1..any). */
  hop: number;
  sampleRate: number;
  channels: number;
  /** Which groups, written in the order stats, bands, envelope whatever the order here. */
  features: FeatureGroup[];
  /** Number of spectral bands (default 32) over bandRange (Hz, default [0, sampleRate / 2]). */
  bands?: number;
  bandRange?: [number, number];
  bandScale?: BandScale;
  /** Band-pass around the structural resonance, Hz (needed for 'envelope'). */
  envelopeBand?: [number, number];
  /** Number of envelope-spectrum bands (default 16) over envelopeRange (Hz, default [0, 500]). */
  envelopeBands?: number;
  envelopeRange?: [number, number];
  log?: boolean;
  logFloor?: number;
}

export const STATS_NAMES = ['mean', 'rms', 'peak', 'crest', 'kurtosis'] as const;
const GROUP_BITS: Record<FeatureGroup, number> = { stats: 1, bands: 2, envelope: 4 };

/** Sparse filter bank: (firstBin, count) per band, weights back to back. */
export interface FilterBank {
  rows: Int32Array;
  weights: Float32Array;
  /** Centre frequency of each band, Hz. */
  centers: number[];
}

export interface FeaturePlan {
  spec: FeatureSpec;
  /** Bit mask of dsp_features' `features` field. */
  groups: number;
  featuresPerChannel: number;
  featureCount: number;
  names: string[];
  window: Float32Array;
  twiddles: Float32Array;
  bandBank: FilterBank;
  envelopeBank: FilterBank;
  /** Envelope: decimated length m and band-pass bins [low, high] of the window's spectrum. */
  envelopeSize: number;
  envelopeLow: number;
  envelopeHigh: number;
  powerScale: number;
  envelopeScale: number;
  logFloor: number;
}

const isPow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

function checkRange(name: string, r: [number, number], max: number, allowZero = true): void {
  if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || r[0] >= r[1] || r[0] < 0 || (!allowZero && r[0] <= 0) || r[1] > max) {
    throw new InputError(`feature spec: ${name} must be [low, high] Hz with ${allowZero ? '0 <=' : '0 <'} low < high <= ${max}, got ${JSON.stringify(r)}`);
  }
}

function checkCount(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`feature spec: ${name} must be a whole number ${min}..${max}, got ${v}`);
}

/**
 * Triangular filters with bands + 2 edges evenly spaced on `scale` over [low, high] Hz, sampled at
 * bins k = 0 .. binCount - 1 of frequency k * binHz; unit peak. A band too narrow to hold a bin
 * gets the bin nearest its centre with weight 1.
 */
export function triangularBank(bands: number, [low, high]: [number, number], scale: BandScale, binHz: number, binCount: number): FilterBank {
  const to = scale === 'mel' ? (f: number) => 2595 * Math.log10(1 + f / 700) : scale === 'log' ? Math.log : (f: number) => f;
  const from = scale === 'mel' ? (m: number) => 700 * (10 ** (m / 2595) - 1) : scale === 'log' ? Math.exp : (m: number) => m;
  const [a, b] = [to(low), to(high)];
  const edges = Array.from({ length: bands + 2 }, (_, i) => from(a + ((b - a) * i) / (bands + 1)));
  const rows = new Int32Array(2 * bands);
  const weights: number[] = [];
  for (let band = 0; band < bands; band++) {
    const [l, c, r] = [edges[band], edges[band + 1], edges[band + 2]];
    const row: number[] = [];
    let first = -1;
    for (let k = Math.max(0, Math.floor(l / binHz)); k < binCount && k * binHz < r; k++) {
      const f = k * binHz;
      const w = f <= l ? 0 : f <= c ? (f - l) / (c - l) : (r - f) / (r - c);
      if (w <= 0) continue;
      if (first < 0) first = k;
      row.push(w);
    }
    if (first < 0) {
      first = Math.min(binCount - 1, Math.round(c / binHz));
      row.push(1);
    }
    rows[2 * band] = first;
    rows[2 * band + 1] = row.length;
    weights.push(...row);
  }
  return { rows, weights: Float32Array.from(weights), centers: edges.slice(1, -1) };
}

/** Stage-major twiddles for FFTs up to size n (host/abi/blocks.ts): exp(-i pi j / h). */
export function twiddleTable(n: number): Float32Array {
  const t = new Float32Array(2 * (n - 1));
  for (let h = 1; h < n; h *= 2) {
    for (let j = 0; j < h; j++) {
      t[2 * (h - 1 + j)] = Math.cos((Math.PI * j) / h);
      t[2 * (h - 1 + j) + 1] = -Math.sin((Math.PI * j) / h);
    }
  }
  return t;
}

/** Periodic Hann window: w[i] = 0.5 - 0.5 cos(2 pi i / n). */
export function hannWindow(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/** Validates the spec and computes every table and scale once. Throws InputError naming the field. */
export function planFeatures(spec: FeatureSpec): FeaturePlan {
  const n = spec.windowSize;
  if (!isPow2(n) || n < 16 || n > 65536) throw new InputError(`feature spec: windowSize must be a power of two 16..65536, got ${n}`);
  checkCount('hop', spec.hop, 1, 2 ** 31 - 1);
  checkCount('channels', spec.channels, 1, 64);
  if (!(Number.isFinite(spec.sampleRate) && spec.sampleRate > 0)) throw new InputError(`feature spec: sampleRate must be > 0 Hz, got ${spec.sampleRate}`);
  if (!Array.isArray(spec.features)) throw new InputError('feature spec: features must be a list of groups (stats, bands, envelope)');
  const groups = new Set(spec.features);
  for (const g of groups) if (!Object.hasOwn(GROUP_BITS, g)) throw new InputError(`feature spec: unknown feature group ${JSON.stringify(g)} (stats, bands, envelope)`);
  if (spec.logFloor !== undefined && !(typeof spec.logFloor === 'number' && spec.logFloor > 0 && spec.logFloor <= 1)) {
    throw new InputError(`feature spec: logFloor must be a number in (0, 1], got ${JSON.stringify(spec.logFloor)}`);
  }
  if (groups.size === 0) throw new InputError('feature spec: features is empty (stats, bands, envelope)');
  const nyquist = spec.sampleRate / 2;
  const binHz = spec.sampleRate / n;
  const scale = spec.bandScale ?? 'mel';
  if (!['mel', 'linear', 'log'].includes(scale)) throw new InputError(`feature spec: bandScale must be mel, linear or log, got ${JSON.stringify(scale)}`);
  const bands = groups.has('bands') ? spec.bands ?? 32 : 0;
  const bandRange = spec.bandRange ?? [scale === 'log' ? binHz : 0, nyquist];
  if (groups.has('bands')) {
    checkCount('bands', bands, 1, n / 2 + 1);
    checkRange('bandRange', bandRange, nyquist, scale !== 'log');
  }
  const bandBank = triangularBank(bands, bandRange, scale, binHz, n / 2 + 1);
  const env = groups.has('envelope') ? planEnvelope(spec, binHz) : { size: 0, low: 0, high: 0, bank: triangularBank(0, [0, 1], 'linear', 1, 1) };
  const window = hannWindow(n);
  const sumSquares = window.reduce((s, w) => s + w * w, 0);
  const order: FeatureGroup[] = ['stats', 'bands', 'envelope'];
  const perChannel = (g: FeatureGroup) => (g === 'stats' ? STATS_NAMES.map(String) : g === 'bands'
    ? bandBank.centers.map((_, b) => `band${b}`) : env.bank.centers.map((_, b) => `env${b}`));
  const channelNames = order.filter((g) => groups.has(g)).flatMap(perChannel);
  return {
    spec,
    groups: order.reduce((m, g) => (groups.has(g) ? m | GROUP_BITS[g] : m), 0),
    featuresPerChannel: channelNames.length,
    featureCount: channelNames.length * spec.channels,
    names: Array.from({ length: spec.channels }, (_, c) => channelNames.map((name) => `ch${c}.${name}`)).flat(),
    window,
    twiddles: twiddleTable(n),
    bandBank,
    envelopeBank: env.bank,
    envelopeSize: env.size,
    envelopeLow: env.low,
    envelopeHigh: env.high,
    powerScale: 2 / (n * sumSquares),
    envelopeScale: env.size ? 4 / env.size : 0,
    logFloor: spec.logFloor ?? 1e-10,
  };
}

function planEnvelope(spec: FeatureSpec, binHz: number): { size: number; low: number; high: number; bank: FilterBank } {
  const n = spec.windowSize;
  const nyquist = spec.sampleRate / 2;
  if (!spec.envelopeBand) throw new InputError('feature spec: envelope features need envelopeBand: [low, high] Hz around the resonance');
  checkRange('envelopeBand', spec.envelopeBand, nyquist);
  const low = Math.max(1, Math.ceil(spec.envelopeBand[0] / binHz));
  const high = Math.min(n / 2 - 1, Math.floor(spec.envelopeBand[1] / binHz));
  if (high < low) throw new InputError(`feature spec: envelopeBand ${JSON.stringify(spec.envelopeBand)} holds no bin between DC and Nyquist (bins are ${binHz} Hz apart)`);
  const range = spec.envelopeRange ?? [0, Math.min(500, nyquist)];
  checkRange('envelopeRange', range, nyquist);
  const bands = spec.envelopeBands ?? 16;
  checkCount('envelopeBands', bands, 1, n / 2 + 1);
  // Decimated envelope length: at least twice the band's width and room for the range's top bin.
  const size = Math.min(n, Math.max(4, nextPow2(2 * (high - low + 1)), nextPow2(2 * (Math.ceil(range[1] / binHz) + 1))));
  return { size, low, high, bank: triangularBank(bands, range, 'linear', binHz, size / 2 + 1) };
}

/** Addresses of one installed plan in a kernel instance's memory. */
export interface FeatureLayout {
  block: number;
  input: number;
  output: number;
  /** First byte past the plan's memory. */
  end: number;
}

const align16 = (n: number) => (n + 15) & ~15;

/** Bytes an installed plan occupies: ROM (param block and tables), RAM (input, output, scratch). */
export function featureMemory(plan: FeaturePlan): { romBytes: number; ramBytes: number; bytes: number } {
  const { at, layout } = layoutOf(plan, 0);
  return { romBytes: at.input, ramBytes: layout.end - at.input, bytes: layout.end };
}

function layoutOf(plan: FeaturePlan, base: number) {
  const n = plan.spec.windowSize;
  const sizes = {
    block: BLOCKS.dsp_features.bytes, window: 4 * n, twiddles: plan.twiddles.byteLength,
    bandRows: plan.bandBank.rows.byteLength, bandWeights: plan.bandBank.weights.byteLength,
    envelopeRows: plan.envelopeBank.rows.byteLength, envelopeWeights: plan.envelopeBank.weights.byteLength,
    input: 4 * n * plan.spec.channels, output: 4 * plan.featureCount, scratch: 4 * (n + 4 + 2 * plan.envelopeSize),
  };
  const at = {} as Record<keyof typeof sizes, number>;
  let cursor = align16(base);
  for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
    at[key] = cursor;
    cursor = align16(cursor + sizes[key]);
  }
  return { at, layout: { block: at.block, input: at.input, output: at.output, end: cursor } };
}

/** Writes the plan's tables and param block into memory at `base` (default 16: address 0 stays null). */
export function installFeatures(instance: KernelInstance, plan: FeaturePlan, base = 16): FeatureLayout {
  const { at, layout } = layoutOf(plan, base);
  const memory = instance.memory;
  if (layout.end > memory.byteLength) throw new InputError(`features need ${layout.end} bytes of memory from address ${base}, the instance has ${memory.byteLength}`);
  const put = (addr: number, a: Float32Array | Int32Array) => memory.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), addr);
  put(at.window, plan.window);
  put(at.twiddles, plan.twiddles);
  put(at.bandRows, plan.bandBank.rows);
  put(at.bandWeights, plan.bandBank.weights);
  put(at.envelopeRows, plan.envelopeBank.rows);
  put(at.envelopeWeights, plan.envelopeBank.weights);
  const view = new DataView(memory.buffer, memory.byteOffset);
  const { offsets } = BLOCKS.dsp_features;
  const i32 = (field: keyof typeof offsets, v: number) => view.setInt32(at.block + offsets[field], v, true);
  const f32 = (field: keyof typeof offsets, v: number) => view.setFloat32(at.block + offsets[field], v, true);
  for (const f of ['input', 'output', 'window', 'twiddles', 'bandRows', 'bandWeights', 'envelopeRows', 'envelopeWeights', 'scratch'] as const) i32(f, at[f]);
  i32('size', plan.spec.windowSize);
  i32('channels', plan.spec.channels);
  i32('features', plan.groups);
  i32('bands', plan.bandBank.centers.length);
  i32('envelopeSize', plan.envelopeSize);
  i32('envelopeLow', plan.envelopeLow);
  i32('envelopeHigh', plan.envelopeHigh);
  i32('envelopeBands', plan.envelopeBank.centers.length);
  i32('twiddleSize', plan.spec.windowSize);
  i32('log', plan.spec.log === false ? 0 : 1);
  f32('powerScale', plan.powerScale);
  f32('envelopeScale', plan.envelopeScale);
  f32('logFloor', plan.logFloor);
  return layout;
}

/**
 * Features of one window: `samples` interleaved, windowSize x channels float32 values (sample i of
 * channel c at i * channels + c). Returns a new Float32Array of plan.featureCount values.
 */
export function computeFeatures(instance: KernelInstance, plan: FeaturePlan, layout: FeatureLayout, samples: ArrayLike<number>): Float32Array {
  const count = plan.spec.windowSize * plan.spec.channels;
  if (samples.length !== count) {
    throw new InputError(`window holds ${samples.length} samples, the feature spec needs ${count} (${plan.spec.windowSize} x ${plan.spec.channels} channels, interleaved)`);
  }
  const memory = instance.memory;
  new Float32Array(memory.buffer, memory.byteOffset + layout.input, count).set(samples);
  const status = instance.call('dsp_features', layout.block);
  if (status !== 0) throw new KernelError(`dsp_features failed with status ${status}`);
  return new Float32Array(memory.buffer.slice(memory.byteOffset + layout.output, memory.byteOffset + layout.output + 4 * plan.featureCount));
}

export interface FeatureExtractor {
  plan: FeaturePlan;
  instance: KernelInstance;
  layout: FeatureLayout;
  compute(samples: ArrayLike<number>): Float32Array;
}

/** A plan installed in its own kernel instance (memory sized to the plan). */
export function createFeatureExtractor(spec: FeatureSpec, options: { kernels?: KernelFlavor; runtime?: Runtime } = {}): FeatureExtractor {
  const plan = planFeatures(spec);
  const pages = Math.max(1, Math.ceil((16 + featureMemory(plan).bytes) / 65536));
  const instance = (options.runtime ?? v8Runtime).instantiate(kernelModule(options.kernels ?? 'simd'), { initial: pages, maximum: pages });
  const layout = installFeatures(instance, plan);
  return { plan, instance, layout, compute: (samples) => computeFeatures(instance, plan, layout, samples) };
}
