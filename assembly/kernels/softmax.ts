// SIMD twin of ../ref/softmax.ts (gemmlowp fixed point, bit-exact): four depth lanes per step
// through the same exp polynomial and barrel shifter; the reciprocal of the row sum is scalar.
import { oneOverOnePlusX, softmax_ref } from '../ref/softmax';
import { roundingDivideByPOT4, srdhm4 } from '../simd';
import {
  SOFTMAX_INPUT, SOFTMAX_OUTPUT, SOFTMAX_OUTER, SOFTMAX_DEPTH,
  SOFTMAX_INPUT_MULTIPLIER, SOFTMAX_INPUT_LEFT_SHIFT, SOFTMAX_DIFF_MIN,
} from '../params';

/** Barrel-shifter step: multiply lanes whose remainder has `bit` set by the Q0.31 constant k. */
// @ts-ignore: decorator
@inline
function barrel(result: v128, remainder: v128, bit: i32, k: i32): v128 {
  const set = i32x4.ne(v128.and(remainder, i32x4.splat(bit)), i32x4.splat(0));
  return v128.bitselect(srdhm4(result, i32x4.splat(k)), result, set);
}

/** gemmlowp exp_on_negative_values on four Q5.26 lanes <= 0; Q0.31 results (see the twin). */
function expOnNegativeValues4(a: v128): v128 {
  const quarter = i32x4.splat(1 << 24);
  const aMod = i32x4.sub(v128.and(a, i32x4.splat((1 << 24) - 1)), quarter);
  // Rescale<0>: saturating shift left by 5 (aMod is in [-2^24, 0), so it never saturates).
  const x = i32x4.add(i32x4.shl(aMod, 5), i32x4.splat(1 << 28));
  const x2 = srdhm4(x, x);
  const x3 = srdhm4(x2, x);
  const x4 = srdhm4(x2, x2);
  const poly = roundingDivideByPOT4(
    i32x4.add(srdhm4(i32x4.add(roundingDivideByPOT4(x4, 2), x3), i32x4.splat(715827883)), x2), 1);
  const c = i32x4.splat(1895147668);
  let result = i32x4.add(c, srdhm4(c, i32x4.add(x, poly)));
  const remainder = i32x4.sub(aMod, a);
  result = barrel(result, remainder, 1 << 24, 1672461947);
  result = barrel(result, remainder, 1 << 25, 1302514674);
  result = barrel(result, remainder, 1 << 26, 790015084);
  result = barrel(result, remainder, 1 << 27, 290630308);
  result = barrel(result, remainder, 1 << 28, 39332535);
  result = barrel(result, remainder, 1 << 29, 720401);
  result = barrel(result, remainder, 1 << 30, 242);
  return v128.bitselect(i32x4.splat(i32.MAX_VALUE), result, i32x4.eq(a, i32x4.splat(0)));
}

export function softmax(p: usize): i32 {
  const input = load<usize>(p, SOFTMAX_INPUT);
  const output = load<usize>(p, SOFTMAX_OUTPUT);
  const outer = load<i32>(p, SOFTMAX_OUTER);
  const depth = load<i32>(p, SOFTMAX_DEPTH);
  if (depth < 4) return softmax_ref(p);
  const multiplier = i32x4.splat(load<i32>(p, SOFTMAX_INPUT_MULTIPLIER));
  const leftShift = load<i32>(p, SOFTMAX_INPUT_LEFT_SHIFT);
  const diffMin = i32x4.splat(load<i32>(p, SOFTMAX_DIFF_MIN));

  for (let i = 0; i < outer; i++) {
    const row = input + <usize>(i * depth);
    const outRow = output + <usize>(i * depth);
    let maxInRow: i32 = -128;
    for (let c = 0; c < depth; c++) maxInRow = max(maxInRow, <i32>load<i8>(row + <usize>c));
    const maxV = i32x4.splat(maxInRow);

    // Lanes step by 4; the last step is moved back to end at depth - 1 and masks the lanes
    // the previous step already counted.
    let sum = i32x4.splat(0);
    for (let c0 = 0; c0 < depth; c0 += 4) {
      const c = min(c0, depth - 4);
      const diff = i32x4.sub(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(row + <usize>c))), maxV);
      const fresh = i32x4.ge_s(i32x4.add(i32x4.splat(c), i32x4(0, 1, 2, 3)), i32x4.splat(c0));
      const use = v128.and(i32x4.ge_s(diff, diffMin), fresh);
      const e = expOnNegativeValues4(srdhm4(i32x4.shl(diff, leftShift), multiplier));
      sum = i32x4.add(sum, v128.and(roundingDivideByPOT4(e, 12), use));
    }
    const sumOfExps = i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 1) + i32x4.extract_lane(sum, 2) + i32x4.extract_lane(sum, 3);
    const headroomPlusOne = <i32>clz<u32>(<u32>sumOfExps);
    const shiftedScale = i32x4.splat(oneOverOnePlusX(<i32>((<u32>sumOfExps << headroomPlusOne) - (<u32>1 << 31))));
    const outShift = 12 - headroomPlusOne + 31 - 8;

    for (let c0 = 0; c0 < depth; c0 += 4) {
      const c = min(c0, depth - 4);
      const diff = i32x4.sub(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(row + <usize>c))), maxV);
      const e = expOnNegativeValues4(srdhm4(i32x4.shl(diff, leftShift), multiplier));
      const unsat = roundingDivideByPOT4(srdhm4(shiftedScale, e), outShift);
      const q = v128.bitselect(i32x4.min_s(i32x4.sub(unsat, i32x4.splat(128)), i32x4.splat(127)), i32x4.splat(-128), i32x4.ge_s(diff, diffMin));
      const h = i16x8.narrow_i32x4_s(q, q);
      v128.store32_lane(outRow + <usize>c, i8x16.narrow_i16x8_s(h, h), 0);
    }
  }
  return 0;
}
