import type { KernelName } from '../abi/blocks.js';
import type { OpTensors } from '../graph/tensors.js';

/**
 * A param-block field value: a number, the address of a tensor, constant bytes placed in ROM,
 * or `scratch` bytes of RAM that live only during this call (planned in the arena).
 */
export type ArgValue = number | { tensor: number } | { rom: Uint8Array; label: string } | { scratch: number } | null;

/** One kernel export call with its param-block arguments (array fields take number[]). */
export interface KernelCall {
  kernel: KernelName;
  args: Record<string, ArgValue | number[]>;
  /** Multiply-accumulates per invocation (for profiles and GMAC/s). */
  macs: number;
  /** The SIMD build runs this call on the kernel's scalar twin (exported as `<kernel>_ref`): the
   *  fast path does not apply to it (e.g. grouped convolutions, or requantization the f64 path
   *  cannot do exactly). The SIMD kernels do not check this themselves. */
  scalar?: boolean;
  /** The block leaves out data only the scalar twin reads (e.g. multipliers the SIMD kernel takes
   *  from its requantization table): the call must run the SIMD kernel itself. */
  simdOnly?: boolean;
}

export interface OpDef {
  /** TFLite builtin operator name. */
  name: string;
  /** One line for the README's supported-ops table. */
  summary: string;
  /** Validates the operator and computes everything the kernel needs; throws ModelError. */
  prepare(t: OpTensors): KernelCall[];
  /** For ops that only reinterpret bytes (RESHAPE): output and input share one buffer. */
  alias?(t: OpTensors): { output: number; input: number };
  /**
   * Inputs whose buffer the output may take over when that input dies at this op (same byte
   * size; the kernel reads each element before writing the element at the same position).
   */
  inPlaceInputs?(t: OpTensors): number[];
}

export const NULL_PTR = null;

export function tensorArg(index: number): { tensor: number } {
  return { tensor: index };
}

export function romInt32(values: ArrayLike<number>, label: string): { rom: Uint8Array; label: string } {
  const a = Int32Array.from(values as ArrayLike<number>);
  return { rom: new Uint8Array(a.buffer), label };
}

export function romFloat64(values: ArrayLike<number>, label: string): { rom: Uint8Array; label: string } {
  const a = Float64Array.from(values as ArrayLike<number>);
  return { rom: new Uint8Array(a.buffer), label };
}
