// SIMD twin of ../ref/sparse_fully_connected.ts: 1x16 blocks as one 16-byte dot each, 1x4 blocks
// four at a time (their values are contiguous; the inputs are gathered 4 bytes per lane), and
// four output rows requantized together; single weights (block 1) and leftovers use the twin's loop.
import { rowSum, requantizeRow, sparseDot } from '../ref/sparse_fully_connected';
import { dot16, narrowClamp4, requant4, scaleRound4 } from '../simd';
import {
  SPARSE_FULLY_CONNECTED_INPUT, SPARSE_FULLY_CONNECTED_OUTPUT, SPARSE_FULLY_CONNECTED_ROW_START,
  SPARSE_FULLY_CONNECTED_BLOCK_COLS, SPARSE_FULLY_CONNECTED_VALUES, SPARSE_FULLY_CONNECTED_FOLDED_BIAS,
  SPARSE_FULLY_CONNECTED_REQUANT, SPARSE_FULLY_CONNECTED_SCALES, SPARSE_FULLY_CONNECTED_BATCHES,
  SPARSE_FULLY_CONNECTED_DEPTH, SPARSE_FULLY_CONNECTED_ROWS, SPARSE_FULLY_CONNECTED_BLOCK,
  SPARSE_FULLY_CONNECTED_FILTER_OFFSET, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET, SPARSE_FULLY_CONNECTED_ACT_MIN,
  SPARSE_FULLY_CONNECTED_ACT_MAX, SPARSE_FULLY_CONNECTED_REQUANT_MODE,
} from '../params';

/** Row r's sum w*x with SIMD for 1x16 and 1x4 blocks. */
// @ts-ignore: decorator
@inline
function rowDot(x: usize, p: usize, r: i32, block: i32): i32 {
  if (block == 1) return sparseDot(x, p, r);
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  let k = load<i32>(rowStart + (<usize>r << 2));
  const end = load<i32>(rowStart + (<usize>(r + 1) << 2));
  let acc = i32x4.splat(0);
  if (block == 16) {
    for (; k < end; k++) {
      const xw = v128.load(x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 4));
      acc = dot16(acc, i16x8.extend_low_i8x16_s(xw), i16x8.extend_high_i8x16_s(xw), v128.load(values + (<usize>k << 4)));
    }
  } else {
    for (; k + 4 <= end; k += 4) {
      const cols = blockCols + (<usize>k << 1);
      let xw = v128.load32_zero(x + (<usize>load<u16>(cols) << 2));
      xw = v128.load32_lane(x + (<usize>load<u16>(cols, 2) << 2), xw, 1);
      xw = v128.load32_lane(x + (<usize>load<u16>(cols, 4) << 2), xw, 2);
      xw = v128.load32_lane(x + (<usize>load<u16>(cols, 6) << 2), xw, 3);
      acc = dot16(acc, i16x8.extend_low_i8x16_s(xw), i16x8.extend_high_i8x16_s(xw), v128.load(values + (<usize>k << 2)));
    }
  }
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; k < end; k++) { // 1x4 leftovers
    const col = x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 2);
    const w = values + (<usize>k << 2);
    for (let j = 0; j < 4; j++) s += <i32>load<i8>(w + <usize>j) * <i32>load<i8>(col + <usize>j);
  }
  return s;
}

export function sparse_fully_connected(p: usize): i32 {
  const input = load<usize>(p, SPARSE_FULLY_CONNECTED_INPUT);
  const output = load<usize>(p, SPARSE_FULLY_CONNECTED_OUTPUT);
  const foldedBias = load<usize>(p, SPARSE_FULLY_CONNECTED_FOLDED_BIAS);
  const requant = load<usize>(p, SPARSE_FULLY_CONNECTED_REQUANT);
  const scales = load<usize>(p, SPARSE_FULLY_CONNECTED_SCALES);
  const batches = load<i32>(p, SPARSE_FULLY_CONNECTED_BATCHES);
  const depth = load<i32>(p, SPARSE_FULLY_CONNECTED_DEPTH);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const block = load<i32>(p, SPARSE_FULLY_CONNECTED_BLOCK);
  const filterOffset = load<i32>(p, SPARSE_FULLY_CONNECTED_FILTER_OFFSET);
  const requantInFloat = load<i32>(p, SPARSE_FULLY_CONNECTED_REQUANT_MODE) == 1;
  const outOffsetV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET));
  const actMinV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN));
  const actMaxV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
  for (let b = 0; b < batches; b++) {
    const x = input + <usize>(b * depth);
    const out = output + <usize>(b * rows);
    const rowTerm = filterOffset == 0 ? 0 : filterOffset * rowSum(x, depth);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      let acc = i32x4.splat(rowDot(x, p, r, block));
      acc = i32x4.replace_lane(acc, 1, rowDot(x, p, r + 1, block));
      acc = i32x4.replace_lane(acc, 2, rowDot(x, p, r + 2, block));
      acc = i32x4.replace_lane(acc, 3, rowDot(x, p, r + 3, block));
      acc = i32x4.add(i32x4.add(acc, v128.load(foldedBias + (<usize>r << 2))), i32x4.splat(rowTerm));
      const scaled = requantInFloat ? scaleRound4(acc, scales + (<usize>r << 3)) : requant4(acc, requant + (<usize>r >> 2) * 48);
      v128.store32_lane(out + <usize>r, narrowClamp4(scaled, outOffsetV, actMinV, actMaxV), 0);
    }
    for (; r < rows; r++) {
      const acc = rowDot(x, p, r, block) + load<i32>(foldedBias + (<usize>r << 2)) + rowTerm;
      store<i8>(out + <usize>r, <i8>requantizeRow(p, r, acc));
    }
  }
  return 0;
}
