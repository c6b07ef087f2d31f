/**
 * Kernel choice and weight format for pruned FULLY_CONNECTED / 1x1 CONV_2D weights (those the
 * model stores sparsely): edgerun's block format (host/abi/blocks.ts sparse_fully_connected), with
 * the block size the weights' structure allows, used when their density is below the crossover.
 */
import type { Tensor } from '../tflite/model.js';
import { romInt32 } from './types.js';

/**
 * Densities (stored blocks / all blocks) below which the sparse kernel beats the dense SIMD one,
 * per block size, for one input row (FULLY_CONNECTED) and for many (1x1 convolutions, where the
 * dense kernel reuses each weight across pixels), measured with `node dist/bench/sparse.js`
 * (README, "Pruned models"). Unstructured weights (block 1) never win. Block 64 is the row-grouped
 * layout (4x16 tiles: four consecutive output rows with the same 1x16 block columns, as pruning
 * in 4x16 tiles leaves them), its density the share of non-zero tiles. `spmm`: the
 * pixel-vectorized 1x1 convolution kernel (sparse_conv_1x1) on the same layouts, its density
 * scaled by the pixels it computes (tiles of 16, then groups of 4) over the real ones; it beat the
 * dense kernel at every measured density up to 90 % (0.76-0.97x there), and the row kernels at
 * every density, on the KWS, VWW and DS-CNN 1x1 sizes. Mutable only so that tests and the
 * benchmark can force a kernel.
 */
export const SPARSE_CROSSOVER: Record<'rows' | 'pixels' | 'spmm', Record<number, number>> = {
  rows: { 1: 0, 4: 0.12, 16: 0.4, 64: 0.85 },
  pixels: { 1: 0, 4: 0, 16: 0.4, 64: 0.7 },
  spmm: { 16: 1, 64: 1 },
};

export interface SparseWeights {
  kernel: 'sparse_fully_connected' | 'sparse_conv_1x1';
  /** 1, 4, 16 (1 x block blocks per row) or 64 (4x16 tiles per group of four rows). */
  block: number;
  density: number;
  /** Stored weights (non-zero blocks x block), the MACs the kernel does per input row. */
  stored: number;
  /** Sum of each output row's stored weights (rows padded to a multiple of 8). */
  rowSums: Int32Array;
  args: {
    rowStart: ReturnType<typeof romInt32>;
    blockCols: { rom: Uint8Array; label: string };
    values: { rom: Uint8Array; label: string };
  };
}

/**
 * Weights [rows][cols] (row-major int8) in block format, or null when the dense kernel should run:
 * the largest block size (16, 4, 1) whose share of non-zero blocks is below its crossover; for 16,
 * the layout and kernel of lowest estimated latency (density over crossover) among 1x16 rows and
 * row-grouped 4x16 tiles (a tile with some all-zero row blocks stores their zeros), on the
 * row kernel or, for a 1x1 convolution (`pixelKernel`), the pixel-vectorized one. Blocks start at
 * multiples of the block size; a column remainder must be zero for blocks of 4 or 16.
 */
export function sparseWeights(filter: Tensor, data: Uint8Array, rows: number, cols: number, inputRows: number, pixelKernel = false): SparseWeights | null {
  if (!filter.sparsity) return null;
  const crossover = SPARSE_CROSSOVER[inputRows > 4 ? 'pixels' : 'rows'];
  const w = new Int8Array(data.buffer, data.byteOffset, rows * cols);
  for (const block of [16, 4, 1]) {
    const full = Math.floor(cols / block) * block;
    if (full / block > 0xffff || full === 0) continue;
    let tailZero = true;
    for (let r = 0; r < rows && tailZero; r++) for (let c = full; c < cols; c++) if (w[r * cols + c] !== 0) tailZero = false;
    if (!tailZero) continue;
    const nonZero = (r: number, c: number) => r < rows && w.subarray(r * cols + c, r * cols + c + block).some((v) => v !== 0);
    let stored = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < full; c += block) if (nonZero(r, c)) stored++;
    const density = stored / ((rows * full) / block);
    if (block === 16) {
      const groups = Math.ceil(rows / 4);
      let tiles = 0;
      for (let g = 0; g < groups; g++) {
        for (let c = 0; c < full; c += 16) if ([0, 1, 2, 3].some((q) => nonZero(4 * g + q, c))) tiles++;
      }
      const tileDensity = tiles / ((groups * full) / 16);
      const computed = 16 * Math.floor(inputRows / 16) + 4 * Math.ceil((inputRows % 16) / 4);
      const options = [
        { kernel: 'sparse_fully_connected' as const, tiled: true, estimate: latency(tileDensity, crossover[64]) },
        { kernel: 'sparse_fully_connected' as const, tiled: false, estimate: latency(density, crossover[16]) },
        ...(pixelKernel ? [
          { kernel: 'sparse_conv_1x1' as const, tiled: true, estimate: latency(tileDensity * computed / inputRows, SPARSE_CROSSOVER.spmm[64]) },
          { kernel: 'sparse_conv_1x1' as const, tiled: false, estimate: latency(density * computed / inputRows, SPARSE_CROSSOVER.spmm[16]) },
        ] : []),
      ];
      const best = options.reduce((a, b) => (b.estimate < a.estimate ? b : a));
      if (best.estimate < 1) return best.tiled ? compressTiles(w, rows, cols, tileDensity, best.kernel) : compress(w, rows, cols, 16, density, best.kernel);
      continue;
    }
    if (density < crossover[block]) return compress(w, rows, cols, block, density, 'sparse_fully_connected');
  }
  return null;
}

/** Estimated sparse / dense latency: density over the crossover (Infinity when the kernel never wins). */
const latency = (density: number, crossover: number) => (crossover > 0 ? density / crossover : Infinity);

function compress(w: Int8Array, rows: number, cols: number, block: number, density: number, kernel: SparseWeights['kernel']): SparseWeights {
  const full = Math.floor(cols / block) * block;
  const rowStart = new Int32Array(rows + 1);
  const rowSums = new Int32Array(Math.ceil(rows / 8) * 8);
  const blockCols: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < full; c += block) {
      const run = w.subarray(r * cols + c, r * cols + c + block);
      if (run.some((v) => v !== 0)) {
        blockCols.push(c / block);
        values.push(...run);
        for (const v of run) rowSums[r] += v;
      }
    }
    rowStart[r + 1] = blockCols.length;
  }
  return packed(kernel, block, density, rowSums, rowStart, blockCols, values);
}

/** Block 64 (host/abi/blocks.ts): a tile per group of four rows and 16 columns where any is non-zero. */
function compressTiles(w: Int8Array, rows: number, cols: number, density: number, kernel: SparseWeights['kernel']): SparseWeights {
  const full = Math.floor(cols / 16) * 16;
  const groups = Math.ceil(rows / 4);
  const rowStart = new Int32Array(groups + 1);
  const rowSums = new Int32Array(Math.ceil(rows / 8) * 8);
  const blockCols: number[] = [];
  const values: number[] = [];
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < full; c += 16) {
      const runs = [0, 1, 2, 3].map((q) => (4 * g + q < rows ? w.subarray((4 * g + q) * cols + c, (4 * g + q) * cols + c + 16) : new Int8Array(16)));
      if (!runs.some((run) => run.some((v) => v !== 0))) continue;
      blockCols.push(c / 16);
      runs.forEach((run, q) => {
        values.push(...run);
        if (4 * g + q < rows) for (const v of run) rowSums[4 * g + q] += v;
      });
    }
    rowStart[g + 1] = blockCols.length;
  }
  return packed(kernel, 64, density, rowSums, rowStart, blockCols, values);
}

function packed(kernel: SparseWeights['kernel'], block: number, density: number, rowSums: Int32Array, rowStart: Int32Array, blockCols: number[], values: number[]): SparseWeights {
  return {
    kernel, block, density, stored: values.length, rowSums,
    args: {
      rowStart: romInt32(rowStart, 'sparse row starts'),
      blockCols: { rom: new Uint8Array(Uint16Array.from(blockCols).buffer), label: 'sparse block columns' },
      values: { rom: new Uint8Array(Int8Array.from(values).buffer), label: 'filter' },
    },
  };
}
