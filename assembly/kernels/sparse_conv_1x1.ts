// Pixel-vectorized sparse 1x1 convolution (XNNPACK SpMM style) over the sparse_fully_connected
// param block (host/abi/blocks.ts), scalar twin ../ref/sparse_fully_connected.ts. Contract: block
// 16 (1x16 blocks per output row) or 64 (4x16 tiles: row r reads its 16 values of each tile of its
// group), requantMode 0, filterOffset 0 (CONV_2D's arithmetic); else status 1, nothing written.
// Per tile of 16 pixels (then 4 at a time), the NHWC int8 input is widened into scratch as int16 in
// channel-pair-major order: pair j (channels 2j, 2j + 1) of pixels 4g .. 4g + 3 is the v128 at
// scratch + 64 * j + 16 * g, one pixel per 32-bit lane (pixels past the end are zero). A weight
// pair splat over the lanes then adds 8 MACs per i32x4.dot_i16x8_s into accumulators holding one
// pixel per lane: no horizontal sums, and the row's requantization is uniform across lanes.
// With 4x16 tiles and 16 pixels, rows r, r + 1 run together (tilePairs): each input vector loaded
// feeds both rows, and the tile list is walked once per pair. Outputs gather in spill and leave by
// byte transposes, 8 rows at a time (16 pixels, rows a multiple of 8) or 4. Scratch: the widened
// input (32 * full bytes), then spill (128 bytes), then two rows' widened weights (64 bytes).
// acc = sum w*x + foldedBias[r] (mod 2^32, as the twin); only columns below 16 * (depth >> 4) are
// read (the block format leaves the remainder's weights zero).
import { mbqmUniform4, srdhm4 } from '../simd';
import {
  SPARSE_FULLY_CONNECTED_INPUT, SPARSE_FULLY_CONNECTED_OUTPUT, SPARSE_FULLY_CONNECTED_ROW_START,
  SPARSE_FULLY_CONNECTED_BLOCK_COLS, SPARSE_FULLY_CONNECTED_VALUES, SPARSE_FULLY_CONNECTED_FOLDED_BIAS,
  SPARSE_FULLY_CONNECTED_MULTIPLIERS, SPARSE_FULLY_CONNECTED_SHIFTS, SPARSE_FULLY_CONNECTED_BATCHES,
  SPARSE_FULLY_CONNECTED_DEPTH, SPARSE_FULLY_CONNECTED_ROWS, SPARSE_FULLY_CONNECTED_BLOCK,
  SPARSE_FULLY_CONNECTED_FILTER_OFFSET, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET, SPARSE_FULLY_CONNECTED_ACT_MIN,
  SPARSE_FULLY_CONNECTED_ACT_MAX, SPARSE_FULLY_CONNECTED_REQUANT_MODE, SPARSE_FULLY_CONNECTED_SCRATCH,
} from '../params';

/** Widens 4 pixels (x, x + depth, ...) x 8 channels into pairs j .. j + 3 at dst + 64 * i (a 4x4 transpose of 32-bit units). */
// @ts-ignore: decorator
@inline
function widen4x8(x: usize, depth: usize, dst: usize): void {
  const a = v128.load8x8_s(x);
  const b = v128.load8x8_s(x + depth);
  const c = v128.load8x8_s(x + 2 * depth);
  const d = v128.load8x8_s(x + 3 * depth);
  const ab0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const ab1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const cd0 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const cd1 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(ab0, cd0, 0, 2));
  v128.store(dst, i64x2.shuffle(ab0, cd0, 1, 3), 64);
  v128.store(dst, i64x2.shuffle(ab1, cd1, 0, 2), 128);
  v128.store(dst, i64x2.shuffle(ab1, cd1, 1, 3), 192);
}

/** Widens `groups` groups of 4 pixels from x (the first `valid` real, the rest zero), channels below `full`, into scratch. */
function widenTile(x: usize, depth: i32, full: i32, scratch: usize, groups: i32, valid: i32): void {
  for (let g = 0; g < groups; g++) {
    const xg = x + <usize>(4 * g * depth);
    const dst = scratch + <usize>(g << 4);
    if (4 * g + 4 <= valid) {
      for (let c = 0; c < full; c += 8) widen4x8(xg + <usize>c, <usize>depth, dst + <usize>(c << 5));
      continue;
    }
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < full; c++) {
        const v = 4 * g + i < valid ? <i16>load<i8>(xg + <usize>(i * depth + c)) : 0;
        store<i16>(dst + <usize>(((c >> 1) << 6) + (i << 2) + ((c & 1) << 1)), v);
      }
    }
  }
}

/** acc for 4 pixels (lanes) of one 1x16 block: pairs at x + 64 * q, its 16 weights widened to lo, hi. */
// @ts-ignore: decorator
@inline
function blockDot(x: usize, lo: v128, hi: v128): v128 {
  let s = i32x4.dot_i16x8_s(v128.load(x), i32x4.shuffle(lo, lo, 0, 0, 0, 0));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 64), i32x4.shuffle(lo, lo, 1, 1, 1, 1)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 128), i32x4.shuffle(lo, lo, 2, 2, 2, 2)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 192), i32x4.shuffle(lo, lo, 3, 3, 3, 3)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 256), i32x4.shuffle(hi, hi, 0, 0, 0, 0)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 320), i32x4.shuffle(hi, hi, 1, 1, 1, 1)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 384), i32x4.shuffle(hi, hi, 2, 2, 2, 2)));
  return i32x4.add(s, i32x4.dot_i16x8_s(v128.load(x, 448), i32x4.shuffle(hi, hi, 3, 3, 3, 3)));
}

/** TFLite MultiplyByQuantizedMultiplier(x, m, shift) + outputOffset on four lanes (left = max(shift, 0), right = max(-shift, 0)). */
// @ts-ignore: decorator
@inline
function requantLanes(x: v128, m: v128, left: i32, right: i32, outOffset: v128): v128 {
  return i32x4.add(mbqmUniform4(left > 0 ? i32x4.shl(x, left) : x, m, right), outOffset);
}

/** requantRow for any shift and output offset. */
function requantRowAny(p: usize, r: i32, x0: v128, x1: v128, x2: v128, x3: v128, dst: usize): void {
  const m = i32x4.splat(load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_MULTIPLIERS) + (<usize>r << 2)));
  const shift = load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_SHIFTS) + (<usize>r << 2));
  const outOffset = i32x4.splat(load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET));
  const actMin = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN));
  const actMax = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const h0 = i16x8.narrow_i32x4_s(requantLanes(x0, m, left, right, outOffset), requantLanes(x1, m, left, right, outOffset));
  const h1 = i16x8.narrow_i32x4_s(requantLanes(x2, m, left, right, outOffset), requantLanes(x3, m, left, right, outOffset));
  // Narrowing saturates, so clamping to [actMin, actMax] (within int8) afterwards is the same as before.
  v128.store(dst, i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), actMin), actMax));
}

/** (y - (y < 0)) >> e1 on four lanes; no overflow, as y = SRDHM(x, m >= 0) > -2^31. */
// @ts-ignore: decorator
@inline
function roundShift(y: v128, e1: i32): v128 {
  return i32x4.shr_s(i32x4.add(y, i32x4.shr_s(y, 31)), e1);
}

/**
 * Row r's int8 outputs for 16 pixels at spill + 16 * (r & 3), from x_g = acc + foldedBias[r] holding
 * pixels 4g .. 4g + 3. Inline when shift <= fastMax (-2 if |outputOffset| <= 256, else never), with
 * e = -shift: RDBP(y, e) + outputOffset = (t + c) >> 1, t = roundShift(y, e - 1), c = 1 + 2 * outputOffset
 * (gemmlowp's ties away from zero). t narrows to int16 before the add and shift, both saturating: a
 * value beyond int16 gives a result beyond int8 either way. Else requantRowAny.
 */
// @ts-ignore: decorator
@inline
function requantRow(p: usize, r: i32, x0: v128, x1: v128, x2: v128, x3: v128, dst: usize, fastMax: i32, c: v128, actMin: v128, actMax: v128): void {
  const shift = load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_SHIFTS) + (<usize>r << 2));
  if (shift > fastMax) {
    requantRowAny(p, r, x0, x1, x2, x3, dst);
    return;
  }
  const m = i32x4.splat(load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_MULTIPLIERS) + (<usize>r << 2)));
  const e1 = -shift - 1;
  const h0 = i16x8.narrow_i32x4_s(roundShift(srdhm4(x0, m), e1), roundShift(srdhm4(x1, m), e1));
  const h1 = i16x8.narrow_i32x4_s(roundShift(srdhm4(x2, m), e1), roundShift(srdhm4(x3, m), e1));
  const q = i8x16.narrow_i16x8_s(i16x8.shr_s(i16x8.add_sat_s(h0, c), 1), i16x8.shr_s(i16x8.add_sat_s(h1, c), 1));
  v128.store(dst, i8x16.min_s(i8x16.max_s(q, actMin), actMax));
}

/** Stores lane i (4 bytes: pixel i's four rows) of e at out + i * stride, i < 4. */
// @ts-ignore: decorator
@inline
function storePixels4(out: usize, stride: usize, e: v128): void {
  v128.store32_lane(out, e, 0);
  v128.store32_lane(out + stride, e, 1);
  v128.store32_lane(out + 2 * stride, e, 2);
  v128.store32_lane(out + 3 * stride, e, 3);
}

/** Stores `nr` rows' int8 outputs (row q's pixels at spill + 16 * q) for `np` pixels: pixel i's at out + i * rows + q. */
function flush(spill: usize, out: usize, rows: i32, nr: i32, np: i32): void {
  if (nr == 4 && (np == 4 || np == 16)) { // 4x16 byte transpose: e_k holds pixels 4k .. 4k + 3, four rows each
    const v0 = v128.load(spill);
    const v1 = v128.load(spill, 16);
    const v2 = v128.load(spill, 32);
    const v3 = v128.load(spill, 48);
    const a = i8x16.shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const c = i8x16.shuffle(v2, v3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const stride = <usize>rows;
    storePixels4(out, stride, i8x16.shuffle(a, c, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
    if (np == 4) return;
    const b = i8x16.shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const d = i8x16.shuffle(v2, v3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    storePixels4(out + 4 * stride, stride, i8x16.shuffle(a, c, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31));
    storePixels4(out + 8 * stride, stride, i8x16.shuffle(b, d, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
    storePixels4(out + 12 * stride, stride, i8x16.shuffle(b, d, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31));
    return;
  }
  for (let i = 0; i < np; i++) {
    for (let q = 0; q < nr; q++) store<i8>(out + <usize>(i * rows + q), load<i8>(spill + <usize>((q << 4) + i)));
  }
}

/** Stores 8 rows' int8 outputs (row q's 16 pixels at spill + 16 * q): pixel i's at out + i * stride + q (an 8x16 byte transpose). */
function flush8(spill: usize, out: usize, stride: usize): void {
  const v0 = v128.load(spill);
  const v1 = v128.load(spill, 16);
  const v2 = v128.load(spill, 32);
  const v3 = v128.load(spill, 48);
  const v4 = v128.load(spill, 64);
  const v5 = v128.load(spill, 80);
  const v6 = v128.load(spill, 96);
  const v7 = v128.load(spill, 112);
  const a0 = i8x16.shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const a1 = i8x16.shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const b0 = i8x16.shuffle(v2, v3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const b1 = i8x16.shuffle(v2, v3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const c0 = i8x16.shuffle(v4, v5, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const c1 = i8x16.shuffle(v4, v5, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const d0 = i8x16.shuffle(v6, v7, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const d1 = i8x16.shuffle(v6, v7, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  pixels4x8(out, stride, i16x8.shuffle(a0, b0, 0, 8, 1, 9, 2, 10, 3, 11), i16x8.shuffle(c0, d0, 0, 8, 1, 9, 2, 10, 3, 11));
  pixels4x8(out + 4 * stride, stride, i16x8.shuffle(a0, b0, 4, 12, 5, 13, 6, 14, 7, 15), i16x8.shuffle(c0, d0, 4, 12, 5, 13, 6, 14, 7, 15));
  pixels4x8(out + 8 * stride, stride, i16x8.shuffle(a1, b1, 0, 8, 1, 9, 2, 10, 3, 11), i16x8.shuffle(c1, d1, 0, 8, 1, 9, 2, 10, 3, 11));
  pixels4x8(out + 12 * stride, stride, i16x8.shuffle(a1, b1, 4, 12, 5, 13, 6, 14, 7, 15), i16x8.shuffle(c1, d1, 4, 12, 5, 13, 6, 14, 7, 15));
}

/** Stores 4 pixels x 8 rows: rows 0..3 of pixel i in lane i of e, rows 4..7 in lane i of f, pixel i at out + i * stride. */
// @ts-ignore: decorator
@inline
function pixels4x8(out: usize, stride: usize, e: v128, f: v128): void {
  const lo = i32x4.shuffle(e, f, 0, 4, 1, 5);
  const hi = i32x4.shuffle(e, f, 2, 6, 3, 7);
  v128.store64_lane(out, lo, 0);
  v128.store64_lane(out + stride, lo, 1);
  v128.store64_lane(out + 2 * stride, hi, 0);
  v128.store64_lane(out + 3 * stride, hi, 1);
}

/** All output rows for the widened pixels in scratch: 16 of them (wide) or np <= 4 (lanes 0..3 of group 0). */
function tileRows(p: usize, scratch: usize, spill: usize, out: usize, np: i32, wide: bool): void {
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const tiles = load<i32>(p, SPARSE_FULLY_CONNECTED_BLOCK) == 64;
  const stride: usize = tiles ? 64 : 16;
  const group = wide && !(rows & 7) ? 8 : 4; // rows per flush
  const off = load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET);
  const fastMax = <u32>(off + 256) <= 512 ? -2 : i32.MIN_VALUE; // requantRow's fast path
  const c = i16x8.splat(<i16>(2 * off + 1));
  const actMin = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN));
  const actMax = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
  for (let r = 0; r < rows; r++) {
    const entry = tiles ? r >> 2 : r;
    let k = load<i32>(rowStart + (<usize>entry << 2));
    const end = load<i32>(rowStart + (<usize>entry << 2), 4);
    let w = tiles ? values + (<usize>k << 6) + (<usize>(r & 3) << 4) : values + (<usize>k << 4);
    let a0 = i32x4.splat(load<i32>(load<usize>(p, SPARSE_FULLY_CONNECTED_FOLDED_BIAS) + (<usize>r << 2)));
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    if (wide) {
      for (; k < end; k++, w += stride) {
        const x = scratch + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 9);
        const wv = v128.load(w);
        const lo = i16x8.extend_low_i8x16_s(wv);
        const hi = i16x8.extend_high_i8x16_s(wv);
        a0 = i32x4.add(a0, blockDot(x, lo, hi));
        a1 = i32x4.add(a1, blockDot(x + 16, lo, hi));
        a2 = i32x4.add(a2, blockDot(x + 32, lo, hi));
        a3 = i32x4.add(a3, blockDot(x + 48, lo, hi));
      }
    } else {
      for (; k < end; k++, w += stride) {
        const wv = v128.load(w);
        a0 = i32x4.add(a0, blockDot(scratch + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 9), i16x8.extend_low_i8x16_s(wv), i16x8.extend_high_i8x16_s(wv)));
      }
    }
    const slot = r & (group - 1);
    requantRow(p, r, a0, a1, a2, a3, spill + (<usize>slot << 4), fastMax, c, actMin, actMax);
    if (group == 8) {
      if (slot == 7) flush8(spill, out + <usize>(r - 7), <usize>rows);
    } else if (slot == 3 || r == rows - 1) flush(spill, out + <usize>(r & ~3), rows, slot + 1, np);
  }
}

/** 4x16 tiles, 16 pixels: rows r, r + 1 of a tile share its loads. Their 32 weights are widened per tile
 *  to int16 pairs at wbuf (row r + q's pair j at wbuf + 32 * q + 4 * j) for 32-bit splat loads. */
function tilePairs(p: usize, scratch: usize, spill: usize, out: usize): void {
  const rowStart = load<usize>(p, SPARSE_FULLY_CONNECTED_ROW_START);
  const blockCols = load<usize>(p, SPARSE_FULLY_CONNECTED_BLOCK_COLS);
  const values = load<usize>(p, SPARSE_FULLY_CONNECTED_VALUES);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const wbuf = spill + 128;
  const group = rows & 7 ? 4 : 8; // rows per flush
  const off = load<i32>(p, SPARSE_FULLY_CONNECTED_OUTPUT_OFFSET);
  const fastMax = <u32>(off + 256) <= 512 ? -2 : i32.MIN_VALUE; // requantRow's fast path
  const c = i16x8.splat(<i16>(2 * off + 1));
  const actMin = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MIN));
  const actMax = i8x16.splat(<i8>load<i32>(p, SPARSE_FULLY_CONNECTED_ACT_MAX));
  for (let r = 0; r < rows; r += 2) {
    let k = load<i32>(rowStart + (<usize>(r >> 2) << 2));
    const end = load<i32>(rowStart + (<usize>(r >> 2) << 2), 4);
    let w = values + (<usize>k << 6) + (<usize>(r & 3) << 4);
    const foldedBias = load<usize>(p, SPARSE_FULLY_CONNECTED_FOLDED_BIAS) + (<usize>r << 2);
    let a0 = i32x4.splat(load<i32>(foldedBias)), a1 = a0, a2 = a0, a3 = a0;
    let b0 = i32x4.splat(r + 1 < rows ? load<i32>(foldedBias, 4) : 0), b1 = b0, b2 = b0, b3 = b0;
    for (; k < end; k++, w += 64) {
      let x = scratch + (<usize>load<u16>(blockCols + (<usize>k << 1)) << 9);
      v128.store(wbuf, v128.load8x8_s(w));
      v128.store(wbuf, v128.load8x8_s(w, 8), 16);
      v128.store(wbuf, v128.load8x8_s(w, 16), 32);
      v128.store(wbuf, v128.load8x8_s(w, 24), 48);
      for (let j: usize = 0; j < 32; j += 4, x += 64) {
        const u = v128.load32_splat(wbuf + j);
        const v = v128.load32_splat(wbuf + j, 32);
        let xv = v128.load(x);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, u));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(xv, v));
        xv = v128.load(x, 16);
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, u));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(xv, v));
        xv = v128.load(x, 32);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, u));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(xv, v));
        xv = v128.load(x, 48);
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, u));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(xv, v));
      }
    }
    const slot = r & (group - 1);
    requantRow(p, r, a0, a1, a2, a3, spill + (<usize>slot << 4), fastMax, c, actMin, actMax);
    if (r + 1 < rows) requantRow(p, r + 1, b0, b1, b2, b3, spill + (<usize>slot << 4) + 16, fastMax, c, actMin, actMax);
    if (group == 8) {
      if (slot == 6) flush8(spill, out + <usize>(r - 6), <usize>rows);
    } else if (slot == 2 || r + 2 >= rows) flush(spill, out + <usize>(r & ~3), rows, min(rows - (r & ~3), 4), 16);
  }
}

export function sparse_conv_1x1(p: usize): i32 {
  const block = load<i32>(p, SPARSE_FULLY_CONNECTED_BLOCK);
  if ((block != 16 && block != 64) || load<i32>(p, SPARSE_FULLY_CONNECTED_REQUANT_MODE) != 0 || load<i32>(p, SPARSE_FULLY_CONNECTED_FILTER_OFFSET) != 0) return 1;
  const input = load<usize>(p, SPARSE_FULLY_CONNECTED_INPUT);
  const output = load<usize>(p, SPARSE_FULLY_CONNECTED_OUTPUT);
  const scratch = load<usize>(p, SPARSE_FULLY_CONNECTED_SCRATCH);
  const pixels = load<i32>(p, SPARSE_FULLY_CONNECTED_BATCHES);
  const depth = load<i32>(p, SPARSE_FULLY_CONNECTED_DEPTH);
  const rows = load<i32>(p, SPARSE_FULLY_CONNECTED_ROWS);
  const full = (depth >> 4) << 4;
  const spill = scratch + (<usize>full << 5); // 128 bytes: up to eight rows' outputs
  let px = 0;
  for (; px + 16 <= pixels; px += 16) {
    widenTile(input + <usize>(px * depth), depth, full, scratch, 4, 16);
    if (block == 64) tilePairs(p, scratch, spill, output + <usize>(px * rows));
    else tileRows(p, scratch, spill, output + <usize>(px * rows), 16, true);
  }
  for (; px < pixels; px += 4) {
    const np = min(4, pixels - px);
    widenTile(input + <usize>(px * depth), depth, full, scratch, 1, np);
    tileRows(p, scratch, spill, output + <usize>(px * rows), np, false);
  }
  return 0;
}
