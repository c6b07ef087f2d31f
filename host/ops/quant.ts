/**
 * Prepare-time quantization math, bit-exact with TFLite's quantization_util.cc and
 * kernel_util.cc. Everything is computed in IEEE double like the C++ code; float32
 * intermediates are reproduced with Math.fround where the C++ computes in float.
 */

const TWO_POW_31 = 2 ** 31;

/** std::frexp for finite d != 0: d = q * 2^e with 0.5 <= |q| < 1. */
export function frexp(d: number): [number, number] {
  if (d === 0 || !Number.isFinite(d)) return [d, 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  let biased = (view.getUint16(0) >>> 4) & 0x7ff;
  let adjust = 0;
  if (biased === 0) {
    view.setFloat64(0, d * 2 ** 64);
    biased = (view.getUint16(0) >>> 4) & 0x7ff;
    adjust = -64;
  }
  const e = biased - 1022 + adjust;
  return [d / 2 ** e, e];
}

/** TfLiteRound / std::round: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** A rescale factor the integer kernels cannot represent (from extreme or corrupt scales). */
export class QuantizationError extends Error {}

/** tflite::QuantizeMultiplier (double-rounding build). */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  if (!Number.isFinite(real) || real < 0) {
    throw new QuantizationError(`rescale factor ${real} (a ratio of tensor scales) is not a finite non-negative number`);
  }
  let [q, shift] = frexp(real);
  let qFixed = roundHalfAway(q * TWO_POW_31);
  if (qFixed === TWO_POW_31) {
    qFixed /= 2;
    shift += 1;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  if (shift > 31) throw new QuantizationError(`rescale factor ${real} (a ratio of tensor scales) is too large for int32 arithmetic`);
  return { multiplier: qFixed, shift };
}

/** tflite::PreprocessSoftmaxScaling + CalculateInputRadius for int8 softmax (double-rounding build). */
export function softmaxScaling(beta: number, inputScale: number, inputIntegerBits: number) {
  const maxRealMultiplier = 2 ** 31 - 1;
  const real = Math.min(beta * inputScale * 2 ** (31 - inputIntegerBits), maxRealMultiplier);
  const { multiplier, shift } = quantizeMultiplier(real);
  const maxInputRescaled = (((1 << inputIntegerBits) - 1) * 2 ** (31 - inputIntegerBits)) / 2 ** shift;
  return { multiplier, leftShift: shift, diffMin: -Math.floor(maxInputRescaled) };
}

export const enum Activation {
  NONE = 0, RELU = 1, RELU_N1_TO_1 = 2, RELU6 = 3, TANH = 4, SIGN_BIT = 5,
}

/** CalculateActivationRangeQuantized for int8 outputs; f / scale in float32, as the C++ lambda does. */
/** CalculateActivationRangeQuantized for an int8 (bits 8) or int16 (bits 16) output. */
export function activationRangeQuantized(activation: number, scale: number, zeroPoint: number, bits: 8 | 16 = 8): [number, number] {
  const quantize = (f: number) => zeroPoint + roundHalfAway(Math.fround(f / Math.fround(scale)));
  const qmin = bits === 8 ? -128 : -32768;
  const qmax = bits === 8 ? 127 : 32767;
  switch (activation) {
    case Activation.RELU: return [Math.max(qmin, quantize(0)), qmax];
    case Activation.RELU6: return [Math.max(qmin, quantize(0)), Math.min(qmax, quantize(6))];
    case Activation.RELU_N1_TO_1: return [Math.max(qmin, quantize(-1)), Math.min(qmax, quantize(1))];
    default: return [qmin, qmax];
  }
}

export const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

/** The fused activations int8 kernels support. */
export function isClampActivation(activation: number): boolean {
  return activation === Activation.NONE || activation === Activation.RELU ||
    activation === Activation.RELU_N1_TO_1 || activation === Activation.RELU6;
}

/** ComputeOutSize and ComputePaddingWithOffset (padding.h). padding: 0 SAME, 1 VALID. */
export function outputSize(padding: number, inSize: number, filterSize: number, stride: number, dilation: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  return padding === 0 ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - effective) / stride);
}

export function paddingBefore(stride: number, dilation: number, inSize: number, filterSize: number, outSize: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  const total = Math.max(0, (outSize - 1) * stride + effective - inSize);
  return Math.floor(total / 2);
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int32 values (for tables built at prepare time). */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === b && a === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C++ does
}

/** gemmlowp RoundingDivideByPOT on an int32 value, 0 <= exponent <= 31. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier (int32 x; the left shift wraps like C++). */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = Math.max(shift, 0);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(Math.imul(x, 2 ** left | 0), multiplier), Math.max(-shift, 0));
}
