import { type OpTensors, tensorLabel } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { Conv2DOptionsField as F } from '../tflite/schema.js';
import { biasArg, expectInt8Activation, foldBias, fusedActivationRange, packRows, perChannelRequant } from './common.js';
import { outputSize, paddingBefore } from './quant.js';
import { type KernelCall, type OpDef, romInt32, tensorArg } from './types.js';

export interface WindowOptions {
  padding: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: number;
}

export function checkWindow(t: OpTensors, o: WindowOptions): void {
  if (o.padding !== 0 && o.padding !== 1) t.fail(`padding ${o.padding} is not SAME (0) or VALID (1)`);
  for (const [name, v] of [['stride_h', o.strideH], ['stride_w', o.strideW], ['dilation_h', o.dilationH], ['dilation_w', o.dilationW]] as const) {
    if (!(v >= 1 && v <= 65536)) t.fail(`${name} is ${v}, expected 1..65536`);
  }
}

export const conv2d: OpDef = {
  name: 'CONV_2D',
  summary: 'int8, per-channel or per-tensor weights, groups, SAME/VALID, strides, dilation, fused activation',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 3], 1);
    const input = t.input(0);
    const filter = t.input(1);
    const bias = t.optionalInput(2);
    const output = t.output(0);
    const opts = t.op.options;
    const o: WindowOptions = {
      padding: opts?.int8(F.padding, 0) ?? 0,
      strideW: opts?.int32(F.strideW, 0) ?? 0,
      strideH: opts?.int32(F.strideH, 0) ?? 0,
      dilationW: opts?.int32(F.dilationWFactor, 1) ?? 1,
      dilationH: opts?.int32(F.dilationHFactor, 1) ?? 1,
      activation: opts?.int8(F.fusedActivationFunction, 0) ?? 0,
    };
    checkWindow(t, o);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    t.expectType(filter, TensorType.INT8, 'filter');
    t.expectRank(input, 4, 'input');
    t.expectRank(filter, 4, 'filter');
    const filterData = t.expectConstant(filter, 'filter');
    const [batches, inH, inW, inC] = input.shape;
    const [outC, filterH, filterW, filterInC] = filter.shape;
    if (filterInC <= 0 || inC % filterInC !== 0) t.fail(`input depth ${inC} is not a multiple of filter depth ${filterInC} (${tensorLabel(filter)})`);
    if (outC % (inC / filterInC) !== 0) t.fail(`output channels ${outC} not divisible by groups ${inC / filterInC}`);
    const outH = outputSize(o.padding, inH, filterH, o.strideH, o.dilationH);
    const outW = outputSize(o.padding, inW, filterW, o.strideW, o.dilationW);
    if (outH <= 0 || outW <= 0) t.fail(`filter ${filterH}x${filterW} (dilation ${o.dilationH}x${o.dilationW}) does not fit input ${inH}x${inW} with VALID padding`);
    t.expectShape(output, [batches, outH, outW, outC], 'output');
    const rq = perChannelRequant(t, input, filter, output, outC, 0);
    const [actMin, actMax] = fusedActivationRange(t, o.activation, output);
    const inputOffset = -input.quantization!.zeroPoint[0];
    const biasRom = biasArg(t, bias, outC);
    const k = filterH * filterW * filterInC;
    const rows = packRows(filterData, outC, k);
    const pointwise = filterH === 1 && filterW === 1;
    return [{
      kernel: 'conv_2d',
      macs: batches * outH * outW * outC * k,
      args: {
        input: tensorArg(input.index), filter: { rom: rows.packed, label: 'filter' }, bias: biasRom,
        output: tensorArg(output.index), multipliers: rq.multipliers, shifts: rq.shifts, requant: rq.table,
        foldedBias: romInt32(foldBias(biasRom?.rom ?? null, rows.rowSums, outC, inputOffset), 'folded bias'),
        scratch: { scratch: pointwise ? 0 : 2 * rows.kPad + 16 },
        batches, inH, inW, inC, outH, outW, outC, filterH, filterW, filterInC, kPad: rows.kPad,
        strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW,
        padH: paddingBefore(o.strideH, o.dilationH, inH, filterH, outH),
        padW: paddingBefore(o.strideW, o.dilationW, inW, filterW, outW),
        inputOffset, outputOffset: output.quantization!.zeroPoint[0], actMin, actMax,
      },
    }];
  },
};
