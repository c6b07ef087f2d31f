// TFLite fixed-point arithmetic, bit-exact with tensorflow/lite/kernels/internal/common.h
// (double-rounding path: TFLITE_SINGLE_ROUNDING unset) and gemmlowp/fixedpoint.h.

/** gemmlowp SaturatingRoundingDoublingHighMul: high 32 bits of 2*a*b, rounded half away from zero. */
// @ts-ignore: decorator
@inline
export function srdhm(a: i32, b: i32): i32 {
  if (a == b && a == i32.MIN_VALUE) return i32.MAX_VALUE;
  const ab: i64 = <i64>a * <i64>b;
  const t: i64 = ab + (ab >= 0 ? (1 << 30) : (1 - (1 << 30)));
  // (t / 2^31) truncating toward zero, as C++ int64 division does: bias negatives by 2^31 - 1.
  return <i32>((t + ((t >> 63) & 0x7fffffff)) >> 31);
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent, rounded half away from zero. 0 <= exponent <= 31. */
// @ts-ignore: decorator
@inline
export function roundingDivideByPOT(x: i32, exponent: i32): i32 {
  const mask: i32 = (1 << exponent) - 1; // exponent 31 wraps to 0x7fffffff, as intended
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift). The left shift wraps like C++. */
// @ts-ignore: decorator
@inline
export function multiplyByQuantizedMultiplier(x: i32, multiplier: i32, shift: i32): i32 {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(srdhm(x * (1 << leftShift), multiplier), rightShift);
}

/**
 * TFLite MultiplyByQuantizedMultiplier(int64 x, int32 multiplier, int shift), the 16x8 kernels'
 * requantization: the multiplier reduced to 16 bits, (x * reduced + 2^(14 - shift)) >> (15 - shift).
 * Contract (TFLite DCHECKs): |x| < 2^47, -31 <= shift < 8, result fits int32 (it wraps otherwise).
 */
// @ts-ignore: decorator
@inline
export function multiplyByQuantizedMultiplier64(x: i64, multiplier: i32, shift: i32): i32 {
  const reduced: i64 = multiplier < 0x7fff0000 ? <i64>((multiplier + (1 << 15)) >> 16) : 0x7fff;
  const totalShift: i64 = <i64>(15 - shift);
  return <i32>((x * reduced + (<i64>1 << (totalShift - 1))) >> totalShift);
}

/** TFLite MultiplyByQuantizedMultiplierGreaterThanOne (leftShift >= 0). */
// @ts-ignore: decorator
@inline
export function multiplyByQuantizedMultiplierGreaterThanOne(x: i32, multiplier: i32, leftShift: i32): i32 {
  return srdhm(x * (1 << leftShift), multiplier);
}

/** C round(): half away from zero. */
// @ts-ignore: decorator
@inline
export function roundHalfAway(x: f64): f64 {
  const t = Math.trunc(x);
  const frac = x - t; // exact for doubles
  if (frac >= 0.5) return t + 1;
  if (frac <= -0.5) return t - 1;
  return t;
}

/** C roundf(): half away from zero, in f32. */
// @ts-ignore: decorator
@inline
export function roundHalfAwayF32(x: f32): f32 {
  const t = Mathf.trunc(x);
  const frac = x - t;
  if (frac >= 0.5) return t + 1;
  if (frac <= -0.5) return t - 1;
  return t;
}

/** static_cast<int32_t>(double) for values in range; saturating outside (C++ leaves that undefined). */
// @ts-ignore: decorator
@inline
export function f64ToI32(x: f64): i32 {
  return <i32>x; // i32.trunc_sat_f64_s (nontrapping-f2i is on)
}

// @ts-ignore: decorator
@inline
export function clamp(x: i32, lo: i32, hi: i32): i32 {
  return x < lo ? lo : x > hi ? hi : x;
}
