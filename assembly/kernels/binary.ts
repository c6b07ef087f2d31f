// SIMD twin of ../ref/binary.ts for int8 ADD and SUB in the dense layouts (same shapes, or one
// input a single element); other operations, strided broadcasting and the rescale ranges the
// fast form below does not cover use the twin. Sixteen elements per step, widened to i32 lanes;
// every multiplier and shift is per tensor, so lanes share them.
//
// Input rescales, exact in i32 lanes. With v = x + offset in [-255, 255], b = 31 - leftShift,
// multiplier m and e = -shift >= 0, the reference computes
//   RoundingDivideByPOT(SRDHM(v << leftShift, m), e),   SRDHM(v << L, m) = floor((v*m + 2^(b-1)) / 2^b).
// The input with the larger scale has real multiplier exactly 1/2 (m = 2^30, e = 0): its rescale
// is v << (30 - b), exactly. For the other (m >= 2^b): RoundingDivideByPOT(y, e) =
// floor((y + 2^(e-1) - [y < 0]) / 2^e) for e >= 1, and y < 0 iff v < 0, so nesting the floors
// gives floor((v*m + K(v)) / 2^T) with T = b + e and
//   K(v) = 2^(b-1) + (e >= 1 ? 2^(b-1+e) : 0) - (e >= 1 && v < 0 ? 2^b : 0).
// Splitting m = Q*2^T + R (0 <= R < 2^T): = v*Q + floor((v*R + K(v)) / 2^T), whose shifted
// numerator stays below 256 * 2^T <= 2^31 in magnitude when T <= 23.
import { binary_ref, SUB } from '../ref/binary';
import { srdhm4 } from '../simd';
import {
  BINARY_INPUT1, BINARY_INPUT2, BINARY_OUTPUT, BINARY_LAYOUT, BINARY_COUNT, BINARY_INPUT1_OFFSET, BINARY_INPUT2_OFFSET,
  BINARY_OUTPUT_OFFSET, BINARY_LEFT_SHIFT, BINARY_INPUT1_MULTIPLIER, BINARY_INPUT1_SHIFT, BINARY_INPUT2_MULTIPLIER,
  BINARY_INPUT2_SHIFT, BINARY_OUTPUT_MULTIPLIER, BINARY_OUTPUT_SHIFT, BINARY_ACT_MIN, BINARY_ACT_MAX, BINARY_OPERATION,
  BINARY_ELEMENT_BYTES,
} from '../params';

const SAME_SHAPE: i32 = 1;
const INPUT2_SCALAR: i32 = 2;
const INPUT1_SCALAR: i32 = 3;

// How the exact input's term e and the other input's term g combine.
const E_PLUS_G: i32 = 0;
const E_MINUS_G: i32 = 1;
const G_MINUS_E: i32 = 2;

/** The other input's rescale without the offset's v*Q share: x*q + ((x*r + k - (x < neg ? fix : 0)) >> t), see the header. */
// @ts-ignore: decorator
@inline
function rescale4(x: v128, q: v128, r: v128, k: v128, neg: v128, fix: v128, t: i32): v128 {
  const low = i32x4.sub(i32x4.add(i32x4.mul(x, r), k), v128.and(i32x4.lt_s(x, neg), fix));
  return i32x4.add(i32x4.mul(x, q), i32x4.shr_s(low, t));
}

// @ts-ignore: decorator
@inline
function widen(v: v128, half: i32): v128 {
  const h = half < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return (half & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h);
}

/** Four lanes (exact input x, other input y, widened to i32) through the rescales, their combination and the output rescale. */
// @ts-ignore: decorator
@inline
function combine4(x: v128, y: v128, mode: i32, shift: i32, Q: v128, R: v128, K: v128, N: v128, F: v128, t: i32,
  B: v128, M: v128, half: v128, eo: i32): v128 {
  const e = i32x4.shl(x, shift);
  const g = rescale4(y, Q, R, K, N, F, t);
  const s = mode == E_PLUS_G ? i32x4.add(e, g) : mode == E_MINUS_G ? i32x4.sub(e, g) : i32x4.sub(g, e);
  const v = srdhm4(i32x4.add(s, B), M);
  // RoundingDivideByPOT(v, eo) = (v + 2^(eo-1) - [v < 0]) >> eo for eo >= 1.
  return i32x4.shr_s(i32x4.add(i32x4.add(v, half), i32x4.shr_s(v, 31)), eo);
}

/** Sixteen int8 lanes of the result, offset, clamped and narrowed. */
// @ts-ignore: decorator
@inline
function add16(x: v128, y: v128, mode: i32, shift: i32, Q: v128, R: v128, K: v128, N: v128, F: v128, t: i32,
  B: v128, M: v128, half: v128, eo: i32, outOffset16: v128, actMin8: v128, actMax8: v128): v128 {
  const r0 = combine4(widen(x, 0), widen(y, 0), mode, shift, Q, R, K, N, F, t, B, M, half, eo);
  const r1 = combine4(widen(x, 1), widen(y, 1), mode, shift, Q, R, K, N, F, t, B, M, half, eo);
  const r2 = combine4(widen(x, 2), widen(y, 2), mode, shift, Q, R, K, N, F, t, B, M, half, eo);
  const r3 = combine4(widen(x, 3), widen(y, 3), mode, shift, Q, R, K, N, F, t, B, M, half, eo);
  // Saturating to i16 before the offset is exact: such values stay outside [actMin, actMax].
  const h0 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(r0, r1), outOffset16);
  const h1 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(r2, r3), outOffset16);
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), actMin8), actMax8);
}

export function binary(p: usize): i32 {
  const layout = load<i32>(p, BINARY_LAYOUT);
  const operation = load<i32>(p, BINARY_OPERATION);
  if (operation > SUB || load<i32>(p, BINARY_ELEMENT_BYTES) != 1 || (layout != SAME_SHAPE && layout != INPUT2_SCALAR && layout != INPUT1_SCALAR)) return binary_ref(p);
  const leftShift = load<i32>(p, BINARY_LEFT_SHIFT);
  const b = 31 - leftShift;
  const m1 = load<i32>(p, BINARY_INPUT1_MULTIPLIER);
  const m2 = load<i32>(p, BINARY_INPUT2_MULTIPLIER);
  const e1 = -load<i32>(p, BINARY_INPUT1_SHIFT);
  const e2 = -load<i32>(p, BINARY_INPUT2_SHIFT);
  const o1 = load<i32>(p, BINARY_INPUT1_OFFSET);
  const o2 = load<i32>(p, BINARY_INPUT2_OFFSET);
  // x: the exact input (m = 2^30, e = 0); y: the other.
  const firstExact = m1 == 1 << 30 && e1 == 0;
  const ox = firstExact ? o1 : o2;
  const oy = firstExact ? o2 : o1;
  const mx = firstExact ? m1 : m2;
  const ex = firstExact ? e1 : e2;
  const my = firstExact ? m2 : m1;
  const ey = firstExact ? e2 : e1;
  const mo = load<i32>(p, BINARY_OUTPUT_MULTIPLIER);
  const eo = -load<i32>(p, BINARY_OUTPUT_SHIFT);
  const count = load<i32>(p, BINARY_COUNT);
  // (x + offset) << leftShift fits in i32 for leftShift <= 23; see the header for the rest.
  if (leftShift < 8 || leftShift > 23 || mx != 1 << 30 || ex != 0 || my < (1 << b) || ey < 0 || b + ey > 23 || eo < 1 || eo > 31 || count < 16) {
    return binary_ref(p);
  }
  const shift = 30 - b;
  const t = b + ey;
  const q = my >> t;
  const r = my & ((1 << t) - 1);
  const Q = i32x4.splat(q);
  const R = i32x4.splat(r);
  const K = i32x4.splat(oy * r + (1 << (b - 1)) + (ey > 0 ? 1 << (t - 1) : 0));
  const N = i32x4.splat(-oy);
  const F = i32x4.splat(ey > 0 ? 1 << b : 0);
  const mode = operation != SUB ? E_PLUS_G : firstExact ? E_MINUS_G : G_MINUS_E;
  // The offsets' shares (ox << shift, oy*Q), wrapping harmlessly.
  const e0 = ox << shift;
  const g0 = oy * q;
  const B = i32x4.splat(mode == E_PLUS_G ? e0 + g0 : mode == E_MINUS_G ? e0 - g0 : g0 - e0);
  const M = i32x4.splat(mo);
  const half = i32x4.splat(1 << (eo - 1));
  const outOffset16 = i16x8.splat(<i16>load<i32>(p, BINARY_OUTPUT_OFFSET));
  const actMin8 = i8x16.splat(<i8>load<i32>(p, BINARY_ACT_MIN));
  const actMax8 = i8x16.splat(<i8>load<i32>(p, BINARY_ACT_MAX));

  const in1 = load<usize>(p, BINARY_INPUT1);
  const in2 = load<usize>(p, BINARY_INPUT2);
  const inX = firstExact ? in1 : in2;
  const inY = firstExact ? in2 : in1;
  const scalarX = layout == (firstExact ? INPUT1_SCALAR : INPUT2_SCALAR);
  const scalarY = layout == (firstExact ? INPUT2_SCALAR : INPUT1_SCALAR);
  const out = load<usize>(p, BINARY_OUTPUT);
  const vecCount = count & ~15;
  // A tail of count % 16 elements runs first as the step over the last 16 elements; its result
  // is stored after the loop, so outputs that alias inputs (in place) are never read back.
  const last = count - 16;
  let pending = i8x16.splat(0);
  for (let i = vecCount < count ? -16 : 0; i < vecCount; i += 16) {
    const at = <usize>(i < 0 ? last : i);
    const x = scalarX ? v128.load8_splat(inX) : v128.load(inX + at);
    const y = scalarY ? v128.load8_splat(inY) : v128.load(inY + at);
    const res = add16(x, y, mode, shift, Q, R, K, N, F, t, B, M, half, eo, outOffset16, actMin8, actMax8);
    if (i < 0) pending = res;
    else v128.store(out + at, res);
  }
  if (vecCount < count) v128.store(out + <usize>last, pending);
  return 0;
}
