/** Runs a prepared model: one kernel call per planned step, over zero-copy tensor views. */
import { InputError, KernelError, ModelError } from '../errors.js';
import type { PreparedModel, TensorInfo } from '../plan/prepare.js';
import { callExport, inputFault, kernelModule, type KernelFlavor } from './kernels.js';
import { type LinearMemoryInfo, type MemoryLimits, memoryNeed, memoryPages } from './limits.js';
import type { ModelRunner } from './runner.js';
import type { KernelInstance, Runtime } from './runtimes/runtime.js';
import { v8Runtime } from './runtimes/v8.js';

/** Longest timeout accepted, in milliseconds (2^31 - 1, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array;

export interface TensorView extends TensorInfo {
  /** A view straight into the module's linear memory: write inputs here, read outputs here. */
  data: TensorData;
}

export interface InterpreterOptions extends MemoryLimits {
  runtime?: Runtime;
  kernels?: KernelFlavor;
  /** Stop an invoke() that runs longer than this many milliseconds with TimeoutError (v8 and
   *  wasmtime; both make timed inferences slower, see README "Runtimes"). */
  timeoutMs?: number;
}

export interface OpTiming {
  opIndex: number;
  op: string;
  kernel: string;
  ms: number;
  macs: number;
}

/** A typed view of `info` at `address` in linear memory (the interpreter's and compiled modules'). */
export function tensorView(memory: Uint8Array, address: number, info: TensorInfo): TensorData {
  const { buffer } = memory;
  const n = info.bytes;
  switch (info.dtype) {
    case 'int8': return new Int8Array(buffer, address, n);
    case 'uint8': case 'bool': return new Uint8Array(buffer, address, n);
    case 'int16': return new Int16Array(buffer, address, n / 2);
    case 'int32': return new Int32Array(buffer, address, n / 4);
    case 'float32': return new Float32Array(buffer, address, n / 4);
    case 'int64': return new BigInt64Array(buffer, address, n / 8);
    default: throw new ModelError(`tensor ${info.index} (${JSON.stringify(info.name)}): a graph input or output of dtype ${info.dtype} cannot be read or written through the API`);
  }
}

export class Interpreter implements ModelRunner {
  readonly inputs: TensorView[];
  readonly outputs: TensorView[];
  readonly runtime: string;
  readonly kernels: KernelFlavor;
  /** The exact need, the limits and the pages the runtime caps memory at. */
  readonly linearMemory: LinearMemoryInfo;
  private readonly instance: KernelInstance;
  /** The export each planned call runs: its kernel, or the scalar twin (PlannedCall.scalar). */
  private readonly entries: string[];

  /** Multiply-accumulates per invoke(). */
  get macs(): number {
    return this.prepared.layout.calls.reduce((s, c) => s + c.macs, 0);
  }
  private readonly timeoutMs: number | undefined;

  /** Throws MemoryLimitError when the model does not fit options.memoryLimit / options.ramLimit. */
  constructor(readonly prepared: PreparedModel, options: InterpreterOptions = {}) {
    const runtime = options.runtime ?? v8Runtime;
    this.runtime = runtime.name;
    this.kernels = options.kernels ?? 'simd';
    const { layout } = prepared;
    const need = memoryNeed(layout);
    const pages = memoryPages(need, options);
    this.linearMemory = {
      ...need, memoryLimit: options.memoryLimit ?? null, ramLimit: options.ramLimit ?? null,
      pages: pages.initial, maximumPages: pages.maximum,
    };
    this.timeoutMs = options.timeoutMs;
    if (this.timeoutMs !== undefined && !(Number.isInteger(this.timeoutMs) && this.timeoutMs >= 1 && this.timeoutMs <= MAX_TIMEOUT_MS)) {
      throw new InputError(`timeout must be a whole number of milliseconds 1..${MAX_TIMEOUT_MS}, got ${this.timeoutMs}`);
    }
    this.instance = runtime.instantiate(kernelModule(this.kernels), pages, { interruptible: this.timeoutMs !== undefined });
    if (this.timeoutMs !== undefined && !this.instance.withTimeout) {
      throw new InputError(`runtime ${runtime.name} cannot stop running WebAssembly, so it takes no timeout (v8 and wasmtime can)`);
    }
    this.entries = layout.calls.map((c) => callExport(c.kernel, this.kernels, runtime.name, c.scalar));
    this.instance.memory.set(layout.image, 0);
    const at = (info: TensorInfo) => layout.tensorAddress.get(info.index)!;
    this.inputs = prepared.inputs.map((i) => ({ ...i, data: tensorView(this.instance.memory, at(i), i) }));
    this.outputs = prepared.outputs.map((o) => ({ ...o, data: tensorView(this.instance.memory, at(o), o) }));
  }

  /** Restores the variable tensors (state region) to their initial values. */
  reset(): void {
    const { image, stateStart, stateEnd } = this.prepared.layout;
    this.instance.memory.set(image.subarray(stateStart, stateEnd), stateStart);
  }

  /** Runs every kernel in order. Throws KernelError naming the op if a kernel reports failure,
   *  TimeoutError if it runs past options.timeoutMs. */
  invoke(): void {
    if (this.timeoutMs === undefined) return this.run();
    this.instance.withTimeout!(this.timeoutMs, () => this.run());
  }

  private run(): void {
    const { calls } = this.prepared.layout;
    for (let i = 0; i < calls.length; i++) {
      const status = this.instance.call(this.entries[i], calls[i].block);
      if (status !== 0) this.fail(calls[i].opIndex, this.entries[i], status);
    }
  }

  /** Like invoke(), timing each kernel call. */
  invokeProfiled(): OpTiming[] {
    if (this.timeoutMs === undefined) return this.runProfiled();
    return this.instance.withTimeout!(this.timeoutMs, () => this.runProfiled());
  }

  private runProfiled(): OpTiming[] {
    const timings: OpTiming[] = [];
    this.prepared.layout.calls.forEach((c, i) => {
      const t0 = performance.now();
      const status = this.instance.call(this.entries[i], c.block);
      const ms = performance.now() - t0;
      if (status !== 0) this.fail(c.opIndex, this.entries[i], status);
      timings.push({ opIndex: c.opIndex, op: this.prepared.model.operators[c.opIndex].opName, kernel: this.entries[i], ms, macs: c.macs });
    });
    return timings;
  }

  private fail(opIndex: number, kernel: string, status: number): never {
    const op = this.prepared.model.operators[opIndex];
    const fault = inputFault(op.opName, status);
    if (fault) throw new InputError(`operator ${opIndex} (${op.opName}): ${fault}`);
    throw new KernelError(`operator ${opIndex} (${op.opName}): kernel ${kernel} failed with status ${status}`);
  }
}
