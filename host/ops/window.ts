/** Sliding-window geometry shared by CONV_2D, DEPTHWISE_CONV_2D and the 2-D pools (padding.h). */
import type { OpTensors } from '../graph/tensors.js';
import type { Tensor } from '../tflite/model.js';
import { outputSize, paddingBefore } from './quant.js';

export interface WindowOptions {
  padding: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: number;
}

/** Field indices of the window options in a builtin options table (schema.ts *OptionsField). */
export interface WindowFields {
  padding: number;
  strideW: number;
  strideH: number;
  fusedActivationFunction: number;
  dilationWFactor?: number;
  dilationHFactor?: number;
}

export function readWindowOptions(t: OpTensors, f: WindowFields): WindowOptions {
  const opts = t.op.options;
  const o: WindowOptions = {
    padding: opts?.int8(f.padding, 0) ?? 0,
    strideW: opts?.int32(f.strideW, 0) ?? 0,
    strideH: opts?.int32(f.strideH, 0) ?? 0,
    dilationW: f.dilationWFactor === undefined ? 1 : opts?.int32(f.dilationWFactor, 1) ?? 1,
    dilationH: f.dilationHFactor === undefined ? 1 : opts?.int32(f.dilationHFactor, 1) ?? 1,
    activation: opts?.int8(f.fusedActivationFunction, 0) ?? 0,
  };
  if (o.padding !== 0 && o.padding !== 1) t.fail(`padding ${o.padding} is not SAME (0) or VALID (1)`);
  for (const [name, v] of [['stride_h', o.strideH], ['stride_w', o.strideW], ['dilation_h', o.dilationH], ['dilation_w', o.dilationW]] as const) {
    if (!(v >= 1 && v <= 65536)) t.fail(`${name} is ${v}, expected 1..65536`);
  }
  return o;
}

/** Input dims, output size and leading padding of a window over an NHWC input. */
export function windowGeometry(t: OpTensors, input: Tensor, filterH: number, filterW: number, o: WindowOptions) {
  t.expectRank(input, 4, 'input');
  if (!(filterH >= 1 && filterW >= 1 && filterH <= 65536 && filterW <= 65536)) t.fail(`window ${filterH}x${filterW} is not valid`);
  const [batches, inH, inW, inC] = input.shape;
  const outH = outputSize(o.padding, inH, filterH, o.strideH, o.dilationH);
  const outW = outputSize(o.padding, inW, filterW, o.strideW, o.dilationW);
  if (outH <= 0 || outW <= 0) {
    t.fail(`window ${filterH}x${filterW} (dilation ${o.dilationH}x${o.dilationW}) does not fit input ${inH}x${inW} with VALID padding`);
  }
  return {
    batches, inH, inW, inC, outH, outW,
    padH: paddingBefore(o.strideH, o.dilationH, inH, filterH, outH),
    padW: paddingBefore(o.strideW, o.dilationW, inW, filterW, outW),
  };
}
