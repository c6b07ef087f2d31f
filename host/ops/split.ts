/** SPLIT, SPLIT_V and UNPACK: one box copy per output from its slot of the input. */
import type { OpTensors } from '../graph/tensors.js';
import type { Tensor } from '../tflite/model.js';
import { SplitOptionsField, UnpackOptionsField } from '../tflite/schema.js';
import { boxCopy, constantInts, expectSameType, normalizeAxis, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

/** Copies successive slots of `sizes[k]` along `axis` of input into output k (viewed as `shapes[k]`). */
function unstack(t: OpTensors, input: Tensor, axis: number, sizes: number[]): KernelCall[] {
  const inStrides = rowMajorStrides(input.shape);
  let at = 0;
  return sizes.map((size, k) => {
    const output = t.output(k);
    expectSameType(t, input, output);
    const box = [...input.shape];
    box[axis] = size;
    const call = boxCopy(t, input, output, { dims: box, inStrides, outStrides: rowMajorStrides(box), inOffset: at * inStrides[axis], outOffset: 0 });
    at += size;
    return call;
  });
}

function checkOutputs(t: OpTensors, input: Tensor, axis: number, sizes: number[]): void {
  sizes.forEach((size, k) => {
    const shape = [...input.shape];
    shape[axis] = size;
    t.expectShape(t.output(k), shape, `output ${k}`);
  });
}

export const split: OpDef = {
  name: 'SPLIT',
  summary: 'any fixed-size dtype, equal parts along a constant axis',
  prepare(t: OpTensors): KernelCall[] {
    const input = t.input(1);
    const parts = t.op.options?.int32(SplitOptionsField.numSplits, 0) ?? 0;
    if (parts < 1 || parts !== t.op.outputs.length) t.fail(`num_splits ${parts} but ${t.op.outputs.length} outputs`);
    t.expectCounts([2, 2], parts);
    const axis = normalizeAxis(t, constantInts(t, t.input(0), 'axis')[0], input.shape.length);
    if (input.shape[axis] % parts !== 0) t.fail(`dimension ${axis} of size ${input.shape[axis]} does not split into ${parts}`);
    const sizes = new Array<number>(parts).fill(input.shape[axis] / parts);
    checkOutputs(t, input, axis, sizes);
    return unstack(t, input, axis, sizes);
  },
};

export const splitV: OpDef = {
  name: 'SPLIT_V',
  summary: 'any fixed-size dtype, constant sizes (one may be -1) along a constant axis',
  prepare(t: OpTensors): KernelCall[] {
    const input = t.input(0);
    const sizes = constantInts(t, t.input(1), 'size_splits');
    t.expectCounts([3, 3], sizes.length);
    const axis = normalizeAxis(t, constantInts(t, t.input(2), 'axis')[0], input.shape.length);
    const unknown = sizes.filter((s) => s === -1).length;
    if (unknown > 1 || sizes.some((s) => s < -1)) t.fail(`size_splits [${sizes}] is not valid`);
    const known = sizes.filter((s) => s >= 0).reduce((a, b) => a + b, 0);
    const resolved = sizes.map((s) => (s === -1 ? input.shape[axis] - known : s));
    if (resolved.some((s) => s < 0) || resolved.reduce((a, b) => a + b, 0) !== input.shape[axis]) {
      t.fail(`size_splits [${sizes}] do not add up to dimension ${axis} of size ${input.shape[axis]}`);
    }
    checkOutputs(t, input, axis, resolved);
    return unstack(t, input, axis, resolved);
  },
};

export const unpack: OpDef = {
  name: 'UNPACK',
  summary: 'any fixed-size dtype',
  prepare(t: OpTensors): KernelCall[] {
    const input = t.input(0);
    const axis = normalizeAxis(t, t.op.options?.int32(UnpackOptionsField.axis, 0) ?? 0, input.shape.length);
    const num = t.op.options?.int32(UnpackOptionsField.num, input.shape[axis]) ?? input.shape[axis];
    if (num !== input.shape[axis]) t.fail(`num ${num} but dimension ${axis} has size ${input.shape[axis]}`);
    t.expectCounts([1, 1], num);
    for (let k = 0; k < num; k++) t.expectShape(t.output(k), input.shape.filter((_, i) => i !== axis), `output ${k}`);
    return unstack(t, input, axis, new Array<number>(num).fill(1));
  },
};
