/**
 * Sparse constants: TFLite's SparsityParameters (CSR, 1xB blocks, DENSIFY folding) must load to the
 * same dense values, so a sparse model gives exactly the bytes of its dense twin on both kernel
 * modules; malformed sparsity is a one-line ModelError.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ModelError } from '../host/errors.js';
import { BLOCKS } from '../host/abi/blocks.js';
import { loadModel } from '../host/index.js';
import { FC_REQUANT } from '../host/ops/fully_connected.js';
import { SPARSE_CROSSOVER } from '../host/ops/sparse.js';
import type { Sparsity } from '../host/tflite/model.js';
import { BuiltinOperator, BuiltinOptionsType } from '../host/tflite/schema.js';
import { type TensorSpec, writeModel } from '../host/tflite/writer.js';
import { allGoldenCases, asBytes, casePath, firstDifference, npyBytes, rng, ROOT } from './helpers.js';

const INT8 = 9;
const INT32 = 2;

/** TFLite's encoding of a [rows, (1, ...,) cols] int8 tensor of `rank` dims: CSR over columns
 *  (block 1) or 1 x block, unit dims DENSE. */
export function encodeSparse(w: Int8Array, rows: number, cols: number, block: number, rank = 2): { sparsity: Sparsity; values: Int8Array } {
  const blocks = cols / block;
  const segments = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < blocks; c++) {
      const slice = w.subarray(r * cols + c * block, r * cols + (c + 1) * block);
      if (slice.some((v) => v !== 0)) {
        indices.push(c);
        values.push(...slice);
      }
    }
    segments.push(indices.length);
  }
  const dense = (denseSize: number) => ({ format: 'dense' as const, denseSize, segments: [], indices: [] });
  const dims: Sparsity['dimMetadata'] = [
    dense(rows), ...new Array(rank - 2).fill(0).map(() => dense(1)), { format: 'csr', denseSize: 0, segments, indices },
  ];
  if (block > 1) dims.push(dense(block));
  const levels = rank + (block > 1 ? 1 : 0);
  return {
    sparsity: { traversalOrder: [...Array(levels).keys()], blockMap: block > 1 ? [rank - 1] : [], dimMetadata: dims },
    values: Int8Array.from(values),
  };
}

/** Zeroes weights (whole 1 x block groups) until about `sparsity` of them are zero. */
export function prune(w: Int8Array, block: number, sparsity: number, r: () => number): Int8Array {
  const out = Int8Array.from(w);
  for (let i = 0; i < out.length; i += block) if (r() < sparsity) out.fill(0, i, i + block);
  return out;
}

interface FcCase { batches: number; depth: number; units: number; weights: Int8Array; block: number; densify: boolean; perChannel: boolean }

function fcModel(c: FcCase, sparse: boolean): Uint8Array {
  const scales = Array.from({ length: c.perChannel ? c.units : 1 }, (_, i) => 0.004 + 0.001 * (i % 7));
  const quant = { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 };
  const encoded = encodeSparse(c.weights, c.units, c.depth, c.block);
  const weights: TensorSpec = sparse
    ? { name: 'w_sparse', shape: [c.units, c.depth], type: INT8, data: encoded.values, sparsity: encoded.sparsity, quantization: quant }
    : { name: 'w', shape: [c.units, c.depth], type: INT8, data: c.weights, quantization: quant };
  const viaDensify = sparse && c.densify;
  const tensors: TensorSpec[] = [
    { name: 'x', shape: [c.batches, c.depth], type: INT8, quantization: { scale: [0.05], zeroPoint: [3] } },
    weights,
    { name: 'b', shape: [c.units], type: INT32, data: Int32Array.from({ length: c.units }, (_, i) => (i * 37) % 200 - 100) },
    { name: 'y', shape: [c.batches, c.units], type: INT8, quantization: { scale: [0.02], zeroPoint: [-5] } },
  ];
  if (viaDensify) tensors.push({ name: 'w_dense', shape: [c.units, c.depth], type: INT8, quantization: quant });
  return writeModel({
    tensors,
    operators: [
      ...(viaDensify ? [{ builtinCode: BuiltinOperator.DENSIFY, inputs: [1], outputs: [4] }] : []),
      { builtinCode: BuiltinOperator.FULLY_CONNECTED, inputs: [0, viaDensify ? 4 : 1, 2], outputs: [3], optionsType: BuiltinOptionsType.FullyConnectedOptions },
    ],
    inputs: [0],
    outputs: [3],
  });
}

/** A stride-1 1x1 CONV_2D on [1, h, w, inC] with weights [outC][inC], stored sparsely (1 x block) or dense. */
function convModel(weights: Int8Array, outC: number, inC: number, h: number, w: number, activation: number, sparse: boolean, block = 16, outScale = 0.03): Uint8Array {
  const encoded = encodeSparse(weights, outC, inC, block, 4);
  const scales = Array.from({ length: outC }, (_, k) => 0.003 + 0.0007 * (k % 5));
  const quant = { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 };
  return writeModel({
    tensors: [
      { name: 'x', shape: [1, h, w, inC], type: INT8, quantization: { scale: [0.04], zeroPoint: [-7] } },
      sparse
        ? { name: 'w', shape: [outC, 1, 1, inC], type: INT8, data: encoded.values, sparsity: encoded.sparsity, quantization: quant }
        : { name: 'w', shape: [outC, 1, 1, inC], type: INT8, data: weights, quantization: quant },
      { name: 'b', shape: [outC], type: INT32, data: Int32Array.from({ length: outC }, (_, k) => k * 50 - 100) },
      { name: 'y', shape: [1, h, w, outC], type: INT8, quantization: { scale: [outScale], zeroPoint: [4] } },
    ],
    operators: [{
      builtinCode: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.Conv2DOptions,
      options: [{ field: 0, kind: 'int8', value: 1 }, { field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }, { field: 3, kind: 'int8', value: activation }],
    }],
    inputs: [0],
    outputs: [3],
  });
}

/** Runs fn with the sparse kernel forced in block size `block` (whatever the density; 64: 4x16 tiles):
 *  the row kernel, or with `pixels` the pixel-vectorized 1x1 convolution kernel (blocks 16 and 64). */
function forcingSparse<T>(block: number, fn: () => T, pixels = false): T {
  const saved = structuredClone(SPARSE_CROSSOVER);
  for (const [name, table] of Object.entries(SPARSE_CROSSOVER)) {
    Object.assign(table, { 1: 0, 4: 0, 16: 0, 64: 0 }, (name === 'spmm') === pixels ? { [block]: Infinity } : {});
  }
  try {
    return fn();
  } finally {
    for (const [name, table] of Object.entries(saved)) Object.assign(SPARSE_CROSSOVER[name as keyof typeof saved], table);
  }
}

/** Runs a one-op model; `fixedPoint` prepares its FULLY_CONNECTED for requantMode 0. */
function run(model: Uint8Array, kernels: 'simd' | 'ref', input: Uint8Array, fixedPoint = false): number[] {
  FC_REQUANT.inDouble = !fixedPoint;
  let m: ReturnType<typeof loadModel>;
  try {
    m = loadModel(model, { kernels });
  } finally {
    FC_REQUANT.inDouble = true;
  }
  const it = m.createInterpreter();
  asBytes(it.inputs[0].data).set(input);
  it.invoke();
  return Array.from(asBytes(it.outputs[0].data));
}

test('sparse FULLY_CONNECTED weights (CSR, 1x4, 1x16; with and without DENSIFY) give the dense twin\'s bytes', () => {
  const r = rng(707);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 120; i++) {
    const block = pick([1, 4, 16]);
    const depth = block * pick([1, 2, 3, 5, 8, 17]);
    const units = pick([1, 3, 4, 7, 16, 33]);
    const sparsity = pick([0, 0.5, 0.8, 0.9, 0.97, 1]);
    const weights = prune(Int8Array.from({ length: units * depth }, () => Math.floor(r() * 255) - 127), block, sparsity, r);
    const c: FcCase = { batches: pick([1, 1, 2, 3]), depth, units, weights, block, densify: r() < 0.5, perChannel: r() < 0.5 };
    const input = Uint8Array.from({ length: c.batches * depth }, () => Math.floor(r() * 256));
    for (const kernels of ['simd', 'ref'] as const) {
      // Weights fed sparsely straight to FULLY_CONNECTED take TFLite's sparse path, which
      // requantizes in fixed point; the dense twin is switched to the same arithmetic.
      const dense = run(fcModel(c, false), kernels, input, !c.densify);
      const what = `case ${i} (${kernels}): ${units}x${depth} block ${block} sparsity ${sparsity} densify ${c.densify}`;
      assert.equal(run(fcModel(c, true), kernels, input), dense, what);
      assert.equal(forcingSparse(block, () => run(fcModel(c, true), kernels, input)), dense, `${what}, sparse kernel forced`);
    }
  }
});

test('sparse 1x1 CONV_2D weights (stride 1, the FC-over-pixels kernel) give the dense twin\'s bytes', () => {
  const r = rng(708);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 60; i++) {
    const block = pick([1, 4, 16]);
    const inC = block * pick([1, 2, 3, 4]);
    const outC = pick([1, 4, 5, 8, 13]);
    const [h, w] = [pick([1, 2, 5]), pick([1, 3, 4])];
    const weights = prune(Int8Array.from({ length: outC * inC }, () => Math.floor(r() * 255) - 127), block, pick([0.5, 0.8, 0.95]), r);
    const activation = pick([0, 1, 3]);
    const model = (sparse: boolean) => convModel(weights, outC, inC, h, w, activation, sparse, block);
    const input = Uint8Array.from({ length: h * w * inC }, () => Math.floor(r() * 256));
    for (const kernels of ['simd', 'ref'] as const) {
      const dense = run(model(false), kernels, input);
      assert.equal(run(model(true), kernels, input), dense, `case ${i} (${kernels}): ${outC}x${inC} block ${block} ${h}x${w}`);
      assert.equal(forcingSparse(block, () => run(model(true), kernels, input)), dense, `case ${i} (${kernels}), sparse kernel forced`);
      if (block === 16) assert.equal(forcingSparse(16, () => run(model(true), kernels, input), true), dense, `case ${i} (${kernels}), pixel kernel forced`);
    }
  }
});

/** Zeroes whole 4x16 tiles (four consecutive rows' 1x16 blocks at the same columns) with probability
 *  `sparsity`, as pruning in 4x16 tiles does; with `holes`, also some single row blocks of kept tiles. */
export function pruneTiles(w: Int8Array, rows: number, cols: number, sparsity: number, holes: number, r: () => number): Int8Array {
  const out = Int8Array.from(w);
  for (let g = 0; g < rows; g += 4) {
    for (let c = 0; c < cols; c += 16) {
      const drop = r() < sparsity;
      for (let q = g; q < Math.min(g + 4, rows); q++) if (drop || r() < holes) out.fill(0, q * cols + c, q * cols + c + 16);
    }
  }
  return out;
}

/** The `block` field of a loaded one-op model's sparse call (0 when it runs dense), 'p'-prefixed on the pixel kernel. */
function sparseBlock(model: Uint8Array): number | string {
  const { image, calls } = loadModel(model, { kernels: 'simd' }).prepared.layout;
  if (calls[0].kernel !== 'sparse_fully_connected' && calls[0].kernel !== 'sparse_conv_1x1') return 0;
  const block = new DataView(image.buffer).getInt32(calls[0].block + BLOCKS[calls[0].kernel].offsets.block, true);
  return calls[0].kernel === 'sparse_conv_1x1' ? `p${block}` : block;
}

test('row-grouped 4x16 tiles (FULLY_CONNECTED and 1x1 CONV_2D): the dense twin\'s bytes on both kernel modules', () => {
  const r = rng(709);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 100; i++) {
    const depth = 16 * pick([1, 2, 3, 5, 8]);
    const units = pick([1, 3, 4, 5, 7, 8, 16, 33]);
    const sparsity = pick([0, 0.5, 0.8, 0.95, 1]);
    const holes = pick([0, 0, 0.1, 0.5]);
    const weights = pruneTiles(Int8Array.from({ length: units * depth }, () => Math.floor(r() * 255) - 127), units, depth, sparsity, holes, r);
    const conv = r() < 0.35;
    const batches = pick([1, 2, 3, 4, 5, 9]);
    const input = Uint8Array.from({ length: batches * depth }, () => Math.floor(r() * 256));
    const what = `case ${i}: ${conv ? 'conv' : 'fc'} ${units}x${depth} x${batches} sparsity ${sparsity} holes ${holes}`;
    let dense: (k: 'simd' | 'ref') => number[];
    let sparse: () => Uint8Array;
    if (conv) {
      const [h, w] = batches === 1 ? [1, 1] : [batches, 1];
      const activation = pick([0, 1, 3]);
      dense = (k) => run(convModel(weights, units, depth, h, w, activation, false), k, input);
      sparse = () => convModel(weights, units, depth, h, w, activation, true);
    } else {
      const c: FcCase = { batches, depth, units, weights, block: 16, densify: r() < 0.5, perChannel: r() < 0.5 };
      dense = (k) => run(fcModel(c, false), k, input, !c.densify);
      sparse = () => fcModel(c, true);
    }
    const forced = forcingSparse(64, () => sparseBlock(sparse()));
    assert.equal(forced, depth >= 16 ? 64 : 0, `${what}: block of the forced kernel`);
    for (const kernels of ['simd', 'ref'] as const) {
      const want = dense(kernels);
      assert.equal(forcingSparse(64, () => run(sparse(), kernels, input)), want, `${what} (${kernels}), 4x16 tiles forced`);
      if (conv) assert.equal(forcingSparse(64, () => run(sparse(), kernels, input), true), want, `${what} (${kernels}), 4x16 tiles on the pixel kernel forced`);
      assert.equal(run(sparse(), kernels, input), want, `${what} (${kernels})`);
    }
  }
});

test('the 4x16 tile layout is chosen for tile-pruned weights, the 1x16 rows for block-pruned ones', () => {
  const r = rng(710);
  const w = Int8Array.from({ length: 128 * 640 }, () => Math.floor(r() * 255) - 127);
  const fc = (weights: Int8Array) => fcModel({ batches: 1, depth: 640, units: 128, weights, block: 16, densify: true, perChannel: true }, true);
  assert.equal(sparseBlock(fc(pruneTiles(w, 128, 640, 0.8, 0, r))), 64);
  assert.equal(sparseBlock(fc(pruneTiles(w, 128, 640, 0.8, 0.02, r))), 64);
  assert.equal(sparseBlock(fc(prune(w, 16, 0.8, r))), 16);
});

interface ShippedModel { name: string; file: string; pruning: { structure: string; target_sparsity: number } | null }

/**
 * Runs every model of models/DIR/manifest.json on both kernel modules against its TFLite
 * BUILTIN_REF output; `simd` checks each SIMD-prepared model further. Returns the manifest's models.
 */
function checkShipped(dir: string, simd: (e: ShippedModel, m: ReturnType<typeof loadModel>) => void): ShippedModel[] {
  const path = join(ROOT, 'models', dir);
  const { models } = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as { models: ShippedModel[] };
  for (const e of models) {
    const bytes = new Uint8Array(readFileSync(join(path, e.file)));
    for (const kernels of ['simd', 'ref'] as const) {
      const m = loadModel(bytes, { kernels });
      const it = m.createInterpreter();
      asBytes(it.inputs[0].data).set(npyBytes(join(path, `${e.name}.input.npy`)));
      it.invoke();
      assert.is(firstDifference(asBytes(it.outputs[0].data), npyBytes(join(path, `${e.name}.expected.npy`))), -1, `${e.name} (${kernels})`);
      if (kernels === 'simd') simd(e, m);
    }
  }
  return models;
}

/** The block size in each param block of `kernel` (a sparse kernel) in the prepared model. */
function sparseBlocks(m: ReturnType<typeof loadModel>, kernel: 'sparse_fully_connected' | 'sparse_conv_1x1'): number[] {
  const { image, calls } = m.prepared.layout;
  return calls.filter((c) => c.kernel === kernel).map((c) => new DataView(image.buffer).getInt32(c.block + BLOCKS[kernel].offsets.block, true));
}

test('pruned autoencoders (models/pruned) match TFLite BUILTIN_REF; 4x16-tile-pruned ones run the row-grouped kernel', () => {
  const models = checkShipped('pruned', (e, m) => {
    if (e.pruning?.structure !== '4x16' || e.pruning.target_sparsity < 0.8) return;
    const blocks = sparseBlocks(m, 'sparse_fully_connected');
    assert.ok(blocks.length >= 7 && blocks.every((b) => b === 64), `${e.name}: sparse layers ${blocks}`);
  });
  assert.ok(models.some((e) => e.pruning?.structure === '4x16'), 'a 4x16-tile-pruned variant ships');
});

test('pruned DS-CNN (models/pruned_dscnn, 4x16-tile-pruned 1x1 convolutions) matches TFLite BUILTIN_REF; the 80 % one runs the pixel kernel on 4x16 tiles', () => {
  const models = checkShipped('pruned_dscnn', (e, m) => {
    if (!e.pruning || e.pruning.target_sparsity < 0.8) return;
    const blocks = sparseBlocks(m, 'sparse_conv_1x1');
    assert.ok(blocks.length === 4 && blocks.every((b) => b === 64), `${e.name}: sparse layers ${blocks}`);
  });
  assert.ok(models.length >= 3);
});

test('golden 4x16-tile cases (checked byte for byte in golden.test.ts) run the 4x16-tile kernel, or the pixel kernel (either layout)', () => {
  const tiled = allGoldenCases().filter((c) => (c.config.pruned as { structure?: string } | undefined)?.structure === '4x16');
  assert.ok(tiled.length >= 5, `${tiled.length} cases`);
  for (const c of tiled) {
    const block = sparseBlock(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))));
    assert.ok(block === 64 || block === 'p64' || block === 'p16', `${c.id}: ${block}`);
  }
});

test('pixel-vectorized sparse 1x1 CONV_2D: SIMD equals its scalar twin and the dense twin (pixel and channel tails, empty and full rows)', () => {
  const r = rng(711);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 80; i++) {
    const inC = pick([16, 20, 32, 36, 50, 64, 129]); // columns past 16 * floor(inC / 16) stay zero: the block format needs it
    const full = Math.floor(inC / 16) * 16;
    const outC = pick([1, 3, 4, 5, 8, 13, 16, 24, 37]);
    const [h, w] = [pick([1, 2, 3, 5, 7]), pick([1, 3, 4, 5, 16])];
    const random = Int8Array.from({ length: outC * inC }, (_, k) => (k % inC < full ? Math.floor(r() * 255) - 127 : 0));
    const tiles = r() < 0.5;
    const weights = tiles ? pruneTiles(random, outC, inC, pick([0, 0.5, 0.8, 1]), pick([0, 0.3]), r) : prune(random, 16, pick([0, 0.5, 0.8, 1]), r);
    for (let row = 0; row < outC; row++) {
      const kind = r();
      if (kind < 0.15) weights.fill(0, row * inC, (row + 1) * inC); // all-zero row
      else if (kind < 0.3) for (let c = 0; c < full; c++) weights[row * inC + c] = random[row * inC + c] || 1; // dense row
    }
    const activation = pick([0, 1, 3]);
    // shifts -7/-8, -10/-11, -2/-1 and -1/0 (the kernel's requantization paths split at -2), +2/+3 (left shifts)
    const outScale = pick([0.03, 0.3, 0.00075, 0.0003, 0.00005]);
    const model = (sparse: boolean) => convModel(weights, outC, inC, h, w, activation, sparse, 1, outScale);
    const input = Uint8Array.from({ length: h * w * inC }, () => Math.floor(r() * 256));
    const what = `case ${i}: ${outC}x${inC} on ${h}x${w}, ${tiles ? 'tiles' : 'blocks'}, out scale ${outScale}`;
    const dense = run(model(false), 'ref', input);
    for (const block of [16, 64]) {
      assert.is(forcingSparse(block, () => sparseBlock(model(true)), true), `p${block}`, `${what}: forced layout`);
      for (const kernels of ['simd', 'ref'] as const) {
        assert.equal(forcingSparse(block, () => run(model(true), kernels, input), true), dense, `${what} (${kernels}), block ${block}`);
      }
    }
  }
});

test('malformed sparsity is a one-line ModelError naming the tensor and the fault', () => {
  const weights = Int8Array.from({ length: 4 * 8 }, (_, i) => (i % 3 === 0 ? i : 0));
  const good = encodeSparse(weights, 4, 8, 1);
  const variants: [string, (s: Sparsity, v: Int8Array) => [Sparsity, Int8Array], RegExp][] = [
    ['decreasing segments', (s, v) => [withCsr(s, { segments: [0, 2, 1, 7, 10] }), v], /segment 1 \[2, 1\) is not a non-decreasing range/],
    ['index out of range', (s, v) => [withCsr(s, { indices: s.dimMetadata[1].indices.map((x, i) => (i === 0 ? 8 : x)) }), v], /index 8 is outside \[0, 8\)/],
    ['unsorted indices', (s, v) => [withCsr(s, { indices: [3, 0, ...s.dimMetadata[1].indices.slice(2)] }), v], /indices are not increasing within segment 0/],
    ['too few values', (s, v) => [s, v.subarray(1)], /addresses more than the \d+ stored values/],
    ['too many values', (s, v) => [s, Int8Array.from([...v, 1])], /addresses \d+ values but stores \d+/],
    ['bad traversal order', (s, v) => [{ ...s, traversalOrder: [1, 1] }, v], /traversal_order \[1,1\] is not the original dims/],
    ['short segments', (s, v) => [withCsr(s, { segments: [0, 2] }), v], /has 2 segment bounds/],
    ['wrong dense size', (s, v) => [{ ...s, dimMetadata: [{ ...s.dimMetadata[0], denseSize: 5 }, s.dimMetadata[1]] }, v], /level 0 is DENSE of size 5, expected 4/],
  ];
  for (const [what, edit, message] of variants) {
    const [sparsity, values] = edit(good.sparsity, good.values);
    const model = writeModel({
      tensors: [
        { name: 'x', shape: [1, 8], type: INT8, quantization: { scale: [0.05], zeroPoint: [0] } },
        { name: 'w', shape: [4, 8], type: INT8, data: values, sparsity, quantization: { scale: [0.01], zeroPoint: [0] } },
        { name: 'y', shape: [1, 4], type: INT8, quantization: { scale: [0.02], zeroPoint: [0] } },
      ],
      operators: [{ builtinCode: BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, -1], outputs: [2], optionsType: BuiltinOptionsType.FullyConnectedOptions }],
      inputs: [0],
      outputs: [2],
    });
    try {
      loadModel(model);
      assert.unreachable(`${what}: loaded`);
    } catch (e) {
      assert.ok(e instanceof ModelError, `${what}: ${(e as Error).message}`);
      assert.match((e as Error).message, /^tensor 1 \("w"\): sparsity /, what);
      assert.match((e as Error).message, message, `${what}: ${(e as Error).message}`);
      assert.not.match((e as Error).message, /\n/);
    }
  }
});

function withCsr(s: Sparsity, patch: Partial<Sparsity['dimMetadata'][number]>): Sparsity {
  return { ...s, dimMetadata: [s.dimMetadata[0], { ...s.dimMetadata[1], ...patch }] };
}

test.run();
