/**
 * DSP kernels and host/pm/features.ts against numpy (tests/fixtures/dsp, made by make.py there):
 * real and complex FFTs at every size, window + power spectrum, statistics, envelope spectrum and
 * whole feature vectors, on both kernel modules. Tolerances (float32 kernels vs float64 numpy):
 *   spectra (FFT, power, envelope): max |wasm - numpy| <= 1e-5 of the spectrum's peak (for the
 *     envelope, of the larger of its peak and the channel's RMS: a resonance band holding only
 *     window leakage is float32 rounding noise)
 *   statistics: relative 1e-5 (peak, crest, kurtosis, rms; mean absolute 1e-5 of rms)
 *   band energies: linear energies within 1e-4 of the channel's largest band, and log values
 *     within 1e-3 where the energy is at least 1e-6 of that largest band
 * The SIMD module must equal the scalar one bit for bit (same f32 operations per lane), and runs
 * must be deterministic. Timings are printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS, type KernelName } from '../host/abi/blocks.js';
import { InputError } from '../host/errors.js';
import { readNpy } from '../host/io/npy.js';
import {
  computeFeatures, createFeatureExtractor, featureMemory, type FeatureSpec, type FilterBank, installFeatures, planFeatures, twiddleTable,
} from '../host/pm/features.js';
import { kernelModule } from '../host/run/kernels.js';
import type { KernelInstance } from '../host/run/runtimes/runtime.js';
import { getRuntime, listRuntimes } from '../host/run/runtimes/index.js';
import { v8Runtime } from '../host/run/runtimes/v8.js';
import { ROOT } from './helpers.js';

const DIR = join(ROOT, 'tests', 'fixtures', 'dsp');
const FLAVORS = ['simd', 'ref'] as const;

interface Case { id: string; spec: FeatureSpec; featureCount: number; envelope?: { size: number; low: number; high: number } }
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as { fft: { rfft: number[]; cfft: number[] }; cases: Case[] };

function npy(path: string): { shape: number[]; data: Float32Array } {
  const a = readNpy(new Uint8Array(readFileSync(join(DIR, path))), path);
  assert.is(a.dtype, 'float32', path);
  return { shape: a.shape, data: new Float32Array(a.data.slice().buffer) };
}

/** A kernel instance with a bump allocator and param-block writer. */
class Harness {
  readonly instance: KernelInstance;
  private cursor = 16;
  constructor(readonly flavor: 'simd' | 'ref', pages = 16) {
    this.instance = v8Runtime.instantiate(kernelModule(flavor), { initial: pages, maximum: pages });
  }
  alloc(bytes: number): number {
    const at = this.cursor;
    this.cursor = (this.cursor + bytes + 15) & ~15;
    return at;
  }
  put(a: Float32Array | Int32Array): number {
    const at = this.alloc(a.byteLength);
    this.instance.memory.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    return at;
  }
  f32(at: number, count: number): Float32Array {
    return Float32Array.from(new Float32Array(this.instance.memory.buffer, at, count));
  }
  call(kernel: KernelName, fields: Record<string, number>): number {
    const spec = BLOCKS[kernel];
    const block = this.alloc(spec.bytes);
    const view = new DataView(this.instance.memory.buffer);
    for (const f of spec.fields) {
      const v = fields[f.name] ?? 0;
      if (f.kind === 'f32') view.setFloat32(block + spec.offsets[f.name], v, true);
      else view.setInt32(block + spec.offsets[f.name], v, true);
    }
    return this.instance.call(kernel, block);
  }
}

/** max |a - b| / max(max |b|, floor), over (re, im) pairs as magnitudes. */
function spectrumError(a: Float32Array, b: Float32Array, complex = true, floor = 0): number {
  assert.is(a.length, b.length);
  let peak = floor;
  let err = 0;
  const step = complex ? 2 : 1;
  for (let i = 0; i < a.length; i += step) {
    const mag = complex ? Math.hypot(b[i], b[i + 1]) : Math.abs(b[i]);
    const d = complex ? Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]) : Math.abs(a[i] - b[i]);
    peak = Math.max(peak, mag);
    err = Math.max(err, d);
  }
  return err / peak;
}

const worst = new Map<string, number>();
function note(what: string, e: number): void {
  worst.set(what, Math.max(worst.get(what) ?? 0, e));
}

const signal = npy('fft/signal.npy').data;

test('real FFT, 256..8192 points, equals numpy.fft.rfft within 1e-5 of the peak (in place and not)', () => {
  for (const flavor of FLAVORS) {
    const h = new Harness(flavor);
    const tw = h.put(twiddleTable(8192));
    for (const n of index.fft.rfft) {
      const expected = npy(`fft/rfft_${n}.npy`).data;
      const input = h.put(signal.subarray(0, n));
      const output = h.alloc(4 * (n + 2));
      assert.is(h.call('dsp_rfft', { input, output, twiddles: tw, size: n, twiddleSize: 8192 }), 0);
      const got = h.f32(output, n + 2);
      const e = spectrumError(got, expected);
      note('rfft', e);
      assert.ok(e <= 1e-5, `${flavor} n=${n}: error ${e.toExponential(2)} of the peak`);
      const inPlace = h.alloc(4 * (n + 2));
      h.instance.memory.set(new Uint8Array(signal.buffer, 0, 4 * n), inPlace);
      assert.is(h.call('dsp_rfft', { input: inPlace, output: inPlace, twiddles: tw, size: n, twiddleSize: 8192 }), 0);
      assert.equal(h.f32(inPlace, n + 2), got, `${flavor} n=${n}: in place differs`);
    }
  }
});

test('complex FFT equals numpy.fft.fft; the inverse gives the input back', () => {
  for (const flavor of FLAVORS) {
    const h = new Harness(flavor);
    const tw = h.put(twiddleTable(4096));
    for (const m of index.fft.cfft) {
      const data = h.put(signal.subarray(0, 2 * m));
      assert.is(h.call('dsp_fft', { data, twiddles: tw, size: m, twiddleSize: 4096 }), 0);
      const e = spectrumError(h.f32(data, 2 * m), npy(`fft/cfft_${m}.npy`).data);
      note('fft', e);
      assert.ok(e <= 1e-5, `${flavor} m=${m}: error ${e.toExponential(2)}`);
      assert.is(h.call('dsp_fft', { data, twiddles: tw, size: m, twiddleSize: 4096, inverse: 1 }), 0);
      const back = h.f32(data, 2 * m);
      const scale = Math.max(...signal.subarray(0, 2 * m).map(Math.abs));
      const e2 = Math.max(...back.map((v, i) => Math.abs(v - signal[i]))) / scale;
      assert.ok(e2 <= 1e-6, `${flavor} m=${m}: round trip error ${e2.toExponential(2)}`);
    }
  }
});

function checkStats(got: Float32Array, want: Float32Array, what: string): void {
  const rms = want[1];
  assert.ok(Math.abs(got[0] - want[0]) <= 1e-5 * Math.max(rms, Math.abs(want[0])), `${what} mean ${got[0]} vs ${want[0]}`);
  for (let k = 1; k < 5; k++) {
    const e = Math.abs(got[k] - want[k]) / Math.abs(want[k]);
    note('stats', e);
    assert.ok(e <= 1e-5, `${what} stat ${k}: ${got[k]} vs ${want[k]}`);
  }
}

/** Runs the single kernels on one case: window + rfft + power, stats, envelope; returns all outputs. */
function runKernels(h: Harness, c: Case): Float32Array[] {
  const plan = planFeatures(c.spec);
  const { windowSize: n, channels: C } = c.spec;
  const input = h.put(npy(`${c.id}/input.npy`).data);
  const window = h.put(plan.window);
  const tw = h.put(plan.twiddles);
  const spectrum = h.alloc(4 * (n + 2));
  const power = h.alloc(4 * (n / 2 + 1));
  const stats = h.alloc(20);
  const outputs: Float32Array[] = [];
  for (let ch = 0; ch < C; ch++) {
    const x = input + 4 * ch;
    assert.is(h.call('dsp_stats', { input: x, output: stats, count: n, inputStride: C }), 0);
    outputs.push(h.f32(stats, 5));
    assert.is(h.call('dsp_window', { input: x, window, output: spectrum, count: n, inputStride: C, removeMean: 1 }), 0);
    assert.is(h.call('dsp_rfft', { input: spectrum, output: spectrum, twiddles: tw, size: n, twiddleSize: n }), 0);
    if (plan.envelopeSize) {
      const m = plan.envelopeSize;
      const out = h.alloc(4 * (m / 2 + 1));
      const fields = { spectrum, output: out, twiddles: tw, scratch: h.alloc(8 * m), size: n, envelopeSize: m,
        bandLow: plan.envelopeLow, bandHigh: plan.envelopeHigh, outBins: m / 2 + 1, twiddleSize: n, scale: plan.envelopeScale };
      assert.is(h.call('dsp_envelope', fields), 0);
      outputs.push(h.f32(out, m / 2 + 1));
    }
    assert.is(h.call('dsp_power', { input: spectrum, output: power, bins: n / 2 + 1, scale: plan.powerScale }), 0);
    outputs.push(h.f32(power, n / 2 + 1));
  }
  return outputs;
}

test('window, power spectrum, statistics and envelope spectrum equal numpy on every case', () => {
  for (const c of index.cases) {
    const plan = planFeatures(c.spec);
    if (c.envelope) assert.equal({ size: plan.envelopeSize, low: plan.envelopeLow, high: plan.envelopeHigh }, c.envelope, c.id);
    const stats = npy(`${c.id}/stats.npy`).data;
    const power = npy(`${c.id}/power.npy`).data;
    const envelope = c.envelope ? npy(`${c.id}/envelope.npy`).data : undefined;
    const bins = c.spec.windowSize / 2 + 1;
    for (const flavor of FLAVORS) {
      const out = runKernels(new Harness(flavor), c);
      const per = c.envelope ? 3 : 2;
      for (let ch = 0; ch < c.spec.channels; ch++) {
        const what = `${flavor} ${c.id} ch${ch}`;
        checkStats(out[per * ch], stats.subarray(5 * ch, 5 * ch + 5), what);
        const p = spectrumError(out[per * ch + per - 1], power.subarray(bins * ch, bins * (ch + 1)), false);
        note('power', p);
        assert.ok(p <= 1e-5, `${what} power: error ${p.toExponential(2)} of the peak`);
        if (envelope && c.envelope) {
          const eb = c.envelope.size / 2 + 1;
          // a band holding only window leakage is float32 rounding noise: scale by the channel's RMS too
          const e = spectrumError(out[per * ch + 1], envelope.subarray(eb * ch, eb * (ch + 1)), false, stats[5 * ch + 1]);
          note('envelope', e);
          assert.ok(e <= 1e-5, `${what} envelope: error ${e.toExponential(2)} of the peak`);
        }
      }
    }
  }
});

function checkBands(got: Float32Array, want: Float32Array, log: boolean, what: string, floor = 0): void {
  const lin = (v: number) => (log ? Math.exp(v) : v);
  const top = Math.max(floor, ...Array.from(want, lin));
  for (let b = 0; b < want.length; b++) {
    const e = Math.abs(lin(got[b]) - lin(want[b])) / top;
    note('bands (linear)', e);
    assert.ok(e <= 1e-4, `${what} band ${b}: ${got[b]} vs ${want[b]}`);
    if (log && lin(want[b]) >= 1e-6 * top) {
      note('bands (log)', Math.abs(got[b] - want[b]));
      assert.ok(Math.abs(got[b] - want[b]) <= 1e-3, `${what} band ${b}: ln ${got[b]} vs ${want[b]}`);
    }
  }
}

function bandWeightSums(bank: FilterBank): number[] {
  let at = 0;
  return bank.centers.map((_, b) => {
    const count = bank.rows[2 * b + 1];
    const sum = bank.weights.subarray(at, at + count).reduce((s, w) => s + w, 0);
    at += count;
    return sum;
  });
}

test('dsp_features: whole feature vectors equal numpy on every case, SIMD equal to scalar bit for bit', () => {
  for (const c of index.cases) {
    const samples = npy(`${c.id}/input.npy`).data;
    const want = npy(`${c.id}/features.npy`).data;
    const [simd, ref] = FLAVORS.map((kernels) => createFeatureExtractor(c.spec, { kernels }).compute(samples));
    assert.equal(simd, ref, `${c.id}: SIMD and scalar features differ`);
    const plan = planFeatures(c.spec);
    assert.is(plan.featureCount, c.featureCount);
    assert.is(plan.names.length, plan.featureCount);
    const log = c.spec.log !== false;
    // envelope bands sum amplitudes; scale them by the channel's RMS times the widest band's weight
    const rms = Array.from({ length: c.spec.channels }, (_, ch) => npy(`${c.id}/stats.npy`).data[5 * ch + 1]);
    const envelopeWeight = Math.max(0, ...bandWeightSums(plan.envelopeBank));
    const groups = ['stats', 'bands', 'envelope'].filter((g) => c.spec.features.includes(g as never));
    for (let ch = 0; ch < c.spec.channels; ch++) {
      let at = ch * plan.featuresPerChannel;
      for (const g of groups) {
        const len = g === 'stats' ? 5 : g === 'bands' ? c.spec.bands! : c.spec.envelopeBands!;
        const what = `${c.id} ch${ch} ${g}`;
        if (g === 'stats') checkStats(simd.subarray(at, at + len), want.subarray(at, at + len), what);
        else if (g === 'bands') checkBands(simd.subarray(at, at + len), want.subarray(at, at + len), log, what);
        else checkBands(simd.subarray(at, at + len), want.subarray(at, at + len), log, what, rms[ch] * envelopeWeight);
        at += len;
      }
    }
  }
});

test('SIMD equals scalar bit for bit on the single kernels; runs are deterministic', () => {
  for (const c of index.cases) {
    const [simd, ref] = FLAVORS.map((f) => runKernels(new Harness(f), c));
    assert.equal(simd, ref, c.id);
    const h = new Harness('simd');
    assert.equal(runKernels(h, c), simd, `${c.id}: second instance`);
    const x = createFeatureExtractor(c.spec);
    const samples = npy(`${c.id}/input.npy`).data;
    const first = x.compute(samples);
    x.compute(samples.map((v) => -3 * v)); // scratch now holds another window's data
    assert.equal(x.compute(samples), first, `${c.id}: repeated call`);
  }
});

test('bearing case: the envelope spectrum peaks at the outer-race fault frequency', () => {
  const c = index.cases.find((k) => k.id === 'bearing')!;
  const out = runKernels(new Harness('simd'), c);
  const env = out[1];
  const binHz = c.spec.sampleRate / c.spec.windowSize;
  let best = 1;
  for (let k = 2; k < env.length; k++) if (env[k] > env[best]) best = k;
  assert.ok(Math.abs(best * binHz - 97.3) <= binHz, `envelope peak at ${best * binHz} Hz, BPFO 97.3 Hz`);
});

test('filter banks: mel bands narrower than a bin fall back to the nearest bin (the narrow case checks them against numpy)', () => {
  const c = index.cases.find((k) => k.id === 'narrow')!;
  const { bandBank } = planFeatures(c.spec);
  let fallbacks = 0;
  let at = 0;
  for (let b = 0; b < c.spec.bands!; b++) {
    const [first, count] = [bandBank.rows[2 * b], bandBank.rows[2 * b + 1]];
    assert.ok(count >= 1 && first >= 0 && first + count <= c.spec.windowSize / 2 + 1, `band ${b}`);
    if (count === 1 && bandBank.weights[at] === 1) fallbacks++;
    at += count;
  }
  assert.is(at, bandBank.weights.length);
  assert.ok(fallbacks > 0, 'no band took the fallback');
});

test('kernels refuse bad sizes and out-of-range filter rows with status 1, writing nothing', () => {
  for (const flavor of FLAVORS) {
    const h = new Harness(flavor);
    const tw = h.put(twiddleTable(256));
    const buf = h.put(new Float32Array(600).fill(7));
    const before = h.f32(buf, 600);
    assert.is(h.call('dsp_rfft', { input: buf, output: buf, twiddles: tw, size: 384, twiddleSize: 256 }), 1);
    assert.is(h.call('dsp_rfft', { input: buf, output: buf, twiddles: tw, size: 512, twiddleSize: 256 }), 1);
    assert.is(h.call('dsp_rfft', { input: buf, output: buf, twiddles: tw, size: 2, twiddleSize: 256 }), 1);
    assert.is(h.call('dsp_fft', { data: buf, twiddles: tw, size: 0, twiddleSize: 256 }), 1);
    const rows = h.put(Int32Array.from([0, 4, 10, 3]));
    const weights = h.put(new Float32Array(7).fill(1));
    assert.is(h.call('dsp_filterbank', { input: buf, output: buf, rows, weights, inputCount: 12, bands: 2 }), 1);
    assert.is(h.call('dsp_stats', { input: buf, output: buf, count: 0, inputStride: 1 }), 1);
    const env = { spectrum: buf, output: buf, twiddles: tw, scratch: buf, size: 256, envelopeSize: 64, bandLow: 10, bandHigh: 80, outBins: 33, twiddleSize: 256 };
    assert.is(h.call('dsp_envelope', env), 1, 'band wider than the envelope length');
    assert.is(h.call('dsp_envelope', { ...env, bandHigh: 20, outBins: 34 }), 1, 'outBins past m/2 + 1');
    assert.is(h.call('dsp_envelope', { ...env, bandLow: 0 }), 1, 'DC in the band');
    assert.equal(h.f32(buf, 600), before);
    assert.is(h.call('dsp_filterbank', { input: buf, output: buf + 64, rows, weights, inputCount: 13, bands: 2 }), 0);
    assert.equal(Array.from(h.f32(buf + 64, 2)), [28, 21]);
  }
});

test('feature specs: one-line InputErrors naming the field', () => {
  const base: FeatureSpec = { windowSize: 1024, hop: 512, sampleRate: 8000, channels: 3, features: ['stats', 'bands', 'envelope'], envelopeBand: [1000, 3000] };
  assert.is(planFeatures(base).featureCount, 3 * (5 + 32 + 16));
  const bad: [Partial<FeatureSpec>, RegExp][] = [
    [{ windowSize: 1000 }, /windowSize must be a power of two/],
    [{ channels: 0 }, /channels must be a whole number 1\.\.64/],
    [{ features: [] }, /features is empty/],
    [{ features: ['mfcc' as never] }, /unknown feature group "mfcc"/],
    [{ envelopeBand: undefined }, /envelope features need envelopeBand/],
    [{ envelopeBand: [3000, 1000] }, /envelopeBand must be \[low, high\]/],
    [{ bandRange: [0, 9000] }, /bandRange must be .* <= 4000/],
    [{ bandScale: 'log', bandRange: [0, 4000] }, /bandRange must be .*0 < low/],
    [{ sampleRate: -1 }, /sampleRate must be > 0/],
  ];
  for (const [patch, message] of bad) {
    assert.throws(() => planFeatures({ ...base, ...patch }), (e: unknown) => e instanceof InputError && message.test((e as Error).message), JSON.stringify(patch));
  }
  const x = createFeatureExtractor(base);
  assert.throws(() => x.compute(new Float32Array(1024)), /window holds 1024 samples, the feature spec needs 3072/);
});

test('features on a caller-owned instance at a chosen base address', () => {
  const c = index.cases[0];
  const plan = planFeatures(c.spec);
  const instance = v8Runtime.instantiate(kernelModule('ref'), { initial: 4, maximum: 4 });
  const layout = installFeatures(instance, plan, 4096);
  assert.ok(layout.block >= 4096 && layout.end <= 4 * 65536);
  const samples = npy(`${c.id}/input.npy`).data;
  assert.equal(computeFeatures(instance, plan, layout, samples), createFeatureExtractor(c.spec).compute(samples));
});

test('the same features on wasmtime; the AOT link module carries every DSP kernel and its scalar twin', () => {
  const c = index.cases.find((k) => k.id === 'bearing')!;
  const samples = npy(`${c.id}/input.npy`).data;
  const v8 = createFeatureExtractor(c.spec).compute(samples);
  if (listRuntimes().find((r) => r.name === 'wasmtime')?.available) {
    assert.equal(createFeatureExtractor(c.spec, { runtime: getRuntime('wasmtime') }).compute(samples), v8);
  } else {
    console.log('  wasmtime unavailable here: skipped its comparison');
  }
  const aot = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(ROOT, 'build', 'edgerun-aot.wasm')))).map((e) => e.name);
  for (const k of Object.keys(BLOCKS).filter((name) => name.startsWith('dsp_'))) {
    assert.ok(aot.includes(k) && aot.includes(`${k}_ref`), k);
  }
});

function medianMs(fn: () => void, runs: number): number {
  for (let i = 0; i < 20; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

test('timing (printed, not asserted) and accuracy summary', () => {
  const spec: FeatureSpec = {
    windowSize: 2048, hop: 1024, sampleRate: 10000, channels: 3, features: ['stats', 'bands', 'envelope'], envelopeBand: [2000, 4000],
  };
  const samples = npy('sines/input.npy').data;
  const line = FLAVORS.map((kernels) => {
    const x = createFeatureExtractor(spec, { kernels });
    return `${kernels} ${medianMs(() => x.compute(samples), 200).toFixed(3)} ms`;
  });
  const memory = featureMemory(planFeatures(spec));
  console.log(`  dsp_features 2048 x 3 (stats, 32 mel bands, envelope m=${planFeatures(spec).envelopeSize} with 16 bands): ${line.join(', ')}; ` +
    `ROM ${memory.romBytes} B, RAM ${memory.ramBytes} B`);
  const rfft = FLAVORS.map((flavor) => {
    const h = new Harness(flavor);
    const tw = h.put(twiddleTable(8192));
    const buf = h.alloc(4 * 8194);
    return `${flavor} ${medianMs(() => h.call('dsp_rfft', { input: buf, output: buf, twiddles: tw, size: 8192, twiddleSize: 8192 }), 100).toFixed(3)} ms`;
  });
  console.log(`  dsp_rfft 8192 points: ${rfft.join(', ')}`);
  console.log(`  worst error vs numpy: ${[...worst].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
});

test.run();
