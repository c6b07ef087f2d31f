import { type OpTensors, tensorLabel } from '../graph/tensors.js';
import { type Tensor, TensorType } from '../tflite/model.js';
import { Conv2DOptionsField as F } from '../tflite/schema.js';
import { bias16x8Arg, biasArg, centreBias, expectQuantizedActivation, expectSymmetricWeights, foldBias, fusedActivationRange, packRows, perChannelRequant } from './common.js';
import { type KernelCall, type OpDef, romInt32, tensorArg } from './types.js';
import { readWindowOptions, windowGeometry } from './window.js';
import { sparseCall } from './fully_connected.js';
import { sparseWeights } from './sparse.js';

export const conv2d: OpDef = {
  name: 'CONV_2D',
  summary: 'int8 and int16x8 (pruned 1x1 weights run sparse), per-channel or per-tensor weights, groups, SAME/VALID, strides, dilation, fused activation',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 3], 1);
    const input = t.input(0);
    const filter = t.input(1);
    const bias = t.optionalInput(2);
    const output = t.output(0);
    const o = readWindowOptions(t, F);
    expectQuantizedActivation(t, input, 'input', [TensorType.INT8, TensorType.INT16]);
    expectQuantizedActivation(t, output, 'output', [input.type]);
    t.expectType(filter, TensorType.INT8, 'filter');
    t.expectRank(filter, 4, 'filter');
    const filterData = t.expectConstant(filter, 'filter');
    const [outC, filterH, filterW, filterInC] = filter.shape;
    const { batches, inH, inW, inC, outH, outW, padH, padW } = windowGeometry(t, input, filterH, filterW, o);
    if (filterInC <= 0 || inC % filterInC !== 0) t.fail(`input depth ${inC} is not a multiple of filter depth ${filterInC} (${tensorLabel(filter)})`);
    if (outC % (inC / filterInC) !== 0) t.fail(`output channels ${outC} not divisible by groups ${inC / filterInC}`);
    t.expectShape(output, [batches, outH, outW, outC], 'output');
    // A pruned 1x1, stride-1, ungrouped convolution is a FULLY_CONNECTED over its pixels.
    const pointwiseFc = filterH === 1 && filterW === 1 && o.strideH === 1 && o.strideW === 1 && filterInC === inC;
    const sparse = pointwiseFc ? sparseWeights(filter, filterData, outC, inC, batches * outH * outW, true) : null;
    const [actMin, actMax] = fusedActivationRange(t, o.activation, output);
    // Records are proven for the SIMD kernels: int8, ungrouped (grouped convolutions run the scalar twin).
    const stage = input.type === TensorType.INT8 && filterInC === inC ? { outputOffset: output.quantization!.zeroPoint[0], actMin, actMax } : null;
    const rq = perChannelRequant(t, input, filter, bias, output, outC, 0, !sparse, stage); // the sparse kernels use no f32 half
    const k = filterH * filterW * filterInC;
    const macs = batches * outH * outW * outC * k;
    const geometry = {
      batches, inH, inW, inC, outH, outW, outC, filterH, filterW, filterInC,
      strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW, padH, padW, actMin, actMax,
    };
    if (input.type === TensorType.INT16) {
      expectSymmetricWeights(t, filter);
      const b = bias16x8Arg(t, bias, outC);
      return [{
        kernel: 'conv_2d_16x8', macs,
        args: {
          input: tensorArg(input.index), filter: { rom: filterData, label: 'filter' }, bias: b.bias, output: tensorArg(output.index),
          multipliers: rq.multipliers, shifts: rq.shifts, biasBytes: b.biasBytes, ...geometry,
        },
      }];
    }
    const inputOffset = -input.quantization!.zeroPoint[0];
    if (sparse) {
      // ConvPerChannel has no filter offset and requantizes in fixed point.
      return [sparseCall(t, {
        input, output, bias, rq, sparse, batches: batches * outH * outW, depth: inC, rows: outC, inputOffset, filterOffset: 0,
        actMin, actMax, requantMode: 0,
      })];
    }
    return [denseCall(t, { input, output, bias, filterData, rq, geometry, k, macs, inputOffset })];
  },
};

interface DenseArgs {
  input: Tensor; output: Tensor; bias: Tensor | null; filterData: Uint8Array; rq: ReturnType<typeof perChannelRequant>;
  geometry: ConvGeometry & { batches: number; inH: number; inW: number; padH: number; padW: number; actMin: number; actMax: number };
  k: number; macs: number; inputOffset: number;
}

/** The call of an int8 convolution with dense weights: Winograd tiles, channels in lanes, or conv_2d. */
function denseCall(t: OpTensors, a: DenseArgs): KernelCall {
  const { input, output, bias, filterData, rq, geometry: g, k, macs, inputOffset } = a;
  const { outC, inC, filterInC, outH, outW, filterH, filterW } = g;
  const biasRom = biasArg(t, bias, outC);
  const rows = packRows(filterData, outC, k);
  const common = {
    input: tensorArg(input.index), bias: biasRom, output: tensorArg(output.index), multipliers: rq.multipliers, shifts: rq.shifts,
    requant: rq.table, foldedBias: romInt32(centreBias(foldBias(biasRom?.rom ?? null, rows.rowSums, outC, inputOffset), rq.centres), 'folded bias'),
    ...g, inputOffset, outputOffset: output.quantization!.zeroPoint[0],
  };
  // Winograd tiles only for the SIMD module: the scalar twin gains nothing from their 3.6x filter bytes.
  if (t.simd && t.optimize === 'speed' && winogradApplies(g) && rq.table) {
    return {
      kernel: 'conv_2d_winograd', macs,
      args: { ...common, filter: { rom: packWinograd(filterData, outC, inC), label: 'filter' }, scratch: { scratch: winogradScratchBytes(inC) }, kPad: inC },
    };
  }
  const pointwise = filterH === 1 && filterW === 1;
  // Channels in lanes (no horizontal sums) for ungrouped convolutions with whole 8-channel
  // groups: measured 1.1-1.6x faster per pixel for rows up to 64 taps, 1.05-1.15x for longer
  // rows, where conv_2d's 2-pixel passes win on images whose pixel count 4-pixel passes round
  // up by much (1 or 9 pixels: 4 or 12 computed, against 2 or 10). On V8 the widened 1x1 passes
  // win on 9 pixels too (4-7 %), but wasmtime's build, which compiled modules link, ran those
  // layers 1.09-1.19x as long as conv_2d.
  const pixels = outH * outW;
  const pairs = filterInC === inC && outC % 8 === 0 && (k <= 64 || 0.9 * 4 * Math.ceil(pixels / 4) <= 2 * Math.ceil(pixels / 2));
  const kPad = pairs ? Math.ceil(k / 4) * 4 : rows.kPad;
  return {
    kernel: pairs ? 'conv_2d_pairs' : 'conv_2d',
    macs,
    scalar: filterInC !== inC || !rq.table,
    args: {
      ...common, filter: { rom: pairs ? packPairs(rows.packed, outC, k, rows.kPad, kPad) : rows.packed, label: 'filter' },
      scratch: { scratch: pointwise ? (pairs && widenPixels(t) ? 8 * kPad + 16 : 0) : (pairs ? 8 : 2) * kPad + 16 }, kPad,
    },
  };
}

/**
 * Whether conv_2d_pairs gets scratch to widen 1x1 pixels in (host/abi/blocks.ts): its V8 build's
 * speed (-12 to -16 % on 1x1 layers) for 8 * kPad + 16 bytes of RAM, not with --optimize size.
 * Compiled modules keep the interpreter's plan (same addresses), though they link the wasmtime
 * build, which reads pixels in place.
 */
function widenPixels(t: OpTensors): boolean {
  return t.simd && t.optimize === 'speed';
}

/**
 * Largest input depth for conv_2d_winograd: its tiles' sums are 4 * sum w*x, which must stay
 * below 2^31 (|w|, |x| <= 128 over 9 * inC taps).
 */
const WINOGRAD_MAX_IN_C = Math.floor((2 ** 31 - 1) / (4 * 9 * 128 * 128));

interface ConvGeometry {
  inC: number; outC: number; outH: number; outW: number; filterH: number; filterW: number; filterInC: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
}

/**
 * conv_2d_winograd's scratch (host/abi/blocks.ts): V (16 positions x 4 tiles x inC i16), M (16 x 4
 * tiles x 8 i32), a 4x4 border window of inC bytes per pixel, 128 bytes of tile sums, inC bytes of
 * the input zero point.
 */
function winogradScratchBytes(inC: number): number {
  return 16 * 4 * 2 * inC + 16 * 4 * 32 + 16 * inC + 128 + inC;
}

/**
 * Whether conv_2d_winograd takes this convolution (host/abi/blocks.ts): where it can, and where
 * the tiles its passes compute (four at a time) cost less than the pixels conv_2d_pairs' passes
 * compute (four at a time). A 2x2 tile's cost in pixels of conv_2d_pairs, measured on V8 on
 * 32x32, 16x16 and 8x8 images: 2.65 at 8 input channels, 2.0-2.3 at 16, 1.8 at 32, 1.7 at 64
 * and 128 (the transforms weigh less with more channels). Images of one tile ran 1.8x slower
 * tiled (a pass computes four).
 */
function winogradApplies(g: ConvGeometry): boolean {
  if (g.filterH !== 3 || g.filterW !== 3 || g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1) return false;
  if (g.filterInC !== g.inC || g.inC % 8 !== 0 || g.inC > WINOGRAD_MAX_IN_C || g.outC % 8 !== 0) return false;
  const tiles = Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  const tileCost = 1.6 + 8.4 / g.inC;
  return tileCost * 4 * Math.ceil(tiles / 4) < 4 * Math.ceil((g.outH * g.outW) / 4);
}

/** H = 2 x Winograd F(2, 3)'s G: U = H g H^T is integer (assembly/kernels/conv_2d_winograd.ts). */
const WINOGRAD_H = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];

/** conv_2d_winograd's filter (host/abi/blocks.ts) from TFLite's [outC][3][3][inC] int8 filter. */
function packWinograd(filterData: Uint8Array, outC: number, inC: number): Uint8Array {
  const g = new Int8Array(filterData.buffer, filterData.byteOffset, outC * 9 * inC);
  const u = new Int16Array(outC * 16 * inC);
  const hg = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let oc = 0; oc < outC; oc++) {
    for (let ic = 0; ic < inC; ic++) {
      for (let a = 0; a < 4; a++) {
        for (let j = 0; j < 3; j++) hg[a * 3 + j] = WINOGRAD_H[a].reduce((s, h, i) => s + h * g[((oc * 3 + i) * 3 + j) * inC + ic], 0);
      }
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) {
          const value = WINOGRAD_H[b].reduce((s, h, j) => s + hg[a * 3 + j] * h, 0);
          u[((((oc >> 3) * 16 + a * 4 + b) * (inC >> 1) + (ic >> 1)) * 32 + (oc & 7) * 4 + (ic & 1) * 2) >> 1] = value;
        }
      }
    }
  }
  return new Uint8Array(u.buffer);
}

/** conv_2d_pairs' filter (host/abi/blocks.ts, row length kPad) from k-byte rows packed with stride rowStride; outC a multiple of 8. */
function packPairs(rows: Uint8Array, outC: number, k: number, rowStride: number, kPad: number): Uint8Array {
  const packed = new Uint8Array(outC * kPad);
  for (let oc = 0; oc < outC; oc++) {
    for (let t = 0; t < k; t++) packed[((oc >> 3) * (kPad >> 1) + (t >> 1)) * 16 + (oc & 7) * 2 + (t & 1)] = rows[oc * rowStride + t];
  }
  return packed;
}
