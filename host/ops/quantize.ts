import { elementCount, type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { expectInt8Activation } from './common.js';
import { quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

export const quantize: OpDef = {
  name: 'QUANTIZE',
  summary: 'float32 → int8, and int8 → int8 requantization',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectInt8Activation(t, output, 'output');
    t.expectShape(output, input.shape, 'output');
    if (output.quantization!.scale.length > 1) t.fail(`per-channel QUANTIZE output ${tensorLabel(output)} is not supported`);
    const count = elementCount(input.shape);
    if (input.type === TensorType.FLOAT32) {
      return [{
        kernel: 'quantize_f32', macs: 0,
        args: { input: tensorArg(input.index), output: tensorArg(output.index), count, scale: scaleOf(output), zeroPoint: zeroPointOf(output) },
      }];
    }
    expectInt8Activation(t, input, 'input');
    // quantize.cc Prepare: effective_output_scale = double(in) / double(out).
    const q = quantizeMultiplier(scaleOf(input) / scaleOf(output));
    return [{
      kernel: 'requantize', macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index), count,
        inputZeroPoint: zeroPointOf(input), outputZeroPoint: zeroPointOf(output), multiplier: q.multiplier, shift: q.shift,
      },
    }];
  },
  inPlaceInputs(t: OpTensors) {
    return t.input(0).type === TensorType.INT8 ? [t.input(0).index] : [];
  },
};

export const dequantize: OpDef = {
  name: 'DEQUANTIZE',
  summary: 'int8 → float32',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectInt8Activation(t, input, 'input');
    t.expectType(output, TensorType.FLOAT32, 'output');
    t.expectShape(output, input.shape, 'output');
    if (input.quantization!.scale.length > 1) t.fail(`per-channel DEQUANTIZE input ${tensorLabel(input)} is not supported`);
    return [{
      kernel: 'dequantize', macs: 0,
      args: { input: tensorArg(input.index), output: tensorArg(output.index), count: elementCount(input.shape), scale: scaleOf(input), zeroPoint: zeroPointOf(input) },
    }];
  },
};
