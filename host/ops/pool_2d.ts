/** AVERAGE_POOL_2D and MAX_POOL_2D share options, shapes and a param-block layout. */
import { type OpTensors } from '../graph/tensors.js';
import { Pool2DOptionsField as F } from '../tflite/schema.js';
import { expectInt8Activation, fusedActivationRange } from './common.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';
import { readWindowOptions, windowGeometry } from './window.js';

function preparePool(t: OpTensors, kernel: 'average_pool_2d' | 'max_pool_2d'): KernelCall[] {
  t.expectCounts([1, 1], 1);
  const input = t.input(0);
  const output = t.output(0);
  const o = readWindowOptions(t, F);
  const filterW = t.op.options?.int32(F.filterWidth, 0) ?? 0;
  const filterH = t.op.options?.int32(F.filterHeight, 0) ?? 0;
  expectInt8Activation(t, input, 'input');
  expectInt8Activation(t, output, 'output');
  const { batches, inH, inW, inC: channels, outH, outW, padH, padW } = windowGeometry(t, input, filterH, filterW, o);
  t.expectShape(output, [batches, outH, outW, channels], 'output');
  const iq = input.quantization!;
  const oq = output.quantization!;
  if (Math.abs(iq.scale[0] - oq.scale[0]) > 1e-6 || iq.zeroPoint[0] !== oq.zeroPoint[0]) {
    t.fail(`input and output quantization differ (scale ${iq.scale[0]}/${oq.scale[0]}, zero point ${iq.zeroPoint[0]}/${oq.zeroPoint[0]}); TFLite requires them equal`);
  }
  const [actMin, actMax] = fusedActivationRange(t, o.activation, output);
  return [{
    kernel,
    macs: batches * outH * outW * channels * filterH * filterW,
    args: {
      input: tensorArg(input.index), output: tensorArg(output.index), batches, inH, inW, channels, outH, outW,
      filterH, filterW, strideH: o.strideH, strideW: o.strideW, padH, padW, actMin, actMax,
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
