// Named v128 idioms shared by the SIMD kernels.

/** [sum(a), sum(b), sum(c), sum(d)] of four i32x4 accumulators. */
// @ts-ignore: decorator
@inline
export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** acc + dot(x, w) over 16 int8 lanes, with x already widened to (xl, xh) i16x8 halves. */
// @ts-ignore: decorator
@inline
export function dot16(acc: v128, xl: v128, xh: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.add(
    i32x4.dot_i16x8_s(xl, i16x8.extend_low_i8x16_s(w)),
    i32x4.dot_i16x8_s(xh, i16x8.extend_high_i8x16_s(w)),
  ));
}

/**
 * TFLite MultiplyByQuantizedMultiplier on four lanes, bit-exact (double rounding):
 *   y = SaturatingRoundingDoublingHighMul(x * (1 << left), m)   in i64 lanes
 *   RoundingDivideByPOT(y, e) = (y * 2^(32-e) + 2^31 - (y<0 ? 1 : 0)) >> 32
 * `table` points at one 64-byte requant record for these 4 channels (host/ops/common.ts
 * requantTable): m[4] i32, (1 << left)[4] i32, 2^(32-e)[4] i64. m >= 0, so the one SRDHM
 * saturation case (both operands INT32_MIN) cannot occur.
 */
// @ts-ignore: decorator
@inline
export function requant4(x: v128, table: usize): v128 {
  const m = v128.load(table);
  const a = i32x4.mul(x, v128.load(table, 16));
  const lo = srdhmPow(i64x2.extmul_low_i32x4_s(a, m), v128.load(table, 32));
  const hi = srdhmPow(i64x2.extmul_high_i32x4_s(a, m), v128.load(table, 48));
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline
function srdhmPow(product: v128, pow: v128): v128 {
  // SRDHM: (p + (p >= 0 ? 2^30 : 1 - 2^30)) / 2^31, truncating toward zero.
  const nudge = i64x2.add(i64x2.splat(1 << 30), v128.and(i64x2.shr_s(product, 63), i64x2.splat(1 - (<i64>1 << 31))));
  let t = i64x2.add(product, nudge);
  t = i64x2.add(t, v128.and(i64x2.shr_s(t, 63), i64x2.splat(0x7fffffff)));
  const y = i64x2.shr_s(t, 31);
  // RoundingDivideByPOT(y, e): half away from zero at bit 32 of y * 2^(32-e).
  const z = i64x2.mul(y, pow);
  return i64x2.shr_s(i64x2.add(i64x2.add(z, i64x2.splat(<i64>1 << 31)), i64x2.shr_s(z, 63)), 32);
}

/** Adds the output offset, clamps to [actMin, actMax] and narrows four i32 lanes to int8 (low 4 bytes). */
// @ts-ignore: decorator
@inline
export function narrowClamp4(x: v128, outputOffset: v128, actMin: v128, actMax: v128): v128 {
  const v = i32x4.min_s(i32x4.max_s(i32x4.add(x, outputOffset), actMin), actMax);
  const h = i16x8.narrow_i32x4_s(v, v);
  return i8x16.narrow_i16x8_s(h, h);
}
