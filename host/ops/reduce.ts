/** MEAN, SUM, REDUCE_MAX, ARG_MAX and ARG_MIN over int8 (the reduce kernel, host/abi/blocks.ts). */
import { MAX_BROADCAST_RANK } from '../abi/blocks.js';
import { type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { ReducerOptionsField } from '../tflite/schema.js';
import { expectInt8Activation } from './common.js';
import { constantInts, normalizeAxis, rowMajorStrides } from './data_movement.js';
import { quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

const OPERATION = { MEAN: 0, SUM: 1, REDUCE_MAX: 2, ARG_MAX: 3, ARG_MIN: 4 } as const;
type Operation = keyof typeof OPERATION;

/** The 6-D output and reduced boxes of a reduction of `input` over `axes`. */
function boxes(t: OpTensors, input: Tensor, axes: Set<number>) {
  if (input.shape.length > MAX_BROADCAST_RANK) t.fail(`rank ${input.shape.length} is more than the ${MAX_BROADCAST_RANK} supported`);
  const strides = rowMajorStrides(input.shape);
  const lead = MAX_BROADCAST_RANK - input.shape.length;
  const pad = (xs: number[], v: number) => [...new Array<number>(lead).fill(v), ...xs];
  return {
    outDims: pad(input.shape.map((d, k) => (axes.has(k) ? 1 : d)), 1),
    outStrides: pad(strides.map((s, k) => (axes.has(k) ? 0 : s)), 0),
    redDims: pad(input.shape.map((d, k) => (axes.has(k) ? d : 1)), 1),
    redStrides: pad(strides.map((s, k) => (axes.has(k) ? s : 0)), 0),
    count: input.shape.reduce((n, d, k) => (axes.has(k) ? n * d : n), 1),
  };
}

/** reference_ops::QuantizedMeanOrSum: 1/count folded into the multiplier with up to 32 bits of headroom. */
function meanMultiplier(multiplier: number, shift: number, count: number) {
  let headroom = Math.floor(Math.log2(count));
  while (2 ** (headroom + 1) <= count) headroom++;
  while (2 ** headroom > count) headroom--;
  headroom = Math.min(headroom, 32, 31 + shift);
  return { multiplier: Number((BigInt(multiplier) << BigInt(headroom)) / BigInt(count)), shift: shift - headroom };
}

function reduceOp(name: Operation, summary: string): OpDef {
  return {
    name,
    summary,
    prepare(t: OpTensors): KernelCall[] {
      t.expectCounts([2, 2], 1);
      const input = t.input(0);
      const output = t.output(0);
      expectInt8Activation(t, input, 'input');
      const rank = input.shape.length;
      const axes = new Set(constantInts(t, t.input(1), 'axis').map((a) => normalizeAxis(t, a, rank)));
      const arg = name === 'ARG_MAX' || name === 'ARG_MIN';
      if (arg && axes.size !== 1) t.fail(`${name} reduces exactly one axis, got ${axes.size}`);
      const keepDims = !arg && (t.op.options?.bool(ReducerOptionsField.keepDims, false) ?? false);
      t.expectShape(output, input.shape.flatMap((d, k) => (axes.has(k) ? (keepDims ? [1] : []) : [d])), 'output');
      if (arg) {
        if (output.type !== TensorType.INT32 && output.type !== TensorType.INT64) t.fail(`output ${tensorLabel(output)} must be INT32 or INT64`);
      } else {
        expectInt8Activation(t, output, 'output');
      }
      const b = boxes(t, input, axes);
      if (b.count === 0) t.fail(`reducing an empty axis is not supported`);
      let q = { multiplier: 0, shift: 0 };
      if (name === 'MEAN' || name === 'SUM') {
        // reduce.cc PrepareMeanOrSum: double(input scale) / double(output scale).
        q = quantizeMultiplier(scaleOf(input) / scaleOf(output));
        if (name === 'MEAN') q = meanMultiplier(q.multiplier, q.shift, b.count);
      }
      return [{
        kernel: 'reduce',
        macs: 0,
        args: {
          input: tensorArg(input.index), output: tensorArg(output.index), operation: OPERATION[name], ...b,
          inputZeroPoint: zeroPointOf(input), outputZeroPoint: arg ? 0 : zeroPointOf(output),
          multiplier: q.multiplier, shift: q.shift, indexBytes: output.type === TensorType.INT64 ? 8 : 4,
        },
      }];
    },
  };
}

export const mean = reduceOp('MEAN', 'int8, constant axes, keep_dims');
export const sum = reduceOp('SUM', 'int8, constant axes, keep_dims');
export const reduceMax = reduceOp('REDUCE_MAX', 'int8 (raw values), constant axes, keep_dims');
export const argMax = reduceOp('ARG_MAX', 'int8 input, one constant axis, int32 or int64 output');
export const argMin = reduceOp('ARG_MIN', 'int8 input, one constant axis, int32 or int64 output');

