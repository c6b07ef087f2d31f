import { elementCount, type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { SoftmaxOptionsField as F } from '../tflite/schema.js';
import { expectInt8Activation } from './common.js';
import { softmaxScaling } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

export const softmax: OpDef = {
  name: 'SOFTMAX',
  summary: 'int8 in and out (output scale 1/256, zero point -128), any beta, over the last axis',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    if (input.shape.length < 1) t.fail(`input ${tensorLabel(input)} must have rank >= 1`);
    t.expectShape(output, input.shape, 'output');
    if (zeroPointOf(output) !== -128 || Math.abs(scaleOf(output) - 1 / 256) > 0.001 / 256) {
      t.fail(`output ${tensorLabel(output)} must have scale 1/256 and zero point -128 (has ${scaleOf(output)}, ${zeroPointOf(output)})`);
    }
    const beta = Math.fround(t.op.options?.float32(F.beta, 0) ?? 0);
    const s = softmaxScaling(beta, scaleOf(input), 5);
    const depth = input.shape[input.shape.length - 1];
    return [{
      kernel: 'softmax',
      macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index),
        outer: depth === 0 ? 0 : elementCount(input.shape) / depth, depth,
        inputMultiplier: s.multiplier, inputLeftShift: s.leftShift, diffMin: s.diffMin,
      },
    }];
  },
};
