import { type OpTensors } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { DepthwiseConv2DOptionsField as F } from '../tflite/schema.js';
import { biasArg, centreBias, expectInt8Activation, fusedActivationRange, perChannelRequant } from './common.js';
import { type KernelCall, type OpDef, romInt32, tensorArg } from './types.js';
import { alignUp } from '../plan/arena.js';
import { readWindowOptions, windowGeometry } from './window.js';

/** The pair-interleaved filter layout of host/abi/blocks.ts depthwise_conv_2d. */
export function packDepthwise(filter: Uint8Array, taps: number, channels: number) {
  const channelsPad = Math.ceil(channels / 8) * 8;
  const pairs = Math.ceil(taps / 2);
  const packed = new Uint8Array(pairs * channelsPad * 2);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < channels; c++) packed[((t >> 1) * channelsPad + c) * 2 + (t & 1)] = filter[t * channels + c];
  }
  return { packed, channelsPad, pairs };
}

/** bias[c] + inputOffset * sum over taps of filter[t][c], wrapping int32, padded to channelsPad. */
export function foldDepthwiseBias(filter: Uint8Array, bias: Uint8Array | null, taps: number, channels: number, channelsPad: number, inputOffset: number) {
  const w = new Int8Array(filter.buffer, filter.byteOffset, taps * channels);
  const b = bias ? new DataView(bias.buffer, bias.byteOffset, bias.byteLength) : null;
  const folded = new Int32Array(channelsPad);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += w[t * channels + c];
    folded[c] = ((b ? b.getInt32(4 * c, true) : 0) + Math.imul(inputOffset, sum)) | 0;
  }
  return folded;
}

export const depthwiseConv2d: OpDef = {
  name: 'DEPTHWISE_CONV_2D',
  summary: 'int8, any depth multiplier, per-channel or per-tensor weights, SAME/VALID, strides, dilation, fused activation',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 3], 1);
    const input = t.input(0);
    const filter = t.input(1);
    const bias = t.optionalInput(2);
    const output = t.output(0);
    const o = readWindowOptions(t, F);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    t.expectType(filter, TensorType.INT8, 'filter');
    t.expectRank(filter, 4, 'filter');
    const filterData = t.expectConstant(filter, 'filter');
    const [one, filterH, filterW, outC] = filter.shape;
    if (one !== 1) t.fail(`filter shape [${filter.shape}] must be [1, h, w, channels]`);
    const { batches, inH, inW, inC, outH, outW, padH, padW } = windowGeometry(t, input, filterH, filterW, o);
    // TFLite derives the multiplier from the shapes; the option is advisory (often 0 in old files).
    if (inC <= 0 || outC % inC !== 0) t.fail(`filter channels ${outC} are not a multiple of input channels ${inC}`);
    const depthMultiplier = outC / inC;
    t.expectShape(output, [batches, outH, outW, outC], 'output');
    const [actMin, actMax] = fusedActivationRange(t, o.activation, output);
    // Depth multipliers above 1 run the scalar twin, which reads no records: nothing to prove.
    const stage = depthMultiplier === 1 ? { outputOffset: output.quantization!.zeroPoint[0], actMin, actMax } : null;
    const rq = perChannelRequant(t, input, filter, bias, output, outC, 3, true, stage);
    const packed = packDepthwise(filterData, filterH * filterW, outC);
    const biasRom = biasArg(t, bias, outC);
    const inputOffset = -input.quantization!.zeroPoint[0];
    const foldedBias = depthMultiplier === 1
      ? romInt32(centreBias(foldDepthwiseBias(filterData, biasRom?.rom ?? null, filterH * filterW, outC, packed.channelsPad, inputOffset), rq.centres), 'folded bias')
      : null;
    return [{
      kernel: 'depthwise_conv_2d',
      macs: batches * outH * outW * outC * filterH * filterW,
      scalar: depthMultiplier !== 1 || !rq.table,
      args: {
        input: tensorArg(input.index), filter: { rom: packed.packed, label: 'filter' }, bias: biasRom, foldedBias,
        channelsPad: packed.channelsPad,
        scratch: { scratch: alignUp(packed.channelsPad + 16) + 16 * packed.pairs },
        output: tensorArg(output.index), multipliers: rq.multipliers, shifts: rq.shifts, requant: rq.table,
        batches, inH, inW, inC, outH, outW, outC, filterH, filterW, depthMultiplier,
        strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW,
        padH, padW,
        inputOffset, outputOffset: output.quantization!.zeroPoint[0], actMin, actMax,
      },
    }];
  },
};
