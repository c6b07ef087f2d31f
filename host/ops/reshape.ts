import { elementCount, type OpTensors, tensorBytes, tensorLabel } from '../graph/tensors.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

export const reshape: OpDef = {
  name: 'RESHAPE',
  summary: 'any dtype; the output shape is the model\'s (new_shape or shape tensor must agree in size)',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([1, 2], 1);
    const input = t.input(0);
    const output = t.output(0);
    if (input.type !== output.type) t.fail(`input and output types differ`);
    if (elementCount(input.shape) !== elementCount(output.shape)) {
      t.fail(`cannot reshape ${tensorLabel(input)} [${input.shape}] into [${output.shape}]`);
    }
    // Like TFLite's reshape.cc, bytes are copied as they are; quantization parameters are not compared.
    return [{ kernel: 'copy', macs: 0, args: { input: tensorArg(input.index), output: tensorArg(output.index), bytes: tensorBytes(input) } }];
  },
};
