/** AVERAGE_POOL_2D and MAX_POOL_2D share options, shapes and a param-block layout. */
import { type OpTensors } from '../graph/tensors.js';
import { Pool2DOptionsField as F } from '../tflite/schema.js';
import { expectInt8Activation, fusedActivationRange } from './common.js';
import { checkWindow } from './conv_2d.js';
import { outputSize, paddingBefore } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

function preparePool(t: OpTensors, kernel: 'average_pool_2d' | 'max_pool_2d'): KernelCall[] {
  t.expectCounts([1, 1], 1);
  const input = t.input(0);
  const output = t.output(0);
  const opts = t.op.options;
  const padding = opts?.int8(F.padding, 0) ?? 0;
  const strideW = opts?.int32(F.strideW, 0) ?? 0;
  const strideH = opts?.int32(F.strideH, 0) ?? 0;
  const filterW = opts?.int32(F.filterWidth, 0) ?? 0;
  const filterH = opts?.int32(F.filterHeight, 0) ?? 0;
  const activation = opts?.int8(F.fusedActivationFunction, 0) ?? 0;
  checkWindow(t, { padding, strideH, strideW, dilationH: 1, dilationW: 1, activation });
  if (!(filterH >= 1 && filterW >= 1 && filterH <= 65536 && filterW <= 65536)) t.fail(`filter ${filterH}x${filterW} is not a valid window`);
  expectInt8Activation(t, input, 'input');
  expectInt8Activation(t, output, 'output');
  t.expectRank(input, 4, 'input');
  const [batches, inH, inW, channels] = input.shape;
  const outH = outputSize(padding, inH, filterH, strideH, 1);
  const outW = outputSize(padding, inW, filterW, strideW, 1);
  if (outH <= 0 || outW <= 0) t.fail(`window ${filterH}x${filterW} does not fit input ${inH}x${inW} with VALID padding`);
  t.expectShape(output, [batches, outH, outW, channels], 'output');
  const iq = input.quantization!;
  const oq = output.quantization!;
  if (Math.abs(iq.scale[0] - oq.scale[0]) > 1e-6 || iq.zeroPoint[0] !== oq.zeroPoint[0]) {
    t.fail(`input and output quantization differ (scale ${iq.scale[0]}/${oq.scale[0]}, zero point ${iq.zeroPoint[0]}/${oq.zeroPoint[0]}); TFLite requires them equal`);
  }
  const [actMin, actMax] = fusedActivationRange(t, activation, output);
  return [{
    kernel,
    macs: batches * outH * outW * channels * filterH * filterW,
    args: {
      input: tensorArg(input.index), output: tensorArg(output.index), batches, inH, inW, channels, outH, outW,
      filterH, filterW, strideH, strideW,
      padH: paddingBefore(strideH, 1, inH, filterH, outH), padW: paddingBefore(strideW, 1, inW, filterW, outW),
      actMin, actMax,
    },
  }];
}

export const averagePool2d: OpDef = {
  name: 'AVERAGE_POOL_2D',
  summary: 'int8, SAME/VALID, strides, fused activation',
  prepare: (t) => preparePool(t, 'average_pool_2d'),
};

export const maxPool2d: OpDef = {
  name: 'MAX_POOL_2D',
  summary: 'int8, SAME/VALID, strides, fused activation',
  prepare: (t) => preparePool(t, 'max_pool_2d'),
};
