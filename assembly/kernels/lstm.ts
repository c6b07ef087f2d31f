// SIMD twin of ../ref/lstm.ts: the gate matrix-vector products (the LSTM's MACs) four rows at a
// time with sign-extending 8-byte loads and i32x4.dot_i16x8_s, and the gemmlowp int16 sigmoid and
// tanh eight lanes at a time; every other step is the twin's (lstmRun with simd = true; the twin's
// module is built without SIMD and never compiles this file's code).
//
// gemmlowp's int16 SaturatingRoundingDoublingHighMul is exactly i16x8.q15mulr_sat_s: for ab >= 0
// both give floor((ab + 2^14) / 2^15); for ab = -m < 0 gemmlowp truncates -(m + 2^14 - 1) / 2^15,
// which is -ceil((m - 2^14) / 2^15) = floor((2^14 - m) / 2^15); both saturate only -1 * -1.
import {
  accumulate16, activationRun, lstmRun, SIGMOID, EXP_MINUS_ONE_EIGHTH, ONE_THIRD, EXP_MINUS_QUARTER, EXP_MINUS_HALF, EXP_MINUS_ONE,
  EXP_MINUS_TWO, EXP_MINUS_FOUR, EXP_MINUS_EIGHT, EXP_MINUS_SIXTEEN, FORTY_EIGHT_OVER_17, MINUS_32_OVER_17, ONE_HALF,
} from '../ref/lstm';
import { hsum4 } from '../simd';

// @ts-ignore: decorator
@inline
function dot8(acc: v128, x: usize, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(x), v128.load8x8_s(w)));
}

export function matVecAccumulate16Simd(
  vectors: usize, bias: usize, weights: usize, multiplier: i32, shift: i32,
  batches: i32, cols: i32, rows: i32, out: usize,
): void {
  const vecCols = cols & ~7;
  const stride = <usize>cols;
  for (let b = 0; b < batches; b++) {
    const x = vectors + <usize>(b * cols);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const w0 = weights + <usize>r * stride;
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      for (let c = 0; c < vecCols; c += 8) {
        const xc = x + <usize>c;
        const wc = w0 + <usize>c;
        a0 = dot8(a0, xc, wc);
        a1 = dot8(a1, xc, wc + stride);
        a2 = dot8(a2, xc, wc + 2 * stride);
        a3 = dot8(a3, xc, wc + 3 * stride);
      }
      const sums = i32x4.add(hsum4(a0, a1, a2, a3), v128.load(bias + (<usize>r << 2)));
      for (let j = 0; j < 4; j++) {
        const row = w0 + <usize>j * stride;
        let acc = j == 0 ? i32x4.extract_lane(sums, 0) : j == 1 ? i32x4.extract_lane(sums, 1) : j == 2 ? i32x4.extract_lane(sums, 2) : i32x4.extract_lane(sums, 3);
        for (let c = vecCols; c < cols; c++) acc += <i32>load<i8>(x + <usize>c) * <i32>load<i8>(row + <usize>c);
        const o = out + (<usize>(b * rows + r + j) << 1);
        store<i16>(o, <i16>accumulate16(acc, multiplier, shift, o));
      }
    }
    for (; r < rows; r++) {
      const row = weights + <usize>r * stride;
      let a = i32x4.splat(0);
      for (let c = 0; c < vecCols; c += 8) a = dot8(a, x + <usize>c, row + <usize>c);
      let acc = load<i32>(bias + (<usize>r << 2)) +
        i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
      for (let c = vecCols; c < cols; c++) acc += <i32>load<i8>(x + <usize>c) * <i32>load<i8>(row + <usize>c);
      const o = out + (<usize>(b * rows + r) << 1);
      store<i16>(o, <i16>accumulate16(acc, multiplier, shift, o));
    }
  }
}

export function lstm_8x8_16(p: usize): i32 {
  return lstmRun(p, true);
}

export function lstm_activation(p: usize): i32 {
  return activationRun(p, true);
}

// ---- gemmlowp fixed point on i16x8 (lane-wise twins of ref/lstm.ts's scalar helpers) ----

// @ts-ignore: decorator
@inline
function rdbpot16x8(x: v128, exponent: i32): v128 {
  const m: i32 = (1 << exponent) - 1;
  const mask = i16x8.splat(<i16>m);
  const threshold = i16x8.sub(i16x8.splat(<i16>(m >> 1)), i16x8.lt_s(x, i16x8.splat(0)));
  return i16x8.sub(i16x8.shr_s(x, exponent), i16x8.gt_s(v128.and(x, mask), threshold));
}

/** Saturating left shift by exponent > 0 (SaturatingRoundingMultiplyByPOT). */
// @ts-ignore: decorator
@inline
function shlSat16x8(x: v128, exponent: i32): v128 {
  const threshold: i32 = (1 << (15 - exponent)) - 1;
  let r = i16x8.shl(x, exponent);
  r = v128.bitselect(i16x8.splat(32767), r, i16x8.gt_s(x, i16x8.splat(<i16>threshold)));
  return v128.bitselect(i16x8.splat(-32768), r, i16x8.lt_s(x, i16x8.splat(<i16>-threshold)));
}

// @ts-ignore: decorator
@inline
function expOnIntervalNegQuarterTo0x8(a: v128): v128 {
  const constantTerm = i16x8.splat(<i16>EXP_MINUS_ONE_EIGHTH);
  const x = i16x8.add(a, i16x8.splat(1 << 12));
  const x2 = i16x8.q15mulr_sat_s(x, x);
  const x3 = i16x8.q15mulr_sat_s(x2, x);
  const x4 = i16x8.q15mulr_sat_s(x2, x2);
  const x4Over4 = rdbpot16x8(x4, 2);
  const poly = rdbpot16x8(i16x8.add(i16x8.q15mulr_sat_s(i16x8.add(x4Over4, x3), i16x8.splat(<i16>ONE_THIRD)), x2), 1);
  return i16x8.add_sat_s(constantTerm, i16x8.q15mulr_sat_s(constantTerm, i16x8.add(x, poly)));
}

// @ts-ignore: decorator
@inline
function barrel(result: v128, remainder: v128, bit: i32, multiplier: i32): v128 {
  const b: i32 = 1 << bit;
  const set = i16x8.ne(v128.and(remainder, i16x8.splat(<i16>b)), i16x8.splat(0));
  return v128.bitselect(i16x8.q15mulr_sat_s(result, i16x8.splat(<i16>multiplier)), result, set);
}

function expOnNegativeValues16x8(a: v128, integerBits: i32): v128 {
  const fractionalBits: i32 = 15 - integerBits;
  const oneQuarter: i32 = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = i16x8.sub(v128.and(a, i16x8.splat(<i16>(oneQuarter - 1))), i16x8.splat(<i16>oneQuarter));
  let result = expOnIntervalNegQuarterTo0x8(integerBits > 0 ? shlSat16x8(aModQuarterMinusQuarter, integerBits) : aModQuarterMinusQuarter);
  const remainder = i16x8.sub(aModQuarterMinusQuarter, a);
  result = barrel(result, remainder, fractionalBits - 2, EXP_MINUS_QUARTER);
  result = barrel(result, remainder, fractionalBits - 1, EXP_MINUS_HALF);
  if (integerBits > 0) result = barrel(result, remainder, fractionalBits, EXP_MINUS_ONE);
  if (integerBits > 1) result = barrel(result, remainder, fractionalBits + 1, EXP_MINUS_TWO);
  if (integerBits > 2) result = barrel(result, remainder, fractionalBits + 2, EXP_MINUS_FOUR);
  if (integerBits > 3) result = barrel(result, remainder, fractionalBits + 3, EXP_MINUS_EIGHT);
  if (integerBits > 4) result = barrel(result, remainder, fractionalBits + 4, EXP_MINUS_SIXTEEN);
  if (integerBits > 5) {
    const clamp: i32 = -(1 << (20 - integerBits));
    result = v128.bitselect(i16x8.splat(0), result, i16x8.lt_s(a, i16x8.splat(<i16>clamp)));
  }
  return v128.bitselect(i16x8.splat(32767), result, i16x8.eq(a, i16x8.splat(0)));
}

/** 1 / (1 + a) or (1 - a) / (1 + a) for a in [0, 1) Q0.15 (Newton-Raphson in Q2.13). */
// @ts-ignore: decorator
@inline
function reciprocalOnePlusX8(a: v128, minusX: bool): v128 {
  const halfDenominator = i16x8.avgr_u(a, i16x8.splat(32767)); // (a + 32767 + 1) >> 1, a >= 0
  let x = i16x8.add(i16x8.splat(<i16>FORTY_EIGHT_OVER_17), i16x8.q15mulr_sat_s(halfDenominator, i16x8.splat(<i16>MINUS_32_OVER_17)));
  for (let i = 0; i < 3; i++) {
    const oneMinus = i16x8.sub(i16x8.splat(1 << 13), i16x8.q15mulr_sat_s(halfDenominator, x));
    x = i16x8.add(x, shlSat16x8(i16x8.q15mulr_sat_s(x, oneMinus), 2));
  }
  return minusX ? shlSat16x8(i16x8.sub(x, i16x8.splat(1 << 13)), 2) : shlSat16x8(x, 1);
}

// @ts-ignore: decorator
@inline
function logistic16x8(a: v128): v128 {
  const positive = i16x8.gt_s(a, i16x8.splat(0));
  const absInput = v128.bitselect(a, i16x8.neg(a), positive);
  const r = reciprocalOnePlusX8(expOnNegativeValues16x8(i16x8.neg(absInput), 3), false);
  const result = v128.bitselect(r, i16x8.sub(i16x8.splat(32767), r), positive);
  return v128.bitselect(i16x8.splat(<i16>ONE_HALF), result, i16x8.eq(a, i16x8.splat(0)));
}

// @ts-ignore: decorator
@inline
function tanh16x8(a: v128, integerBits: i32): v128 {
  const negative = i16x8.lt_s(a, i16x8.splat(0));
  const n = v128.bitselect(a, i16x8.neg(a), negative);
  const t = reciprocalOnePlusX8(expOnNegativeValues16x8(n, integerBits + 1), true);
  const result = v128.bitselect(i16x8.neg(t), t, negative);
  return v128.bitselect(i16x8.splat(0), result, i16x8.eq(a, i16x8.splat(0)));
}

/** The activation of ref/lstm.ts's activate() on whole groups of eight; returns how many it did. */
export function activateSimd(from: usize, to: usize, count: i32, integerBits: i32): i32 {
  const vecCount = count & ~7;
  for (let i = 0; i < vecCount; i += 8) {
    const v = v128.load(from + (<usize>i << 1));
    v128.store(to + (<usize>i << 1), integerBits == SIGMOID ? logistic16x8(v) : tanh16x8(v, integerBits));
  }
  return vecCount;
}
