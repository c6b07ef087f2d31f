// FULLY_CONNECTED over pruned weights (host/abi/blocks.ts sparse_fully_connected), scalar: the
// reference loop of ./fully_connected.ts with the zero weights left out, in the folded form
// sum w*x + foldedBias + filterOffset * sum x (equal mod 2^32 to the reference accumulator).
import { clamp, f64ToI32, multiplyByQuantizedMultiplier, roundHalfAway } from '../quant';
import {
  SPARSE_FULLY_CONNECTED_INPUT, SPARSE_FULLY_CONNECTED_OUTPUT, SPARSE_FULLY_CONNECTED_ROW_START,
  SPARSE_FULLY_CONNECTED_BLOCK_COLS, SPARSE_FULLY_CONNECTED_VALUES, SPARSE_FULLY_CONNECTED_FOLDED_BIAS,
  SPARSE_FULLY_CONNECTED_SCALES, SPARSE_FULLY_CONNECTED_MULTIPLIERS, SPARSE_FULLY_CONNECTED_SHIFTS,
  SPARSE_FULLY_CONNECTED_BATCHES, SPARSE_FULLY_CONNECTED_DEPTH, SPARSE_FULLY_CONNECTED_ROWS, SPARSE_FULLY_CONNECTED_BLOCK,
  SPARSE_FULLY_CONNECTED_FILTER_OFFSET, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET, SPARSE_FULLY_CONNECTED_ACT_MIN,
  SPARSE_FULLY_CONNECTED_ACT_MAX, SPARSE_FULLY_CONNECTED_REQUANT_MODE,
} from '../params';

/** sum_d x[d] over an int8 row (the filterOffset term). */
export function rowSum(x: usize, n: i32): i32 {
  let s = 0;
  for (let d = 0; d < n; d++) s += <i32>load<i8>(x + <usize>d);
  return s;
}

/** One output row's sum w*x over its stored blocks (block 64: row r & 3 of its group's 4x16 tiles). */
// @ts-ignore: decorator
@inline
export function sparseDot(x: usize, p: usize, r: i32): i32 {
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  let values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  let block = load<i32>(p, SPARSE_FULLY_CONNECTED_BLOCK);
  let stride = block;
  let entry = r;
  if (block == 64) { // tiles of 4 rows x 16 columns, row q's 16 values at 16 * q
    entry = r >> 2;
    values += <usize>((r & 3) << 4);
    block = 16;
  }
  const end = load<i32>(rowStart + (<usize>(entry + 1) << 2));
  let acc = 0;
  for (let k = load<i32>(rowStart + (<usize>entry << 2)); k < end; k++) {
    const col = x + <usize>(<i32>load<u16>(blockCols + (<usize>k << 1)) * block);
    const w = values + <usize>(k * stride);
    for (let j = 0; j < block; j++) acc += <i32>load<i8>(w + <usize>j) * <i32>load<i8>(col + <usize>j);
  }
  return acc;
}

/** Requantizes output row r's accumulator (requantMode as in fully_connected). */
// @ts-ignore: decorator
@inline
export function requantizeRow(p: usize, r: i32, acc: i32): i32 {
  const scaled = load<i32>(p, SPARSE_FULLY_CONNECTED_REQUANT_MODE) == 1
    ? f64ToI32(roundHalfAway(<f64>acc * load<f64>(load<usize>(p, SPARSE_FULLY_CONNECTED_SCALES) + (<usize>r << 3))))
    : multiplyByQuantizedMultiplier(acc, load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_MULTIPLIERS) + (<usize>r << 2)),
      load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_SHIFTS) + (<usize>r << 2)));
  return clamp(scaled + load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET), load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN), load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
}

export function sparse_fully_connected_ref(p: usize): i32 {
  const input = load<usize>(p, SPARSE_FULLY_CONNECTED_INPUT);
  const output = load<usize>(p, SPARSE_FULLY_CONNECTED_OUTPUT);
  const foldedBias = load<usize>(p, SPARSE_FULLY_CONNECTED_FOLDED_BIAS);
  const batches = load<i32>(p, SPARSE_FULLY_CONNECTED_BATCHES);
  const depth = load<i32>(p, SPARSE_FULLY_CONNECTED_DEPTH);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const filterOffset = load<i32>(p, SPARSE_FULLY_CONNECTED_FILTER_OFFSET);
  for (let b = 0; b < batches; b++) {
    const x = input + <usize>(b * depth);
    const rowTerm = filterOffset == 0 ? 0 : filterOffset * rowSum(x, depth);
    for (let r = 0; r < rows; r++) {
      const acc = sparseDot(x, p, r) + load<i32>(foldedBias + (<usize>r << 2)) + rowTerm;
      store<i8>(output + <usize>(b * rows + r), <i8>requantizeRow(p, r, acc));
    }
  }
  return 0;
}
