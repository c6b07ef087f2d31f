// UNIDIRECTIONAL_SEQUENCE_LSTM on full-integer models, 1:1 with TFLite's lstm_eval.cc
// EvalInteger8x8_16 / LstmStepInteger8x8_16 and the portable tensor_utils it calls, with gemmlowp's
// int16 fixed point (FixedPoint<int16_t, N>) for the gate activations. Values typed i32 below hold
// int16 quantities; w16() reproduces C++'s wrap when an int16 expression is stored back.
import { activateSimd, matVecAccumulate16Simd } from '../kernels/lstm';
import { multiplyByQuantizedMultiplier, roundingDivideByPOT, srdhm } from '../quant';
import {
  LSTM_8X8_16_INPUT, LSTM_8X8_16_OUTPUT, LSTM_8X8_16_OUTPUT_STATE, LSTM_8X8_16_CELL_STATE,
  LSTM_8X8_16_INPUT_WEIGHTS, LSTM_8X8_16_RECURRENT_WEIGHTS, LSTM_8X8_16_INPUT_BIAS, LSTM_8X8_16_RECURRENT_BIAS,
  LSTM_8X8_16_PEEPHOLE, LSTM_8X8_16_PROJECTION, LSTM_8X8_16_PROJECTION_BIAS, LSTM_8X8_16_SCRATCH,
  LSTM_8X8_16_INPUT_MULTIPLIERS, LSTM_8X8_16_INPUT_SHIFTS, LSTM_8X8_16_RECURRENT_MULTIPLIERS, LSTM_8X8_16_RECURRENT_SHIFTS,
  LSTM_8X8_16_PEEPHOLE_MULTIPLIERS, LSTM_8X8_16_PEEPHOLE_SHIFTS, LSTM_8X8_16_HIDDEN_MULTIPLIER, LSTM_8X8_16_HIDDEN_SHIFT,
  LSTM_8X8_16_HIDDEN_ZERO_POINT, LSTM_8X8_16_PROJECTION_MULTIPLIER, LSTM_8X8_16_PROJECTION_SHIFT,
  LSTM_8X8_16_OUTPUT_STATE_ZERO_POINT, LSTM_8X8_16_CELL_CLIP, LSTM_8X8_16_PROJECTION_CLIP, LSTM_8X8_16_CELL_SCALE,
  LSTM_8X8_16_USE_CIFG, LSTM_8X8_16_BATCHES, LSTM_8X8_16_TIME, LSTM_8X8_16_N_INPUT, LSTM_8X8_16_N_CELL,
  LSTM_8X8_16_N_OUTPUT, LSTM_8X8_16_TIME_MAJOR,
  LSTM_8X8_16_LAYER_NORM, LSTM_8X8_16_LAYER_NORM_BIAS, LSTM_8X8_16_LAYER_NORM_MULTIPLIERS, LSTM_8X8_16_LAYER_NORM_SHIFTS,
  LSTM_8X8_16_VARIANCE_GUARDS,
  LSTM_ACTIVATION_INPUT, LSTM_ACTIVATION_OUTPUT, LSTM_ACTIVATION_COUNT, LSTM_ACTIVATION_INTEGER_BITS,
} from '../params';

const GATE_INPUT: i32 = 0;
const GATE_FORGET: i32 = 1;
const GATE_CELL: i32 = 2;
const GATE_OUTPUT: i32 = 3;

// ---- gemmlowp fixed point on int16 ----

// @ts-ignore: decorator
@inline
function w16(x: i32): i32 {
  return <i32><i16>x;
}

// @ts-ignore: decorator
@inline
function sat16(x: i32): i32 {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** SaturatingRoundingDoublingHighMul<int16_t>. */
function srdhm16(a: i32, b: i32): i32 {
  if (a == b && a == -32768) return 32767;
  const t = a * b + (a * b >= 0 ? 1 << 14 : 1 - (1 << 14));
  return w16((t + ((t >> 31) & 32767)) >> 15); // t / 2^15 truncating toward zero, as C++ divides
}

/** RoundingDivideByPOT<int16_t>, 0 <= exponent <= 15. */
function rdbpot16(x: i32, exponent: i32): i32 {
  const mask = w16((1 << exponent) - 1);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return w16((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/** SaturatingRoundingMultiplyByPOT<exponent> on int16: saturating left shift, or rounding right shift. */
function mulByPot16(x: i32, exponent: i32): i32 {
  if (exponent < 0) return rdbpot16(x, -exponent);
  if (exponent == 0) return x;
  const threshold = (1 << (15 - exponent)) - 1;
  if (x > threshold) return 32767;
  if (x < -threshold) return -32768;
  return w16(x << exponent);
}

// gemmlowp's fixed-point constants (GEMMLOWP_CHECKED_FIXEDPOINT_CONSTANT) are given as int32 raw
// values; for int16 they are RoundingDivideByPOT(raw32, 16). Precomputed:
export const EXP_MINUS_ONE_EIGHTH: i32 = 28918; // 1895147668: exp(-1/8) in Q0.15
export const ONE_THIRD: i32 = 10923; // 715827883
export const EXP_MINUS_QUARTER: i32 = 25520; // 1672461947: exp(-2^-2)
export const EXP_MINUS_HALF: i32 = 19875; // 1302514674: exp(-2^-1)
export const EXP_MINUS_ONE: i32 = 12055; // 790015084: exp(-2^0)
export const EXP_MINUS_TWO: i32 = 4435; // 290630308: exp(-2^1)
export const EXP_MINUS_FOUR: i32 = 600; // 39332535: exp(-2^2)
export const EXP_MINUS_EIGHT: i32 = 11; // 720401: exp(-2^3)
export const EXP_MINUS_SIXTEEN: i32 = 0; // 242: exp(-2^4)
export const FORTY_EIGHT_OVER_17: i32 = 23130; // 1515870810, Q2.13
export const MINUS_32_OVER_17: i32 = -15420; // -1010580540, Q2.13
export const ONE_HALF: i32 = 16384; // 1 << 30

/** exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.15. */
function expOnIntervalNegQuarterTo0(a: i32): i32 {
  const constantTerm = EXP_MINUS_ONE_EIGHTH;
  const constant1Over3 = ONE_THIRD;
  const x = w16(a + (1 << 12)); // a + 1/8
  const x2 = srdhm16(x, x);
  const x3 = srdhm16(x2, x);
  const x4 = srdhm16(x2, x2);
  const x4Over4 = rdbpot16(x4, 2);
  const poly = rdbpot16(w16(srdhm16(w16(x4Over4 + x3), constant1Over3) + x2), 1);
  return sat16(constantTerm + srdhm16(constantTerm, w16(x + poly))); // AddSaturatingIf16Bit
}

/** exp_on_negative_values<int16_t, integerBits>: a <= 0 in Q(integerBits), result Q0.15. */
function expOnNegativeValues16(a: i32, integerBits: i32): i32 {
  const fractionalBits = 15 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = w16((a & (oneQuarter - 1)) - oneQuarter);
  let result = expOnIntervalNegQuarterTo0(mulByPot16(aModQuarterMinusQuarter, integerBits));
  const remainder = w16(aModQuarterMinusQuarter - a);
  // Barrel shifter: multiply by exp(-2^k) for each set bit k of the remainder (k < integerBits).
  if (integerBits > -2 && (remainder & (1 << (fractionalBits - 2)))) result = srdhm16(result, EXP_MINUS_QUARTER);
  if (integerBits > -1 && (remainder & (1 << (fractionalBits - 1)))) result = srdhm16(result, EXP_MINUS_HALF);
  if (integerBits > 0 && (remainder & (1 << fractionalBits))) result = srdhm16(result, EXP_MINUS_ONE);
  if (integerBits > 1 && (remainder & (1 << (fractionalBits + 1)))) result = srdhm16(result, EXP_MINUS_TWO);
  if (integerBits > 2 && (remainder & (1 << (fractionalBits + 2)))) result = srdhm16(result, EXP_MINUS_FOUR);
  if (integerBits > 3 && (remainder & (1 << (fractionalBits + 3)))) result = srdhm16(result, EXP_MINUS_EIGHT);
  if (integerBits > 4 && (remainder & (1 << (fractionalBits + 4)))) result = srdhm16(result, EXP_MINUS_SIXTEEN);
  if (integerBits > 5 && a < -(1 << (20 - integerBits))) result = 0; // below -32: constant -(1 << (36 - bits)) >> 16
  return a == 0 ? 32767 : result;
}

/** Newton-Raphson for 1 / (1 + a) (plusOne) or (1 - a) / (1 + a), a in (0, 1) Q0.15, in Q2.13. */
function reciprocalOnePlusX(a: i32, minusX: bool): i32 {
  const halfDenominator = (a + 32768) >> 1; // RoundingHalfSum(a, One): (a + 32767 + 1) / 2 for a >= 0
  let x = w16(FORTY_EIGHT_OVER_17 + srdhm16(halfDenominator, MINUS_32_OVER_17)); // 48/17 - 32/17 d
  for (let i = 0; i < 3; i++) {
    const oneMinus = w16((1 << 13) - srdhm16(halfDenominator, x));
    x = w16(x + mulByPot16(srdhm16(x, oneMinus), 2));
  }
  return minusX ? mulByPot16(w16(x - (1 << 13)), 2) : mulByPot16(x, 1);
}

/** gemmlowp::logistic on FixedPoint<int16_t, 3>, result Q0.15 (tensor_utils ApplySigmoid). */
function logistic16(a: i32): i32 {
  const absInput = a > 0 ? a : w16(-a);
  const positive = reciprocalOnePlusX(expOnNegativeValues16(w16(-absInput), 3), false);
  if (a == 0) return ONE_HALF;
  return a > 0 ? positive : w16(32767 - positive);
}

/** gemmlowp::tanh on FixedPoint<int16_t, integerBits>, result Q0.15 (tensor_utils ApplyTanh). */
function tanh16(a: i32, integerBits: i32): i32 {
  const n = a < 0 ? a : w16(-a);
  const t = reciprocalOnePlusX(expOnNegativeValues16(n, integerBits + 1), true); // exp(2n): ExactMulByPot<1>
  if (a == 0) return 0;
  return a < 0 ? w16(-t) : t;
}

// ---- one LSTM step (LstmStepInteger8x8_16) ----

/**
 * MatrixBatchVectorMultiplyAccumulate (int8 x int8 + int32 bias -> int16, accumulating, saturating):
 * out[b][r] = sat16(MultiplyByQuantizedMultiplier(bias[r] + sum_c v[b][c] * w[r][c]) + out[b][r]).
 * The SIMD kernel runs its own (kernels/lstm.ts, only compiled into SIMD builds); the rest is shared.
 */
// @ts-ignore: decorator
@inline
function matVec(
  simd: bool, vectors: usize, bias: usize, weights: usize, multiplier: i32, shift: i32,
  batches: i32, cols: i32, rows: i32, out: usize,
): void {
  if (ASC_FEATURE_SIMD && simd) matVecAccumulate16Simd(vectors, bias, weights, multiplier, shift, batches, cols, rows, out);
  else matVecAccumulate16(vectors, bias, weights, multiplier, shift, batches, cols, rows, out);
}

function matVecAccumulate16(
  vectors: usize, bias: usize, weights: usize, multiplier: i32, shift: i32,
  batches: i32, cols: i32, rows: i32, out: usize,
): void {
  for (let b = 0; b < batches; b++) {
    const vector = vectors + <usize>(b * cols);
    for (let r = 0; r < rows; r++) {
      let acc = load<i32>(bias + (<usize>r << 2));
      const row = weights + <usize>(r * cols);
      for (let c = 0; c < cols; c++) acc += <i32>load<i8>(vector + <usize>c) * <i32>load<i8>(row + <usize>c);
      const o = out + (<usize>(b * rows + r) << 1);
      store<i16>(o, <i16>accumulate16(acc, multiplier, shift, o));
    }
  }
}

/** The requantized row accumulator added to the gate value at o, saturated to int16. */
// @ts-ignore: decorator
@inline
export function accumulate16(acc: i32, multiplier: i32, shift: i32, o: usize): i32 {
  return sat16(multiplyByQuantizedMultiplier(acc, multiplier, shift) + <i32>load<i16>(o));
}

/** CalculateLstmGateInteger8x8_16 for gate g, into gate (batches x nCell int16). */
function gate(p: usize, g: i32, input: usize, outputState: usize, cellState: usize, batches: i32, out: usize, simd: bool): void {
  const nInput = load<i32>(p, LSTM_8X8_16_N_INPUT);
  const nCell = load<i32>(p, LSTM_8X8_16_N_CELL);
  const nOutput = load<i32>(p, LSTM_8X8_16_N_OUTPUT);
  memory.fill(out, 0, <usize>(batches * nCell) << 1);
  matVec(
    simd, input, load<usize>(p, LSTM_8X8_16_INPUT_BIAS) + (<usize>(g * nCell) << 2),
    load<usize>(p, LSTM_8X8_16_INPUT_WEIGHTS) + <usize>(g * nCell * nInput),
    load<i32>(p + (<usize>g << 2), LSTM_8X8_16_INPUT_MULTIPLIERS), load<i32>(p + (<usize>g << 2), LSTM_8X8_16_INPUT_SHIFTS),
    batches, nInput, nCell, out,
  );
  matVec(
    simd, outputState, load<usize>(p, LSTM_8X8_16_RECURRENT_BIAS) + (<usize>(g * nCell) << 2),
    load<usize>(p, LSTM_8X8_16_RECURRENT_WEIGHTS) + <usize>(g * nCell * nOutput),
    load<i32>(p + (<usize>g << 2), LSTM_8X8_16_RECURRENT_MULTIPLIERS), load<i32>(p + (<usize>g << 2), LSTM_8X8_16_RECURRENT_SHIFTS),
    batches, nOutput, nCell, out,
  );
  const peephole = load<usize>(p, LSTM_8X8_16_PEEPHOLE);
  if (peephole && g != GATE_CELL) {
    // VectorBatchVectorCwiseProductAccumulate(weights, v_size = n_output, cell_state, n_batch, ...)
    // as lstm_eval.cc calls it: element i of the (batch-flattened) cell state and gate takes weight
    // i % n_output. Past n_batch * n_cell TFLite writes beyond the gate, which nothing reads; the
    // host rejects shapes where it would read beyond the weights.
    const weights = peephole + (<usize>((g == GATE_OUTPUT ? 2 : g) * nCell) << 1);
    const m = load<i32>(p + (<usize>g << 2), LSTM_8X8_16_PEEPHOLE_MULTIPLIERS);
    const s = load<i32>(p + (<usize>g << 2), LSTM_8X8_16_PEEPHOLE_SHIFTS);
    const count = min(batches * nOutput, batches * nCell);
    for (let i = 0; i < count; i++) {
      const prod = <i32>load<i16>(weights + (<usize>(i % nOutput) << 1)) * <i32>load<i16>(cellState + (<usize>i << 1));
      const o = out + (<usize>i << 1);
      store<i16>(o, <i16>sat16(multiplyByQuantizedMultiplier(prod, m, s) + <i32>load<i16>(o)));
    }
  }
  const layerNorm = load<usize>(p, LSTM_8X8_16_LAYER_NORM);
  if (layerNorm) {
    applyLayerNorm(
      out, layerNorm + (<usize>(g * nCell) << 1), load<usize>(p, LSTM_8X8_16_LAYER_NORM_BIAS) + (<usize>(g * nCell) << 2),
      load<i32>(p + (<usize>g << 2), LSTM_8X8_16_LAYER_NORM_MULTIPLIERS), load<i32>(p + (<usize>g << 2), LSTM_8X8_16_LAYER_NORM_SHIFTS),
      load<i32>(p + (<usize>g << 2), LSTM_8X8_16_VARIANCE_GUARDS), batches, nCell,
    );
  }
  // ApplyTanh(3, ...) for the cell gate, ApplySigmoid for the others (Q3.12 in, Q0.15 out).
  activate(simd, out, out, batches * nCell, g == GATE_CELL ? 3 : SIGMOID);
}

/** SIGMOID, or the integer bits of a tanh input: the activation `activate` applies. */
export const SIGMOID: i32 = -1;

/** to[i] = logistic (integerBits SIGMOID) or tanh (on Q(integerBits)) of from[i], int16 arrays. */
// @ts-ignore: decorator
@inline
function activate(simd: bool, from: usize, to: usize, count: i32, integerBits: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && simd) i = activateSimd(from, to, count, integerBits);
  for (; i < count; i++) {
    const v = <i32>load<i16>(from + (<usize>i << 1));
    store<i16>(to + (<usize>i << 1), <i16>(integerBits == SIGMOID ? logistic16(v) : tanh16(v, integerBits)));
  }
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on int32, exponent > 0. */
function shlSat32(x: i32, exponent: i32): i32 {
  const threshold = (1 << (31 - exponent)) - 1;
  return x > threshold ? i32.MAX_VALUE : x < -threshold ? i32.MIN_VALUE : x << exponent;
}

/** GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1): 1 / sqrt(input) as multiplier
 *  and shift (returned packed: multiplier in the low 32 bits, shift in the high). */
function invSqrtQuantizedMultiplier(input: i32): i64 {
  if (input <= 1) return <i64><u32>i32.MAX_VALUE;
  let shift = 11;
  while (input >= 1 << 29) {
    input /= 4;
    shift++;
  }
  const leftShiftBitPairs = ((<i32>clz<u32>(<u32>input) - 1) >> 1) - 1;
  shift -= leftShiftBitPairs;
  input <<= 2 * leftShiftBitPairs;
  // Newton-Raphson in Q3.28 from x = 1: x = 1.5 x - (input / 2) x^3.
  const halfInput = roundingDivideByPOT(input >> 1, 1);
  const halfThree = (1 << 28) + (1 << 27);
  let x = 1 << 28;
  for (let i = 0; i < 5; i++) {
    const x3 = shlSat32(srdhm(srdhm(x, x), x), 6); // F9 -> F3
    x = shlSat32(srdhm(halfThree, x) - srdhm(halfInput, x3), 3); // F6 -> F3
  }
  let multiplier = srdhm(x, 1518500250); // * sqrt(2) / 2
  if (shift < 0) {
    multiplier <<= -shift;
    shift = 0;
  }
  return (<i64>(-shift) << 32) | <i64><u32>multiplier;
}

/** tensor_utils::ApplyLayerNorm on int16 gates (in place), rows of n. */
function applyLayerNorm(
  gates: usize, weights: usize, bias: usize, scaleMultiplier: i32, scaleShift: i32, varianceGuard: i32, batches: i32, n: i32,
): void {
  const twoToPower20: i64 = 1 << 20;
  for (let b = 0; b < batches; b++) {
    const row = gates + (<usize>(b * n) << 1);
    let sum: i64 = 0;
    let sumSq: i64 = 0;
    for (let j = 0; j < n; j++) {
      const v = <i32>load<i16>(row + (<usize>j << 1));
      sum += v;
      sumSq += v * v;
    }
    const mean = <i32>(sum * 1024 / n); // int64 division truncates toward zero, as in C++
    const temp = <i64>((1 << 20) / n); // "only works for POT n_input", as TFLite computes it
    const variance = sumSq * temp - <i64>mean * <i64>mean;
    let variance2 = <i32>(variance / twoToPower20);
    if (variance2 < 1) variance2 = varianceGuard;
    const inv = invSqrtQuantizedMultiplier(variance2);
    const invMultiplier = <i32>inv;
    const invShift = <i32>(inv >> 32);
    for (let j = 0; j < n; j++) {
      const o = row + (<usize>j << 1);
      const shifted = 1024 * <i32>load<i16>(o) - mean;
      const rescaled = multiplyByQuantizedMultiplier(shifted, invMultiplier, invShift);
      // int32 product and sum (they wrap in TFLite too), widened afterwards.
      const val3 = <i64>(rescaled * <i32>load<i16>(weights + (<usize>j << 1)) + load<i32>(bias + (<usize>j << 2)));
      const val4 = <i32>((val3 > 0 ? val3 + 512 : val3 - 512) / 1024);
      store<i16>(o, <i16>sat16(multiplyByQuantizedMultiplier(val4, scaleMultiplier, scaleShift + 12)));
    }
  }
}

function step(p: usize, input: usize, outputState: usize, cellState: usize, output: usize, batches: i32, simd: bool): void {
  const nCell = load<i32>(p, LSTM_8X8_16_N_CELL);
  const nOutput = load<i32>(p, LSTM_8X8_16_N_OUTPUT);
  const n = batches * nCell;
  const scratch = load<usize>(p, LSTM_8X8_16_SCRATCH);
  const inputGate = scratch;
  const forgetGate = inputGate + (<usize>n << 1);
  const cellGate = forgetGate + (<usize>n << 1);
  const outputGate = cellGate + (<usize>n << 1);
  const hidden = outputGate + (<usize>n << 1); // int8
  const useCifg = load<i32>(p, LSTM_8X8_16_USE_CIFG) != 0;
  const cellScale = load<i32>(p, LSTM_8X8_16_CELL_SCALE);

  gate(p, GATE_FORGET, input, outputState, cellState, batches, forgetGate, simd);
  gate(p, GATE_CELL, input, outputState, cellState, batches, cellGate, simd);
  if (!useCifg) gate(p, GATE_INPUT, input, outputState, cellState, batches, inputGate, simd);

  // UpdateLstmCellInteger.
  const cellClip = load<i32>(p, LSTM_8X8_16_CELL_CLIP);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 1;
    const forget = <i32>load<i16>(forgetGate + o);
    const kept = w16(roundingDivideByPOT(forget * <i32>load<i16>(cellState + o), 15));
    const inputValue = useCifg ? w16(32767 - forget) : <i32>load<i16>(inputGate + o);
    const added = w16(roundingDivideByPOT(inputValue * <i32>load<i16>(cellGate + o), 30 + cellScale));
    let c = sat16(kept + added);
    if (cellClip > 0) c = c > cellClip ? cellClip : c < -cellClip ? -cellClip : c;
    store<i16>(cellState + o, <i16>c);
  }

  gate(p, GATE_OUTPUT, input, outputState, cellState, batches, outputGate, simd);

  // CalculateLstmOutputInteger8x8_16: hidden = output gate * tanh(cell), requantized to int8;
  // tanh(cell) goes to the input gate's scratch, as in TFLite.
  activate(simd, cellState, inputGate, n, 15 + cellScale);
  const hiddenMultiplier = load<i32>(p, LSTM_8X8_16_HIDDEN_MULTIPLIER);
  const hiddenShift = load<i32>(p, LSTM_8X8_16_HIDDEN_SHIFT);
  const hiddenZeroPoint = load<i32>(p, LSTM_8X8_16_HIDDEN_ZERO_POINT);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 1;
    let v = multiplyByQuantizedMultiplier(<i32>load<i16>(outputGate + o) * <i32>load<i16>(inputGate + o), hiddenMultiplier, hiddenShift);
    v += hiddenZeroPoint;
    store<i8>(hidden + <usize>i, <i8>(v < -128 ? -128 : v > 127 ? 127 : v));
  }
  const projection = load<usize>(p, LSTM_8X8_16_PROJECTION);
  if (projection) {
    const bias = load<usize>(p, LSTM_8X8_16_PROJECTION_BIAS);
    const m = load<i32>(p, LSTM_8X8_16_PROJECTION_MULTIPLIER);
    const s = load<i32>(p, LSTM_8X8_16_PROJECTION_SHIFT);
    const zp = load<i32>(p, LSTM_8X8_16_OUTPUT_STATE_ZERO_POINT);
    const clip = load<i32>(p, LSTM_8X8_16_PROJECTION_CLIP);
    for (let b = 0; b < batches; b++) {
      for (let r = 0; r < nOutput; r++) {
        let acc = load<i32>(bias + (<usize>r << 2));
        const row = projection + <usize>(r * nCell);
        const h = hidden + <usize>(b * nCell);
        for (let c = 0; c < nCell; c++) acc += <i32>load<i8>(h + <usize>c) * <i32>load<i8>(row + <usize>c);
        let v = multiplyByQuantizedMultiplier(acc, m, s) + zp;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        if (clip > 0) v = v > clip ? clip : v < -clip ? -clip : v;
        store<i8>(outputState + <usize>(b * nOutput + r), <i8>v);
      }
    }
  } else {
    memory.copy(outputState, hidden, <usize>(batches * nOutput));
  }
  memory.copy(output, outputState, <usize>(batches * nOutput));
}

export function lstm_activation_ref(p: usize): i32 {
  return activationRun(p, false);
}

export function activationRun(p: usize, simd: bool): i32 {
  const bits = load<i32>(p, LSTM_ACTIVATION_INTEGER_BITS);
  if (bits < SIGMOID || bits > 7) return 1;
  activate(simd, load<usize>(p, LSTM_ACTIVATION_INPUT), load<usize>(p, LSTM_ACTIVATION_OUTPUT), load<i32>(p, LSTM_ACTIVATION_COUNT), bits);
  return 0;
}

export function lstm_8x8_16_ref(p: usize): i32 {
  return lstmRun(p, false);
}

export function lstmRun(p: usize, simd: bool): i32 {
  const input = load<usize>(p, LSTM_8X8_16_INPUT);
  const output = load<usize>(p, LSTM_8X8_16_OUTPUT);
  const outputState = load<usize>(p, LSTM_8X8_16_OUTPUT_STATE);
  const cellState = load<usize>(p, LSTM_8X8_16_CELL_STATE);
  const batches = load<i32>(p, LSTM_8X8_16_BATCHES);
  const time = load<i32>(p, LSTM_8X8_16_TIME);
  const nInput = load<i32>(p, LSTM_8X8_16_N_INPUT);
  const nCell = load<i32>(p, LSTM_8X8_16_N_CELL);
  const nOutput = load<i32>(p, LSTM_8X8_16_N_OUTPUT);
  if (load<i32>(p, LSTM_8X8_16_TIME_MAJOR)) {
    for (let t = 0; t < time; t++) {
      step(p, input + <usize>(t * batches * nInput), outputState, cellState, output + <usize>(t * batches * nOutput), batches, simd);
    }
  } else {
    for (let b = 0; b < batches; b++) {
      for (let t = 0; t < time; t++) {
        const at = b * time + t;
        step(
          p, input + <usize>(at * nInput), outputState + <usize>(b * nOutput), cellState + (<usize>(b * nCell) << 1),
          output + <usize>(at * nOutput), 1, simd,
        );
      }
    }
  }
  return 0;
}
