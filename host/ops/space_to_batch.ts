/**
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on NHWC (or NWC) tensors, as TFLite's reference loops
 * define them: one box copy per block position (sy, sx), the first call filling the output with
 * the pad value (the output zero point for int8).
 */
import { type OpTensors, tensorLabel, zeroPointOf } from '../graph/tensors.js';
import { TensorType, type Tensor } from '../tflite/model.js';
import { boxCopy, constantInts, expectSameQuantization, expectSameType } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

/** The tensor as [batch, height, width, channels] (a 3-D NWC tensor has height 1... width = its W). */
function nhwc(t: OpTensors, x: Tensor): [number, number, number, number] {
  if (x.shape.length === 4) return x.shape as [number, number, number, number];
  if (x.shape.length === 3) return [x.shape[0], x.shape[1], 1, x.shape[2]];
  return t.fail(`${tensorLabel(x)} must have rank 3 or 4, has shape [${x.shape}]`);
}

const MAX_BLOCK_POSITIONS = 4096;

function blockAndPads(t: OpTensors, input: Tensor, role: string): { block: [number, number]; pads: [number, number, number, number] } {
  const spatial = input.shape.length - 2;
  const block = constantInts(t, t.input(1), 'block_shape');
  const pads = constantInts(t, t.input(2), role);
  if (block.length !== spatial || pads.length !== 2 * spatial) t.fail(`block_shape and ${role} must cover ${spatial} spatial dims`);
  if (block.some((b) => b < 1) || pads.some((p) => p < 0)) t.fail(`block_shape [${block}] and ${role} [${pads}] must be positive`);
  // One box copy per block position: a block of more positions is refused, not planned call by call.
  if (block.reduce((a, b) => a * b, 1) > MAX_BLOCK_POSITIONS) t.fail(`block_shape [${block}]: more than ${MAX_BLOCK_POSITIONS} block positions is not supported`);
  return spatial === 2
    ? { block: [block[0], block[1]], pads: [pads[0], pads[1], pads[2], pads[3]] }
    : { block: [block[0], 1], pads: [pads[0], pads[1], 0, 0] };
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export const spaceToBatchNd: OpDef = {
  name: 'SPACE_TO_BATCH_ND',
  summary: 'any fixed-size dtype (int8 pads with the zero point), 3-D or 4-D, constant block and paddings',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([3, 3], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    expectSameQuantization(t, input, output);
    const { block: [bh, bw], pads: [pt, pb, pl, pr] } = blockAndPads(t, input, 'paddings');
    const [n, h, w, c] = nhwc(t, input);
    if ((h + pt + pb) % bh !== 0 || (w + pl + pr) % bw !== 0) t.fail(`padded input is not a multiple of the block shape`);
    const [oh, ow] = [(h + pt + pb) / bh, (w + pl + pr) / bw];
    const outShape = input.shape.length === 4 ? [n * bh * bw, oh, ow, c] : [n * bh * bw, oh, c];
    t.expectShape(output, outShape, 'output');
    const pad = output.type === TensorType.INT8 ? zeroPointOf(output) & 0xff : 0;
    const calls: KernelCall[] = [];
    for (let sy = 0; sy < bh; sy++) {
      for (let sx = 0; sx < bw; sx++) {
        const y0 = Math.max(0, ceilDiv(pt - sy, bh));
        const y1 = Math.min(oh, Math.floor((h - 1 + pt - sy) / bh) + 1);
        const x0 = Math.max(0, ceilDiv(pl - sx, bw));
        const x1 = Math.min(ow, Math.floor((w - 1 + pl - sx) / bw) + 1);
        if (y1 <= y0 || x1 <= x0) continue;
        calls.push(boxCopy(t, input, output, {
          dims: [n, y1 - y0, x1 - x0, c],
          inStrides: [h * w * c, bh * w * c, bw * c, 1],
          outStrides: [oh * ow * c, ow * c, c, 1],
          inOffset: ((y0 * bh + sy - pt) * w + (x0 * bw + sx - pl)) * c,
          outOffset: (((sy * bw + sx) * n * oh + y0) * ow + x0) * c,
          fill: calls.length === 0 ? pad : undefined,
        }));
      }
    }
    if (calls.length === 0) t.fail('the padded input holds no input elements');
    return calls;
  },
};

export const batchToSpaceNd: OpDef = {
  name: 'BATCH_TO_SPACE_ND',
  summary: 'any fixed-size dtype, 3-D or 4-D, constant block and crops',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([3, 3], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    expectSameQuantization(t, input, output);
    const { block: [bh, bw], pads: [ct, cb, cl, cr] } = blockAndPads(t, input, 'crops');
    const [nb, h, w, c] = nhwc(t, input);
    if (nb % (bh * bw) !== 0) t.fail(`batch ${nb} is not a multiple of the block size ${bh * bw}`);
    const n = nb / (bh * bw);
    const [oh, ow] = [h * bh - ct - cb, w * bw - cl - cr];
    if (oh <= 0 || ow <= 0) t.fail(`crops [${ct}, ${cb}, ${cl}, ${cr}] leave nothing`);
    t.expectShape(output, input.shape.length === 4 ? [n, oh, ow, c] : [n, oh, c], 'output');
    const calls: KernelCall[] = [];
    for (let sy = 0; sy < bh; sy++) {
      for (let sx = 0; sx < bw; sx++) {
        const y0 = Math.max(0, ceilDiv(ct - sy, bh));
        const y1 = Math.min(h, Math.floor((oh - 1 + ct - sy) / bh) + 1);
        const x0 = Math.max(0, ceilDiv(cl - sx, bw));
        const x1 = Math.min(w, Math.floor((ow - 1 + cl - sx) / bw) + 1);
        if (y1 <= y0 || x1 <= x0) continue;
        calls.push(boxCopy(t, input, output, {
          dims: [n, y1 - y0, x1 - x0, c],
          inStrides: [h * w * c, w * c, c, 1],
          outStrides: [oh * ow * c, bh * ow * c, bw * c, 1],
          inOffset: (((sy * bw + sx) * n * h + y0) * w + x0) * c,
          outOffset: ((y0 * bh + sy - ct) * ow + (x0 * bw + sx - cl)) * c,
        }));
      }
    }
    return calls;
  },
};
