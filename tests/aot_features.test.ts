/**
 * The DSP front-end compiled into a module (features + model in one .wasm): for a model with
 * edgerun.pm metadata (tests/fixtures/pm, made by make.py), features() leaves the model's input
 * tensor byte for byte as the host path (host/pm/features.ts + scorer.ts) quantizes it, and
 * invoke() then gives the interpreter's outputs; on random and synthesized windows, SIMD and ref
 * kernels, context K > 1 and reset(), V8 and wasmtime (skipped, with the reason, when libwasmtime
 * is absent unless EDGERUN_REQUIRE_WASMTIME=1); status codes; the size the front-end adds.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { compilePrepared } from '../host/aot/compile.js';
import {
  compileModel, type CompiledInterpreter, FRONT_END_ABI, getRuntime, InputError, KernelError, listRuntimes, loadCompiled, loadModel,
  ModelError, type ModelRunner, MODULE_ABI, type PmMeta, pmMetaOfModel, type Runtime, synthesize, v8Runtime,
} from '../host/index.js';
import { PM_METADATA } from '../host/pm/model_meta.js';
import { kernelModule } from '../host/run/kernels.js';
import { createScorer } from '../host/pm/scorer.js';
import { asBytes, firstDifference, rng, ROOT } from './helpers.js';

const FIXTURE = join(ROOT, 'tests', 'fixtures', 'pm', 'ad_autoencoder_pm.tflite');
const PLAIN = join(ROOT, 'models', 'bench', 'ad_autoencoder.tflite');
const source = new Uint8Array(readFileSync(FIXTURE));
const PM = pmMetaOfModel(loadModel(source))!;

const wasmtime = listRuntimes().find((r) => r.name === 'wasmtime')!;
const required = process.env.EDGERUN_REQUIRE_WASMTIME === '1';
if (!wasmtime.available) console.log(`  wasmtime front-end tests ${required ? 'required but cannot run' : 'skipped'}: ${wasmtime.reason}`);
const checkWasmtime = wasmtime.available || required ? test : test.skip;

/** The fixture with its edgerun.pm entry replaced: compiled from the prepared model, as compileModel does. */
async function compileWith(pm: PmMeta, kernels: 'simd' | 'ref' = 'simd') {
  const prepared = loadModel(source, { kernels }).prepared;
  const data = new TextEncoder().encode(JSON.stringify(pm));
  const metadata = prepared.model.metadata.map((m) => (m.name === PM_METADATA ? { ...m, data } : m));
  return compilePrepared({ ...prepared, model: { ...prepared.model, metadata } }, source, kernels);
}

/** The host path: createScorer over an interpreter, keeping the input tensor as each invoke() got it. */
function hostPath(pm: PmMeta, kernels: 'simd' | 'ref') {
  const interpreter = loadModel(source, { kernels }).createInterpreter();
  const seen = { input: new Int8Array(0), output: new Int8Array(0) };
  const runner: ModelRunner = {
    inputs: interpreter.inputs, outputs: interpreter.outputs, runtime: interpreter.runtime, kernels: interpreter.kernels,
    linearMemory: interpreter.linearMemory, macs: interpreter.macs,
    invoke() {
      seen.input = Int8Array.from(interpreter.inputs[0].data as Int8Array);
      interpreter.invoke();
      seen.output = Int8Array.from(interpreter.outputs[0].data as Int8Array);
    },
    reset: () => interpreter.reset(),
  };
  return { scorer: createScorer(runner, pm, { kernels }), seen };
}

/** Windows: random at several scales, edge cases, and synthesized machines (healthy and faulty). */
function windows(pm: PmMeta): { name: string; samples: Float32Array }[] {
  const { windowSize: n, channels } = pm.features;
  const r = rng(11);
  const out: { name: string; samples: Float32Array }[] = [];
  for (const scale of [1e-3, 1, 30, 1e4]) {
    out.push({ name: `random x${scale}`, samples: Float32Array.from({ length: n * channels }, () => (r() - 0.5) * scale + (r() - 0.5) * scale * 0.1) });
  }
  out.push({ name: 'zeros', samples: new Float32Array(n * channels) });
  out.push({ name: 'constant', samples: new Float32Array(n * channels).fill(3.25) });
  const nan = Float32Array.from({ length: n * channels }, () => r() - 0.5);
  nan[7] = NaN;
  out.push({ name: 'one NaN sample', samples: nan });
  for (const [fault, machine] of [['healthy', 1], ['outer', 2], ['inner', 3], ['imbalance', 4]] as const) {
    const run = synthesize({ fault, ...(fault === 'healthy' ? {} : { severity: 0.6 }), duration: (2 * n) / pm.features.sampleRate, rate: pm.features.sampleRate, machine });
    const cols = [run.ax, run.ay, run.az, run.current, run.temperature];
    for (const start of [0, n]) {
      const samples = new Float32Array(n * channels);
      for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) samples[i * channels + c] = cols[c][start + i];
      out.push({ name: `synth ${fault} @${start}`, samples });
    }
  }
  return out;
}

/**
 * Drives the module and the host path window by window; the differences: readiness, the input
 * tensor after features() (and the context view), and the outputs after invoke().
 */
function compare(module: CompiledInterpreter, pm: PmMeta, kernels: 'simd' | 'ref', list: { name: string; samples: Float32Array }[], label: string): string[] {
  const host = hostPath(pm, kernels);
  const failures: string[] = [];
  const input = asBytes(module.inputs[0].data);
  const output = asBytes(module.outputs[0].data);
  for (const { name, samples } of list) {
    const ready = module.features(samples);
    const score = host.scorer.push(samples);
    if (ready !== (score !== null)) {
      failures.push(`${label} ${name}: features() says ${ready ? 'ready' : 'filling'}, the host path ${score ? 'scored' : 'fills'}`);
      continue;
    }
    if (!ready) continue;
    const atInput = firstDifference(input, asBytes(host.seen.input));
    if (atInput >= 0) failures.push(`${label} ${name}: input tensor differs from the host path at byte ${atInput} (${input[atInput]} vs ${asBytes(host.seen.input)[atInput]})`);
    const atContext = firstDifference(asBytes(module.frontEnd!.quantized), asBytes(host.seen.input));
    if (atContext >= 0) failures.push(`${label} ${name}: context view differs from the host path at byte ${atContext}`);
    module.invoke();
    const atOutput = firstDifference(output, asBytes(host.seen.output));
    if (atOutput >= 0) failures.push(`${label} ${name}: output differs from the interpreter at byte ${atOutput}`);
  }
  return failures;
}

/** The fixture's metadata with K feature vectors per inference over the same 640 inputs. */
function withContext(k: number): PmMeta {
  const perChannel = 640 / k / PM.features.channels;
  const pick = (a: number[]) => Array.from({ length: PM.features.channels }, (_, c) => a.slice(c * 128, c * 128 + perChannel)).flat();
  return {
    ...PM, context: k, features: { ...PM.features, bands: perChannel - 5 },
    normalize: { mean: pick(PM.normalize.mean), std: pick(PM.normalize.std) },
  };
}

/**
 * pm_quantize against the host's arithmetic (host/pm/scorer.ts's quantizeInto, restated) on values
 * built to land within a few ulps of .5 ties, where any other operation order or rounding rule
 * flips a byte; plus exact ties, zeros, infinities, NaN, saturation. Both kernel modules.
 */
test('pm_quantize is bit-identical to the scorer\'s f64 arithmetic, ties and non-finite values included', () => {
  const count = 4096;
  const r = rng(3);
  const features = new Float32Array(count);
  const mean = new Float64Array(count);
  const std = new Float64Array(count);
  const fixtureScale = 0.26976656913757324; // the fixture's input scale (an f32 value, as scales are)
  for (let i = 0; i < count; i++) {
    features[i] = (r() - 0.5) * 10 ** (r() * 6 - 2);
    std[i] = 0.01 + r() * 5 + r() * 1e-9;
    const k = Math.round((r() - 0.5) * 300); // a tie at k + 0.5, reached within a few ulps
    mean[i] = i % 5 === 0 ? r() - 0.5 : features[i] - (k + 0.5) * std[i] * fixtureScale * (1 + (r() - 0.5) * 4e-16);
  }
  const specials: [number, number, number][] = [[0.5, 0, 1], [-0.5, 0, 1], [2.5, 0, 1], [-2.5, 0, 1], [0, 0, 1], [-0, 0, 1], [Infinity, 0, 1],
    [-Infinity, 0, 1], [NaN, 0, 1], [1, NaN, 1], [1e30, 0, 1e-30], [-1e30, 0, 1e-30], [Math.fround(1e-40), 0, 1e-300],
    // with scale 1: v = +-0.49999999999999994, which Math.round takes to 0 and floor(v + 0.5) to 1
    [0, -0.49999999999999994, 1], [0, 0.49999999999999994, 1]];
  specials.forEach(([f, m, s], j) => { features[j] = f; mean[j] = m; std[j] = s; });
  for (const [scale, zeroPoint] of [[fixtureScale, 127], [fixtureScale, -3], [1, 0]]) {
    const expected = new Int8Array(count);
    for (let i = 0; i < count; i++) { // host/pm/scorer.ts, quantizeInto
      const v = (features[i] - mean[i]) / std[i] / scale;
      const q = Math.sign(v) * Math.round(Math.abs(v)) + zeroPoint;
      expected[i] = q < -128 ? -128 : q > 127 ? 127 : q;
    }
    for (const flavor of ['simd', 'ref'] as const) {
      const k = v8Runtime.instantiate(kernelModule(flavor), { initial: 2, maximum: 2 });
      const mem = k.memory;
      const at = { block: 64, features: 256, mean: 256 + 4 * count, std: 256 + 12 * count, scale: 256 + 20 * count, history: 256 + 20 * count + 16 };
      const input = at.history + count + 16;
      const filled = input + count + 16;
      mem.set(asBytes(features), at.features);
      mem.set(asBytes(mean), at.mean);
      mem.set(asBytes(std), at.std);
      const view = new DataView(mem.buffer, mem.byteOffset);
      view.setFloat64(at.scale, scale, true);
      const o = BLOCKS.pm_quantize.offsets;
      for (const [f, v] of [['features', at.features], ['mean', at.mean], ['std', at.std], ['scale', at.scale], ['history', at.history],
        ['input', input], ['filled', filled], ['count', count], ['context', 1], ['zeroPoint', zeroPoint]] as const) view.setInt32(at.block + o[f], v, true);
      assert.is(k.call('pm_quantize', at.block), 0);
      const got = new Int8Array(mem.buffer, mem.byteOffset + input, count);
      const diff = firstDifference(asBytes(got), asBytes(expected));
      assert.is(diff, -1, `${flavor} scale ${scale} zp ${zeroPoint}: byte ${diff}: ${got[diff]} vs ${expected[diff]} (f ${features[diff]}, mean ${mean[diff]}, std ${std[diff]})`);
      assert.is(view.getInt32(filled, true), 1);
      view.setInt32(filled, 2, true);
      assert.is(k.call('pm_quantize', at.block), 2, 'filled > context is rejected');
    }
  }
});

const compiled = await compileModel(source);
const plain = await compileModel(PLAIN);
const list = windows(PM);

test('a model with edgerun.pm compiles with the front-end: the ABI plus samples_ptr, features, context_ptr; meta and memory include it', () => {
  const module = new WebAssembly.Module(compiled.wasm as Uint8Array<ArrayBuffer>);
  const exports = WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`).sort();
  assert.equal(exports, Object.entries({ ...MODULE_ABI, ...FRONT_END_ABI }).map(([n, k]) => `${n}:${k === 'func' ? 'function' : k}`).sort());
  assert.equal(WebAssembly.Module.imports(module), []);
  const fe = compiled.meta.frontEnd!;
  assert.equal({ samples: fe.samples, featureCount: fe.featureCount, context: fe.context }, { samples: 1024 * 5, featureCount: 640, context: 1 });
  const m = compiled.meta.memory;
  const base = plain.meta.memory;
  assert.is(m.romDataBytes, base.romDataBytes + fe.romDataBytes);
  assert.is(m.paramsBytes, base.paramsBytes + fe.romDataBytes);
  assert.ok(m.ramBytes >= base.ramBytes + fe.ramBytes && m.ramBytes <= base.ramBytes + fe.ramBytes + 16, `${m.ramBytes}`);
  assert.is(m.linearMemoryBytes, m.romDataBytes + m.ramBytes);
  assert.is(m.pages, Math.ceil(m.linearMemoryBytes / 65536));
  assert.is(compiled.ramBytes, m.ramBytes);
  // The window, features, scratch and context: 20 KiB of samples at least.
  assert.ok(fe.ramBytes >= 4 * fe.samples + 4 * 640 + 640, `${fe.ramBytes}`);
  const metaBytes = (w: Uint8Array) => WebAssembly.Module.customSections(new WebAssembly.Module(w as Uint8Array<ArrayBuffer>), 'edgerun.meta')[0].byteLength;
  const functions = (c: typeof compiled) => c.codeBytes - metaBytes(c.wasm);
  console.log(`  front-end on ${PLAIN.split('/').pop()} (simd): code +${compiled.codeBytes - plain.codeBytes} B ` +
    `(functions +${functions(compiled) - functions(plain)}, edgerun.meta +${metaBytes(compiled.wasm) - metaBytes(plain.wasm)}), ` +
    `data +${compiled.dataBytes - plain.dataBytes} B, ROM data +${fe.romDataBytes} B, RAM +${compiled.ramBytes - plain.ramBytes} B`);
});

test('features() writes the host path\'s quantized input byte for byte; invoke() then gives the interpreter\'s outputs (V8, simd)', () => {
  const failures = compare(loadCompiled(compiled.wasm).createInterpreter(), PM, 'simd', list, 'v8 simd');
  assert.equal(failures, [], failures.slice(0, 10).join('\n'));
});

test('the same with --kernels ref', async () => {
  const ref = await compileModel(source, { kernels: 'ref' });
  assert.ok(ref.meta.frontEnd);
  const failures = compare(loadCompiled(ref.wasm).createInterpreter(), PM, 'ref', list.slice(0, 6), 'v8 ref');
  assert.equal(failures, [], failures.slice(0, 10).join('\n'));
});

test('context K > 1: features() returns 1 until K vectors are in, then shifts one per window; reset() empties the context', async () => {
  for (const k of [2, 4]) {
    const pm = withContext(k);
    const c = await compileWith(pm);
    assert.is(c.meta.frontEnd!.context, k);
    assert.is(c.meta.frontEnd!.featureCount, 640 / k);
    const module = loadCompiled(c.wasm).createInterpreter();
    const seq = list.slice(7, 7 + k + 3);
    assert.equal(compare(module, pm, 'simd', seq, `K=${k}`), []);
    module.reset();
    // After reset() the module starts over exactly as a fresh host path does.
    for (let i = 0; i < k - 1; i++) assert.is(module.features(seq[i].samples), false, `K=${k} window ${i} after reset`);
    module.reset();
    assert.equal(compare(module, pm, 'simd', seq, `K=${k} after reset`), []);
  }
});

checkWasmtime('wasmtime: the same bytes and outputs as V8 (simd, and K = 2)', async () => {
  const runtime: Runtime = getRuntime('wasmtime');
  const failures = compare(loadCompiled(compiled.wasm).createInterpreter({ runtime }), PM, 'simd', list, 'wasmtime simd');
  const pm2 = withContext(2);
  const module2 = loadCompiled((await compileWith(pm2)).wasm).createInterpreter({ runtime });
  failures.push(...compare(module2, pm2, 'simd', list.slice(7, 12), 'wasmtime K=2'));
  module2.reset();
  assert.is(module2.features(list[0].samples), false);
  assert.equal(failures, [], failures.slice(0, 10).join('\n'));
});

test('errors: a window of the wrong size, a module without front-end, failing kernels, metadata that does not fit the model', async () => {
  const module = loadCompiled(compiled.wasm).createInterpreter();
  assert.throws(() => module.features(new Float32Array(5119)), (e: unknown) => e instanceof InputError && /window holds 5119 samples, the module's front-end needs 5120 \(1024 x 5 channels, interleaved\)/.test((e as Error).message));
  const without = loadCompiled(plain.wasm).createInterpreter();
  assert.is(without.frontEnd, null);
  assert.throws(() => without.features(new Float32Array(5120)), (e: unknown) => e instanceof InputError && /no DSP front-end/.test((e as Error).message));
  // Corrupt the param blocks in memory (the ROM is writable): each failure names its call.
  const fe = compiled.meta.frontEnd!;
  const quantizeBlock = compiled.meta.memory.linearMemoryBytes - fe.ramBytes - fe.romDataBytes; // front_end.ts: first, 16-aligned
  const q = BLOCKS.pm_quantize.offsets;
  const d = BLOCKS.dsp_features.offsets;
  const corrupt = (block: (view: DataView) => number, offset: number) => {
    const m = loadCompiled(compiled.wasm).createInterpreter();
    const view = new DataView((m.inputs[0].data as Int8Array).buffer);
    assert.is(m.features(list[0].samples), true);
    view.setInt32(block(view) + offset, 0, true);
    return m;
  };
  const dspBlock = (view: DataView) => Math.ceil((view.getInt32(quantizeBlock + q.scale, true) + 8) / 16) * 16;
  assert.throws(() => corrupt(() => quantizeBlock, q.count).features(list[0].samples),
    (e: unknown) => e instanceof KernelError && /^compiled module: features\(\) failed with status 514 \(pm_quantize returned 2\)$/.test((e as Error).message));
  assert.throws(() => corrupt(dspBlock, d.size).features(list[0].samples),
    (e: unknown) => e instanceof KernelError && /^compiled module: features\(\) failed with status 257 \(dsp_features returned 1\)$/.test((e as Error).message));
  // A feature spec that gives another count than the model's input: compile refuses, naming both.
  await compileWith({ ...PM, context: 2 }).then(() => assert.unreachable('compiled'), (e: Error) => {
    assert.instance(e, ModelError);
    assert.match(e.message, /edgerun\.pm: the model takes 640 input values, the features give 2 x 640 = 1280; cannot compile the DSP front-end/);
  });
});

test.run();
