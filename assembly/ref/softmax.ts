// Mirrors tflite::reference_ops::Softmax for int8 in / int8 out (reference/softmax.h), with
// gemmlowp fixed point: scaled differences in Q5.26, exp accumulated in Q12.19, results Q0.31.
import { multiplyByQuantizedMultiplierGreaterThanOne, roundingDivideByPOT, srdhm } from '../quant';
import {
  SOFTMAX_INPUT, SOFTMAX_OUTPUT, SOFTMAX_OUTER, SOFTMAX_DEPTH,
  SOFTMAX_INPUT_MULTIPLIER, SOFTMAX_INPUT_LEFT_SHIFT, SOFTMAX_DIFF_MIN,
} from '../params';

const SCALED_DIFF_INTEGER_BITS: i32 = 5;
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/** gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0 (saturating left shift). */
// @ts-ignore: decorator
@inline
function saturatingShiftLeft(x: i32, exponent: i32): i32 {
  const threshold: i32 = (1 << (31 - exponent)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << exponent;
}

/** gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 in and out. */
function expOnIntervalNegQuarterTo0(a: i32): i32 {
  const constantTerm: i32 = 1895147668; // exp(-1/8)
  const constant1Over3: i32 = 715827883;
  const x = a + (1 << 28); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT(srdhm(x4Over4 + x3, constant1Over3) + x2, 1);
  return constantTerm + srdhm(constantTerm, x + poly);
}

/** gemmlowp exp_on_negative_values for a Q5.26 input <= 0; result Q0.31. */
function expOnNegativeValues(a: i32): i32 {
  const fractionalBits: i32 = 31 - SCALED_DIFF_INTEGER_BITS;
  const oneQuarter: i32 = 1 << (fractionalBits - 2);
  const mask: i32 = oneQuarter - 1;
  const aModQuarterMinusQuarter = (a & mask) - oneQuarter;
  let result = expOnIntervalNegQuarterTo0(saturatingShiftLeft(aModQuarterMinusQuarter, SCALED_DIFF_INTEGER_BITS));
  const remainder = aModQuarterMinusQuarter - a;
  // Barrel shifter: multiply by exp(-2^k) for each set bit k of the remainder.
  if (remainder & (1 << (fractionalBits - 2))) result = srdhm(result, 1672461947);
  if (remainder & (1 << (fractionalBits - 1))) result = srdhm(result, 1302514674);
  if (remainder & (1 << fractionalBits)) result = srdhm(result, 790015084);
  if (remainder & (1 << (fractionalBits + 1))) result = srdhm(result, 290630308);
  if (remainder & (1 << (fractionalBits + 2))) result = srdhm(result, 39332535);
  if (remainder & (1 << (fractionalBits + 3))) result = srdhm(result, 720401);
  if (remainder & (1 << (fractionalBits + 4))) result = srdhm(result, 242);
  return a == 0 ? i32.MAX_VALUE : result;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in and out, Newton-Raphson in Q2.29. */
export function oneOverOnePlusX(a: i32): i32 {
  const halfDenominator = <i32>((<i64>a + <i64>i32.MAX_VALUE + 1) / 2); // RoundingHalfSum(a, One)
  const constant48Over17: i32 = 1515870810;
  const constantNeg32Over17: i32 = -1010580540;
  let x = constant48Over17 + srdhm(halfDenominator, constantNeg32Over17);
  const oneQ2: i32 = 1 << 29;
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x);
    const oneMinus = oneQ2 - halfDenominatorTimesX;
    x = x + saturatingShiftLeft(srdhm(x, oneMinus), 2);
  }
  return saturatingShiftLeft(x, 1);
}

export function softmax_ref(p: usize): i32 {
  const input = load<usize>(p, SOFTMAX_INPUT);
  const output = load<usize>(p, SOFTMAX_OUTPUT);
  const outer = load<i32>(p, SOFTMAX_OUTER);
  const depth = load<i32>(p, SOFTMAX_DEPTH);
  const multiplier = load<i32>(p, SOFTMAX_INPUT_MULTIPLIER);
  const leftShift = load<i32>(p, SOFTMAX_INPUT_LEFT_SHIFT);
  const diffMin = load<i32>(p, SOFTMAX_DIFF_MIN);

  for (let i = 0; i < outer; i++) {
    const row = input + <usize>(i * depth);
    const outRow = output + <usize>(i * depth);
    let maxInRow: i32 = -128;
    for (let c = 0; c < depth; c++) maxInRow = max(maxInRow, <i32>load<i8>(row + <usize>c));

    let sumOfExps: i32 = 0; // Q12.19
    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + <usize>c) - maxInRow;
      if (diff >= diffMin) {
        const scaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier, leftShift);
        sumOfExps += roundingDivideByPOT(expOnNegativeValues(scaled), ACCUMULATION_INTEGER_BITS);
      }
    }

    // GetReciprocal(sum_of_exps, kAccumulationIntegerBits)
    const headroomPlusOne = <i32>clz<u32>(<u32>sumOfExps);
    const numBitsOverUnit = ACCUMULATION_INTEGER_BITS - headroomPlusOne;
    const shiftedSumMinusOne = <i32>((<u32>sumOfExps << headroomPlusOne) - (<u32>1 << 31));
    const shiftedScale = oneOverOnePlusX(shiftedSumMinusOne);

    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + <usize>c) - maxInRow;
      let out: i32 = -128;
      if (diff >= diffMin) {
        const scaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier, leftShift);
        const expIn0 = expOnNegativeValues(scaled);
        const unsat = roundingDivideByPOT(srdhm(shiftedScale, expIn0), numBitsOverUnit + 31 - 8);
        out = min(unsat - 128, 127);
        out = max(out, -128);
      }
      store<i8>(outRow + <usize>c, <i8>out);
    }
  }
  return 0;
}
