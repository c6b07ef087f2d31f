/** Helpers for ops that only move bytes, all run by the strided_copy kernel (host/abi/blocks.ts). */
import { MAX_BROADCAST_RANK } from '../abi/blocks.js';
import { elementCount, type OpTensors, tensorLabel } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { tensorTypeByteSize, tensorTypeName } from '../tflite/schema.js';
import { type KernelCall, tensorArg } from './types.js';

/** Row-major element strides of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

export interface Box {
  dims: number[];
  inStrides: number[];
  outStrides: number[];
  inOffset: number;
  outOffset: number;
  /** Fill the whole output with this byte first (padding). */
  fill?: number;
}

/** A strided_copy call moving a box of `input` into `output`. */
export function boxCopy(t: OpTensors, input: Tensor, output: Tensor, box: Box): KernelCall {
  if (box.dims.length > MAX_BROADCAST_RANK) t.fail(`rank ${box.dims.length} is more than the ${MAX_BROADCAST_RANK} supported`);
  const lead = MAX_BROADCAST_RANK - box.dims.length;
  const pad = (xs: number[], value: number) => [...new Array<number>(lead).fill(value), ...xs];
  return {
    kernel: 'strided_copy',
    macs: 0,
    args: {
      input: tensorArg(input.index), output: tensorArg(output.index), elementBytes: elementBytes(t, input),
      inOffset: box.inOffset, outOffset: box.outOffset,
      dims: pad(box.dims, 1), inStrides: pad(box.inStrides, 0), outStrides: pad(box.outStrides, 0),
      fill: box.fill === undefined ? 0 : 1, fillValue: box.fill ?? 0,
      outputBytes: elementCount(output.shape) * elementBytes(t, output),
    },
  };
}

export function elementBytes(t: OpTensors, tensor: Tensor): number {
  const bytes = tensorTypeByteSize(tensor.type);
  if (![1, 2, 4, 8].includes(bytes)) t.fail(`${tensorLabel(tensor)} has type ${tensorTypeName(tensor.type)}, which cannot be moved element-wise`);
  return bytes;
}

export function expectSameType(t: OpTensors, a: Tensor, b: Tensor): void {
  if (a.type !== b.type) t.fail(`${tensorLabel(a)} is ${tensorTypeName(a.type)} but ${tensorLabel(b)} is ${tensorTypeName(b.type)}`);
}

/** TFLite requires equal quantization for int8/int16 data movement that does not requantize. */
export function expectSameQuantization(t: OpTensors, a: Tensor, b: Tensor): void {
  const qa = a.quantization;
  const qb = b.quantization;
  if (!qa || !qb) return;
  if (Math.abs(qa.scale[0] - qb.scale[0]) > 1e-6 * Math.max(qa.scale[0], qb.scale[0]) || qa.zeroPoint[0] !== qb.zeroPoint[0]) {
    t.fail(`${tensorLabel(a)} and ${tensorLabel(b)} must share scale and zero point (have ${qa.scale[0]}/${qa.zeroPoint[0]} and ${qb.scale[0]}/${qb.zeroPoint[0]})`);
  }
}

/** The values of a constant int32 or int64 tensor (shapes, axes, paddings, indices). */
export function constantInts(t: OpTensors, tensor: Tensor, role: string): number[] {
  const data = t.expectConstant(tensor, role);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = elementCount(tensor.shape);
  if (tensor.type === TensorType.INT32) return Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true));
  if (tensor.type === TensorType.INT64) {
    return Array.from({ length: n }, (_, i) => {
      const v = view.getBigInt64(8 * i, true);
      if (v < -(2n ** 31n) || v >= 2n ** 31n) t.fail(`${role} ${tensorLabel(tensor)} value ${v} is out of range`);
      return Number(v);
    });
  }
  return t.fail(`${role} ${tensorLabel(tensor)} is ${tensorTypeName(tensor.type)}, expected INT32 or INT64`);
}

/** An axis in [-rank, rank) as a non-negative axis. */
export function normalizeAxis(t: OpTensors, axis: number, rank: number, role = 'axis'): number {
  if (!(axis >= -rank && axis < rank)) t.fail(`${role} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}
