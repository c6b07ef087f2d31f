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

/** Bytes of requantization records per channel (host/ops/common.ts requantTable) for the convolutions: f64 and f32 halves (proven records hold their own fields instead). */
export const REQUANT_RECORD_BYTES: usize = 24;
/** The same for FULLY_CONNECTED and the sparse kernels: the f64 half only. */
export const REQUANT_F64_RECORD_BYTES: usize = 16;

/**
 * TFLite MultiplyByQuantizedMultiplier on four lanes, bit-exact (double rounding), with a single
 * rounding in f64. With N = x * 2^left * m and D = 2^(31+e), SaturatingRoundingDoublingHighMul
 * (floor((N + 2^30) / 2^31)) then RoundingDivideByPOT(e) (half away from zero) is
 *   floor((N + 2^30 + 2^(30+e) - (x < 0 ? 2^31 : 0)) / D)   (e > 0; nested floors over integers
 *   merge into one), i.e. floor(N / D + 1/2 + copysign(2^-(e+1), x)); for e = 0, floor(N / D + 1/2).
 * The f64 sum is exact while |N| + 2^(30+e) < 2^53 (for larger e the result is 0 either way); the
 * floor, plus 1.5 * 2^52, leaves the integer in the low 32 bits. The host passes a table only when every channel's |N| stays below 2^51, or the
 * error of a larger product cannot change the clamped int8 output (host/ops/common.ts requantTable).
 * `table`: the records of four channels: S = m 2^left / D [4] f64, H = 2^-(e+1) (0 when e = 0) [4]
 * f64, and for the convolutions then S rounded to f32 [4] and H [4] as f32 for requantPair (S 0
 * and H 1/2: this channel always takes the f64 path). Never reached with proven records.
 */
// @ts-ignore: decorator
@inline
export function requant4(x: v128, table: usize): v128 {
  const lo = requant2(f64x2.convert_low_i32x4_s(x), table);
  const hi = requant2(f64x2.convert_low_i32x4_s(i32x4.shuffle(x, x, 2, 3, 2, 3)), table + 16);
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

const ROUNDING_MAGIC: f32 = 12582912.0; // 1.5 * 2^23: adding it rounds |t| < 2^22 to an integer in the low mantissa bits
const ROUNDING_MAGIC_BITS: i32 = 0x4B400000;
// t = fl32(fl32(fl32(x) * S32) + copysign(H, x)) lies within 4.0000004 * 2^-24 * |x S| + 2^-24 H of
// the exact x S + copysign(H, x); for |t| <= 1024 that is below 1.0002 * 2^-12, so a t more than
// 2^-11 away from every half-integer rounds (to nearest) as the exact value does, i.e. to TFLite's
// result. A lane with |t| > 1024 may be off by one, but any such result clamps to the same int8
// bound as TFLite's (|output offset| <= 128); the host keeps |x S| < 2^21 so the magic-number
// rounding holds, else it stores S = 0 and H = 1/2, which always fails the check.
const EXACT_LIMIT: f32 = 0.49951171875; // 1/2 - 2^-11
// Compared with squared distances: EXACT_LIMIT^2 = 1046529 / 2^22 is an f32, and rounding is
// monotone, so every |d| >= EXACT_LIMIT has fl32(d * d) >= EXACT_LIMIT_SQUARED.
const EXACT_LIMIT_SQUARED: f32 = EXACT_LIMIT * EXACT_LIMIT;

/** x * s + copysign(h, x) in f32, s and h being four channels' S32 and H32 (their records at table + 64, + 80). */
// @ts-ignore: decorator
@inline
function scaledF32(x: v128, s: v128, h: v128): v128 {
  const xf = f32x4.convert_i32x4_s(x);
  return f32x4.add(f32x4.mul(xf, s), v128.or(v128.and(xf, i32x4.splat(-2147483648)), h));
}

/** t + ROUNDING_MAGIC: t rounded to nearest, as an integer in the low mantissa bits. */
// @ts-ignore: decorator
@inline
function roundedF32(t: v128): v128 {
  return f32x4.add(t, f32x4.splat(ROUNDING_MAGIC));
}

/**
 * What requantPair and requant16 take for the output offset: the rounding constant's bits minus
 * it, so one subtraction per vector both extracts roundedF32's integer and adds the offset.
 */
// @ts-ignore: decorator
@inline
export function offsetMagic(outputOffset: i32): v128 {
  return i32x4.splat(ROUNDING_MAGIC_BITS - outputOffset);
}

/** The integers in two vectors from roundedF32, plus the output offset: eight saturated i16 lanes (exact: |t| < 2^22). */
// @ts-ignore: decorator
@inline
function offsetPair(r0: v128, r1: v128, magic: v128): v128 {
  return i16x8.narrow_i32x4_s(i32x4.sub(r0, magic), i32x4.sub(r1, magic));
}

/** (t - nearest(t))^2 per lane, `rounded` being t + ROUNDING_MAGIC (the difference is exact: Sterbenz). */
// @ts-ignore: decorator
@inline
function roundingDistance(t: v128, rounded: v128): v128 {
  const d = f32x4.sub(t, f32x4.sub(rounded, f32x4.splat(ROUNDING_MAGIC)));
  return f32x4.mul(d, d);
}

/** Some lane of these squared distances (from roundingDistance) is too close to 1/4 to trust `rounded` (see EXACT_LIMIT). */
// @ts-ignore: decorator
@inline
function mayRoundOff(distances: v128): bool {
  return v128.any_true(f32x4.ge(distances, f32x4.splat(EXACT_LIMIT_SQUARED)));
}

/**
 * The mark of the four channels' records at `table` (host/ops/requant_proof.ts): the host proves
 * channels in groups of 8 (so this also answers for the next four) and writes -1 (centred) or -2
 * (signed) where H goes, which is never negative; records that are not proven need the check.
 */
// @ts-ignore: decorator
@inline
function provenMark(table: usize): f64 {
  return load<f64>(table, 32);
}

/** provenMark of centred and of signed proven records. */
const CENTRED: f64 = -1;
const SIGNED: f64 = -2;

/**
 * Four channels of centred proven records at `table`: x * scale32 + constant32 rounded in f32,
 * minus the record's magic: the output level plus the output offset. x is the accumulator less
 * the channel's centre, which the host folded into the bias.
 */
// @ts-ignore: decorator
@inline
function requantCentred(x: v128, scale: v128, constant: v128, magic: v128): v128 {
  return i32x4.sub(roundedF32(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(x), scale), constant)), magic);
}

/** requantCentred for signed records: the constant takes x's sign (x is the accumulator less a centre of a few units, as the proof assumed). */
// @ts-ignore: decorator
@inline
function requantSigned(x: v128, scale: v128, constant: v128, magic: v128): v128 {
  return i32x4.sub(roundedF32(scaledF32(x, scale, constant)), magic);
}

/**
 * Requantizes two vectors of four accumulators (x0 with the records at table0, x1 at table1) and
 * adds the output offset: eight saturated i16 lanes, x0's then x1's. Four lanes per f32 operation:
 * proven records round without a check (centred ones inline); the others take the f64 path of
 * requant4 when some lane lies too close to a rounding boundary (about one lane in 1000) or its
 * channel is marked f64-only. Saturating narrows before adding the offset are exact: a value
 * outside i16 stays outside [actMin, actMax] after it. Both vectors' channels must lie in one
 * proven group (table0's mark answers for table1's).
 */
// @ts-ignore: decorator
@inline
export function requantPair(x0: v128, table0: usize, x1: v128, table1: usize, magic: v128): v128 {
  if (provenMark(table0) != CENTRED) return requantPairUncentred(x0, table0, x1, table1, magic);
  return i16x8.narrow_i32x4_s(
    requantCentred(x0, v128.load(table0, 64), v128.load(table0, 80), v128.load(table0)),
    requantCentred(x1, v128.load(table1, 64), v128.load(table1, 80), v128.load(table1)));
}

/** requantPair on records that are not centred: signed, or with the check (not inlined, as requant16Uncentred). */
function requantPairUncentred(x0: v128, table0: usize, x1: v128, table1: usize, magic: v128): v128 {
  if (provenMark(table0) != SIGNED) return requantPairChecked(x0, table0, x1, table1, magic);
  return i16x8.narrow_i32x4_s(
    requantSigned(x0, v128.load(table0, 64), v128.load(table0, 80), v128.load(table0)),
    requantSigned(x1, v128.load(table1, 64), v128.load(table1, 80), v128.load(table1)));
}

/** requantPair on records that are not proven: with the check (not inlined, to keep each kernel's code small). */
function requantPairChecked(x0: v128, table0: usize, x1: v128, table1: usize, magic: v128): v128 {
  const t0 = scaledF32(x0, v128.load(table0, 64), v128.load(table0, 80));
  const t1 = scaledF32(x1, v128.load(table1, 64), v128.load(table1, 80));
  const r0 = roundedF32(t0);
  const r1 = roundedF32(t1);
  if (mayRoundOff(f32x4.pmax(roundingDistance(t0, r0), roundingDistance(t1, r1)))) return requantPairF64(x0, table0, x1, table1, magic);
  return offsetPair(r0, r1, magic);
}

/** requantPair through requant4 (not inlined: the rare path); `magic` from offsetMagic. */
function requantPairF64(x0: v128, table0: usize, x1: v128, table1: usize, magic: v128): v128 {
  const offset = i32x4.sub(i32x4.splat(ROUNDING_MAGIC_BITS), magic);
  return i16x8.add_sat_s(i16x8.narrow_i32x4_s(requant4(x0, table0), requant4(x1, table1)), i16x8.narrow_i32x4_s(offset, offset));
}

/**
 * Requantizes eight channels of two pixels (lo: channels c..c+3, hi: c+4..c+7; `table` at channel
 * c's records) to 16 int8 lanes: lo0 hi0 in bytes 0-7, lo1 hi1 in 8-15 (requantPair's arithmetic,
 * one check for all 16 where the records are not proven); c is a multiple of 8, so one mark answers
 * for both record blocks. The centred path is inlined, and with
 * `inlineSigned` the signed one too (the others call requant16Uncentred: a second call in a
 * kernel's loop slowed V8's code for all records by 13-20 %).
 */
// @ts-ignore: decorator
@inline
export function requant16(lo0: v128, hi0: v128, lo1: v128, hi1: v128, table: usize, magic: v128, actMin: v128, actMax: v128, inlineSigned: bool = false): v128 {
  const mark = provenMark(table);
  if (mark == CENTRED) return requant16Proven(lo0, hi0, lo1, hi1, table, actMin, actMax, false);
  if (inlineSigned && mark == SIGNED) return requant16Proven(lo0, hi0, lo1, hi1, table, actMin, actMax, true);
  return requant16Uncentred(lo0, hi0, lo1, hi1, table, magic, actMin, actMax);
}

/** requant16 on proven records, centred or `signed`. */
// @ts-ignore: decorator
@inline
function requant16Proven(lo0: v128, hi0: v128, lo1: v128, hi1: v128, table: usize, actMin: v128, actMax: v128, signed: bool): v128 {
  const tableHi = table + 4 * REQUANT_RECORD_BYTES;
  // Each record loaded once for both pixels (V8 does not merge repeated loads).
  const sLo = v128.load(table, 64);
  const cLo = v128.load(table, 80);
  const mLo = v128.load(table);
  const sHi = v128.load(tableHi, 64);
  const cHi = v128.load(tableHi, 80);
  const mHi = v128.load(tableHi);
  let h0: v128, h1: v128;
  if (signed) {
    h0 = i16x8.narrow_i32x4_s(requantSigned(lo0, sLo, cLo, mLo), requantSigned(hi0, sHi, cHi, mHi));
    h1 = i16x8.narrow_i32x4_s(requantSigned(lo1, sLo, cLo, mLo), requantSigned(hi1, sHi, cHi, mHi));
  } else {
    h0 = i16x8.narrow_i32x4_s(requantCentred(lo0, sLo, cLo, mLo), requantCentred(hi0, sHi, cHi, mHi));
    h1 = i16x8.narrow_i32x4_s(requantCentred(lo1, sLo, cLo, mLo), requantCentred(hi1, sHi, cHi, mHi));
  }
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), actMin), actMax);
}

/** requant16 on records that are not centred: signed, or with the check (not inlined). */
function requant16Uncentred(lo0: v128, hi0: v128, lo1: v128, hi1: v128, table: usize, magic: v128, actMin: v128, actMax: v128): v128 {
  if (provenMark(table) == SIGNED) return requant16Proven(lo0, hi0, lo1, hi1, table, actMin, actMax, true);
  return requant16Checked(lo0, hi0, lo1, hi1, table, magic, actMin, actMax);
}

/** requant16 on records that are not proven: with one check for all 16 lanes (not inlined). */
function requant16Checked(lo0: v128, hi0: v128, lo1: v128, hi1: v128, table: usize, magic: v128, actMin: v128, actMax: v128): v128 {
  const tableHi = table + 4 * REQUANT_RECORD_BYTES;
  const sLo = v128.load(table, 64);
  const hLo = v128.load(table, 80);
  const sHi = v128.load(tableHi, 64);
  const hHi = v128.load(tableHi, 80);
  const t0 = scaledF32(lo0, sLo, hLo);
  const t1 = scaledF32(hi0, sHi, hHi);
  const t2 = scaledF32(lo1, sLo, hLo);
  const t3 = scaledF32(hi1, sHi, hHi);
  const r0 = roundedF32(t0);
  const r1 = roundedF32(t1);
  const r2 = roundedF32(t2);
  const r3 = roundedF32(t3);
  let h0: v128, h1: v128;
  const farthest = f32x4.pmax(f32x4.pmax(roundingDistance(t0, r0), roundingDistance(t1, r1)), f32x4.pmax(roundingDistance(t2, r2), roundingDistance(t3, r3)));
  if (mayRoundOff(farthest)) {
    h0 = requantPairF64(lo0, table, hi0, tableHi, magic);
    h1 = requantPairF64(lo1, table, hi1, tableHi, magic);
  } else {
    h0 = offsetPair(r0, r1, magic);
    h1 = offsetPair(r2, r3, magic);
  }
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), actMin), actMax);
}

/** requant4 on two lanes already in f64 (`table` at their first channel's scale). */
// @ts-ignore: decorator
@inline
function requant2(v: v128, table: usize): v128 {
  const half = v128.or(v128.and(v, i64x2.splat(0x8000000000000000)), v128.load(table, 32)); // copysign(2^-(e+1), v)
  const u = f64x2.add(f64x2.add(f64x2.mul(v, v128.load(table)), f64x2.splat(0.5)), half);
  return f64x2.add(f64x2.floor(u), f64x2.splat(6755399441055744.0));
}

/**
 * SaturatingRoundingDoublingHighMul on four lanes (see requant4). Exact for any operands but
 * the saturating pair (INT32_MIN, INT32_MIN), which callers rule out.
 */
// @ts-ignore: decorator
@inline
export function srdhm4(a: v128, m: v128): v128 {
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(a, m), i64x2.splat(1 << 30));
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(a, m), i64x2.splat(1 << 30));
  return i32x4.shuffle(i64x2.shl(lo, 1), i64x2.shl(hi, 1), 1, 3, 5, 7);
}

/** Adds the output offset, clamps to [actMin, actMax] and narrows four i32 lanes to int8 (low 4 bytes). */
// @ts-ignore: decorator
@inline
export function narrowClamp4(x: v128, outputOffset: v128, actMin: v128, actMax: v128): v128 {
  const v = i32x4.min_s(i32x4.max_s(i32x4.add(x, outputOffset), actMin), actMax);
  const h = i16x8.narrow_i32x4_s(v, v);
  return i8x16.narrow_i16x8_s(h, h);
}

/**
 * MultiplyByQuantizedMultiplier on four lanes sharing one multiplier m (>= 0) and a shift <= 0:
 * SRDHM as in requant4, then gemmlowp RoundingDivideByPOT by the uniform exponent e.
 */
// @ts-ignore: decorator
@inline
export function mbqmUniform4(x: v128, m: v128, e: i32): v128 {
  return roundingDivideByPOT4(srdhm4(x, m), e);
}

/** gemmlowp RoundingDivideByPOT on four lanes by a uniform exponent 0 <= e <= 31. */
// @ts-ignore: decorator
@inline
export function roundingDivideByPOT4(y: v128, e: i32): v128 {
  const mask = (1 << e) - 1;
  const remainder = v128.and(y, i32x4.splat(mask));
  const threshold = i32x4.sub(i32x4.splat(mask >> 1), i32x4.shr_s(y, 31));
  return i32x4.sub(i32x4.shr_s(y, e), i32x4.gt_s(remainder, threshold));
}

/** round(double(x[i]) * scales[i]) for four lanes, C round() (half away from zero), saturating to i32. */
// @ts-ignore: decorator
@inline
export function scaleRound4(x: v128, scales: usize): v128 {
  const lo = toI32Bits2(roundHalfAway2(f64x2.mul(f64x2.convert_low_i32x4_s(x), v128.load(scales))));
  const hi = toI32Bits2(roundHalfAway2(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(x, x, 2, 3, 2, 3)), v128.load(scales, 16))));
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

/** Whole-valued doubles saturated to the i32 range, as i32 in the low half of each 64-bit lane:
 *  adding 1.5 * 2^52 puts the integer in the mantissa's low bits, exactly (|v| < 2^51). */
// @ts-ignore: decorator
@inline
function toI32Bits2(v: v128): v128 {
  const clamped = f64x2.pmax(f64x2.pmin(v, f64x2.splat(2147483647)), f64x2.splat(-2147483648));
  return f64x2.add(clamped, f64x2.splat(6755399441055744.0));
}

/** C round() (half away from zero) on two doubles: trunc(v + copysign(0.5 - 2^-54, v)). Exact for
 *  every double (the largest double below 0.5 keeps x.4999... from rounding up; checked against the
 *  scalar definition on 16M values around half-integers up to 2^56). */
// @ts-ignore: decorator
@inline
function roundHalfAway2(v: v128): v128 {
  const half = v128.or(v128.and(v, i64x2.splat(0x8000000000000000)), f64x2.splat(0.49999999999999994));
  return f64x2.trunc(f64x2.add(v, half));
}
