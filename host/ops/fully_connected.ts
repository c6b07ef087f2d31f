import { elementCount, type OpTensors, scaleOf, tensorLabel } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { type SparseWeights, sparseWeights } from './sparse.js';
import { FullyConnectedOptionsField as F } from '../tflite/schema.js';
import { accumulatorBounds, bias16x8Arg, biasArg, expectQuantizedActivation, expectSymmetricWeights, foldBias, fusedActivationRange, interleaveRows, packRows, perChannelRequant, requantTableArg } from './common.js';
import { quantizeMultiplier } from './quant.js';
import { type KernelCall, type OpDef, romFloat64, romInt32, tensorArg } from './types.js';

/**
 * TFLite's reference FULLY_CONNECTED (BUILTIN_REF, TF >= 2.20) requantizes in double:
 * round(double(acc) * double(in) * double(filter) / double(out)). The fixed-point path
 * (requantMode 0) is what TFLM and older TFLite use, and what TFLite's sparse FULLY_CONNECTED
 * (weights stored sparsely and fed to it directly, 1x16 blocks) does; both live in the kernel, and
 * a block carries the data of its path only (double scales, or multipliers, shifts and the SIMD
 * table). Mutable only so that tests can prepare the fixed-point path.
 */
export const FC_REQUANT = { inDouble: true };

/** The sparse_fully_connected call (also 1x1 CONV_2D): rows = output channels, depth = inputs per row. */
export function sparseCall(t: OpTensors, a: {
  input: Tensor; output: Tensor; bias: Tensor | null; rq: ReturnType<typeof perChannelRequant>; sparse: SparseWeights;
  batches: number; depth: number; rows: number; inputOffset: number; filterOffset: number; actMin: number; actMax: number;
  requantMode: number;
}): KernelCall {
  const rowsPad = Math.ceil(a.rows / 8) * 8;
  const biasRom = biasArg(t, a.bias, a.rows);
  const folded = foldBias(biasRom?.rom ?? null, a.sparse.rowSums, a.rows, a.inputOffset);
  const offsetProduct = Math.imul(Math.imul(a.depth, a.filterOffset), a.inputOffset);
  for (let r = 0; r < a.rows; r++) folded[r] = (folded[r] + offsetProduct) | 0;
  const scales = new Float64Array(rowsPad);
  scales.set(a.rq.effective);
  const pixels = a.sparse.kernel === 'sparse_conv_1x1';
  if (pixels && (a.requantMode !== 0 || a.filterOffset !== 0)) throw new Error('internal: sparse_conv_1x1 needs requantMode 0 and filterOffset 0');
  const scratch = pixels ? 32 * (Math.floor(a.depth / 16) * 16) + 192 : a.batches >= 4 && a.sparse.block !== 64 ? 16 * rowsPad : 0;
  const scalar = !pixels && a.requantMode === 0 && !a.rq.table;
  const fixedPoint = a.requantMode === 0 && (pixels || scalar || !t.simd);
  return {
    kernel: a.sparse.kernel,
    macs: a.batches * a.sparse.stored,
    scalar,
    simdOnly: a.requantMode === 0 && !fixedPoint,
    args: {
      input: tensorArg(a.input.index), output: tensorArg(a.output.index), ...a.sparse.args,
      foldedBias: romInt32(folded, 'folded bias'),
      // Only the requantization data of the mode in use (a block's pointer for the other is null).
      requant: pixels || a.requantMode !== 0 ? null : a.rq.table, scales: pixels || a.requantMode !== 1 ? null : romFloat64(scales, 'output scales'),
      // The SIMD sparse_fully_connected requantizes from the table; sparse_conv_1x1 and the scalar twin from multipliers and shifts.
      multipliers: fixedPoint ? a.rq.multipliers : null, shifts: fixedPoint ? a.rq.shifts : null, scratch: { scratch }, batches: a.batches, depth: a.depth, rows: a.rows, block: a.sparse.block,
      filterOffset: a.filterOffset, outputOffset: a.output.quantization!.zeroPoint[0], actMin: a.actMin, actMax: a.actMax,
      requantMode: a.requantMode,
    },
  };
}

export const fullyConnected: OpDef = {
  name: 'FULLY_CONNECTED',
  summary: 'int8 and int16x8, per-channel or per-tensor weights, keep_num_dims, any input rank, fused activation; pruned weights run sparse',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 3], 1);
    const input = t.input(0);
    const filter = t.input(1);
    const bias = t.optionalInput(2);
    const output = t.output(0);
    const opts = t.op.options;
    const activation = opts?.int8(F.fusedActivationFunction, 0) ?? 0;
    const weightsFormat = opts?.int8(F.weightsFormat, 0) ?? 0;
    const keepNumDims = opts?.bool(F.keepNumDims, false) ?? false;
    if (weightsFormat !== 0) t.fail(`weights_format ${weightsFormat} (shuffled) is not supported`);
    expectQuantizedActivation(t, input, 'input', [TensorType.INT8, TensorType.INT16]);
    expectQuantizedActivation(t, output, 'output', [input.type]);
    t.expectType(filter, TensorType.INT8, 'filter');
    t.expectRank(filter, 2, 'filter');
    const filterData = t.expectConstant(filter, 'filter');
    const [units, accumDepth] = filter.shape;
    const inputSize = elementCount(input.shape);
    if (accumDepth <= 0 || inputSize % accumDepth !== 0) {
      t.fail(`input ${tensorLabel(input)} of ${inputSize} elements is not a whole number of rows of ${accumDepth}`);
    }
    const batches = inputSize / accumDepth;
    if (keepNumDims && input.shape[input.shape.length - 1] !== accumDepth) {
      t.fail(`keep_num_dims needs the input's last dimension (${input.shape.at(-1)}) to equal the filter depth ${accumDepth}`);
    }
    const expected = keepNumDims ? [...input.shape.slice(0, -1), units] : [batches, units];
    t.expectShape(output, expected, 'output');

    const rq = perChannelRequant(t, input, filter, bias, output, units, 0, false, null);
    const perChannel = filter.quantization!.scale.length > 1;
    const [actMin, actMax] = fusedActivationRange(t, activation, output);
    if (input.type === TensorType.INT16) {
      expectSymmetricWeights(t, filter);
      const b = bias16x8Arg(t, bias, units);
      return [{
        kernel: 'fully_connected_16x8',
        macs: batches * units * accumDepth,
        args: {
          input: tensorArg(input.index), filter: { rom: filterData, label: 'filter' }, bias: b.bias, output: tensorArg(output.index),
          multipliers: rq.multipliers, shifts: rq.shifts, scales: romFloat64(rq.effective, 'output scales'), biasBytes: b.biasBytes,
          batches, accumDepth, outDepth: units, actMin, actMax, requantMode: FC_REQUANT.inDouble ? 1 : 0,
        },
      }];
    }
    if (!perChannel) {
      // GetQuantizedConvolutionMultipler: the product of scales is taken in float32.
      const q = quantizeMultiplier(Math.fround(scaleOf(input) * scaleOf(filter)) / scaleOf(output));
      const multipliers = new Int32Array(units).fill(q.multiplier);
      const shifts = new Int32Array(units).fill(q.shift);
      rq.multipliers = romInt32(multipliers, 'output multipliers');
      rq.shifts = romInt32(shifts, 'output shifts');
      rq.table = requantTableArg(multipliers, shifts, units, accumulatorBounds(t, filter, bias, units, 0, -rq.filterZeroPoint), false);
    }
    const inputOffset = -input.quantization!.zeroPoint[0];
    const filterOffset = perChannel ? 0 : -rq.filterZeroPoint;
    const requantMode = FC_REQUANT.inDouble && !filter.isSparse ? 1 : 0;
    const sparse = sparseWeights(filter, filterData, units, accumDepth, batches);
    if (sparse) {
      return [sparseCall(t, {
        input, output, bias, rq, sparse, batches, depth: accumDepth, rows: units, inputOffset, filterOffset, actMin, actMax,
        requantMode,
      })];
    }
    const rows = packRows(filterData, units, accumDepth);
    const biasRom = biasArg(t, bias, units);
    const folded = foldBias(biasRom?.rom ?? null, rows.rowSums, units, inputOffset);
    const offsetProduct = Math.imul(Math.imul(accumDepth, filterOffset), inputOffset);
    for (let u = 0; u < units; u++) folded[u] = (folded[u] + offsetProduct) | 0;
    const scales = new Float64Array(rows.rowsPad);
    scales.set(rq.effective);
    return [{
      kernel: 'fully_connected',
      macs: batches * units * accumDepth,
      scalar: requantMode === 0 && !rq.table,
      args: {
        input: tensorArg(input.index), filter: { rom: interleaveRows(rows.packed, rows.rowsPad, rows.kPad), label: 'filter' }, bias: biasRom,
        output: tensorArg(output.index), foldedBias: romInt32(folded, 'folded bias'),
        multipliers: requantMode === 0 ? rq.multipliers : null, shifts: requantMode === 0 ? rq.shifts : null,
        requant: requantMode === 0 ? rq.table : null, scales: requantMode === 1 ? romFloat64(scales, 'output scales') : null,
        scratch: { scratch: 2 * rows.kPad }, batches, accumDepth, kPad: rows.kPad, outDepth: units, inputOffset, filterOffset,
        outputOffset: output.quantization!.zeroPoint[0], actMin, actMax,
        requantMode,
      },
    }];
  },
};
