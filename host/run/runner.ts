/** What the commands and benchmarks drive: the interpreter and a compiled module both implement it. */
import type { TensorView } from './interpreter.js';
import type { KernelFlavor } from './kernels.js';
import type { LinearMemoryInfo } from './limits.js';
import type { PmMeta } from '../pm/model_meta.js';

/**
 * The edgerun.pm front-end computed by the runner itself (a module compiled from a model with
 * edgerun.pm metadata): window in, the model's input tensor written, bit-identical to the host
 * path (host/pm/features.ts + scorer.ts) for the metadata it was compiled from.
 */
export interface RunnerFrontEnd {
  /** The metadata built in: its feature spec, normalization and context K. */
  readonly pm: PmMeta;
  readonly featureCount: number;
  /** Zero-copy view where a window goes: windowSize x channels float32, interleaved. */
  readonly samples: Float32Array;
  /** Zero-copy view of the quantized context, K x featureCount int8, oldest first: what the
   *  input tensor receives; unlike the input tensor it stays valid after invoke(), until the
   *  next push. */
  readonly quantized: Int8Array;
  /** Features of one window (`samples` is written into the view first when given) pushed into
   *  the context. True when the input tensor now holds K vectors (call invoke()), false while the
   *  context fills. reset() empties the context. */
  push(samples?: ArrayLike<number>): boolean;
}

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
  /** Present (non-null) when the runner computes the edgerun.pm front-end itself. */
  readonly frontEnd?: RunnerFrontEnd | null;
}
