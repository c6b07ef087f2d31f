/** What the commands and benchmarks drive: the interpreter and a compiled module both implement it. */
import type { TensorView } from './interpreter.js';
import type { KernelFlavor } from './kernels.js';
import type { LinearMemoryInfo } from './limits.js';

export interface ModelRunner {
  /** Zero-copy views into linear memory: write inputs here before invoke(). */
  readonly inputs: TensorView[];
  /** Zero-copy views: valid after invoke(), overwritten by the next one. */
  readonly outputs: TensorView[];
  readonly runtime: string;
  readonly kernels: KernelFlavor;
  readonly linearMemory: LinearMemoryInfo;
  /** Multiply-accumulates per invoke(). */
  readonly macs: number;
  /** One inference. Throws KernelError naming the op when a kernel reports failure. */
  invoke(): void;
  /** Restores variable tensors (recurrent state such as LSTM cell and output state) to their
   *  initial values; state otherwise carries over from one invoke() to the next. */
  reset(): void;
}
