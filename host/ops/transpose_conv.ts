import { type OpTensors } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { biasArg, expectInt8Activation, fusedActivationRange, perChannelRequant } from './common.js';
import { constantInts } from './data_movement.js';
import { outputSize, paddingBefore } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';
import { readWindowOptions } from './window.js';

/** TransposeConvOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3. */
const FIELDS = { padding: 0, strideW: 1, strideH: 2, fusedActivationFunction: 3 };

export const transposeConv: OpDef = {
  name: 'TRANSPOSE_CONV',
  summary: 'int8, per-channel or per-tensor weights, SAME/VALID, strides, optional bias',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([3, 4], 1);
    const filter = t.input(1);
    const input = t.input(2);
    const bias = t.optionalInput(3);
    const output = t.output(0);
    const o = readWindowOptions(t, FIELDS);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    t.expectType(filter, TensorType.INT8, 'filter');
    t.expectRank(input, 4, 'input');
    t.expectRank(filter, 4, 'filter');
    const filterData = t.expectConstant(filter, 'filter');
    const shape = constantInts(t, t.input(0), 'output_shape');
    t.expectShape(output, shape, 'output');
    const [batches, inH, inW, inC] = input.shape;
    const [outC, filterH, filterW, filterInC] = filter.shape;
    const [, outH, outW, channels] = shape;
    if (filterInC !== inC || channels !== outC || shape[0] !== batches) t.fail(`filter [${filter.shape}] does not map input [${input.shape}] to output [${shape}]`);
    // transpose_conv.cc: padding from the output size, as if the output were a convolution's input.
    const padH = paddingBefore(o.strideH, 1, outH, filterH, outputSize(o.padding, outH, filterH, o.strideH, 1));
    const padW = paddingBefore(o.strideW, 1, outW, filterW, outputSize(o.padding, outW, filterW, o.strideW, 1));
    const rq = perChannelRequant(t, input, filter, bias, output, outC, 0, true, null);
    const [actMin, actMax] = fusedActivationRange(t, o.activation, output);
    return [{
      kernel: 'transpose_conv',
      macs: batches * inH * inW * inC * filterH * filterW * outC,
      args: {
        input: tensorArg(input.index), filter: { rom: filterData, label: 'filter' }, bias: biasArg(t, bias, outC),
        output: tensorArg(output.index), multipliers: rq.multipliers, shifts: rq.shifts,
        scratch: { scratch: 4 * batches * outH * outW * outC },
        batches, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH: o.strideH, strideW: o.strideW, padH, padW,
        inputOffset: -input.quantization!.zeroPoint[0], outputOffset: output.quantization!.zeroPoint[0], actMin, actMax,
      },
    }];
  },
};
