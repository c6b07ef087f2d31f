import { elementCount, type OpTensors, tensorLabel } from '../graph/tensors.js';
import type { KernelCall, OpDef } from './types.js';

export const reshape: OpDef = {
  name: 'RESHAPE',
  summary: 'any dtype; free: the output aliases the input buffer (shapes must agree in size)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 2], 1);
    const input = t.input(0);
    const output = t.output(0);
    if (input.type !== output.type) t.fail(`input and output types differ`);
    if (elementCount(input.shape) !== elementCount(output.shape)) {
      t.fail(`cannot reshape ${tensorLabel(input)} [${input.shape}] into [${output.shape}]`);
    }
    // Like TFLite's reshape.cc, the bytes are taken as they are; quantization is not compared.
    // The output aliases the input (see alias), so there is nothing to run.
    return [];
  },
  alias(t: OpTensors) {
    return { output: t.output(0).index, input: t.input(0).index };
  },
};
