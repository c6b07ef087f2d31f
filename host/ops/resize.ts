/** RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: source positions computed once per axis at
 *  prepare time, exactly as reference_ops::ResizeNearestNeighbor (float32 arithmetic) and
 *  ResizeBilinearInteger (10-bit fixed point) compute them. */
import type { OpTensors } from '../graph/tensors.js';
import { ResizeNearestNeighborOptionsField as F } from '../tflite/schema.js';
import { expectInt8Activation } from './common.js';
import { constantInts, elementBytes, expectSameQuantization, expectSameType } from './data_movement.js';
import { roundHalfAway } from './quant.js';
import { type KernelCall, type OpDef, romInt32, tensorArg } from './types.js';

const f32 = Math.fround;
/** Output rows and columns per axis: the source tables (host arrays, then ROM) stay small. */
const MAX_SIZE = 65_536;

/** Source index of each output index along one axis. */
export function nearestSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number[] {
  const scale = alignCorners && outSize > 1 ? f32(f32(inSize - 1) / f32(outSize - 1)) : f32(f32(inSize) / f32(outSize));
  const offset = halfPixelCenters ? 0.5 : 0;
  return Array.from({ length: outSize }, (_, o) => {
    const at = f32(f32(o + offset) * scale);
    let source = Math.min(alignCorners ? roundHalfAway(at) : Math.floor(at), inSize - 1);
    if (halfPixelCenters) source = Math.max(0, source);
    return source;
  });
}

export const resizeNearestNeighbor: OpDef = {
  name: 'RESIZE_NEAREST_NEIGHBOR',
  summary: 'any fixed-size dtype, NHWC, align_corners and half_pixel_centers',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    t.expectRank(input, 4, 'input');
    const [outH, outW] = constantInts(t, t.input(1), 'size');
    const [batches, inH, inW, channels] = input.shape;
    if (!(outH > 0 && outW > 0)) t.fail(`size [${outH}, ${outW}] must be positive`);
    if (outH > MAX_SIZE || outW > MAX_SIZE) t.fail(`size [${outH}, ${outW}]: more than ${MAX_SIZE} per axis is not supported`);
    t.expectShape(output, [batches, outH, outW, channels], 'output');
    const alignCorners = t.op.options?.bool(F.alignCorners, false) ?? false;
    const halfPixelCenters = t.op.options?.bool(F.halfPixelCenters, false) ?? false;
    return [{
      kernel: 'resize_nearest',
      macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index),
        rows: romInt32(nearestSources(inH, outH, alignCorners, halfPixelCenters), 'source rows'),
        cols: romInt32(nearestSources(inW, outW, alignCorners, halfPixelCenters), 'source columns'),
        batches, inH, inW, outH, outW, pixelBytes: channels * elementBytes(t, input),
      },
    }];
  },
};

/** ComputeInterpolationValuesInteger for every output index of one axis: [lower, upper, scaled]. */
export function bilinearSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number[] {
  const scale = alignCorners && outSize > 1
    ? Math.trunc(((1 << 10) * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1))
    : Math.trunc(((1 << 10) * inSize + Math.trunc(outSize / 2)) / outSize);
  return Array.from({ length: outSize }, (_, o) => {
    const scaled = halfPixelCenters ? o * scale + Math.trunc(scale / 2) - (1 << 9) : o * scale;
    const lower = Math.max(Math.trunc(scaled / (1 << 10)), 0);
    const upper = Math.min(Math.trunc((scaled + (1 << 10) - 1) / (1 << 10)), inSize - 1);
    return [lower, upper, scaled];
  }).flat();
}

export const resizeBilinear: OpDef = {
  name: 'RESIZE_BILINEAR',
  summary: 'int8, NHWC, align_corners and half_pixel_centers (10-bit fixed point, as TFLite)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectInt8Activation(t, input, 'input');
    expectInt8Activation(t, output, 'output');
    expectSameQuantization(t, input, output);
    t.expectRank(input, 4, 'input');
    const [outH, outW] = constantInts(t, t.input(1), 'size');
    const [batches, inH, inW, channels] = input.shape;
    if (!(outH > 0 && outW > 0)) t.fail(`size [${outH}, ${outW}] must be positive`);
    if (outH > MAX_SIZE || outW > MAX_SIZE) t.fail(`size [${outH}, ${outW}]: more than ${MAX_SIZE} per axis is not supported`);
    t.expectShape(output, [batches, outH, outW, channels], 'output');
    // ResizeBilinearOptions: align_corners at field 2, half_pixel_centers at 3 (0 and 1 are deprecated).
    const alignCorners = t.op.options?.bool(2, false) ?? false;
    const halfPixelCenters = t.op.options?.bool(3, false) ?? false;
    return [{
      kernel: 'resize_bilinear',
      macs: 0,
      args: {
        input: tensorArg(input.index), output: tensorArg(output.index),
        rows: romInt32(bilinearSources(inH, outH, alignCorners, halfPixelCenters), 'source rows'),
        cols: romInt32(bilinearSources(inW, outW, alignCorners, halfPixelCenters), 'source columns'),
        batches, inH, inW, outH, outW, channels,
      },
    }];
  },
};
