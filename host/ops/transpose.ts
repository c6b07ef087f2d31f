import type { OpTensors } from '../graph/tensors.js';
import { boxCopy, constantInts, expectSameType, rowMajorStrides } from './data_movement.js';
import type { KernelCall, OpDef } from './types.js';

export const transpose: OpDef = {
  name: 'TRANSPOSE',
  summary: 'any fixed-size dtype, rank <= 6, constant permutation',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const input = t.input(0);
    const output = t.output(0);
    expectSameType(t, input, output);
    const perm = constantInts(t, t.input(1), 'permutation');
    const rank = input.shape.length;
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      t.fail(`permutation [${perm}] is not a permutation of ${rank} axes`);
    }
    t.expectShape(output, perm.map((p) => input.shape[p]), 'output');
    const inStrides = rowMajorStrides(input.shape);
    return [boxCopy(t, input, output, {
      dims: [...output.shape], inStrides: perm.map((p) => inStrides[p]), outStrides: rowMajorStrides(output.shape), inOffset: 0, outOffset: 0,
    })];
  },
};
