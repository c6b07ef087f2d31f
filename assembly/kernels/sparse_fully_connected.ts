// SIMD twin of ../ref/sparse_fully_connected.ts: 1x16 blocks as one 16-byte dot each, 1x4 blocks
// four at a time (their values are contiguous; the inputs are gathered 4 bytes per lane), and
// four output rows requantized together; single weights (block 1) and leftovers use the twin's loop.
// With four or more input rows (batches, or a 1x1 convolution's pixels) each weight block is loaded
// once for four rows, whose sums gather in `scratch` ([row][4] i32) before requantization.
// Row-grouped 4x16 tiles (block 64) run like the dense kernel: each input vector, loaded once per
// tile, feeds the dot products of four output rows (sign-extending 8-byte loads + i32x4.dot_i16x8_s),
// for two input rows at a time, and the four rows' sums are requantized together.
import { clamp, f64ToI32, roundHalfAway } from '../quant';
import { rowSum, sparseDot } from '../ref/sparse_fully_connected';
import { hsum4, narrowClamp4, requant4, REQUANT_F64_RECORD_BYTES, scaleRound4 } from '../simd';
import {
  SPARSE_FULLY_CONNECTED_INPUT, SPARSE_FULLY_CONNECTED_OUTPUT, SPARSE_FULLY_CONNECTED_ROW_START,
  SPARSE_FULLY_CONNECTED_BLOCK_COLS, SPARSE_FULLY_CONNECTED_VALUES, SPARSE_FULLY_CONNECTED_FOLDED_BIAS,
  SPARSE_FULLY_CONNECTED_REQUANT, SPARSE_FULLY_CONNECTED_SCALES, SPARSE_FULLY_CONNECTED_BATCHES,
  SPARSE_FULLY_CONNECTED_DEPTH, SPARSE_FULLY_CONNECTED_ROWS, SPARSE_FULLY_CONNECTED_BLOCK,
  SPARSE_FULLY_CONNECTED_FILTER_OFFSET, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET, SPARSE_FULLY_CONNECTED_ACT_MIN,
  SPARSE_FULLY_CONNECTED_ACT_MAX, SPARSE_FULLY_CONNECTED_REQUANT_MODE, SPARSE_FULLY_CONNECTED_SCRATCH,
} from '../params';

/** acc + dot(x, w) over 16 int8 lanes, by products widened to i16 and pairwise sums to i32. */
// @ts-ignore: decorator
@inline
function dot8x16(acc: v128, x: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.add(
    i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(x, w)),
    i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(x, w)),
  ));
}

/** Gathers four 1x4 input blocks (at block columns cols[0..3]) into one vector. */
// @ts-ignore: decorator
@inline
function gather4(x: usize, cols: usize): v128 {
  let v = v128.load32_zero(x + (<usize>load<u16>(cols) << 2));
  v = v128.load32_lane(x + (<usize>load<u16>(cols, 2) << 2), v, 1);
  v = v128.load32_lane(x + (<usize>load<u16>(cols, 4) << 2), v, 2);
  return v128.load32_lane(x + (<usize>load<u16>(cols, 6) << 2), v, 3);
}

/** Row r's sums for four input rows (x, x + depth, ...), one lane each; blocks of 4 or 16. */
function rowDot4(x: usize, depth: usize, p: usize, r: i32, block: i32): v128 {
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  let k = load<i32>(rowStart + (<usize>r << 2));
  const end = load<i32>(rowStart + (<usize>(r + 1) << 2));
  let a0 = i32x4.splat(0);
  let a1 = i32x4.splat(0);
  let a2 = i32x4.splat(0);
  let a3 = i32x4.splat(0);
  if (block == 16) {
    for (; k < end; k++) {
      const w = v128.load(values + (<usize>k << 4));
      const xc = x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 4);
      a0 = dot8x16(a0, v128.load(xc), w);
      a1 = dot8x16(a1, v128.load(xc + depth), w);
      a2 = dot8x16(a2, v128.load(xc + 2 * depth), w);
      a3 = dot8x16(a3, v128.load(xc + 3 * depth), w);
    }
  } else {
    for (; k + 4 <= end; k += 4) {
      const w = v128.load(values + (<usize>k << 2));
      const cols = blockCols + (<usize>k << 1);
      a0 = dot8x16(a0, gather4(x, cols), w);
      a1 = dot8x16(a1, gather4(x + depth, cols), w);
      a2 = dot8x16(a2, gather4(x + 2 * depth, cols), w);
      a3 = dot8x16(a3, gather4(x + 3 * depth, cols), w);
    }
  }
  let sums = hsum4(a0, a1, a2, a3);
  for (; k < end; k++) { // 1x4 leftovers
    const col = <usize>load<u16>(blockCols + (<usize>k << 1)) << 2;
    const w = values + (<usize>k << 2);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < 4; j++) {
      const wj = <i32>load<i8>(w + <usize>j);
      const xj = x + col + <usize>j;
      s0 += wj * <i32>load<i8>(xj);
      s1 += wj * <i32>load<i8>(xj + depth);
      s2 += wj * <i32>load<i8>(xj + 2 * depth);
      s3 += wj * <i32>load<i8>(xj + 3 * depth);
    }
    sums = i32x4.add(sums, i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(s0), 1, s1), 2, s2), 3, s3));
  }
  return sums;
}

/** Row r's products w*x for one input row, unreduced (their lane sum is the row's sum); blocks of 4 or 16. */
// @ts-ignore: decorator
@inline
function rowDotLanes(x: usize, p: usize, r: i32, block: i32): v128 {
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  let k = load<i32>(rowStart + (<usize>r << 2));
  const end = load<i32>(rowStart + (<usize>(r + 1) << 2));
  let acc = i32x4.splat(0);
  if (block == 16) {
    for (; k < end; k++) {
      const xw = v128.load(x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 4));
      acc = dot8x16(acc, xw, v128.load(values + (<usize>k << 4)));
    }
    return acc;
  }
  for (; k + 4 <= end; k += 4) acc = dot8x16(acc, gather4(x, blockCols + (<usize>k << 1)), v128.load(values + (<usize>k << 2)));
  let s = 0;
  for (; k < end; k++) { // 1x4 leftovers
    const col = x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 2);
    const w = values + (<usize>k << 2);
    for (let j = 0; j < 4; j++) s += <i32>load<i8>(w + <usize>j) * <i32>load<i8>(col + <usize>j);
  }
  return i32x4.replace_lane(acc, 0, i32x4.extract_lane(acc, 0) + s);
}

/** Row r's sum w*x for one input row. */
// @ts-ignore: decorator
@inline
function rowDot(x: usize, p: usize, r: i32, block: i32): i32 {
  if (block == 1) return sparseDot(x, p, r);
  const acc = rowDotLanes(x, p, r, block);
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

/** acc + dot of 16 int8 inputs (as xl, xh: two sign-extended halves) with the 16 int8 weights at w. */
// @ts-ignore: decorator
@inline
function dot16(acc: v128, xl: v128, xh: v128, w: usize): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(xl, v128.load8x8_s(w)), i32x4.dot_i16x8_s(xh, v128.load8x8_s(w + 8))));
}

/**
 * Output row r's int8 value for accumulator acc, as the twin's requantizeRow but in requantMode 0
 * through the SIMD requantization records (the block carries no multipliers or shifts): lane r & 3
 * of requant4 over r's group of four rows (the records cover whole 8-row groups).
 */
function requantizeRow(p: usize, r: i32, acc: i32): i32 {
  let scaled: i32;
  if (load<i32>(p, SPARSE_FULLY_CONNECTED_REQUANT_MODE) == 1) {
    scaled = f64ToI32(roundHalfAway(<f64>acc * load<f64>(load<usize>(p, SPARSE_FULLY_CONNECTED_SCALES) + (<usize>r << 3))));
  } else {
    const v = requant4(i32x4.splat(acc), load<usize>(p, SPARSE_FULLY_CONNECTED_REQUANT) + <usize>(r & ~3) * REQUANT_F64_RECORD_BYTES);
    const lane = r & 3;
    scaled = lane == 0 ? i32x4.extract_lane(v, 0) : lane == 1 ? i32x4.extract_lane(v, 1) : lane == 2 ? i32x4.extract_lane(v, 2) : i32x4.extract_lane(v, 3);
  }
  return clamp(scaled + load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET), load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN), load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
}

/** Requantizes the sums of output rows r .. r + 3 (those below `rows`) and stores them at out + r. */
// @ts-ignore: decorator
@inline
function store4(p: usize, out: usize, r: i32, rows: i32, acc: v128, requantInFloat: bool, outOffsetV: v128, actMinV: v128, actMaxV: v128): void {
  if (r + 4 <= rows) {
    const scaled = requantInFloat
      ? scaleRound4(acc, load<usize>(p, SPARSE_FULLY_CONNECTED_SCALES) + (<usize>r << 3))
      : requant4(acc, load<usize>(p, SPARSE_FULLY_CONNECTED_REQUANT) + <usize>r * REQUANT_F64_RECORD_BYTES);
    v128.store32_lane(out + <usize>r, narrowClamp4(scaled, outOffsetV, actMinV, actMaxV), 0);
    return;
  }
  for (let j = 0; j < rows - r; j++) {
    const lane = j == 0 ? i32x4.extract_lane(acc, 0) : j == 1 ? i32x4.extract_lane(acc, 1) : i32x4.extract_lane(acc, 2);
    store<i8>(out + <usize>(r + j), <i8>requantizeRow(p, r + j, lane));
  }
}

/** Block 64: row-grouped 4x16 tiles, two input rows at a time, then a last one alone. */
function groupedTiles(p: usize): void {
  const input = load<usize>(p, SPARSE_FULLY_CONNECTED_INPUT);
  const output = load<usize>(p, SPARSE_FULLY_CONNECTED_OUTPUT);
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  const foldedBias = load<usize>(p, SPARSE_FULLY_CONNECTED_FOLDED_BIAS);
  const batches = load<i32>(p, SPARSE_FULLY_CONNECTED_BATCHES);
  const depth = load<i32>(p, SPARSE_FULLY_CONNECTED_DEPTH);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const filterOffset = load<i32>(p, SPARSE_FULLY_CONNECTED_FILTER_OFFSET);
  const requantInFloat = load<i32>(p, SPARSE_FULLY_CONNECTED_REQUANT_MODE) == 1;
  const outOffsetV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET));
  const actMinV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN));
  const actMaxV = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
  const groups = (rows + 3) >> 2;
  let b = 0;
  for (; b + 2 <= batches; b += 2) {
    const x0 = input + <usize>(b * depth);
    const x1 = x0 + <usize>depth;
    const out0 = output + <usize>(b * rows);
    const out1 = out0 + <usize>rows;
    const term0 = i32x4.splat(filterOffset == 0 ? 0 : filterOffset * rowSum(x0, depth));
    const term1 = i32x4.splat(filterOffset == 0 ? 0 : filterOffset * rowSum(x1, depth));
    for (let g = 0; g < groups; g++) {
      let k = load<i32>(rowStart + (<usize>g << 2));
      const end = load<i32>(rowStart + (<usize>(g + 1) << 2));
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      let c0 = i32x4.splat(0);
      let c1 = i32x4.splat(0);
      let c2 = i32x4.splat(0);
      let c3 = i32x4.splat(0);
      for (; k < end; k++) {
        const col = <usize>load<u16>(blockCols + (<usize>k << 1)) << 4;
        const xl0 = v128.load8x8_s(x0 + col);
        const xh0 = v128.load8x8_s(x0 + col + 8);
        const xl1 = v128.load8x8_s(x1 + col);
        const xh1 = v128.load8x8_s(x1 + col + 8);
        const w = values + (<usize>k << 6);
        a0 = dot16(a0, xl0, xh0, w);
        c0 = dot16(c0, xl1, xh1, w);
        a1 = dot16(a1, xl0, xh0, w + 16);
        c1 = dot16(c1, xl1, xh1, w + 16);
        a2 = dot16(a2, xl0, xh0, w + 32);
        c2 = dot16(c2, xl1, xh1, w + 32);
        a3 = dot16(a3, xl0, xh0, w + 48);
        c3 = dot16(c3, xl1, xh1, w + 48);
      }
      const r = g << 2;
      const bias = v128.load(foldedBias + (<usize>r << 2));
      store4(p, out0, r, rows, i32x4.add(i32x4.add(hsum4(a0, a1, a2, a3), bias), term0), requantInFloat, outOffsetV, actMinV, actMaxV);
      store4(p, out1, r, rows, i32x4.add(i32x4.add(hsum4(c0, c1, c2, c3), bias), term1), requantInFloat, outOffsetV, actMinV, actMaxV);
    }
  }
  if (b < batches) {
    const x = input + <usize>(b * depth);
    const out = output + <usize>(b * rows);
    const term = i32x4.splat(filterOffset == 0 ? 0 : filterOffset * rowSum(x, depth));
    for (let g = 0; g < groups; g++) {
      let k = load<i32>(rowStart + (<usize>g << 2));
      const end = load<i32>(rowStart + (<usize>(g + 1) << 2));
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      for (; k < end; k++) {
        const xc = x + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 4);
        const xl = v128.load8x8_s(xc);
        const xh = v128.load8x8_s(xc + 8);
        const w = values + (<usize>k << 6);
        a0 = dot16(a0, xl, xh, w);
        a1 = dot16(a1, xl, xh, w + 16);
        a2 = dot16(a2, xl, xh, w + 32);
        a3 = dot16(a3, xl, xh, w + 48);
      }
      const r = g << 2;
      const acc = i32x4.add(i32x4.add(hsum4(a0, a1, a2, a3), v128.load(foldedBias + (<usize>r << 2))), term);
      store4(p, out, r, rows, acc, requantInFloat, outOffsetV, actMinV, actMaxV);
    }
  }
}

export function sparse_fully_connected(p: usize): i32 {
  if (load<i32>(p, SPARSE_FULLY_CONNECTED_BLOCK) == 64) {
    groupedTiles(p);
    return 0;
  }
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
  const scratch = load<usize>(p, SPARSE_FULLY_CONNECTED_SCRATCH);
  let b = 0;
  if (block != 1) {
    for (; b + 4 <= batches; b += 4) {
      const x = input + <usize>(b * depth);
      let rowTerms = i32x4.splat(0);
      if (filterOffset != 0) {
        for (let q = 0; q < 4; q++) {
          const t = filterOffset * rowSum(x + <usize>(q * depth), depth);
          rowTerms = q == 0 ? i32x4.replace_lane(rowTerms, 0, t) : q == 1 ? i32x4.replace_lane(rowTerms, 1, t)
            : q == 2 ? i32x4.replace_lane(rowTerms, 2, t) : i32x4.replace_lane(rowTerms, 3, t);
        }
      }
      for (let r = 0; r < rows; r++) {
        const sums = i32x4.add(i32x4.add(rowDot4(x, <usize>depth, p, r, block), i32x4.splat(load<i32>(foldedBias + (<usize>r << 2)))), rowTerms);
        v128.store(scratch + (<usize>r << 4), sums);
      }
      for (let q = 0; q < 4; q++) {
        const out = output + <usize>((b + q) * rows);
        let r = 0;
        for (; r + 4 <= rows; r += 4) {
          // Input row q's sums of output rows r .. r + 3: lane q of four scratch entries.
          const s = scratch + (<usize>r << 4) + (<usize>q << 2);
          let acc = v128.load32_zero(s);
          acc = v128.load32_lane(s + 16, acc, 1);
          acc = v128.load32_lane(s + 32, acc, 2);
          acc = v128.load32_lane(s + 48, acc, 3);
          const scaled = requantInFloat ? scaleRound4(acc, scales + (<usize>r << 3)) : requant4(acc, requant + <usize>r * REQUANT_F64_RECORD_BYTES);
          v128.store32_lane(out + <usize>r, narrowClamp4(scaled, outOffsetV, actMinV, actMaxV), 0);
        }
        for (; r < rows; r++) store<i8>(out + <usize>r, <i8>requantizeRow(p, r, load<i32>(scratch + (<usize>r << 4) + (<usize>q << 2))));
      }
    }
  }
  for (; b < batches; b++) {
    const x = input + <usize>(b * depth);
    const out = output + <usize>(b * rows);
    const rowTerm = filterOffset == 0 ? 0 : filterOffset * rowSum(x, depth);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      let acc: v128;
      if (block == 1) {
        acc = i32x4.splat(sparseDot(x, p, r));
        acc = i32x4.replace_lane(acc, 1, sparseDot(x, p, r + 1));
        acc = i32x4.replace_lane(acc, 2, sparseDot(x, p, r + 2));
        acc = i32x4.replace_lane(acc, 3, sparseDot(x, p, r + 3));
      } else {
        acc = hsum4(rowDotLanes(x, p, r, block), rowDotLanes(x, p, r + 1, block), rowDotLanes(x, p, r + 2, block), rowDotLanes(x, p, r + 3, block));
      }
      acc = i32x4.add(i32x4.add(acc, v128.load(foldedBias + (<usize>r << 2))), i32x4.splat(rowTerm));
      const scaled = requantInFloat ? scaleRound4(acc, scales + (<usize>r << 3)) : requant4(acc, requant + <usize>r * REQUANT_F64_RECORD_BYTES);
      v128.store32_lane(out + <usize>r, narrowClamp4(scaled, outOffsetV, actMinV, actMaxV), 0);
    }
    for (; r < rows; r++) {
      const acc = rowDot(x, p, r, block) + load<i32>(foldedBias + (<usize>r << 2)) + rowTerm;
      store<i8>(out + <usize>r, <i8>requantizeRow(p, r, acc));
    }
  }
  return 0;
}
