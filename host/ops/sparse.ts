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
 * (README, "Pruned models"). Unstructured weights (block 1) never win. Mutable only so that the
 * benchmark can force a kernel.
 */
export const SPARSE_CROSSOVER: Record<'rows' | 'pixels', Record<number, number>> = {
  rows: { 1: 0, 4: 0.12, 16: 0.4 },
  pixels: { 1: 0, 4: 0, 16: 0.4 },
};

export interface SparseWeights {
  block: number;
  density: number;
  /** Stored weights (non-zero blocks x block), the MACs the kernel does per input row. */
  stored: number;
  args: {
    rowStart: ReturnType<typeof romInt32>;
    blockCols: { rom: Uint8Array; label: string };
    values: { rom: Uint8Array; label: string };
  };
}

/**
 * Weights [rows][cols] (row-major int8) in block format, or null when the dense kernel should run:
 * the largest block size (16, 4, 1) whose share of non-zero blocks is below its crossover. Blocks
 * start at multiples of the block size; a column remainder must be zero for blocks of 4 or 16.
 */
export function sparseWeights(filter: Tensor, data: Uint8Array, rows: number, cols: number, inputRows: number): SparseWeights | null {
  if (!filter.sparsity) return null;
  const crossover = SPARSE_CROSSOVER[inputRows > 4 ? 'pixels' : 'rows'];
  const w = new Int8Array(data.buffer, data.byteOffset, rows * cols);
  for (const block of [16, 4, 1]) {
    const full = Math.floor(cols / block) * block;
    if (full / block > 0xffff || full === 0) continue;
    let tailZero = true;
    for (let r = 0; r < rows && tailZero; r++) for (let c = full; c < cols; c++) if (w[r * cols + c] !== 0) tailZero = false;
    if (!tailZero) continue;
    let stored = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < full; c += block) if (w.subarray(r * cols + c, r * cols + c + block).some((v) => v !== 0)) stored++;
    }
    const density = stored / ((rows * full) / block);
    if (density < crossover[block]) return compress(w, rows, cols, block, density);
  }
  return null;
}

function compress(w: Int8Array, rows: number, cols: number, block: number, density: number): SparseWeights {
  const full = Math.floor(cols / block) * block;
  const rowStart = new Int32Array(rows + 1);
  const blockCols: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < full; c += block) {
      const run = w.subarray(r * cols + c, r * cols + c + block);
      if (run.some((v) => v !== 0)) {
        blockCols.push(c / block);
        values.push(...run);
      }
    }
    rowStart[r + 1] = blockCols.length;
  }
  return {
    block, density, stored: values.length,
    args: {
      rowStart: romInt32(rowStart, 'sparse row starts'),
      blockCols: { rom: new Uint8Array(Uint16Array.from(blockCols).buffer), label: 'sparse block columns' },
      values: { rom: new Uint8Array(Int8Array.from(values).buffer), label: 'filter' },
    },
  };
}
