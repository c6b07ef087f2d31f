/** PAD and PADV2: fill the output with the pad value, then copy the input box into it. */
import { elementCount, type OpTensors, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { boxCopy, constantInts, elementBytes, expectSameQuantization, expectSameType, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

function preparePad(t: OpTensors, padValue: number): KernelCall[] {
  const input = t.input(0);
  const output = t.output(0);
  expectSameType(t, input, output);
  expectSameQuantization(t, input, output);
  const rank = input.shape.length;
  const paddings = constantInts(t, t.input(1), 'paddings');
  if (paddings.length !== 2 * rank) t.fail(`paddings hold ${paddings.length} values, rank ${rank} needs ${2 * rank}`);
  if (paddings.some((p) => p < 0)) t.fail(`paddings [${paddings}] must not be negative`);
  t.expectShape(output, input.shape.map((d, i) => d + paddings[2 * i] + paddings[2 * i + 1]), 'output');
  const outStrides = rowMajorStrides(output.shape);
  return [boxCopy(t, input, output, {
    dims: [...input.shape], inStrides: rowMajorStrides(input.shape), outStrides, inOffset: 0,
    outOffset: input.shape.reduce((s, _, i) => s + paddings[2 * i] * outStrides[i], 0), fill: padValue,
  })];
}

/** The pad byte for a one-byte element type; wider types are padded with zero bytes. */
function fillByte(t: OpTensors, value: number): number {
  if (elementBytes(t, t.output(0)) !== 1 && value !== 0) t.fail(`padding ${tensorLabel(t.output(0))} with a non-zero value needs a one-byte type`);
  return value & 0xff;
}

export const pad: OpDef = {
  name: 'PAD',
  summary: 'int8 (pads with the zero point) and other fixed-size dtypes (pads with zeros), rank <= 6',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const output = t.output(0);
    const quantized = output.type === TensorType.INT8 || output.type === TensorType.UINT8;
    return preparePad(t, fillByte(t, quantized ? zeroPointOf(output) : 0));
  },
};

export const padV2: OpDef = {
  name: 'PADV2',
  summary: 'one-byte dtypes with any constant pad value, rank <= 6',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([3, 3], 1);
    const value = t.input(2);
    expectSameType(t, value, t.output(0));
    expectSameQuantization(t, value, t.output(0));
    if (elementCount(value.shape) !== 1) t.fail(`constant_values ${tensorLabel(value)} must hold one value`);
    const data = t.expectConstant(value, 'constant_values');
    return preparePad(t, fillByte(t, data[0]));
  },
};
