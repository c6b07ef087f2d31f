/** SPACE_TO_DEPTH and DEPTH_TO_SPACE (NHWC, TFLite's DCR order) as 6-D box copies. */
import type { OpTensors } from '../graph/tensors.js';
import { DepthToSpaceOptionsField, SpaceToDepthOptionsField } from '../tflite/schema.js';
import { boxCopy, expectSameType, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

function blockSize(t: OpTensors, field: number): number {
  const bs = t.op.options?.int32(field, 0) ?? 0;
  if (!(bs >= 1 && bs <= 65536)) t.fail(`block_size ${bs} is not valid`);
  return bs;
}

export const spaceToDepth: OpDef = {
  name: 'SPACE_TO_DEPTH',
  summary: 'any fixed-size dtype, NHWC',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    t.expectRank(input, 4, 'input');
    const bs = blockSize(t, SpaceToDepthOptionsField.blockSize);
    const [n, h, w, c] = input.shape;
    if (h % bs !== 0 || w % bs !== 0) t.fail(`input ${h}x${w} is not a multiple of block size ${bs}`);
    t.expectShape(output, [n, h / bs, w / bs, c * bs * bs], 'output');
    // output [n][y][x][dy][dx][c] = input [n][y*bs+dy][x*bs+dx][c]
    const dims = [n, h / bs, w / bs, bs, bs, c];
    return [boxCopy(t, input, output, {
      dims, inStrides: [h * w * c, bs * w * c, bs * c, w * c, c, 1], outStrides: rowMajorStrides(dims), inOffset: 0, outOffset: 0,
    })];
  },
};

export const depthToSpace: OpDef = {
  name: 'DEPTH_TO_SPACE',
  summary: 'any fixed-size dtype, NHWC',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    t.expectRank(input, 4, 'input');
    const bs = blockSize(t, DepthToSpaceOptionsField.blockSize);
    const [n, h, w, c] = input.shape;
    if (c % (bs * bs) !== 0) t.fail(`input depth ${c} is not a multiple of block size ${bs} squared`);
    const oc = c / (bs * bs);
    t.expectShape(output, [n, h * bs, w * bs, oc], 'output');
    // output [n][y][dy][x][dx][c] = input [n][y][x][(dy*bs + dx)*oc + c]
    const dims = [n, h, bs, w, bs, oc];
    return [boxCopy(t, input, output, {
      dims, inStrides: [h * w * c, w * c, bs * oc, c, oc, 1], outStrides: rowMajorStrides(dims), inOffset: 0, outOffset: 0,
    })];
  },
};
