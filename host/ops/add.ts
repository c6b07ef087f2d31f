import { MAX_BROADCAST_RANK } from '../abi/blocks.js';
import { elementCount, type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { AddOptionsField as F } from '../tflite/schema.js';
import { expectInt8Activation, fusedActivationRange } from './common.js';
import { quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

/** Broadcast shape (CalculateShapeForBroadcast) and per-input element strides padded to rank 6. */
export function broadcast(t: OpTensors, a: readonly number[], b: readonly number[]) {
  const rank = Math.max(a.length, b.length);
  if (rank > MAX_BROADCAST_RANK) t.fail(`broadcasting supports rank <= ${MAX_BROADCAST_RANK}, got ${rank}`);
  const pad = (s: readonly number[]) => [...new Array(MAX_BROADCAST_RANK - s.length).fill(1), ...s];
  const pa = pad(a);
  const pb = pad(b);
  const out = pa.map((d, i) => {
    const e = pb[i];
    if (d !== e && d !== 1 && e !== 1) t.fail(`shapes [${a}] and [${b}] cannot be broadcast`);
    return Math.max(d, e);
  });
  const strides = (s: number[]) => {
    const st = new Array<number>(MAX_BROADCAST_RANK);
    let step = 1;
    for (let i = MAX_BROADCAST_RANK - 1; i >= 0; i--) {
      st[i] = s[i] === 1 ? 0 : step;
      step *= s[i];
    }
    return st;
  };
  return { outDims: out, strides1: strides(pa), strides2: strides(pb), shape: out.slice(MAX_BROADCAST_RANK - rank) };
}

/** The add block's layout code (host/abi/blocks.ts) from element counts. */
function addLayout(n1: number, n2: number, out: number): number {
  if (n1 === out && n2 === out) return 1;
  if (n2 === 1) return 2;
  if (n1 === 1) return 3;
  return 0;
}

export const add: OpDef = {
  name: 'ADD',
  summary: 'int8, broadcasting up to rank 6, fused activation',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const in1 = t.input(0);
    const in2 = t.input(1);
    const output = t.output(0);
    const activation = t.op.options?.int8(F.fusedActivationFunction, 0) ?? 0;
    expectInt8Activation(t, in1, 'input 1');
    expectInt8Activation(t, in2, 'input 2');
    expectInt8Activation(t, output, 'output');
    const bc = broadcast(t, in1.shape, in2.shape);
    t.expectShape(output, bc.shape, 'output');
    // add.cc Prepare (int8): left_shift 20; twice_max_input_scale = 2 * max(s1, s2) in float.
    const leftShift = 20;
    const twiceMax = 2 * Math.max(scaleOf(in1), scaleOf(in2));
    const m1 = quantizeMultiplier(scaleOf(in1) / twiceMax);
    const m2 = quantizeMultiplier(scaleOf(in2) / twiceMax);
    const mo = quantizeMultiplier(twiceMax / Math.fround((1 << leftShift) * scaleOf(output)));
    for (const [q, what] of [[m1, 'input 1'], [m2, 'input 2'], [mo, 'output']] as const) {
      if (q.shift > 0) t.fail(`${what} rescale multiplier is >= 1 (scales ${scaleOf(in1)}, ${scaleOf(in2)}, ${scaleOf(output)} of ${tensorLabel(output)})`);
    }
    const [actMin, actMax] = fusedActivationRange(t, activation, output);
    return [{
      kernel: 'add',
      macs: 0,
      args: {
        input1: tensorArg(in1.index), input2: tensorArg(in2.index), output: tensorArg(output.index),
        layout: addLayout(elementCount(in1.shape), elementCount(in2.shape), elementCount(output.shape)),
        count: elementCount(output.shape),
        outDims: bc.outDims, strides1: bc.strides1, strides2: bc.strides2,
        input1Offset: -zeroPointOf(in1), input2Offset: -zeroPointOf(in2), outputOffset: zeroPointOf(output), leftShift,
        input1Multiplier: m1.multiplier, input1Shift: m1.shift, input2Multiplier: m2.multiplier, input2Shift: m2.shift,
        outputMultiplier: mo.multiplier, outputShift: mo.shift, actMin, actMax,
      },
    }];
  },
  inPlaceInputs(t: OpTensors) {
    return [t.input(0), t.input(1)].filter((i) => elementCount(i.shape) === elementCount(t.output(0).shape)).map((i) => i.index);
  },
};
