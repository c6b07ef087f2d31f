import type { OpTensors } from '../graph/tensors.js';
import type { KernelCall, OpDef } from './types.js';

/** DENSIFY of a sparse constant is folded at load (host/graph/sparse.ts): nothing runs. */
export const densify: OpDef = {
  name: 'DENSIFY',
  summary: 'of constant sparse weights: folded at load, no kernel (the consumer may run sparse)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 1], 1);
    if (!t.output(0).data) t.fail('DENSIFY of a non-constant tensor is not supported (only constant sparse weights are)');
    return [];
  },
};
