/**
 * Unary int8 activations as 256-entry tables (the lut8 kernel). Each table is filled by running
 * TFLite's reference arithmetic for every int8 input, so the kernel is exact by construction:
 * RELU / RELU6 / RELU_N1_TO_1 (activations.cc ReluX), LEAKY_RELU (QuantizeLeakyRelu),
 * HARD_SWISH (reference_ops::HardSwish, 16-bit fixed point), and LOGISTIC, TANH and ELU, which
 * TFLite itself computes through tables filled in float (LUTPopulate).
 */
import { elementCount, type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import type { Tensor } from '../tflite/model.js';
import { expectInt8Activation } from './common.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

const f32 = Math.fround;
const clampInt8 = (v: number) => Math.min(127, Math.max(-128, v));

function lutOp(name: string, summary: string, checks: (t: OpTensors, input: Tensor, output: Tensor) => void,
  entry: (t: OpTensors, input: Tensor, output: Tensor) => (q: number) => number): OpDef {
  return {
    name,
    summary,
    prepare(t: OpTensors): KernelCall[] {
      t.expectCounts([1, 1], 1);
      const input = t.input(0);
      const output = t.output(0);
      expectInt8Activation(t, input, 'input');
      expectInt8Activation(t, output, 'output');
      t.expectShape(output, input.shape, 'output');
      checks(t, input, output);
      const f = entry(t, input, output);
      const table = new Int8Array(256);
      for (let q = -128; q <= 127; q++) table[q + 128] = f(q);
      return [{
        kernel: 'lut8',
        macs: 0,
        args: { input: tensorArg(input.index), output: tensorArg(output.index), table: { rom: new Uint8Array(table.buffer), label: 'activation table' }, count: elementCount(input.shape) },
      }];
    },
    inPlaceInputs: (t: OpTensors) => [t.input(0).index],
  };
}

const noChecks = () => {};

/** activations.cc QuantizedReluX: requantize, then clamp to the activation's range. */
function reluX(lo: number, hi: number) {
  return (_t: OpTensors, input: Tensor, output: Tensor) => {
    const scale = scaleOf(output);
    const zp = zeroPointOf(output);
    const min = Math.max(-128, zp + roundHalfAway(f32(f32(lo) / scale)));
    const max = hi === Infinity ? 127 : Math.min(127, zp + roundHalfAway(f32(f32(hi) / scale)));
    const { multiplier, shift } = quantizeMultiplier(f32(scaleOf(input) / scale));
    return (q: number) => Math.min(max, Math.max(min, zp + multiplyByQuantizedMultiplier(q - zeroPointOf(input), multiplier, shift)));
  };
}

export const relu = lutOp('RELU', 'int8', noChecks, reluX(0, Infinity));
export const relu6 = lutOp('RELU6', 'int8', noChecks, reluX(0, 6));
export const reluN1To1 = lutOp('RELU_N1_TO_1', 'int8', noChecks, reluX(-1, 1));

/** LeakyReluOptions.alpha is field 0. */
export const leakyRelu = lutOp('LEAKY_RELU', 'int8, any alpha', noChecks, (t, input, output) => {
  const alpha = f32(t.op.options?.float32(0, 0) ?? 0);
  const identity = quantizeMultiplier(f32(scaleOf(input) / scaleOf(output)));
  const negative = quantizeMultiplier(f32(f32(scaleOf(input) * alpha) / scaleOf(output)));
  return (q: number) => {
    const v = q - zeroPointOf(input);
    const m = v >= 0 ? identity : negative;
    return clampInt8(zeroPointOf(output) + multiplyByQuantizedMultiplier(v, m.multiplier, m.shift));
  };
});

/** LUTPopulate<int8_t> (kernels/internal/common.h) with a float transform. */
function floatTable(transform: (x: number) => number) {
  return (_t: OpTensors, input: Tensor, output: Tensor) => (q: number) => {
    const dequantized = f32(scaleOf(input) * (q - zeroPointOf(input)));
    const rescaled = roundHalfAway(f32(f32(transform(dequantized)) / scaleOf(output)));
    return clampInt8(rescaled + zeroPointOf(output));
  };
}

function fixedOutput(scale: number, zeroPoint: number) {
  return (t: OpTensors, _input: Tensor, output: Tensor) => {
    if (Math.abs(scaleOf(output) - scale) > 1e-6 * scale || zeroPointOf(output) !== zeroPoint) {
      t.fail(`output ${tensorLabel(output)} must have scale ${scale} and zero point ${zeroPoint} (has ${scaleOf(output)}, ${zeroPointOf(output)})`);
    }
  };
}

export const logistic = lutOp('LOGISTIC', 'int8 (output scale 1/256, zero point -128)', fixedOutput(1 / 256, -128),
  floatTable((x) => f32(1 / f32(1 + f32(Math.exp(-x))))));
export const tanh = lutOp('TANH', 'int8 (output scale 1/128, zero point 0)', fixedOutput(1 / 128, 0), floatTable((x) => f32(Math.tanh(x))));
export const elu = lutOp('ELU', 'int8', noChecks, floatTable((x) => (x < 0 ? f32(Math.expm1(x)) : x)));

// 16-bit gemmlowp fixed point for HARD_SWISH.
const int16 = (x: number) => (x << 16) >> 16;
function srdhm16(a: number, b: number): number {
  if (a === b && a === -32768) return 32767;
  const ab = a * b;
  return int16(Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / (1 << 15)));
}
function roundingDivideByPOT16(x: number, exponent: number): number {
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return int16((x >> exponent) + (remainder > threshold ? 1 : 0));
}
const saturatingLeftShift16 = (x: number, amount: number) => Math.min(32767, Math.max(-32768, x * 2 ** amount));
/** DownScaleInt32ToInt16Multiplier. */
const toInt16Multiplier = (m: number) => (m >= 2 ** 31 - 1 - (1 << 15) ? 32767 : (m + (1 << 15)) >> 16);

export const hardSwish = lutOp('HARD_SWISH', 'int8', noChecks, (t, input, output) => {
  const hiresInputScale = f32(f32(1 / 128) * scaleOf(input));
  const out = quantizeMultiplier(f32(hiresInputScale / scaleOf(output)));
  if (out.shift > 0) t.fail(`output rescale ${hiresInputScale / scaleOf(output)} is too large for HARD_SWISH (TFLite rejects it)`);
  const reluish = quantizeMultiplier(f32(hiresInputScale / f32(3 / 32768)));
  const outMul = toInt16Multiplier(out.multiplier);
  const reluishMul = toInt16Multiplier(reluish.multiplier);
  return (q: number) => {
    const hires = int16((q - zeroPointOf(input)) * (1 << 7));
    const preshiftOutput = srdhm16(hires, outMul);
    let v = hires;
    if (reluish.shift > 0) v = saturatingLeftShift16(v, reluish.shift - 1);
    v = srdhm16(v, reluishMul);
    if (reluish.shift > 0) v = saturatingLeftShift16(v, 1);
    if (reluish.shift < 0) v = roundingDivideByPOT16(v, -reluish.shift);
    v = (v + (1 << 15)) >> 1;
    // SaturatingDoublingHighMul: truncating, not rounding.
    const product = v === -32768 && preshiftOutput === -32768 ? 32767 : int16(Math.trunc((v * preshiftOutput) / (1 << 15)));
    return clampInt8(roundingDivideByPOT16(product, -out.shift) + zeroPointOf(output));
  };
});
