/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM as the converter emits it for full-integer models (8x8_16: int8
 * input, output and weights, int16 cell state), with TFLite's Prepare arithmetic
 * (unidirectional_sequence_lstm.cc PopulateQuantizedLstmParams8x8_16 and
 * PopulatePrecomputedZPTimesWeightsWithBias). Covers CIFG, peephole, projection and layer norm; the state
 * tensors are variable tensors that persist across invocations until reset().
 */
import { type OpTensors, scaleOf, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { expectInt8Activation } from './common.js';
import { Activation, quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, romInt32, tensorArg } from './types.js';

/** UnidirectionalSequenceLSTMOptions fields. */
const OPTION = { fusedActivationFunction: 0, cellClip: 1, projClip: 2, timeMajor: 3, diagonalRecurrentTensors: 5 } as const;

/** Operator input slots. */
const SLOT = {
  input: 0, inputWeights: [1, 2, 3, 4], recurrentWeights: [5, 6, 7, 8], peephole: [9, 10, 11], bias: [12, 13, 14, 15],
  projection: 16, projectionBias: 17, outputState: 18, cellState: 19, layerNorm: [20, 21, 22, 23],
} as const;

const f32 = Math.fround;
/** Q3.12: the gates' scale before their activation (and, without layer norm, the matrix products'). */
const GATE_SCALE = 2 ** -12;

function perTensorScale(t: OpTensors, tensor: Tensor, role: string): number {
  t.expectQuantized(tensor, role);
  const q = tensor.quantization!;
  if (q.scale.length !== 1) t.fail(`${role} ${tensorLabel(tensor)} has ${q.scale.length} scales; LSTM weights are per-tensor`);
  const scale = q.scale[0];
  if (!(scale > 0) || !Number.isFinite(scale)) t.fail(`${role} ${tensorLabel(tensor)} has scale ${scale}, expected > 0`);
  return scale;
}

function int8Matrix(t: OpTensors, tensor: Tensor, role: string, rows: number, cols: number): Int8Array {
  t.expectType(tensor, TensorType.INT8, role);
  t.expectShape(tensor, [rows, cols], role);
  const data = t.expectConstant(tensor, role);
  return new Int8Array(data.buffer, data.byteOffset, rows * cols);
}

function int32Vector(t: OpTensors, tensor: Tensor | null, role: string, n: number): Int32Array {
  if (!tensor) return new Int32Array(n);
  t.expectType(tensor, TensorType.INT32, role);
  t.expectShape(tensor, [n], role);
  const data = t.expectConstant(tensor, role);
  return new Int32Array(data.slice().buffer);
}

/** bias + zeroPoint * rowSum(weights), in wrapping int32 (MatrixScalarMultiplyAccumulate). */
function effectiveBias(weights: Int8Array, rows: number, cols: number, bias: Int32Array, zeroPoint: number): Int32Array {
  const out = Int32Array.from(bias);
  for (let r = 0; r < rows; r++) {
    let rowSum = 0;
    for (let c = 0; c < cols; c++) rowSum += weights[r * cols + c];
    out[r] = (out[r] + Math.imul(rowSum, zeroPoint)) | 0;
  }
  return out;
}

/** CheckedLog2: the exponent when x is within 1e-3 (in log2) of a power of two. */
function checkedLog2(x: number): number | null {
  const log2 = f32(Math.log(x) * f32(1 / Math.log(2)));
  const rounded = Math.round(log2);
  return Math.abs(log2 - rounded) < 1e-3 ? rounded : null;
}

export const unidirectionalSequenceLstm: OpDef = {
  name: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  summary: 'full-integer 8x8_16 (int8 in/out, int16 cell state): CIFG, peephole, projection, layer norm, clipping, time-major; state kept across invocations until reset()',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([24, 24], 1);
    const opts = t.op.options;
    if (opts?.bool(OPTION.diagonalRecurrentTensors, false)) t.fail('diagonal recurrent weights are not supported');
    const activation = opts?.int8(OPTION.fusedActivationFunction, 0) ?? 0;
    if (activation !== Activation.TANH) t.fail('the integer LSTM needs activation TANH');
    const timeMajor = opts?.bool(OPTION.timeMajor, false) ?? false;

    const input = t.input(SLOT.input);
    const output = t.output(0);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    if (input.shape.length !== 2 && input.shape.length !== 3) t.fail(`input ${tensorLabel(input)} has rank ${input.shape.length}, expected 2 or 3`);
    const rank3 = input.shape.length === 3;
    const time = rank3 ? input.shape[timeMajor ? 0 : 1] : 1;
    const batches = rank3 ? input.shape[timeMajor ? 1 : 0] : input.shape[0];
    const nInput = input.shape.at(-1)!;

    const useCifg = !t.optionalInput(SLOT.inputWeights[0]);
    if (useCifg !== !t.optionalInput(SLOT.recurrentWeights[0]) || useCifg !== !t.optionalInput(SLOT.bias[0])) {
      t.fail('input-gate weights and bias must be all present or all absent (CIFG)');
    }
    const toOutput = t.input(SLOT.inputWeights[3]);
    const recurrentToOutput = t.input(SLOT.recurrentWeights[3]);
    if (toOutput.shape.length !== 2 || recurrentToOutput.shape.length !== 2) t.fail('LSTM weights must be matrices');
    const nCell = toOutput.shape[0];
    const nOutput = recurrentToOutput.shape[1];
    if (nCell <= 0 || nOutput <= 0 || nInput <= 0 || time <= 0 || batches <= 0) t.fail('LSTM dimensions must be positive');

    const outputState = t.input(SLOT.outputState);
    const cellState = t.input(SLOT.cellState);
    for (const [s, role] of [[outputState, 'output state'], [cellState, 'cell state']] as const) {
      if (!s.isVariable) t.fail(`${role} ${tensorLabel(s)} must be a variable tensor`);
    }
    expectInt8Activation(t, outputState, 'output state');
    t.expectShape(outputState, [batches, nOutput], 'output state');
    t.expectType(cellState, TensorType.INT16, 'cell state');
    t.expectShape(cellState, [batches, nCell], 'cell state');
    const cellScale = checkedLog2(perTensorScale(t, cellState, 'cell state'));
    if (cellScale === null || cellScale > -9 || cellScale < -15) {
      t.fail(`cell state ${tensorLabel(cellState)} scale must be a power of two from 2^-15 to 2^-9`);
    }
    t.expectShape(output, rank3 ? [...input.shape.slice(0, 2), nOutput] : [batches, nOutput], 'output');

    if (t.op.intermediates.length !== 5) t.fail(`has ${t.op.intermediates.length} intermediate tensors, expected 5`);
    // Layer norm (decided by the forget gate's coefficients, as TFLite does): each gate's sum is
    // normalized, scaled by int16 coefficients and offset by the gate bias.
    const useLayerNorm = t.optionalInput(SLOT.layerNorm[1]) !== null;
    const gateScales = [0, 1, 2, 3].map((g) =>
      useLayerNorm ? f32(perTensorScale(t, t.model.tensors[t.op.intermediates[g]], `gate ${g} intermediate`)) : GATE_SCALE);
    const hidden = t.model.tensors[t.op.intermediates[4]];
    const hiddenScale = perTensorScale(t, hidden, 'hidden intermediate');
    const hiddenZeroPoint = zeroPointOf(hidden);

    // Gates in order input, forget, cell, output; weights concatenated (the CIFG input gate stays zero).
    const inScale = scaleOf(input);
    const stateScale = scaleOf(outputState);
    for (let g = useCifg ? 1 : 0; g < 4; g++) {
      t.expectShape(t.input(SLOT.inputWeights[g]), [nCell, nInput], 'input weights');
      t.expectShape(t.input(SLOT.recurrentWeights[g]), [nCell, nOutput], 'recurrent weights');
    }
    const inputWeights = new Int8Array(4 * nCell * nInput);
    const recurrentWeights = new Int8Array(4 * nCell * nOutput);
    const inputBias = new Int32Array(4 * nCell);
    const recurrentBias = new Int32Array(4 * nCell);
    const layerNorm = useLayerNorm ? new Int16Array(4 * nCell) : null;
    const layerNormBias = useLayerNorm ? new Int32Array(4 * nCell) : null;
    const layerNormRequant = { multipliers: [0, 0, 0, 0], shifts: [0, 0, 0, 0], guards: [0, 0, 0, 0] };
    const inputRequant = { multipliers: [0, 0, 0, 0], shifts: [0, 0, 0, 0] };
    const recurrentRequant = { multipliers: [0, 0, 0, 0], shifts: [0, 0, 0, 0] };
    for (let g = useCifg ? 1 : 0; g < 4; g++) {
      const names = ['input', 'forget', 'cell', 'output'];
      const wi = t.input(SLOT.inputWeights[g]);
      const wr = t.input(SLOT.recurrentWeights[g]);
      const wiData = int8Matrix(t, wi, `input-to-${names[g]} weights`, nCell, nInput);
      const wrData = int8Matrix(t, wr, `recurrent-to-${names[g]} weights`, nCell, nOutput);
      inputWeights.set(wiData, g * nCell * nInput);
      recurrentWeights.set(wrData, g * nCell * nOutput);
      const bias = int32Vector(t, t.input(SLOT.bias[g]), `${names[g]} gate bias`, nCell);
      // With layer norm the gate bias is added after normalizing, not to the matrix products.
      inputBias.set(effectiveBias(wiData, nCell, nInput, useLayerNorm ? new Int32Array(nCell) : bias, -zeroPointOf(input)), g * nCell);
      if (layerNorm && layerNormBias) {
        const coefficients = t.input(SLOT.layerNorm[g]);
        t.expectType(coefficients, TensorType.INT16, `${names[g]} layer-norm coefficients`);
        t.expectShape(coefficients, [nCell], `${names[g]} layer-norm coefficients`);
        layerNorm.set(new Int16Array(t.expectConstant(coefficients, 'layer-norm coefficients').slice().buffer), g * nCell);
        layerNormBias.set(bias, g * nCell);
        const scale = f32(perTensorScale(t, coefficients, `${names[g]} layer-norm coefficients`));
        const q = quantizeMultiplier(scale);
        // std::max(1, static_cast<int32_t>(10000 * scale)), in float.
        [layerNormRequant.multipliers[g], layerNormRequant.shifts[g], layerNormRequant.guards[g]] = [q.multiplier, q.shift, Math.max(1, Math.trunc(f32(10000 * scale)))];
      }
      recurrentBias.set(effectiveBias(wrData, nCell, nOutput, new Int32Array(nCell), -zeroPointOf(outputState)), g * nCell);
      // float arithmetic, as the C++ computes these scales in float.
      const qi = quantizeMultiplier(f32(f32(perTensorScale(t, wi, `input-to-${names[g]} weights`) * inScale) / gateScales[g]));
      const qr = quantizeMultiplier(f32(f32(perTensorScale(t, wr, `recurrent-to-${names[g]} weights`) * stateScale) / gateScales[g]));
      [inputRequant.multipliers[g], inputRequant.shifts[g]] = [qi.multiplier, qi.shift];
      [recurrentRequant.multipliers[g], recurrentRequant.shifts[g]] = [qr.multiplier, qr.shift];
    }

    // Peephole (diagonal int16 weights) for the input, forget and output gates.
    const peepholeRequant = { multipliers: [0, 0, 0, 0], shifts: [0, 0, 0, 0] };
    let peephole: Uint8Array | null = null;
    if (t.optionalInput(SLOT.peephole[2])) {
      const weights = new Int16Array(3 * nCell);
      ([[0, 0], [1, 1], [2, 3]] as const).forEach(([slot, g]) => {
        const w = t.optionalInput(SLOT.peephole[slot]);
        if (!w) {
          if (g === 0 && useCifg) return;
          t.fail(`peephole weights ${slot} are missing`);
        }
        t.expectType(w, TensorType.INT16, 'peephole weights');
        t.expectShape(w, [nCell], 'peephole weights');
        const data = t.expectConstant(w, 'peephole weights');
        weights.set(new Int16Array(data.slice().buffer), slot * nCell);
        const q = quantizeMultiplier(f32((2 ** cellScale * perTensorScale(t, w, 'peephole weights')) / gateScales[g]));
        [peepholeRequant.multipliers[g], peepholeRequant.shifts[g]] = [q.multiplier, q.shift];
      });
      peephole = new Uint8Array(weights.buffer);
      if (nOutput > nCell && timeMajor && batches > 1) {
        // lstm_eval.cc passes n_output as the peephole vector size: here it would read past the weights.
        t.fail(`peephole with projection to ${nOutput} > ${nCell} cells on a time-major batch of ${batches} is undefined in TFLite`);
      }
    } else if (t.optionalInput(SLOT.peephole[0]) || t.optionalInput(SLOT.peephole[1])) {
      t.fail('peephole weights must be all present or all absent');
    }

    // Projection: hidden (int8, Q(hiddenScale)) -> output state.
    const projectionWeights = t.optionalInput(SLOT.projection);
    let projection: Uint8Array | null = null;
    let projectionBias: Int32Array | null = null;
    let projectionRequant = { multiplier: 0, shift: 0 };
    if (projectionWeights) {
      const w = int8Matrix(t, projectionWeights, 'projection weights', nOutput, nCell);
      projection = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
      projectionBias = effectiveBias(w, nOutput, nCell, int32Vector(t, t.optionalInput(SLOT.projectionBias), 'projection bias', nOutput), -hiddenZeroPoint);
      projectionRequant = quantizeMultiplier(f32(f32(perTensorScale(t, projectionWeights, 'projection weights') * f32(hiddenScale)) / stateScale));
    } else if (nOutput !== nCell) {
      t.fail(`output size ${nOutput} differs from cell count ${nCell} without projection weights`);
    }

    const hiddenRequant = quantizeMultiplier(f32((2 ** -15 / f32(hiddenScale)) * 2 ** -15));
    // static_cast<int16_t / int8_t>(clamp(clip / scale)) in float.
    const cellClip = Math.trunc(Math.min(Math.max(f32(f32(opts?.float32(OPTION.cellClip, 0) ?? 0) / f32(scaleOf(cellState))), -32768), 32767));
    const projClip = Math.trunc(Math.min(Math.max(f32(f32(opts?.float32(OPTION.projClip, 0) ?? 0) / f32(stateScale)), -128), 127));
    const stepBatch = timeMajor ? batches : 1;
    const macs = time * batches * nCell * (4 * (nInput + nOutput) + (projection ? nOutput : 0));
    return [{
      kernel: 'lstm_8x8_16',
      macs,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index),
        outputState: tensorArg(outputState.index), cellState: tensorArg(cellState.index),
        inputWeights: { rom: new Uint8Array(inputWeights.buffer), label: 'filter' },
        recurrentWeights: { rom: new Uint8Array(recurrentWeights.buffer), label: 'filter' },
        inputBias: romInt32(inputBias, 'LSTM effective biases'), recurrentBias: romInt32(recurrentBias, 'LSTM effective biases'),
        peephole: peephole && { rom: peephole, label: 'filter' },
        projection: projection && { rom: projection, label: 'filter' },
        projectionBias: projectionBias && romInt32(projectionBias, 'LSTM effective biases'),
        layerNorm: layerNorm && { rom: new Uint8Array(layerNorm.buffer), label: 'filter' },
        layerNormBias: layerNormBias && romInt32(layerNormBias, 'bias'),
        layerNormMultipliers: layerNormRequant.multipliers, layerNormShifts: layerNormRequant.shifts, varianceGuards: layerNormRequant.guards,
        scratch: { scratch: stepBatch * nCell * 9 },
        inputMultipliers: inputRequant.multipliers, inputShifts: inputRequant.shifts,
        recurrentMultipliers: recurrentRequant.multipliers, recurrentShifts: recurrentRequant.shifts,
        peepholeMultipliers: peepholeRequant.multipliers, peepholeShifts: peepholeRequant.shifts,
        hiddenMultiplier: hiddenRequant.multiplier, hiddenShift: hiddenRequant.shift, hiddenZeroPoint,
        projectionMultiplier: projectionRequant.multiplier, projectionShift: projectionRequant.shift,
        outputStateZeroPoint: zeroPointOf(outputState), cellClip: cellClip > 0 ? cellClip : 0, projectionClip: projClip > 0 ? projClip : 0,
        cellScale, useCifg: useCifg ? 1 : 0, batches, time, nInput, nCell, nOutput, timeMajor: timeMajor ? 1 : 0,
      },
    }];
  },
};
