/** CONCATENATION and PACK: one box copy per input into its slot of the output. */
import type { OpTensors } from '../graph/tensors.js';
import type { Tensor } from '../tflite/model.js';
import { ConcatenationOptionsField, PackOptionsField } from '../tflite/schema.js';
import { boxCopy, expectSameQuantization, expectSameType, normalizeAxis, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

/** Copies each input, viewed as `shapeOf(input)`, at successive offsets along `axis` of the output. */
function stack(t: OpTensors, inputs: Tensor[], axis: number, shapeOf: (x: Tensor) => number[]): KernelCall[] {
  const output = t.output(0);
  const outStrides = rowMajorStrides(output.shape);
  let at = 0;
  return inputs.map((input) => {
    expectSameType(t, input, output);
    expectSameQuantization(t, input, output);
    const shape = shapeOf(input);
    const call = boxCopy(t, input, output, { dims: shape, inStrides: rowMajorStrides(shape), outStrides, inOffset: 0, outOffset: at * outStrides[axis] });
    at += shape[axis];
    return call;
  });
}

export const concatenation: OpDef = {
  name: 'CONCATENATION',
  summary: 'any fixed-size dtype; quantized inputs share the output\'s scale and zero point (as TFLite requires)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 64], 1);
    const inputs = t.op.inputs.map((_, i) => t.input(i));
    const output = t.output(0);
    const activation = t.op.options?.int8(ConcatenationOptionsField.fusedActivationFunction, 0) ?? 0;
    if (activation !== 0) t.fail(`fused activation ${activation} is not supported on CONCATENATION`);
    const axis = normalizeAxis(t, t.op.options?.int32(ConcatenationOptionsField.axis, 0) ?? 0, output.shape.length);
    for (const x of inputs) {
      if (x.shape.length !== output.shape.length || x.shape.some((d, i) => i !== axis && d !== output.shape[i])) {
        t.fail(`input shape [${x.shape}] does not fit output [${output.shape}] along axis ${axis}`);
      }
    }
    const total = inputs.reduce((s, x) => s + x.shape[axis], 0);
    if (total !== output.shape[axis]) t.fail(`inputs add up to ${total} along axis ${axis}, output has ${output.shape[axis]}`);
    return stack(t, inputs, axis, (x) => [...x.shape]);
  },
};

export const pack: OpDef = {
  name: 'PACK',
  summary: 'any fixed-size dtype; inputs share the output\'s quantization',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 64], 1);
    const inputs = t.op.inputs.map((_, i) => t.input(i));
    const output = t.output(0);
    const count = t.op.options?.int32(PackOptionsField.valuesCount, inputs.length) ?? inputs.length;
    if (count !== inputs.length) t.fail(`values_count ${count} but ${inputs.length} inputs`);
    const shape = inputs[0].shape;
    const axis = normalizeAxis(t, t.op.options?.int32(PackOptionsField.axis, 0) ?? 0, shape.length + 1);
    for (const x of inputs) if (x.shape.join() !== shape.join()) t.fail(`inputs differ in shape: [${shape}] and [${x.shape}]`);
    t.expectShape(output, [...shape.slice(0, axis), inputs.length, ...shape.slice(axis)], 'output');
    return stack(t, inputs, axis, (x) => [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)]);
  },
};
