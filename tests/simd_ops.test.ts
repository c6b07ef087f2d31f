/**
 * SIMD vs scalar twins through the whole pipeline (the registry's prepare, the planner and both
 * kernel modules): random single-op models (odd shapes,
 * channel tails, strides, dilations, padding, activations, per-channel and per-tensor
 * quantization, multipliers above and below one, large biases) are prepared once and run on
 * both kernel modules with random inputs; every output byte must agree.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { type EdgerunModel, loadModel, type OptimizeFor } from '../host/index.js';
import { FC_REQUANT } from '../host/ops/fully_connected.js';
import { multiplyByQuantizedMultiplier, outputSize, quantizeMultiplier } from '../host/ops/quant.js';
import { BuiltinOperator, BuiltinOptionsType } from '../host/tflite/schema.js';
import { type OptionField, writeModel } from '../host/tflite/writer.js';
import { asBytes, rng, ROOT } from './helpers.js';
import { kernelModule, runtimeKernel } from '../host/run/kernels.js';
import { getRuntime, listRuntimes } from '../host/run/runtimes/index.js';
import type { Runtime } from '../host/run/runtimes/runtime.js';
import { v8Runtime } from '../host/run/runtimes/v8.js';

const INT8 = 9;
const INT32 = 2;

/** Loads the model for both kernel modules; `patch` may edit the prepared memory image first. */
function runBoth(model: Uint8Array, r: () => number, patch?: (m: EdgerunModel) => void, simdRuntime?: Runtime, optimize?: OptimizeFor): [number[], number[]] {
  const results = (['simd', 'ref'] as const).map((kernels) => {
    const m = loadModel(model, { kernels, optimize });
    patch?.(m);
    return m.createInterpreter(kernels === 'simd' && simdRuntime ? { runtime: simdRuntime } : {});
  });
  const input = Uint8Array.from({ length: results[0].inputs[0].bytes }, () => Math.floor(r() * 256));
  for (const it of results) {
    asBytes(it.inputs[0].data).set(input);
    it.invoke();
  }
  return results.map((it) => Array.from(asBytes(it.outputs[0].data))) as [number[], number[]];
}

function randomQuant(r: () => number) {
  return { scale: [0.005 + r() * 0.1], zeroPoint: [Math.floor(r() * 256) - 128] };
}

interface Case { kind: 'conv' | 'depthwise'; model: Uint8Array; label: string }

/**
 * `shortRows`: conv with outC a multiple of 8 and short filter rows (conv_2d_pairs' cases).
 * `borders`: depthwise with depth multiplier 1, mostly SAME padding, up to three batches and
 * larger images (runs of border windows that clip alike, the SIMD kernel's cached address tables).
 * `winograd`: conv with 3x3 filters, stride 1, no dilation, channels in multiples of 8
 * (conv_2d_winograd's cases: partial tiles, tile passes past the last tile, batches).
 */
function randomWindowCase(r: () => number, kind: 'conv' | 'depthwise', shortRows = false, borders = false, winograd = false): Case | null {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const H = 1 + Math.floor(r() * (borders ? 20 : winograd ? 13 : 11));
  const W = 1 + Math.floor(r() * (borders ? 20 : winograd ? 13 : 11));
  const C = winograd ? pick([8, 16, 24, 32, 64]) : shortRows ? pick([1, 2, 3, 5, 8, 16, 32]) : pick([1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 40]);
  const M = kind === 'depthwise' && !borders ? pick([1, 1, 1, 2, 3]) : 1;
  const O = kind === 'depthwise' ? C * M : pick(shortRows || winograd ? [8, 16, 24, 40] : [1, 3, 4, 5, 8, 13, 16, 17, 24, 32, 37, 40]);
  const kh = winograd ? 3 : shortRows && C > 3 ? 1 : pick([1, 1, 2, 3, 3, 5]);
  const kw = winograd ? 3 : shortRows && C > 3 ? 1 : pick([1, 1, 2, 3, 3, 4]);
  const N = shortRows ? pick([1, 1, 2]) : borders || winograd ? pick([1, 2, 3]) : 1;
  const sh = winograd ? 1 : pick([1, 1, 2, 3]);
  const sw = winograd ? 1 : pick([1, 1, 2, 3]);
  const dh = winograd ? 1 : pick([1, 1, 1, 2]);
  const dw = winograd ? 1 : pick([1, 1, 1, 2]);
  const padding = r() < (borders ? 0.9 : 0.6) ? 0 : 1;
  const act = pick([0, 1, 2, 3]);
  const oh = outputSize(padding, H, kh, sh, dh);
  const ow = outputSize(padding, W, kw, sw, dw);
  if (oh <= 0 || ow <= 0) return null;
  const inQ = randomQuant(r);
  // Output scales from tiny (multipliers > 1, positive shifts) to large.
  const outQ = { scale: [inQ.scale[0] * 0.02 * (0.05 + r() * (r() < 0.2 ? 0.1 : 20))], zeroPoint: [Math.floor(r() * 256) - 128] };
  const perChannel = r() < 0.7;
  const fScales = Array.from({ length: perChannel ? O : 1 }, () => 0.002 + r() * 0.03);
  if (r() < 0.25) {
    // Power-of-two scales: multiplier exactly 2^30, so half the products are rounding ties.
    const pot = () => 2 ** -(4 + Math.floor(r() * 6));
    inQ.scale[0] = pot();
    outQ.scale[0] = pot() / 32;
    fScales.fill(pot());
  }
  const filterShape = kind === 'conv' ? [O, kh, kw, C] : [1, kh, kw, O];
  const filter = Int8Array.from({ length: O * kh * kw * (kind === 'conv' ? C : 1) }, () => Math.floor(r() * 256) - 128);
  const bias = r() < 0.85 ? Int32Array.from({ length: O }, () => Math.floor((r() - 0.5) * (r() < 0.2 ? 2 ** 24 : 2 ** 14))) : null;
  const options: OptionField[] = kind === 'conv'
    ? [{ field: 0, kind: 'int8', value: padding }, { field: 1, kind: 'int32', value: sw }, { field: 2, kind: 'int32', value: sh },
        { field: 3, kind: 'int8', value: act }, { field: 4, kind: 'int32', value: dw }, { field: 5, kind: 'int32', value: dh }]
    : [{ field: 0, kind: 'int8', value: padding }, { field: 1, kind: 'int32', value: sw }, { field: 2, kind: 'int32', value: sh },
        { field: 3, kind: 'int32', value: M }, { field: 4, kind: 'int8', value: act }, { field: 5, kind: 'int32', value: dw },
        { field: 6, kind: 'int32', value: dh }];
  const model = writeModel({
    tensors: [
      { name: 'x', shape: [N, H, W, C], type: INT8, quantization: inQ },
      { name: 'w', shape: filterShape, type: INT8, data: filter,
        quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: kind === 'conv' ? 0 : 3 } },
      ...(bias ? [{ name: 'b', shape: [O], type: INT32, data: bias }] : []),
      { name: 'y', shape: [N, oh, ow, O], type: INT8, quantization: outQ },
    ],
    operators: [{
      builtinCode: kind === 'conv' ? BuiltinOperator.CONV_2D : BuiltinOperator.DEPTHWISE_CONV_2D,
      inputs: bias ? [0, 1, 2] : [0, 1, -1], outputs: [bias ? 3 : 2],
      optionsType: kind === 'conv' ? BuiltinOptionsType.Conv2DOptions : BuiltinOptionsType.DepthwiseConv2DOptions, options,
    }],
    inputs: [0],
    outputs: [bias ? 3 : 2],
  });
  return { kind, model, label: `${kind} in ${N}x${H}x${W}x${C} filter ${kh}x${kw} out ${O} stride ${sh}x${sw} dilation ${dh}x${dw} ${padding ? 'VALID' : 'SAME'} act ${act} ${perChannel ? 'per-channel' : 'per-tensor'}` };
}

/** `count` random window cases (randomWindowCase) from seed: SIMD (on `runtime`, else V8) equals scalar on each. */
function checkWindowCases(seed: number, count: number, kind: Case['kind'], shortRows = false, borders = false, runtime?: Runtime, winograd = false): void {
  const r = rng(seed);
  let ran = 0;
  let tiled = 0;
  while (ran < count) {
    const c = randomWindowCase(r, kind, shortRows, borders, winograd);
    if (!c) continue;
    const [simd, ref] = runBoth(c.model, r, undefined, runtime);
    assert.equal(simd, ref, `case ${ran}: ${c.label}`);
    if (winograd) {
      // The scalar module is prepared with conv_2d_pairs (above); the Winograd block on the
      // scalar module runs its twin, which rebuilds the taps from the transformed filter.
      const tiledModel = loadModel(c.model);
      if (tiledModel.prepared.layout.calls[0].kernel === 'conv_2d_winograd') {
        const it = tiledModel.createInterpreter({ kernels: 'ref' });
        const input = Uint8Array.from({ length: it.inputs[0].bytes }, () => Math.floor(r() * 256));
        const onSimd = tiledModel.createInterpreter(runtime ? { runtime } : {});
        for (const run of [it, onSimd]) {
          asBytes(run.inputs[0].data).set(input);
          run.invoke();
        }
        assert.equal(Array.from(asBytes(onSimd.outputs[0].data)), Array.from(asBytes(it.outputs[0].data)), `case ${ran} (twin): ${c.label}`);
        tiled++;
      }
    }
    ran++;
  }
  if (winograd) assert.ok(tiled >= count * 0.7, `only ${tiled} of ${count} cases ran conv_2d_winograd`);
}

for (const kind of ['conv', 'depthwise'] as const) {
  test(`${kind}: SIMD equals scalar on 250 random configurations`, () => checkWindowCases(kind === 'conv' ? 101 : 202, 250, kind));
}

test('conv, outC a multiple of 8 and short rows (channels in lanes): SIMD equals scalar on 150 random configurations', () => {
  checkWindowCases(111, 150, 'conv', true);
});

test('conv 3x3, stride 1, channels in multiples of 8 (Winograd tiles): SIMD equals scalar on 120 random configurations', () => {
  checkWindowCases(113, 120, 'conv', false, false, undefined, true);
});

test('conv with short rows, --optimize size (1x1 layers without scratch: V8 runs the unrolled loop): SIMD equals scalar on 60 random configurations', () => {
  const r = rng(115);
  let ran = 0;
  while (ran < 60) {
    const c = randomWindowCase(r, 'conv', true);
    if (!c) continue;
    const [simd, ref] = runBoth(c.model, r, undefined, undefined, 'size');
    assert.equal(simd, ref, `case ${ran}: ${c.label}`);
    ran++;
  }
});

test('depthwise, multiplier 1, SAME padding, batches, larger images: SIMD equals scalar on 200 random configurations', () => {
  checkWindowCases(303, 200, 'depthwise', false, true);
});

// wasmtime runs conv_2d_pairs' two-pairs-per-step build (host/run/kernels.ts runtimeKernel).
const wasmtime = listRuntimes().find((rt) => rt.name === 'wasmtime')!;
const wasmtimeRequired = process.env.EDGERUN_REQUIRE_WASMTIME === '1';
(wasmtime.available || wasmtimeRequired ? test : test.skip)('conv on wasmtime (conv_2d_pairs_unrolled among its kernels): SIMD equals scalar on 100 + 100 + 40 (Winograd) random configurations', () => {
  assert.is(runtimeKernel('conv_2d_pairs', 'wasmtime'), 'conv_2d_pairs_unrolled');
  const runtime = getRuntime('wasmtime');
  checkWindowCases(112, 100, 'conv', true, false, runtime);
  checkWindowCases(102, 100, 'conv', false, false, runtime);
  checkWindowCases(114, 40, 'conv', false, false, runtime, true);
});

/**
 * Runs a single-op model on the SIMD module (on `runtime`, else V8) with every byte of the arena
 * and its over-read slack outside the op's buffers (input, output, scratch) set to a canary;
 * returns the addresses of canary bytes the call changed.
 */
function writesOutsideBuffers(model: Uint8Array, r: () => number, runtime?: Runtime): number[] {
  const m = loadModel(model);
  const { layout } = m.prepared;
  const canary = new Uint8Array(layout.totalBytes - layout.arenaStart).fill(1);
  for (const b of layout.arena.buffers) canary.fill(0, layout.arena.offsets.get(b.tensor)!, layout.arena.offsets.get(b.tensor)! + b.bytes);
  const it = m.createInterpreter(runtime ? { runtime } : {});
  const memory = new Uint8Array(it.outputs[0].data.buffer, 0, layout.totalBytes);
  for (let i = 0; i < canary.length; i++) if (canary[i]) memory[layout.arenaStart + i] = 0xa5;
  const input = asBytes(it.inputs[0].data);
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(r() * 256);
  it.invoke();
  const changed: number[] = [];
  for (let i = 0; i < canary.length; i++) if (canary[i] && memory[layout.arenaStart + i] !== 0xa5) changed.push(layout.arenaStart + i);
  return changed;
}

for (const rt of [undefined, wasmtime] as const) {
  (rt === undefined || wasmtime.available || wasmtimeRequired ? test : test.skip)(`convolutions write only their output and scratch (${rt ? 'wasmtime' : 'V8'}): canaries around them on 240 random models`, () => {
    const r = rng(rt ? 122 : 121);
    const runtime = rt ? getRuntime('wasmtime') : undefined;
    let ran = 0;
    while (ran < 240) {
      const mode = ran % 4;
      const c = randomWindowCase(r, mode === 3 ? 'depthwise' : 'conv', mode === 1, mode === 3, mode === 2);
      if (!c) continue;
      assert.equal(writesOutsideBuffers(c.model, r, runtime), [], `case ${ran}: ${c.label}`);
      ran++;
    }
  });
}

function randomAddCase(r: () => number): { model: Uint8Array; label: string } {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const shape = [1, 1 + Math.floor(r() * 9), 1 + Math.floor(r() * 9), pick([1, 3, 8, 16, 17, 33])];
  const layout = pick(['same', 'same', 'scalar2', 'scalar1', 'channel']);
  const shape1 = layout === 'scalar1' ? [1] : shape;
  const shape2 = layout === 'scalar2' ? [1] : layout === 'channel' ? [shape[3]] : shape;
  const q = () => ({ scale: [r() < 0.2 ? 2 ** -(3 + Math.floor(r() * 5)) : 0.002 + r() * (r() < 0.3 ? 1 : 0.05)], zeroPoint: [Math.floor(r() * 256) - 128] });
  const act = pick([0, 1, 2, 3]);
  const sub = r() < 0.3;
  const model = writeModel({
    tensors: [
      { name: 'a', shape: shape1, type: INT8, quantization: q() },
      { name: 'b', shape: shape2, type: INT8, quantization: q(), data: Int8Array.from({ length: shape2.reduce((x, y) => x * y, 1) }, () => Math.floor(r() * 256) - 128) },
      { name: 'y', shape, type: INT8, quantization: q() },
    ],
    operators: [{ builtinCode: sub ? BuiltinOperator.SUB : BuiltinOperator.ADD, inputs: [0, 1], outputs: [2],
      optionsType: sub ? BuiltinOptionsType.SubOptions : BuiltinOptionsType.AddOptions, options: [{ field: 0, kind: 'int8', value: act }] }],
    inputs: [0],
    outputs: [2],
  });
  return { model, label: `${sub ? 'sub' : 'add'} ${layout} [${shape1}] + [${shape2}] act ${act}` };
}

test('add, sub: SIMD equals scalar on 300 random models (same shape, scalar and channel broadcasts)', () => {
  const r = rng(303);
  for (let i = 0; i < 300; i++) {
    const c = randomAddCase(r);
    let outputs: [number[], number[]];
    try {
      outputs = runBoth(c.model, r);
    } catch (e) {
      // Scale combinations whose rescale multiplier is >= 1 are rejected at prepare, as TFLite does.
      if ((e as Error).message.includes('multiplier is >= 1')) continue;
      throw e;
    }
    assert.equal(outputs[0], outputs[1], `case ${i}: ${c.label}`);
  }
});

test('add: SIMD equals scalar in place (the second of two chained ADDs overwrites its input), with 16-lane tails', () => {
  const r = rng(304);
  for (let i = 0; i < 60; i++) {
    const n = 16 + Math.floor(r() * 60);
    const q = () => ({ scale: [0.01 + r() * 0.05], zeroPoint: [Math.floor(r() * 256) - 128] });
    const constant = () => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
    const model = writeModel({
      tensors: [
        { name: 'x', shape: [1, n], type: INT8, quantization: q() },
        { name: 'c1', shape: [1, n], type: INT8, quantization: q(), data: constant() },
        { name: 't', shape: [1, n], type: INT8, quantization: q() },
        { name: 'c2', shape: [1, n], type: INT8, quantization: q(), data: constant() },
        { name: 'y', shape: [1, n], type: INT8, quantization: q() },
      ],
      operators: [
        { builtinCode: BuiltinOperator.ADD, inputs: [0, 1], outputs: [2], optionsType: BuiltinOptionsType.AddOptions, options: [] },
        { builtinCode: BuiltinOperator.ADD, inputs: [2, 3], outputs: [4], optionsType: BuiltinOptionsType.AddOptions, options: [] },
      ],
      inputs: [0],
      outputs: [4],
    });
    const m = loadModel(model, { kernels: 'simd' });
    const view = new DataView(m.prepared.layout.image.buffer);
    const second = m.prepared.layout.calls[1].block;
    assert.is(view.getInt32(second + BLOCKS.binary.offsets.input1, true), view.getInt32(second + BLOCKS.binary.offsets.output, true), 'planned in place');
    const [simd, ref] = runBoth(model, r);
    assert.equal(simd, ref, `case ${i}: ${n} elements`);
  }
});

test('fully_connected: SIMD equals scalar on 300 random models (depth tails, batches, zero points, both requant paths)', () => {
  const r = rng(404);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 300; i++) {
    const depth = pick([1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 129]);
    const units = pick([1, 2, 3, 4, 5, 8, 11, 16, 33]);
    const batches = pick([1, 1, 2, 3]);
    const perChannel = r() < 0.5;
    const fScales = Array.from({ length: perChannel ? units : 1 }, () => 0.001 + r() * 0.05);
    const filterZero = perChannel || r() < 0.5 ? 0 : Math.floor(r() * 21) - 10;
    const bias = r() < 0.8 ? Int32Array.from({ length: units }, () => Math.floor((r() - 0.5) * 2 ** 16)) : null;
    const inQ = randomQuant(r);
    const outQ = { scale: [0.001 + r() * 0.3], zeroPoint: [Math.floor(r() * 256) - 128] };
    const ties = r() < 0.4;
    if (ties) {
      // Effective scale 2^-k with small weights: unclamped outputs, and exact rounding ties
      // (acc * 2^-k with fraction 1/2) in both requantization paths.
      inQ.scale[0] = 2 ** -4;
      fScales.fill(2 ** -6);
      outQ.scale[0] = 2 ** (-10 + 5 + Math.floor(r() * 3));
    }
    const model = writeModel({
      tensors: [
        { name: 'x', shape: [batches, depth], type: INT8, quantization: inQ },
        { name: 'w', shape: [units, depth], type: INT8, data: Int8Array.from({ length: units * depth }, () => ties ? Math.floor(r() * 9) - 4 : Math.floor(r() * 256) - 128),
          quantization: { scale: fScales, zeroPoint: fScales.map(() => filterZero), quantizedDimension: 0 } },
        ...(bias ? [{ name: 'b', shape: [units], type: INT32, data: bias }] : []),
        { name: 'y', shape: [batches, units], type: INT8, quantization: outQ },
      ],
      operators: [{ builtinCode: BuiltinOperator.FULLY_CONNECTED, inputs: bias ? [0, 1, 2] : [0, 1, -1], outputs: [bias ? 3 : 2],
        optionsType: BuiltinOptionsType.FullyConnectedOptions, options: [{ field: 0, kind: 'int8', value: pick([0, 1, 2, 3]) }] }],
      inputs: [0],
      outputs: [bias ? 3 : 2],
    });
    // Half the cases are prepared for the fixed-point requantization path (requantMode 0).
    const fixedPoint = r() < 0.5;
    FC_REQUANT.inDouble = !fixedPoint;
    let simd: number[];
    let ref: number[];
    try {
      [simd, ref] = runBoth(model, r);
    } finally {
      FC_REQUANT.inDouble = true;
    }
    assert.equal(simd, ref, `case ${i}: depth ${depth} units ${units} batches ${batches} ${perChannel ? 'per-channel' : `per-tensor zp ${filterZero}`} ${fixedPoint ? 'fixed-point' : 'double'}`);
    if (i % 5 === 0) assert.equal(writesOutsideBuffers(model, r), [], `case ${i}: writes outside its output and scratch`);
  }
});

test('lstm: SIMD equals scalar on 60 random models (feature/cell tails, CIFG, peephole, projection, layer norm, batches, time-major)', () => {
  const r = rng(505);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const INT16 = 7;
  const q = (scale: number, zp = 0) => ({ scale: [scale], zeroPoint: [zp] });
  for (let i = 0; i < 60; i++) {
    const nInput = pick([1, 3, 7, 8, 9, 16, 17, 33]);
    const nCell = pick([1, 3, 4, 5, 8, 12, 17]);
    const cifg = r() < 0.3;
    const peephole = r() < 0.4;
    const projection = r() < 0.4;
    const timeMajor = r() < 0.3;
    const layerNorm = r() < 0.3;
    const nOutput = projection ? pick([1, 2, 5, 9]) : nCell;
    const batches = pick([1, 1, 2, 3]);
    const time = pick([1, 2, 5]);
    if (peephole && projection && nOutput > nCell && timeMajor && batches > 1) continue; // undefined in TFLite
    const int8s = (n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
    const w = (rows: number, cols: number, name: string) => ({ name, shape: [rows, cols], type: INT8, data: int8s(rows * cols), quantization: q(0.002 + r() * 0.02) });
    const bias = (n: number, name: string) => ({ name, shape: [n], type: INT32, data: Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2 ** 14)) });
    const peep = (name: string) => ({ name, shape: [nCell], type: INT16, data: Int16Array.from({ length: nCell }, () => Math.floor((r() - 0.5) * 2 ** 15)), quantization: q(0.0001 + r() * 0.001) });
    const tensors: object[] = [];
    const add = (t: object | null) => (t ? tensors.push(t) - 1 : -1);
    const shape = timeMajor ? [time, batches, nInput] : [batches, time, nInput];
    const inputs = [
      add({ name: 'x', shape, type: INT8, quantization: randomQuant(r) }),
      add(cifg ? null : w(nCell, nInput, 'wi')), add(w(nCell, nInput, 'wf')), add(w(nCell, nInput, 'wc')), add(w(nCell, nInput, 'wo')),
      add(cifg ? null : w(nCell, nOutput, 'ri')), add(w(nCell, nOutput, 'rf')), add(w(nCell, nOutput, 'rc')), add(w(nCell, nOutput, 'ro')),
      add(peephole && !cifg ? peep('pi') : null), add(peephole ? peep('pf') : null), add(peephole ? peep('po') : null),
      add(cifg ? null : bias(nCell, 'bi')), add(bias(nCell, 'bf')), add(bias(nCell, 'bc')), add(bias(nCell, 'bo')),
      add(projection ? w(nOutput, nCell, 'proj') : null), add(projection && r() < 0.5 ? bias(nOutput, 'pb') : null),
      add({ name: 'h', shape: [batches, nOutput], type: INT8, isVariable: true, quantization: randomQuant(r) }),
      add({ name: 'c', shape: [batches, nCell], type: INT16, isVariable: true, quantization: q(2 ** -pick([10, 11, 14])) }),
      ...['li', 'lf', 'lc', 'lo'].map((name, g) => (layerNorm && !(cifg && g === 0) ? add(peep(name)) : -1)),
    ];
    const intermediates = [0, 1, 2, 3].map((k) =>
      add(layerNorm ? { name: `i${k}`, shape: [0], type: INT16, quantization: q(0.0002 + r() * 0.002) } : { name: `i${k}`, shape: [0], type: 0 }));
    intermediates.push(add({ name: 'hidden', shape: [0], type: INT8, quantization: randomQuant(r) }));
    const output = add({ name: 'y', shape: [...shape.slice(0, 2), nOutput], type: INT8, quantization: randomQuant(r) });
    const model = writeModel({
      tensors: tensors as never,
      operators: [{
        builtinCode: BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, outputs: [output], intermediates,
        optionsType: BuiltinOptionsType.UnidirectionalSequenceLSTMOptions,
        options: [
          { field: 0, kind: 'int8', value: 4 }, { field: 1, kind: 'float32', value: r() < 0.5 ? 0 : 3 },
          { field: 2, kind: 'float32', value: projection && r() < 0.5 ? 0.5 : 0 }, { field: 3, kind: 'bool', value: timeMajor },
        ],
      }],
      inputs: [inputs[0]],
      outputs: [output],
    });
    // Two invocations: the second starts from the state the first left.
    const models = (['simd', 'ref'] as const).map((kernels) => loadModel(model, { kernels }).createInterpreter());
    for (let step = 0; step < 2; step++) {
      const x = Uint8Array.from({ length: models[0].inputs[0].bytes }, () => Math.floor(r() * 256));
      for (const it of models) {
        asBytes(it.inputs[0].data).set(x);
        it.invoke();
      }
      assert.equal(Array.from(asBytes(models[0].outputs[0].data)), Array.from(asBytes(models[1].outputs[0].data)),
        `case ${i} step ${step}: in ${nInput} cells ${nCell} out ${nOutput} batches ${batches} time ${time} cifg ${cifg} peephole ${peephole} projection ${projection} timeMajor ${timeMajor} layerNorm ${layerNorm}`);
    }
  }
});

test('lstm activations: SIMD equals scalar on every int16 input (sigmoid on Q3.12, tanh on Q0..Q7)', () => {
  const count = 65536;
  const [inAt, outAt, block] = [64, 64 + 2 * count, 64 + 4 * count];
  const results = (['simd', 'ref'] as const).map((flavor) => {
    const instance = v8Runtime.instantiate(kernelModule(flavor), { initial: 5, maximum: 5 });
    const input = new Int16Array(instance.memory.buffer, inAt, count);
    for (let i = 0; i < count; i++) input[i] = i - 32768;
    const view = new DataView(instance.memory.buffer);
    const { offsets } = BLOCKS.lstm_activation;
    return [-1, 0, 1, 2, 3, 4, 5, 6, 7].map((bits) => {
      view.setInt32(block + offsets.input, inAt, true);
      view.setInt32(block + offsets.output, outAt, true);
      view.setInt32(block + offsets.count, count, true);
      view.setInt32(block + offsets.integerBits, bits, true);
      assert.is(instance.call('lstm_activation', block), 0);
      return Int16Array.from(new Int16Array(instance.memory.buffer, outAt, count));
    });
  });
  results[0].forEach((simd, k) => {
    const ref = results[1][k];
    const first = simd.findIndex((v, i) => v !== ref[i]);
    assert.is(first, -1, `${k === 0 ? 'sigmoid' : `tanh Q${k - 1}`}: input ${first - 32768} gives ${simd[first]} (SIMD) vs ${ref[first]}`);
  });
  // Spot values of the scalar twin itself: sigmoid(0) = 1/2, tanh(0) = 0, both odd/complementary.
  assert.is(results[1][0][32768], 16384);
  assert.is(results[1][4][32768], 0);
  assert.is(results[1][4][32768 + 4096] , -results[1][4][32768 - 4096]);
});

test('average and max pool: SIMD equals scalar on 300 random models', () => {
  const r = rng(505);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  let ran = 0;
  while (ran < 300) {
    const kind = r() < 0.5 ? 'average' : 'max';
    const [H, W, C] = [1 + Math.floor(r() * 12), 1 + Math.floor(r() * 12), pick([3, 16, 17, 24, 32, 40, 64])];
    const [fh, fw, sh, sw] = [pick([1, 2, 3, 5]), pick([1, 2, 3, 4]), pick([1, 2, 3]), pick([1, 2])];
    const padding = r() < 0.5 ? 0 : 1;
    const oh = outputSize(padding, H, fh, sh, 1);
    const ow = outputSize(padding, W, fw, sw, 1);
    if (oh <= 0 || ow <= 0) continue;
    const q = randomQuant(r);
    const model = writeModel({
      tensors: [{ name: 'x', shape: [1, H, W, C], type: INT8, quantization: q }, { name: 'y', shape: [1, oh, ow, C], type: INT8, quantization: q }],
      operators: [{
        builtinCode: kind === 'average' ? BuiltinOperator.AVERAGE_POOL_2D : BuiltinOperator.MAX_POOL_2D, inputs: [0], outputs: [1],
        optionsType: BuiltinOptionsType.Pool2DOptions,
        options: [{ field: 0, kind: 'int8', value: padding }, { field: 1, kind: 'int32', value: sw }, { field: 2, kind: 'int32', value: sh },
          { field: 3, kind: 'int32', value: fw }, { field: 4, kind: 'int32', value: fh }, { field: 5, kind: 'int8', value: pick([0, 1, 2, 3]) }],
      }],
      inputs: [0],
      outputs: [1],
    });
    const [simd, ref] = runBoth(model, r);
    assert.equal(simd, ref, `case ${ran}: ${kind} ${H}x${W}x${C} window ${fh}x${fw} stride ${sh}x${sw} ${padding ? 'VALID' : 'SAME'}`);
    ran++;
  }
});

test('softmax: SIMD equals scalar on 200 random models (depth tails, beta, input scales)', () => {
  const r = rng(606);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 200; i++) {
    const shape = [pick([1, 2, 5]), pick([1, 2, 3, 4, 5, 7, 8, 10, 12, 16, 33, 64, 100])];
    const beta = pick([1, 1, 0.5, 2, 0.1, 3.7]);
    const inQ = { scale: [pick([0.01, 0.05, 0.1, 0.25, 1 / 16, 0.003])], zeroPoint: [Math.floor(r() * 256) - 128] };
    const model = writeModel({
      tensors: [{ name: 'x', shape, type: INT8, quantization: inQ }, { name: 'y', shape, type: INT8, quantization: { scale: [1 / 256], zeroPoint: [-128] } }],
      operators: [{ builtinCode: BuiltinOperator.SOFTMAX, inputs: [0], outputs: [1], optionsType: BuiltinOptionsType.SoftmaxOptions,
        options: [{ field: 0, kind: 'float32', value: beta }] }],
      inputs: [0],
      outputs: [1],
    });
    const [simd, ref] = runBoth(model, r);
    assert.equal(simd, ref, `case ${i}: [${shape}] beta ${beta} scale ${inQ.scale[0]}`);
  }
});


test('requantization: the SIMD kernels\' f64 arithmetic equals fixed point for shifts -24..+3, large accumulators, and its fallback', () => {
  // 1x1 convolutions with input and output scale 1: channel c's rescale factor is its filter scale,
  // spread over 2^-24..2^3, with biases and weights sized to land on both sides of the guard in
  // host/ops/common.ts requantTableArg (no table: the kernel runs its scalar twin).
  const r = rng(404);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const seen = { table: 0, fallback: 0 };
  for (let i = 0; i < 160; i++) {
    const C = pick([1, 4, 5, 8, 12, 16]);
    const O = pick([4, 7, 8, 16]);
    const P = 1 + Math.floor(r() * 12);
    const exponent = -24 + Math.floor(r() * 28);
    const fScales = Array.from({ length: O }, () => 2 ** (exponent + Math.floor(r() * 3) - 1) * (r() < 0.3 ? 1 : 0.5 + r() / 2));
    const weightRange = pick([2, 16, 256]);
    const biasRange = pick([0, 2 ** 10, 2 ** 19, 2 ** 24, 2 ** 30]);
    const filter = Int8Array.from({ length: O * C }, () => Math.max(-127, Math.floor((r() - 0.5) * weightRange)));
    const bias = Int32Array.from({ length: O }, () => Math.floor((r() - 0.5) * 2 * biasRange));
    const model = writeModel({
      tensors: [
        { name: 'x', shape: [1, 1, P, C], type: INT8, quantization: { scale: [1], zeroPoint: [Math.floor(r() * 256) - 128] } },
        { name: 'w', shape: [O, 1, 1, C], type: INT8, data: filter, quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: 0 } },
        { name: 'b', shape: [O], type: INT32, data: bias },
        { name: 'y', shape: [1, 1, P, O], type: INT8, quantization: { scale: [1], zeroPoint: [Math.floor(r() * 256) - 128] } },
      ],
      operators: [{
        builtinCode: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.Conv2DOptions,
        options: [{ field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }],
      }],
      inputs: [0],
      outputs: [3],
    });
    let hasTable = false;
    const [simd, ref] = runBoth(model, r, (m) => {
      const { image, calls } = m.prepared.layout;
      hasTable = new DataView(image.buffer).getUint32(calls[0].block + BLOCKS.conv_2d.offsets.requant, true) !== 0;
    });
    seen[hasTable ? 'table' : 'fallback']++;
    assert.equal(simd, ref, `case ${i}: ${C}->${O} x ${P} pixels, filter scales 2^${exponent}±1, weights ±${weightRange / 2}, biases ±${biasRange}`);
  }
  assert.ok(seen.table > 80 && seen.fallback > 10, JSON.stringify(seen));
});

/**
 * The first accumulator at which TFLite's MultiplyByQuantizedMultiplier for the rescale factor
 * `effective` reaches an output level, for a random unclamped level, or for the first level
 * where f32 arithmetic without requantPair's check (t = fl32(fl32(acc * S32) + copysign(H, acc)),
 * rounded to nearest) is wrong on either side of the boundary: at an exact tie of t, or, rarely,
 * a near miss (t off by its rounding errors). Null when no level has that kind.
 */
function boundaryAccumulator(effective: number, outZp: number, kind: 'any' | 'tie' | 'near miss', r: () => number): number | null {
  const { multiplier, shift } = quantizeMultiplier(effective);
  const e = Math.max(-shift, 0);
  const scale = (multiplier * 2 ** Math.max(shift, 0)) / 2 ** (31 + e);
  const half = e > 0 ? 2 ** -(e + 1) : 0;
  const t = (acc: number) => Math.fround(Math.fround(Math.fround(acc) * Math.fround(scale)) + (acc < 0 ? -half : half));
  const nearest = (acc: number) => Math.fround(t(acc) + 12582912) - 12582912;
  const first = -127 - outZp; // unclamped levels: first .. first + 253
  const levels = kind === 'any' ? [first + Math.floor(r() * 254)] : Array.from({ length: 254 }, (_, k) => first + k);
  for (const level of levels) {
    let acc = Math.ceil((level - 0.5) / scale);
    while (multiplyByQuantizedMultiplier(acc - 1, multiplier, shift) >= level) acc--;
    while (multiplyByQuantizedMultiplier(acc, multiplier, shift) < level) acc++;
    if (kind === 'any') return acc;
    for (const [a, want] of [[acc, level], [acc - 1, level - 1]]) {
      if (nearest(a) === want) continue;
      if ((Math.abs(t(a) - nearest(a)) === 0.5) === (kind === 'tie')) return acc;
    }
  }
  return null;
}

test('requantization: the f32 fast path (assembly/simd.ts requantPair) equals fixed point on both sides of rounding boundaries', () => {
  // 1x1 convolutions and depthwise convolutions over 256 pixels holding every int8 value once, with
  // weights ±1 and output scale 1: channel c sees 256 consecutive accumulators around a rounding
  // boundary (placed by its bias), and further boundaries when its rescale factor (2^-12..2^-1) is
  // large. The input scale gives the factor a full 31-bit multiplier (a float32 scale alone has 24 bits). Channel 0 gets a near miss of plain f32 rounding (about 1 channel in 50
  // has one), channel 1 an exact tie. Convolutions with 8 or 16 output channels run conv_2d_pairs
  // (requant16), 12 or 20 conv_2d (requantPair); depthwise covers both of its paths.
  const r = rng(405);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const pixels = 256;
  for (let i = 0; i < 36; i++) {
    const depthwise = i % 3 === 2;
    const O = depthwise ? pick([8, 13, 16]) : pick([8, 12, 16, 20]);
    const C = depthwise ? O : 1;
    const outZp = Math.floor(r() * 201) - 100;
    const inScale = Math.fround(0.5 + r() / 2);
    const fScales: number[] = [];
    const boundaries: number[] = [];
    for (let c = 0; c < O; c++) {
      const kind = c === 0 ? 'near miss' : c === 1 ? 'tie' : 'any';
      for (let tries = 0; fScales.length === c; tries++) {
        assert.ok(tries < 2000, `case ${i}: no scale with a ${kind} found`);
        const fScale = Math.fround(2 ** (-11 + r() * 11)); // the model stores float32 scales
        const acc = boundaryAccumulator(inScale * fScale, outZp, kind, r); // host/ops/common.ts perChannelRequant's product
        if (acc === null) continue;
        fScales.push(fScale);
        boundaries.push(acc);
      }
    }
    const filter = Int8Array.from({ length: O }, () => (r() < 0.5 ? -1 : 1)); // one tap per output channel either way
    // Pixel p's accumulator is bias + w * (p - 128).
    const bias = Int32Array.from({ length: O }, (_, c) => boundaries[c] - filter[c] * (Math.floor(r() * 200) - 100));
    const wShape = depthwise ? [1, 1, 1, O] : [O, 1, 1, C];
    const model = writeModel({
      tensors: [
        { name: 'x', shape: [1, 1, pixels, C], type: INT8, quantization: { scale: [inScale], zeroPoint: [0] } },
        { name: 'w', shape: wShape, type: INT8, data: filter, quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: depthwise ? 3 : 0 } },
        { name: 'b', shape: [O], type: INT32, data: bias },
        { name: 'y', shape: [1, 1, pixels, O], type: INT8, quantization: { scale: [1], zeroPoint: [outZp] } },
      ],
      operators: [depthwise ? {
        builtinCode: BuiltinOperator.DEPTHWISE_CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.DepthwiseConv2DOptions,
        options: [{ field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }, { field: 3, kind: 'int32', value: 1 }],
      } : {
        builtinCode: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.Conv2DOptions,
        options: [{ field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }],
      }],
      inputs: [0],
      outputs: [3],
    });
    const input = Uint8Array.from({ length: pixels * C }, (_, k) => (Math.floor(k / C) - 128) & 0xff);
    const outputs = (['simd', 'ref'] as const).map((kernels) => {
      const m = loadModel(model, { kernels });
      if (kernels === 'simd') assert.equal(m.prepared.layout.calls.map((c) => c.scalar), [false], `case ${i}: SIMD path`);
      const it = m.createInterpreter();
      asBytes(it.inputs[0].data).set(input);
      it.invoke();
      return Array.from(asBytes(it.outputs[0].data));
    });
    for (let c = 0; c < O; c++) {
      const values = new Set(Array.from({ length: pixels }, (_, p) => outputs[1][p * O + c]));
      assert.ok(values.size > 1, `case ${i}: channel ${c}'s outputs span a boundary`);
    }
    assert.equal(outputs[0], outputs[1], `case ${i}: ${depthwise ? 'depthwise' : 'conv'} ${C}->${O}, output zero point ${outZp}`);
  }
});

test('shipped models run every layer on its SIMD kernel: none falls back to a scalar twin (pruned-away rows included)', () => {
  const dirs = ['bench', 'pm', 'pruned', 'pruned_dscnn'].map((d) => join(ROOT, 'models', d));
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.tflite')).map((f) => join(d, f)));
  assert.ok(files.length >= 20, `${files.length} models`);
  for (const file of files) {
    const scalar = loadModel(file).prepared.layout.calls.filter((c) => c.scalar).map((c) => `op ${c.opIndex} ${c.kernel}`);
    assert.equal(scalar, [], file);
  }
});

test.run();
