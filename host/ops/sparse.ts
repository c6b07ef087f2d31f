/**
 * Kernel choice and weight format for pruned FULLY_CONNECTED / 1x1 CONV_2D weights (those the
 * model stores sparsely): edgerun's block format (host/abi/blocks.ts sparse_fully_connected) in
 * the file's block size, used when the stored density is below the measured crossover.
 */
import type { Tensor } from '../tflite/model.js';
import { romInt32 } from './types.js';

/**
 * Densities (stored blocks / all blocks) below which the sparse kernel beats the dense SIMD one,
 * per block size, measured with `node dist/bench/sparse.js` (README, "Pruned models").
 */
export const SPARSE_CROSSOVER: Readonly<Record<number, number>> = { 1: 0.3, 4: 0.5, 16: 0.7 };

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

/** The block size the file's SparsityParameters use along the last (input) dimension, or 1. */
function fileBlockSize(t: Tensor): number {
  const s = t.sparsity!;
  const last = t.shape.length - 1;
  const j = s.blockMap.indexOf(last);
  if (j < 0) return 1;
  const level = s.traversalOrder.indexOf(t.shape.length + j);
  return s.dimMetadata[level]?.denseSize ?? 1;
}

/** Weights [rows][cols] (row-major int8) in block format, or null when the dense kernel should run. */
export function sparseWeights(filter: Tensor, data: Uint8Array, rows: number, cols: number): SparseWeights | null {
  if (!filter.sparsity) return null;
  const fileBlock = fileBlockSize(filter);
  const block = fileBlock === 4 || fileBlock === 16 ? fileBlock : 1;
  if (cols % block !== 0 || cols / block > 0xffff) return null;
  const w = new Int8Array(data.buffer, data.byteOffset, rows * cols);
  const rowStart = new Int32Array(rows + 1);
  const cols16: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c += block) {
      const run = w.subarray(r * cols + c, r * cols + c + block);
      if (run.some((v) => v !== 0)) {
        cols16.push(c / block);
        values.push(...run);
      }
    }
    rowStart[r + 1] = cols16.length;
  }
  const density = cols16.length / ((rows * cols) / block);
  if (density >= SPARSE_CROSSOVER[block]) return null;
  return {
    block, density, stored: values.length,
    args: {
      rowStart: romInt32(rowStart, 'sparse row starts'),
      blockCols: { rom: new Uint8Array(Uint16Array.from(cols16).buffer), label: 'sparse block columns' },
      values: { rom: new Uint8Array(Int8Array.from(values).buffer), label: 'filter' },
    },
  };
}
