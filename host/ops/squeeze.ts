/** SQUEEZE and EXPAND_DIMS change only the shape: the output aliases the input, like RESHAPE. */
import { elementCount, type OpTensors, tensorLabel } from '../graph/tensors.js';
import { SqueezeOptionsField } from '../tflite/schema.js';
import { constantInts, expectSameType, normalizeAxis } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

function sameBytes(t: OpTensors): void {
  expectSameType(t, t.input(0), t.output(0));
  if (elementCount(t.input(0).shape) !== elementCount(t.output(0).shape)) {
    t.fail(`${tensorLabel(t.output(0))} [${t.output(0).shape}] does not hold the elements of [${t.input(0).shape}]`);
  }
}

const aliasOutput = (t: OpTensors) => ({ output: t.output(0).index, input: t.input(0).index });

export const squeeze: OpDef = {
  name: 'SQUEEZE',
  summary: 'free: the output aliases the input',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    sameBytes(t);
    const input = t.input(0);
    const dims = t.op.options?.int32Vector(SqueezeOptionsField.squeezeDims);
    const axes = dims && dims.length > 0
      ? new Set(Array.from(dims, (d) => normalizeAxis(t, d, input.shape.length, 'squeeze dim')))
      : new Set(input.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    for (const a of axes) if (input.shape[a] !== 1) t.fail(`cannot squeeze dimension ${a} of size ${input.shape[a]}`);
    t.expectShape(t.output(0), input.shape.filter((_, i) => !axes.has(i)), 'output');
    return [];
  },
  alias: aliasOutput,
};

export const expandDims: OpDef = {
  name: 'EXPAND_DIMS',
  summary: 'free: the output aliases the input',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    sameBytes(t);
    const input = t.input(0);
    const [axisValue] = constantInts(t, t.input(1), 'axis');
    const axis = normalizeAxis(t, axisValue, input.shape.length + 1);
    t.expectShape(t.output(0), [...input.shape.slice(0, axis), 1, ...input.shape.slice(axis)], 'output');
    return [];
  },
  alias: aliasOutput,
};
