/**
 * Sparse vs dense kernels on pruned weights: for FULLY_CONNECTED and 1x1 CONV_2D layers of the
 * benchmark networks' sizes, each layout (block size 1 = unstructured, 1x4, 1x16; 64 = row-grouped
 * 4x16 tiles, stored by TFLite as 1x16 blocks; p16 / p64: the same layouts on the pixel-vectorized
 * 1x1 convolution kernel, convolutions only) and density, the
 * latency of the sparse kernel (forced) against the dense SIMD kernel on the same weights, and the
 * weight ROM (values + block columns + row/group starts) against the dense weights. Prints the sweep and
 * the crossover density per layout (where the sparse kernel stops winning, the value that
 * belongs in host/ops/sparse.ts SPARSE_CROSSOVER), and writes bench/results/sparse.{md,json}.
 * Run: node dist/bench/sparse.js [--quick] [--blocks 16,64,p16,p64] [--layer TEXT] [--densities 0.2,0.5]
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../host/index.js';
import { SPARSE_CROSSOVER } from '../host/ops/sparse.js';
import type { Sparsity } from '../host/tflite/model.js';
import { BuiltinOperator, BuiltinOptionsType } from '../host/tflite/schema.js';
import { type TensorSpec, writeModel } from '../host/tflite/writer.js';
import { scriptArgs, usageExit } from './args.js';
import { RESULTS_DIR, shown } from './paths.js';
import { timeInterleaved } from './timing.js';

const INT8 = 9;
const INT32 = 2;
const HELP = `usage: node dist/bench/sparse.js [--quick] [--blocks 1,4,16,64,p16,p64] [--layer TEXT] [--densities 0.2,0.5]

Times the sparse kernels (forced) against the dense SIMD kernel on the same pruned weights, for
FULLY_CONNECTED and 1x1 CONV_2D layers of the benchmark networks' sizes, per layout and density;
prints the sweep, the weight ROM against the dense weights and the crossover density per layout,
and writes bench/results/sparse.{md,json} (about 5-8 minutes; --quick: fewer densities and rounds).
  --blocks L,...      layouts: 1, 4, 16 (1 x block rows), 64 (4x16 tiles), p16 / p64 (the same on
                      the pixel-vectorized 1x1 kernel, convolutions only)
  --layer TEXT        only layers whose name contains TEXT (e.g. DS-CNN)
  --densities D,...   densities of non-zero blocks, each in (0, 1]`;
const args = scriptArgs('bench/sparse', HELP, {
  quick: { type: 'boolean' }, blocks: { type: 'string' }, layer: { type: 'string' }, densities: { type: 'string' },
});
const quick = args.quick ?? false;

interface Layer { name: string; kind: 'fc' | 'conv'; rows: number; cols: number; pixels: number }
const LAYERS: Layer[] = [
  { name: 'FC 640->128 (autoencoder)', kind: 'fc', rows: 128, cols: 640, pixels: 1 },
  { name: 'FC 128->128 (autoencoder)', kind: 'fc', rows: 128, cols: 128, pixels: 1 },
  { name: '1x1 conv 64->64 on 25x5 (KWS)', kind: 'conv', rows: 64, cols: 64, pixels: 125 },
  { name: '1x1 conv 128->128 on 6x6 (VWW)', kind: 'conv', rows: 128, cols: 128, pixels: 36 },
  { name: '1x1 conv 128->128 on 5x32 (DS-CNN)', kind: 'conv', rows: 128, cols: 128, pixels: 160 },
];
const DENSITIES = args.densities !== undefined ? args.densities.split(',').map(Number)
  : quick ? [0.1, 0.3, 0.5, 0.7] : [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
if (DENSITIES.some((d) => !(d > 0 && d <= 1))) usageExit('bench/sparse', `--densities: ${args.densities} (each a number in (0, 1])`);
const BLOCKS = args.blocks !== undefined ? args.blocks.split(',') : ['1', '4', '16', '64', 'p16', 'p64'];
const layers = LAYERS.filter((l) => args.layer === undefined || l.name.includes(args.layer));
if (layers.length === 0) usageExit('bench/sparse', `--layer: no layer name contains ${JSON.stringify(args.layer)} (${LAYERS.map((l) => l.name).join('; ')})`);

/** Layout name -> kernel and block size. */
function layoutOf(name: string): { pixels: boolean; block: number } {
  const block = Number(name.replace(/^p/, ''));
  if (![1, 4, 16, 64].includes(block) || (name.startsWith('p') && block < 16)) usageExit('bench/sparse', `--blocks: unknown layout ${name} (1, 4, 16, 64, p16, p64)`);
  return { pixels: name.startsWith('p'), block };
}

/** Deterministic weights with `density` of their 1 x block groups non-zero (block 64: 4x16 tiles). */
function prunedWeights(rows: number, cols: number, block: number, density: number, seed: number): Int8Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const w = new Int8Array(rows * cols);
  const value = () => 1 + Math.floor(next() * 126) * (next() < 0.5 ? -1 : 1);
  if (block === 64) {
    for (let g = 0; g < rows; g += 4) {
      for (let c = 0; c < cols; c += 16) {
        if (next() < density) for (let q = g; q < Math.min(g + 4, rows); q++) for (let j = 0; j < 16; j++) w[q * cols + c + j] = value();
      }
    }
    return w;
  }
  for (let i = 0; i < w.length; i += block) {
    if (next() < density) for (let j = 0; j < block; j++) w[i + j] = value();
  }
  return w;
}

/** TFLite's CSR encoding of [rows][cols] (rank 2 or the 1x1 filter's rank 4), unstructured. */
function csr(w: Int8Array, rows: number, cols: number, rank: number): { sparsity: Sparsity; values: Int8Array } {
  const segments = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) { indices.push(c); values.push(w[r * cols + c]); }
    segments.push(indices.length);
  }
  const dense = (n: number) => ({ format: 'dense' as const, denseSize: n, segments: [], indices: [] });
  return {
    sparsity: {
      traversalOrder: [...Array(rank).keys()], blockMap: [],
      dimMetadata: [dense(rows), ...new Array(rank - 2).fill(0).map(() => dense(1)), { format: 'csr', denseSize: 0, segments, indices }],
    },
    values: Int8Array.from(values),
  };
}

function model(layer: Layer, w: Int8Array, sparse: boolean): Uint8Array {
  const fc = layer.kind === 'fc';
  const wShape = fc ? [layer.rows, layer.cols] : [layer.rows, 1, 1, layer.cols];
  const quant = { scale: new Array(layer.rows).fill(0.002), zeroPoint: new Array(layer.rows).fill(0), quantizedDimension: 0 };
  const encoded = csr(w, layer.rows, layer.cols, wShape.length);
  const side = Math.sqrt(layer.pixels);
  const [h, wd] = Number.isInteger(side) ? [side, side] : [layer.pixels / 5, 5];
  const tensors: TensorSpec[] = [
    { name: 'x', shape: fc ? [1, layer.cols] : [1, h, wd, layer.cols], type: INT8, quantization: { scale: [0.05], zeroPoint: [0] } },
    sparse
      ? { name: 'w', shape: wShape, type: INT8, data: encoded.values, sparsity: encoded.sparsity, quantization: quant }
      : { name: 'w', shape: wShape, type: INT8, data: w, quantization: quant },
    { name: 'b', shape: [layer.rows], type: INT32, data: new Int32Array(layer.rows) },
    { name: 'y', shape: fc ? [1, layer.rows] : [1, h, wd, layer.rows], type: INT8, quantization: { scale: [0.1], zeroPoint: [0] } },
  ];
  return writeModel({
    tensors,
    operators: [fc
      ? { builtinCode: BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.FullyConnectedOptions }
      : {
        builtinCode: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.Conv2DOptions,
        options: [{ field: 0, kind: 'int8', value: 1 }, { field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }],
      }],
    inputs: [0],
    outputs: [3],
  });
}

interface Row { layer: string; block: string; density: number; denseMs: number; sparseMs: number; ratio: number; romRatio: number }

function measure(layer: Layer, layout: string, density: number, seed: number): Row {
  const { pixels, block } = layoutOf(layout);
  const w = prunedWeights(layer.rows, layer.cols, block, density, seed);
  const saved = structuredClone(SPARSE_CROSSOVER);
  for (const [name, table] of Object.entries(SPARSE_CROSSOVER)) { // force this layout
    Object.assign(table, { 1: 0, 4: 0, 16: 0, 64: 0 }, (name === 'spmm') === pixels ? { [block]: Infinity } : {});
  }
  const sparseModel = loadModel(model(layer, w, true));
  for (const [name, table] of Object.entries(saved)) Object.assign(SPARSE_CROSSOVER[name as keyof typeof saved], table);
  const denseModel = loadModel(model(layer, w, false));
  const call = sparseModel.prepared.layout.calls[0];
  const kernel = pixels ? 'sparse_conv_1x1' : 'sparse_fully_connected';
  if (call.kernel !== kernel) throw new Error(`internal: ${layer.name} did not take ${kernel} (${call.kernel})`);
  const engines = [denseModel, sparseModel].map((m, i) => {
    const it = m.createInterpreter();
    new Int8Array(it.inputs[0].data.buffer, it.inputs[0].data.byteOffset, it.inputs[0].bytes).fill(3);
    return { name: i === 0 ? 'dense' : 'sparse', step: () => it.invoke() };
  });
  const r = timeInterleaved(engines, { rounds: quick ? 3 : 7, iterations: null, blockMs: quick ? 40 : 120, warmupMs: 60, progress: () => {} });
  const [dense, sparse] = r.summaries.map((s) => s.medianMs);
  // block values + uint16 block columns + int32 row (group) starts, against the dense int8 weights
  let blocks = 0; // stored blocks (block 64: tiles, 64 values each)
  if (block === 64) {
    for (let g = 0; g < layer.rows; g += 4) {
      for (let c = 0; c < layer.cols; c += 16) if ([0, 1, 2, 3].some((q) => g + q < layer.rows && w.subarray((g + q) * layer.cols + c, (g + q) * layer.cols + c + 16).some((v) => v !== 0))) blocks++;
    }
  } else {
    for (let i = 0; i < w.length; i += block) if (w.subarray(i, i + block).some((v) => v !== 0)) blocks++;
  }
  const starts = block === 64 ? Math.ceil(layer.rows / 4) + 1 : layer.rows + 1;
  return {
    layer: layer.name, block: layout, density, denseMs: dense, sparseMs: sparse, ratio: sparse / dense,
    romRatio: (blocks * block + 2 * blocks + 4 * starts) / (layer.rows * layer.cols),
  };
}

/** Linear interpolation of the density where the sparse/dense latency ratio crosses 1. */
function crossover(rows: Row[]): number | null {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    if (a.ratio < 1 && b.ratio >= 1) return a.density + ((1 - a.ratio) / (b.ratio - a.ratio)) * (b.density - a.density);
  }
  return rows.length > 0 && rows[rows.length - 1].ratio < 1 ? 1 : rows[0]?.ratio >= 1 ? 0 : null;
}

const rows: Row[] = [];
const crossovers: { layer: string; block: string; density: number | null }[] = [];
let seed = 1;
for (const layer of layers) {
  for (const block of BLOCKS) {
    if (layer.kind === 'fc' && layoutOf(block).pixels) continue;
    const series = DENSITIES.map((d) => measure(layer, block, d, seed++));
    rows.push(...series);
    crossovers.push({ layer: layer.name, block, density: crossover(series) });
    process.stderr.write(`[sparse] ${layer.name}, block ${block}: crossover ${crossovers.at(-1)!.density?.toFixed(2) ?? '-'}\n`);
  }
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const lines = [
  '| layer | layout | density | dense ms | sparse ms | sparse / dense | weight ROM / dense |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.layer} | ${r.block} | ${pct(r.density)} | ${r.denseMs.toFixed(4)} | ${r.sparseMs.toFixed(4)} | ${r.ratio.toFixed(2)} | ${r.romRatio.toFixed(2)} |`),
  '',
  '| layout | crossover density per layer (sparse kernel faster below) | in use: FC / 1x1 conv (host/ops/sparse.ts) |',
  '|---:|---|---:|',
  ...BLOCKS.map((b) => {
    const { pixels, block } = layoutOf(b);
    const inUse = pixels ? `- / ${pct(SPARSE_CROSSOVER.spmm[block])}` : `${pct(SPARSE_CROSSOVER.rows[block])} / ${pct(SPARSE_CROSSOVER.pixels[block])}`;
    return `| ${b} | ${crossovers.filter((c) => c.block === b).map((c) => `${c.layer}: ${c.density === null ? '-' : pct(c.density)}`).join('; ')} | ${inUse} |`;
  }),
];
const md = lines.join('\n') + '\n';
process.stdout.write(md);
for (const [file, text] of [['sparse.md', md], ['sparse.json', JSON.stringify({ rows, crossovers }, null, 1) + '\n']]) {
  const path = join(RESULTS_DIR, file);
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  process.stderr.write(`wrote ${shown(path)}\n`);
}
