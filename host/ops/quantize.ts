import { elementCount, type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { activationBytes, expectQuantizedActivation } from './common.js';
import { quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

const QUANTIZED = [TensorType.INT8, TensorType.INT16];

export const quantize: OpDef = {
  name: 'QUANTIZE',
  summary: 'float32 → int8 / int16, and requantization between int8 and int16',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectQuantizedActivation(t, output, 'output', QUANTIZED);
    t.expectShape(output, input.shape, 'output');
    if (output.quantization!.scale.length > 1) t.fail(`per-channel QUANTIZE output ${tensorLabel(output)} is not supported`);
    const count = elementCount(input.shape);
    if (input.type === TensorType.FLOAT32) {
      return [{
        kernel: 'quantize_f32', macs: 0,
        args: {
          input: tensorArg(input.index), output: tensorArg(output.index), count, scale: scaleOf(output), zeroPoint: zeroPointOf(output),
          outputBytes: activationBytes(output),
        },
      }];
    }
    expectQuantizedActivation(t, input, 'input', QUANTIZED);
    // quantize.cc Prepare: effective_output_scale = double(in) / double(out).
    const q = quantizeMultiplier(scaleOf(input) / scaleOf(output));
    return [{
      kernel: 'requantize', macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index), count,
        inputZeroPoint: zeroPointOf(input), outputZeroPoint: zeroPointOf(output), multiplier: q.multiplier, shift: q.shift,
        inputBytes: activationBytes(input), outputBytes: activationBytes(output),
      },
    }];
  },
  inPlaceInputs(t: OpTensors) {
    return t.input(0).type === t.output(0).type ? [t.input(0).index] : [];
  },
};

export const dequantize: OpDef = {
  name: 'DEQUANTIZE',
  summary: 'int8 / int16 → float32',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectQuantizedActivation(t, input, 'input', QUANTIZED);
    t.expectType(output, TensorType.FLOAT32, 'output');
    t.expectShape(output, input.shape, 'output');
    if (input.quantization!.scale.length > 1) t.fail(`per-channel DEQUANTIZE input ${tensorLabel(input)} is not supported`);
    return [{
      kernel: 'dequantize', macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index), count: elementCount(input.shape), scale: scaleOf(input),
        zeroPoint: zeroPointOf(input), inputBytes: activationBytes(input),
      },
    }];
  },
};

/**
 * ADD_N: TFLite has no int8 kernel, so the converter keeps it in float32 between DEQUANTIZE and
 * QUANTIZE; edgerun runs that float32 island exactly as reference_ops::AddN sums.
 */
export const addN: OpDef = {
  name: 'ADD_N',
  summary: 'float32 (the converter keeps ADD_N float between DEQUANTIZE and QUANTIZE)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, Infinity], 1);
    const output = t.output(0);
    t.expectType(output, TensorType.FLOAT32, 'output');
    const inputs = t.op.inputs.map((_, i) => t.input(i));
    for (const [i, x] of inputs.entries()) {
      t.expectType(x, TensorType.FLOAT32, `input ${i}`);
      t.expectShape(x, output.shape, `input ${i}`);
    }
    const count = elementCount(output.shape);
    return inputs.slice(1).map((x, j) => ({
      kernel: 'add_n_f32', macs: 0,
      args: {
        input1: tensorArg(j === 0 ? inputs[0].index : output.index), input2: tensorArg(x.index), output: tensorArg(output.index),
        count, fromZero: j === 0 ? 1 : 0,
      },
    }));
  },
};
