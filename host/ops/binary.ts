import { MAX_BROADCAST_RANK } from '../abi/blocks.js';
import { elementCount, type OpTensors, scaleOf, zeroPointOf } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { AddOptionsField } from '../tflite/schema.js';
import { activationBytes, expectQuantizedActivation, fusedActivationRange } from './common.js';
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

/** The binary block's layout code (host/abi/blocks.ts) from element counts. */
function binaryLayout(n1: number, n2: number, out: number): number {
  if (n1 === out && n2 === out) return 1;
  if (n2 === 1) return 2;
  if (n1 === 1) return 3;
  return 0;
}

const OPERATION = { ADD: 0, SUB: 1, SQUARED_DIFFERENCE: 2, MUL: 3, MAXIMUM: 4, MINIMUM: 5, PRELU: 6 } as const;
type Operation = keyof typeof OPERATION;

/** QuantizeMultiplierSmallerThanOneExp: TFLite aborts on a multiplier >= 1; edgerun reports it. */
function smallerThanOne(t: OpTensors, real: number, what: string) {
  const q = quantizeMultiplier(real);
  if (q.shift > 0) t.fail(`${what} rescale multiplier ${real} is >= 1 (TFLite rejects these scales)`);
  return q;
}

/** Requantization parameters of each operation, as TFLite's Prepare computes them. */
function arithmetic(t: OpTensors, operation: Operation, in1: Tensor, in2: Tensor, output: Tensor) {
  const [s1, s2, so] = [scaleOf(in1), scaleOf(in2), scaleOf(output)];
  const none = { multiplier: 0, shift: 0 };
  if (operation === 'ADD' || operation === 'SUB' || operation === 'SQUARED_DIFFERENCE') {
    // add.cc / sub.cc: left shift 20 (int8) or 15 (int16, general scales); squared_difference.cc: 7.
    // 2 * max(s1, s2) is exact in float.
    const leftShift = operation === 'SQUARED_DIFFERENCE' ? 7 : output.type === TensorType.INT16 ? 15 : 20;
    const twiceMax = 2 * Math.max(s1, s2);
    const out = operation === 'SQUARED_DIFFERENCE'
      ? (twiceMax * twiceMax) / Math.fround((1 << (2 * leftShift)) * so)
      : twiceMax / Math.fround((1 << leftShift) * so);
    return {
      leftShift, m1: smallerThanOne(t, s1 / twiceMax, 'input 1'), m2: smallerThanOne(t, s2 / twiceMax, 'input 2'),
      mo: smallerThanOne(t, out, 'output'),
    };
  }
  if (operation === 'PRELU') {
    // activations.cc PreluPrepare: input / output and input * alpha / output, in float.
    return { leftShift: 0, m1: quantizeMultiplier(Math.fround(s1 / so)), m2: quantizeMultiplier(Math.fround(Math.fround(s1 * s2) / so)), mo: none };
  }
  if (operation === 'MUL') {
    // mul.cc: input1 scale * input2 scale / output scale, in float.
    return { leftShift: 0, m1: none, m2: none, mo: quantizeMultiplier(Math.fround(Math.fround(s1 * s2) / so)) };
  }
  return { leftShift: 0, m1: none, m2: none, mo: none };
}

/**
 * add.cc runs int16 ADD on its power-of-two path (gemmlowp shifts, not implemented here) when
 * pot_scale_int16 is set and every scale is a power of two; the 16x8 converter writes
 * pot_scale_int16 = false, which takes the general path.
 */
function expectGeneralScaleInt16(t: OpTensors, tensors: Tensor[]) {
  const potFlag = t.op.options?.bool(AddOptionsField.potScaleInt16, true) ?? true;
  // CheckedLog2: a scale counts as a power of two when log2 is within 1e-3 of an integer.
  const isPot = (s: number) => Math.abs(Math.log2(s) - Math.round(Math.log2(s))) < 1e-3;
  if (potFlag && tensors.every((x) => isPot(scaleOf(x)))) {
    t.fail('int16 ADD with power-of-two scales and pot_scale_int16 set takes TFLite\'s power-of-two path, which edgerun does not implement yet');
  }
}

function binaryOp(name: Operation, summary: string, activationField: number | null): OpDef {
  return {
    name,
    summary,
    prepare(t: OpTensors): KernelCall[] {
      t.expectCounts([2, 2], 1);
      const in1 = t.input(0);
      const in2 = t.input(1);
      const output = t.output(0);
      const types = name === 'ADD' ? [TensorType.INT8, TensorType.INT16] : [TensorType.INT8];
      expectQuantizedActivation(t, in1, 'input 1', types);
      expectQuantizedActivation(t, in2, 'input 2', types);
      expectQuantizedActivation(t, output, 'output', types);
      if (in1.type !== output.type || in2.type !== output.type) t.fail('inputs and output must all be int8 or all be int16');
      if (output.type === TensorType.INT16) expectGeneralScaleInt16(t, [in1, in2, output]);
      const bc = broadcast(t, in1.shape, in2.shape);
      t.expectShape(output, bc.shape, 'output');
      const a = arithmetic(t, name, in1, in2, output);
      const activation = activationField === null ? 0 : t.op.options?.int8(activationField, 0) ?? 0;
      const [actMin, actMax] = fusedActivationRange(t, activation, output);
      return [{
        kernel: 'binary',
        macs: 0,
        args: {
          input1: tensorArg(in1.index), input2: tensorArg(in2.index), output: tensorArg(output.index),
          operation: OPERATION[name],
          layout: binaryLayout(elementCount(in1.shape), elementCount(in2.shape), elementCount(output.shape)),
          count: elementCount(output.shape),
          outDims: bc.outDims, strides1: bc.strides1, strides2: bc.strides2,
          input1Offset: -zeroPointOf(in1), input2Offset: -zeroPointOf(in2), outputOffset: zeroPointOf(output), leftShift: a.leftShift,
          input1Multiplier: a.m1.multiplier, input1Shift: a.m1.shift, input2Multiplier: a.m2.multiplier, input2Shift: a.m2.shift,
          outputMultiplier: a.mo.multiplier, outputShift: a.mo.shift, actMin, actMax, elementBytes: activationBytes(output),
        },
      }];
    },
    inPlaceInputs(t: OpTensors) {
      return [t.input(0), t.input(1)].filter((i) => elementCount(i.shape) === elementCount(t.output(0).shape)).map((i) => i.index);
    },
  };
}

// AddOptions, SubOptions and MulOptions all hold fused_activation_function at field 0.
export const add = binaryOp('ADD', 'int8, and int16 (16x8 mode); broadcasting up to rank 6, fused activation', AddOptionsField.fusedActivationFunction);
export const sub = binaryOp('SUB', 'int8, broadcasting up to rank 6, fused activation', AddOptionsField.fusedActivationFunction);
export const mul = binaryOp('MUL', 'int8, broadcasting up to rank 6, fused activation', AddOptionsField.fusedActivationFunction);
export const squaredDifference = binaryOp('SQUARED_DIFFERENCE', 'int8, broadcasting up to rank 6', null);
export const maximum = binaryOp('MAXIMUM', 'int8 (raw values, as TFLite), broadcasting up to rank 6', null);
export const minimum = binaryOp('MINIMUM', 'int8 (raw values, as TFLite), broadcasting up to rank 6', null);
export const prelu = binaryOp('PRELU', 'int8, alpha broadcast', null);
