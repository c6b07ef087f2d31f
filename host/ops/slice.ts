/** SLICE and STRIDED_SLICE (tensorflow/lite/kernels/internal/strided_slice_logic.h). */
import type { OpTensors } from '../graph/tensors.js';
import { StridedSliceOptionsField as F } from '../tflite/schema.js';
import { boxCopy, constantInts, expectSameType, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/** Per axis: start, stride and element count of the slice. */
interface AxisSlice { start: number; stride: number; count: number }

function sliceCall(t: OpTensors, axes: AxisSlice[]): KernelCall {
  const input = t.input(0);
  const output = t.output(0);
  expectSameType(t, input, output);
  const inStrides = rowMajorStrides(input.shape);
  const dims = axes.map((a) => a.count);
  return boxCopy(t, input, output, {
    dims, inStrides: axes.map((a, i) => a.stride * inStrides[i]), outStrides: rowMajorStrides(dims),
    inOffset: axes.reduce((s, a, i) => s + a.start * inStrides[i], 0), outOffset: 0,
  });
}

export const slice: OpDef = {
  name: 'SLICE',
  summary: 'any fixed-size dtype, constant begin and size (-1: to the end), rank <= 6',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([3, 3], 1);
    const shape = t.input(0).shape;
    const begin = constantInts(t, t.input(1), 'begin');
    const size = constantInts(t, t.input(2), 'size');
    if (begin.length !== shape.length || size.length !== shape.length) t.fail(`begin and size need ${shape.length} values`);
    const axes = shape.map((d, i) => {
      const count = size[i] === -1 ? d - begin[i] : size[i];
      if (begin[i] < 0 || count < 0 || begin[i] + count > d) t.fail(`slice [${begin[i]}, +${size[i]}) is outside dimension ${i} of size ${d}`);
      return { start: begin[i], stride: 1, count };
    });
    t.expectShape(t.output(0), axes.map((a) => a.count), 'output');
    return [sliceCall(t, axes)];
  },
};

export const stridedSlice: OpDef = {
  name: 'STRIDED_SLICE',
  summary: 'any fixed-size dtype, constant begin/end/strides, begin/end/shrink-axis masks, offset; rank <= 6',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([4, 4], 1);
    const shape = t.input(0).shape;
    const opts = t.op.options;
    const mask = (field: number) => opts?.int32(field, 0) ?? 0;
    if (mask(F.ellipsisMask) !== 0 || mask(F.newAxisMask) !== 0) {
      t.fail(`ellipsis_mask and new_axis_mask are not supported (have ${mask(F.ellipsisMask)} and ${mask(F.newAxisMask)})`);
    }
    const [beginMask, endMask, shrinkMask] = [mask(F.beginMask), mask(F.endMask), mask(F.shrinkAxisMask)];
    const offset = opts?.bool(F.offset, false) ?? false;
    const begin = constantInts(t, t.input(1), 'begin');
    const end = constantInts(t, t.input(2), 'end');
    const strides = constantInts(t, t.input(3), 'strides');
    if ([begin, end, strides].some((v) => v.length !== shape.length)) t.fail(`begin, end and strides need ${shape.length} values`);
    const axes = shape.map((d, i) => {
      const stride = strides[i];
      if (stride === 0) t.fail(`stride of axis ${i} is 0`);
      // StartForAxis
      let start = beginMask & (1 << i) ? (stride > 0 ? INT_MIN : INT_MAX) : begin[i];
      if (start < 0) start += d;
      start = stride > 0 ? clamp(start, 0, d) : clamp(start, -1, d - 1);
      // StopForAxis
      let stop = shrinkMask & (1 << i) ? start + 1 : offset ? begin[i] + end[i] : end[i];
      if (!(shrinkMask & (1 << i))) {
        if (endMask & (1 << i)) stop = stride > 0 ? INT_MAX : INT_MIN;
        if (stop < 0) stop += d;
        stop = stride > 0 ? clamp(stop, 0, d) : clamp(stop, -1, d - 1);
      }
      const count = Math.max(0, stride > 0 ? Math.ceil((stop - start) / stride) : Math.ceil((start - stop) / -stride));
      return { start, stride, count };
    });
    t.expectShape(t.output(0), axes.flatMap((a, i) => (shrinkMask & (1 << i) ? [] : [a.count])), 'output');
    return [sliceCall(t, axes)];
  },
};
