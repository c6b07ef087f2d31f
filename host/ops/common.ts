/** Checks shared by the int8 ops: quantized int8 activations, int8 weights, int32 bias, activations. */
import { type OpTensors, scaleOf, tensorLabel } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { tensorTypeName } from '../tflite/schema.js';
import { ACTIVATION_NAMES, activationRangeQuantized, isClampActivation, multiplyByQuantizedMultiplier, quantizeMultiplier } from './quant.js';
import { type OutputStage, type ProvenChannel, proveRequant } from './requant_proof.js';
import { romInt32 } from './types.js';

export function expectInt8Activation(t: OpTensors, tensor: Tensor, role: string): void {
  expectQuantizedActivation(t, tensor, role, [TensorType.INT8]);
}

/**
 * A quantized activation of one of `types` (INT8 and, for the 16x8 ops, INT16). TFLite requires
 * int16 activations to be symmetric (zero point 0).
 */
export function expectQuantizedActivation(t: OpTensors, tensor: Tensor, role: string, types: readonly TensorType[]): void {
  if (tensor.type === TensorType.FLOAT32) {
    t.fail(`${role} ${tensorLabel(tensor)} is float32: float32 model: quantize it to int8 (full-integer)`);
  }
  if (!types.includes(tensor.type)) {
    t.fail(`${role} ${tensorLabel(tensor)} is ${tensorTypeName(tensor.type)}, expected ${types.map(tensorTypeName).join(' or ')}`);
  }
  t.expectQuantized(tensor, role);
  const scale = scaleOf(tensor);
  if (!(scale > 0) || !Number.isFinite(scale)) t.fail(`${role} ${tensorLabel(tensor)} has scale ${scale}, expected > 0`);
  if (tensor.type === TensorType.INT16 && tensor.quantization!.zeroPoint.some((z) => z !== 0)) {
    t.fail(`int16 ${role} ${tensorLabel(tensor)} has zero point ${tensor.quantization!.zeroPoint[0]}, expected 0 (symmetric)`);
  }
}

/** Bytes per element of an int8 / int16 activation. */
export function activationBytes(tensor: Tensor): 1 | 2 {
  return tensor.type === TensorType.INT16 ? 2 : 1;
}

export function fusedActivationRange(t: OpTensors, activation: number, output: Tensor): [number, number] {
  if (!isClampActivation(activation)) {
    t.fail(`fused activation ${ACTIVATION_NAMES[activation] ?? activation} is not supported for int8 (NONE, RELU, RELU_N1_TO_1, RELU6 are)`);
  }
  return activationRangeQuantized(activation, scaleOf(output), output.quantization!.zeroPoint[0], output.type === TensorType.INT16 ? 16 : 8);
}

/**
 * Per-channel requantization for CONV_2D / DEPTHWISE_CONV_2D / per-channel FULLY_CONNECTED
 * (PopulateConvolutionQuantizationParams): effective = double(in) * double(filter[c]) / double(out).
 * A single filter scale is broadcast over all channels. Returns the effective scales too.
 * `withF32`: the requantization records carry requantPair's f32 half (the convolutions use it;
 * FULLY_CONNECTED and the sparse kernels do not). `stage`: the op's output offset and clamp, with
 * which the SIMD module's records are proven where they can be (host/ops/requant_proof.ts); the
 * caller lowers its folded bias by the returned `centres` (centreBias).
 */
export function perChannelRequant(t: OpTensors, input: Tensor, filter: Tensor, bias: Tensor | null, output: Tensor, channels: number, channelDim: number,
  withF32: boolean, stage: OutputStage | null) {
  const fq = filter.quantization;
  if (!fq || fq.scale.length === 0) t.fail(`filter ${tensorLabel(filter)} has no quantization parameters`);
  if (fq.scale.length !== 1 && fq.scale.length !== channels) {
    t.fail(`filter ${tensorLabel(filter)} has ${fq.scale.length} scales, expected 1 or ${channels}`);
  }
  if (fq.scale.length > 1 && fq.quantizedDimension !== channelDim) {
    t.fail(`filter ${tensorLabel(filter)} is quantized along dimension ${fq.quantizedDimension}, expected ${channelDim}`);
  }
  const multipliers = new Int32Array(channels);
  const shifts = new Int32Array(channels);
  const effective = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const fs = fq.scale[fq.scale.length === 1 ? 0 : c];
    if (!(fs > 0) || !Number.isFinite(fs)) t.fail(`filter ${tensorLabel(filter)} channel ${c} has scale ${fs}, expected > 0`);
    effective[c] = (scaleOf(input) * fs) / scaleOf(output);
    const q = quantizeMultiplier(effective[c]);
    multipliers[c] = q.multiplier;
    shifts[c] = q.shift;
  }
  const bounds = accumulatorBounds(t, filter, bias, channels, channelDim);
  const proven = withF32 && stage && t.simd ? proveRequant(multipliers, shifts, bounds.bounds, channels, stage) : null;
  const table = requantTableArg(multipliers, shifts, channels, bounds, withF32, proven);
  return {
    multipliers: romInt32(multipliers, 'output multipliers'),
    shifts: romInt32(shifts, 'output shifts'),
    table,
    /** Per channel, what the SIMD kernels' folded bias must be lowered by (centreBias): proven channels' centres. */
    centres: Int32Array.from({ length: channels }, (_, c) => (table && proven?.[c]?.centre) || 0),
    effective,
    filterZeroPoint: fq.zeroPoint[0],
  };
}

/** The folded bias lowered by each proven channel's centre (wrapping int32), as the proven records expect. */
export function centreBias(folded: Int32Array, centres: Int32Array): Int32Array {
  const out = Int32Array.from(folded);
  for (let c = 0; c < centres.length; c++) out[c] = (out[c] - centres[c]) | 0;
  return out;
}

/** Optional int32 bias of `channels` elements; null when absent. */
export function biasArg(t: OpTensors, bias: Tensor | null, channels: number) {
  if (!bias) return null;
  t.expectType(bias, TensorType.INT32, 'bias');
  const data = t.expectConstant(bias, 'bias');
  if (bias.shape.reduce((a, b) => a * b, 1) !== channels) {
    t.fail(`bias ${tensorLabel(bias)} has shape [${bias.shape}], expected ${channels} elements`);
  }
  return { rom: data, label: 'bias' };
}

/** Optional bias of the 16x8 ops: int64 (the converter's default) or int32; null when absent. */
export function bias16x8Arg(t: OpTensors, bias: Tensor | null, channels: number) {
  if (!bias) return { bias: null, biasBytes: 8 };
  if (bias.type !== TensorType.INT64 && bias.type !== TensorType.INT32) {
    t.fail(`bias ${tensorLabel(bias)} is ${tensorTypeName(bias.type)}, expected INT64 or INT32 for int16 activations`);
  }
  const data = t.expectConstant(bias, 'bias');
  if (bias.shape.reduce((a, b) => a * b, 1) !== channels) {
    t.fail(`bias ${tensorLabel(bias)} has shape [${bias.shape}], expected ${channels} elements`);
  }
  return { bias: { rom: data, label: 'bias' }, biasBytes: bias.type === TensorType.INT64 ? 8 : 4 };
}

/** The 16x8 ops' int8 weights must be symmetric (TFLite checks zero point 0). */
export function expectSymmetricWeights(t: OpTensors, filter: Tensor) {
  if (filter.quantization?.zeroPoint.some((z) => z !== 0)) t.fail(`filter ${tensorLabel(filter)} has a non-zero zero point; 16x8 weights are symmetric`);
}

/** Rows padded for SIMD: kPad a multiple of 8 bytes, row count a multiple of ROW_BLOCK. */
export const ROW_BLOCK = 4;

/**
 * Packs int8 weight rows (rows × k, row-major) with stride kPad = roundUp(k, 8), zero-filled,
 * plus zero rows up to a multiple of ROW_BLOCK. Returns the per-row sums of the real weights.
 */
export function packRows(data: Uint8Array, rows: number, k: number) {
  const kPad = Math.ceil(k / 8) * 8;
  const rowsPad = Math.ceil(rows / ROW_BLOCK) * ROW_BLOCK;
  const packed = new Int8Array(rowsPad * kPad);
  const src = new Int8Array(data.buffer, data.byteOffset, rows * k);
  const rowSums = new Int32Array(rowsPad);
  for (let r = 0; r < rows; r++) {
    const row = src.subarray(r * k, (r + 1) * k);
    packed.set(row, r * kPad);
    rowSums[r] = row.reduce((a, b) => a + b, 0);
  }
  return { packed: new Uint8Array(packed.buffer), kPad, rowsPad, rowSums };
}

/**
 * packRows' rows interleaved four at a time in 8-tap runs, for a kernel that walks four rows with
 * one pointer: byte ((r >> 2) * kPad/8 + (k >> 3)) * 32 + (r & 3) * 8 + (k & 7) holds row r's tap k.
 */
export function interleaveRows(packed: Uint8Array, rowsPad: number, kPad: number): Uint8Array {
  const interleaved = new Uint8Array(packed.length);
  for (let r = 0; r < rowsPad; r++) {
    for (let k = 0; k < kPad; k++) interleaved[((r >> 2) * (kPad >> 3) + (k >> 3)) * 32 + (r & 3) * 8 + (k & 7)] = packed[r * kPad + k];
  }
  return interleaved;
}

/** bias[c] + inputOffset * rowSums[c] in wrapping int32 arithmetic, padded to rowSums.length. */
export function foldBias(bias: Uint8Array | null, rowSums: Int32Array, channels: number, inputOffset: number): Int32Array {
  const folded = new Int32Array(rowSums.length);
  const b = bias ? new DataView(bias.buffer, bias.byteOffset, bias.byteLength) : null;
  for (let c = 0; c < channels; c++) {
    folded[c] = ((b ? b.getInt32(4 * c, true) : 0) + Math.imul(inputOffset, rowSums[c])) | 0;
  }
  return folded;
}

/**
 * Per channel, a bound on the int32 accumulator's magnitude: |bias| + 255 * sum |w + filterOffset|
 * (an input plus its offset, and a weight plus the filter offset the kernel applies, lie within
 * ±255); for a channel whose weights all cancel the offset (a pruned-away row), the accumulator
 * itself: the bias. Only per-tensor FULLY_CONNECTED applies a filter offset (-zero point); the
 * convolutions ignore the filter's zero point, as TFLite's per-channel kernels do.
 */
export interface AccumulatorBounds {
  bounds: Float64Array;
  constants: Map<number, number>;
}

export function accumulatorBounds(t: OpTensors, filter: Tensor, bias: Tensor | null, channels: number, channelDim: number, filterOffset = 0): AccumulatorBounds {
  const bounds = new Float64Array(channels);
  const constants = new Map<number, number>();
  const data = t.expectConstant(filter, 'filter');
  const w = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
  const inner = filter.shape.slice(channelDim + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < w.length; i++) bounds[Math.floor(i / inner) % channels] += Math.abs(w[i] + filterOffset);
  const b = bias ? t.expectConstant(bias, 'bias') : null;
  const biasBytes = bias?.type === TensorType.INT64 ? 8 : 4;
  if (b && b.byteLength < channels * biasBytes) t.fail(`bias ${tensorLabel(bias!)} has ${b.byteLength} bytes, expected ${channels} elements`);
  const view = b ? new DataView(b.buffer, b.byteOffset, b.byteLength) : null;
  for (let c = 0; c < channels; c++) {
    const biasValue = !view ? 0 : biasBytes === 8 ? Number(view.getBigInt64(8 * c, true)) : view.getInt32(4 * c, true);
    if (bounds[c] === 0 && Number.isSafeInteger(biasValue) && Math.abs(biasValue) < 2 ** 31) constants.set(c, biasValue);
    bounds[c] = Math.abs(biasValue) + 255 * bounds[c];
  }
  return { bounds, constants };
}

/**
 * The requantization table argument, or null when the SIMD kernels' f64 arithmetic
 * (assembly/simd.ts requant4) could differ from TFLite's for some channel and input: the op then
 * plans its call on the scalar twin (KernelCall.scalar). It is exact while |N| = |acc * 2^left * m| < 2^51 and
 * x * 2^left does not wrap in int32; a larger N with e <= 11 gives |result| >= 2^(20-e) - 1 >= 511,
 * which clamps to the same int8 bound whatever the last bits. A channel with a constant
 * accumulator (no weights) is checked on that value.
 */
export function requantTableArg(multipliers: Int32Array, shifts: Int32Array, channels: number, { bounds, constants }: AccumulatorBounds, withF32: boolean,
  proven: (ProvenChannel | null)[] | null = null) {
  for (let c = 0; c < channels; c++) {
    const constant = constants.get(c);
    if (constant !== undefined) {
      if (requantF64(constant, multipliers[c], shifts[c]) !== multiplyByQuantizedMultiplier(constant, multipliers[c], shifts[c])) return null;
      continue;
    }
    const accumulator = Math.min(bounds[c], 2 ** 31);
    if (shifts[c] > 0 && accumulator * 2 ** shifts[c] >= 2 ** 31) return null;
    if (-shifts[c] >= 12 && accumulator * multipliers[c] >= 2 ** 51) return null;
  }
  return { rom: requantTable(multipliers, shifts, channels, bounds, withF32, proven), label: 'requant table' };
}

/** assembly/simd.ts requant4 on one value, in the same f64 operations (JavaScript numbers are IEEE doubles). */
function requantF64(x: number, multiplier: number, shift: number): number {
  const e = Math.max(-shift, 0);
  const half = e > 0 ? 2 ** -(e + 1) : 0;
  const u = x * ((multiplier * 2 ** Math.max(shift, 0)) / 2 ** (31 + e)) + 0.5 + (x < 0 ? -half : half);
  return Math.floor(u) | 0;
}

/**
 * Per-channel requantization records for the SIMD kernels (assembly/simd.ts requant4 and
 * requantPair): for each block of 4 channels, S = m 2^left / 2^(31+e) [4] and H = 2^-(e+1), or 0
 * when e = 0 [4] as f64 (64 bytes), and `withF32`, S rounded to f32 [4] and H as f32 [4] (96 bytes
 * in all; left = max(shift, 0), e = max(-shift, 0)). When the channel's accumulator bound times S
 * reaches 2^21 (requantPair's rounding trick needs |x S| < 2^22) the f32 pair is S 0 and H 1/2,
 * which requantPair's check always rejects: that channel takes the f64 path. Channels past
 * `channels` get multiplier 0. A block whose channels are `proven` (host/ops/requant_proof.ts; whole
 * groups of 8, so both blocks of a group) holds instead each channel's magic [4] as i32, 16 zero
 * bytes, the mark [4] as f64 where H goes (-1 centred, -2 signed: H is never negative), then
 * scale32 [4] and constant32 [4] as f32.
 */
export function requantTable(multipliers: Int32Array, shifts: Int32Array, channels: number, bounds: Float64Array, withF32: boolean,
  proven: (ProvenChannel | null)[] | null = null): Uint8Array {
  const blocks = Math.ceil(channels / 8) * 2; // whole 8-channel groups: kernels work 4 or 8 at a time
  const blockBytes = withF32 ? 96 : 64;
  const out = new DataView(new ArrayBuffer(blocks * blockBytes));
  for (let c = 0; c < blocks * 4; c++) {
    const block = Math.floor(c / 4) * blockBytes;
    const at = block + (c % 4) * 8;
    const at32 = block + 64 + (c % 4) * 4;
    const p = withF32 && c < channels ? proven?.[c] : null;
    if (p) {
      out.setInt32(block + (c % 4) * 4, p.magic, true);
      out.setFloat64(at + 32, p.signed ? -2 : -1, true);
      out.setFloat32(at32, p.scale32, true);
      out.setFloat32(at32 + 16, p.constant32, true);
      continue;
    }
    const shift = c < channels ? shifts[c] : 0;
    const e = Math.max(-shift, 0);
    const scale = ((c < channels ? multipliers[c] : 0) * 2 ** Math.max(shift, 0)) / 2 ** (31 + e);
    const half = e > 0 ? 2 ** -(e + 1) : 0;
    out.setFloat64(at, scale, true);
    out.setFloat64(at + 32, half, true);
    if (!withF32) continue;
    const f32Path = c >= channels || bounds[c] * scale < 2 ** 21;
    out.setFloat32(at32, f32Path ? scale : 0, true);
    out.setFloat32(at32 + 16, f32Path ? half : 0.5, true);
  }
  return new Uint8Array(out.buffer);
}
