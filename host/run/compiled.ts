/**
 * Runs a module made by `edgerun compile`: reads and checks its edgerun.meta section and ABI,
 * instantiates it through a Runtime (it imports nothing and owns its memory), and exposes the
 * same zero-copy tensor views and invoke() as the Interpreter.
 */
import { firstImport, exportsOf, functionSignatures, memories, moduleSizes, readSections, customSections, SECTION, type ModuleSizes } from '../aot/sections.js';
import type { MetaFrontEnd } from '../aot/front_end.js';
import { decodeMeta, DTYPE_BYTES, META_SECTION, type ModuleMeta } from '../aot/meta.js';
import { EdgerunError, InputError, KernelError, ModelError } from '../errors.js';
import type { MemoryFigures, ModelReport } from '../index.js';
import type { OptimizeFor } from '../graph/tensors.js';
import type { TensorInfo } from '../plan/prepare.js';
import { type InterpreterOptions, MAX_TIMEOUT_MS, type TensorView, tensorView } from './interpreter.js';
import { inputFault, type KernelFlavor } from './kernels.js';
import { checkLimits, type LinearMemoryInfo, memoryPages, PAGE_BYTES } from './limits.js';
import type { ModelRunner, RunnerFrontEnd } from './runner.js';
import type { ModuleInstance } from './runtimes/runtime.js';
import { v8Runtime } from './runtimes/v8.js';

/** The exports every compiled module has, and nothing else (but FRONT_END_ABI). */
export const MODULE_ABI: Readonly<Record<string, 'func' | 'memory'>> = {
  memory: 'memory', invoke: 'func', input_ptr: 'func', output_ptr: 'func', reset: 'func',
};

/** The exports a module with the pm front-end (edgerun.meta `frontEnd`) has in addition. */
export const FRONT_END_ABI: Readonly<Record<string, 'func'>> = {
  samples_ptr: 'func', features: 'func', context_ptr: 'func',
};

/** What `inspect` adds for a compiled module (ModelReport.module). */
export interface ModuleReport {
  format: string;
  kernels: KernelFlavor;
  /** `--optimize` at compile time; absent for modules compiled before the option. */
  optimize?: OptimizeFor;
  scalarKernels: string[];
  /** The source model: sha256 of its bytes, and its size. */
  model: { sha256: string; bytes: number };
  calls: number;
  macs: number;
  /** The module: its bytes = codeBytes + dataBytes; its memory in 64 KiB pages (minimum = maximum). */
  bytes: number;
  codeBytes: number;
  dataBytes: number;
  pages: number;
  /** The pm front-end compiled in (edgerun.meta `frontEnd`), when there is one. */
  frontEnd?: MetaFrontEnd;
}

/** A compiled module, read and checked; make instances of it with createInterpreter(). */
/** Parameter and result types of the ABI's functions (README, "Module ABI"). */
const ABI_SIGNATURES: Record<string, string> = {
  invoke: '->i32', input_ptr: 'i32->i32', output_ptr: 'i32->i32', reset: '->',
  samples_ptr: '->i32', features: '->i32', context_ptr: '->i32',
};

export class CompiledModel {
  readonly meta: ModuleMeta;
  readonly sizes: ModuleSizes;
  readonly ops: string[];
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly kernels: KernelFlavor;
  /** As for a .tflite model; codeBytes is the module minus its data section. */
  readonly memory: MemoryFigures;

  /** Throws ModelError (one line) for anything that is not a valid edgerun module. */
  constructor(readonly wasm: Uint8Array) {
    const sections = readSections(wasm);
    const metas = customSections(wasm, sections, META_SECTION);
    if (metas.length === 0) throw new ModelError(`module: no ${META_SECTION} section: not a module made by \`edgerun compile\``);
    if (metas.length > 1) throw new ModelError(`module: ${metas.length} ${META_SECTION} sections, expected one`);
    this.meta = decodeMeta(metas[0]);
    const imported = firstImport(wasm, sections);
    if (imported) throw new ModelError(`module: imports ${imported.module}.${imported.name} (${imported.kind}); a compiled module imports nothing`);
    // Nothing of the module runs before invoke(), where --timeout holds: no start function. Its one
    // memory is fixed at the meta's size (minimum = maximum), so it cannot grow past a memory limit.
    if (sections.some((s) => s.id === SECTION.start)) throw new ModelError('module: has a start function; a compiled module has none');
    const memory = memories(wasm, sections);
    const pages = this.meta.memory.pages;
    if (memory.length !== 1 || memory[0].min !== pages || memory[0].max !== pages || memory[0].shared || memory[0].memory64) {
      throw new ModelError(`module: its memory must be one of ${pages} page(s), minimum = maximum, as its ${META_SECTION} says`);
    }
    const exported = new Map(exportsOf(wasm, sections).map((e) => [e.name, e.kind]));
    for (const [name, kind] of Object.entries({ ...MODULE_ABI, ...(this.meta.frontEnd ? FRONT_END_ABI : {}) })) {
      if (exported.get(name) !== kind) throw new ModelError(`module: does not export ${kind} ${JSON.stringify(name)} (edgerun module ABI)`);
    }
    const signatures = functionSignatures(wasm, sections);
    for (const e of exportsOf(wasm, sections)) {
      const expected = ABI_SIGNATURES[e.name];
      if (e.kind === 'func' && expected !== undefined && signatures[e.index] !== expected) {
        throw new ModelError(`module: ${e.name} has type ${signatures[e.index] ?? '?'}, the edgerun module ABI says ${expected}`);
      }
    }
    if (!WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)) throw new ModelError(`module: not valid WebAssembly (${compileError(wasm)})`);
    this.sizes = moduleSizes(wasm, sections);
    this.ops = this.meta.ops;
    this.inputs = this.meta.inputs;
    this.outputs = this.meta.outputs;
    this.kernels = this.meta.kernels;
    const { pages: _pages, ...figures } = this.meta.memory;
    this.memory = { ...figures, codeBytes: this.sizes.codeBytes, romBytes: figures.romDataBytes + this.sizes.codeBytes };
  }

  /** The same report `inspect` gives for a .tflite model, plus `module`. */
  report(): ModelReport {
    const { meta, sizes } = this;
    return {
      ops: meta.ops, inputs: meta.inputs, outputs: meta.outputs, unsupported: [], memory: this.memory,
      description: meta.model.description, version: meta.model.version,
      module: {
        format: meta.format, kernels: meta.kernels, ...(meta.optimize ? { optimize: meta.optimize } : {}), scalarKernels: meta.scalarKernels,
        model: { sha256: meta.model.sha256, bytes: meta.model.bytes }, calls: meta.calls.length, macs: meta.macs,
        ...sizes, pages: meta.memory.pages, ...(meta.frontEnd ? { frontEnd: meta.frontEnd } : {}),
      },
    };
  }

  /** Instantiates the module. Throws MemoryLimitError when it does not fit the limits. */
  createInterpreter(options: InterpreterOptions = {}): CompiledInterpreter {
    return new CompiledInterpreter(this, options);
  }
}

/** A trap's or a thrown WebAssembly exception's one-line text. */
function trapMessage(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : 'an uncaught WebAssembly exception';
}

/** Runs module code outside invoke(); what traps there is a KernelError, not an internal error. */
function trapsAsErrors<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof EdgerunError) throw e;
    throw new KernelError(`compiled module: ${what} trapped (${trapMessage(e)})`);
  }
}

function compileError(wasm: Uint8Array): string {
  try {
    new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    return 'rejected by the engine';
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

export class CompiledInterpreter implements ModelRunner {
  readonly inputs: TensorView[];
  readonly outputs: TensorView[];
  readonly runtime: string;
  readonly kernels: KernelFlavor;
  readonly linearMemory: LinearMemoryInfo;
  readonly macs: number;
  /** The module's pm front-end (edgerun.meta `frontEnd`), or null. */
  readonly frontEnd: RunnerFrontEnd | null;
  private readonly instance: ModuleInstance;
  private readonly timeoutMs: number | undefined;

  constructor(readonly model: CompiledModel, options: InterpreterOptions = {}) {
    const { meta } = model;
    if (options.kernels !== undefined && options.kernels !== meta.kernels) {
      throw new InputError(`the module was compiled with ${meta.kernels} kernels; --kernels ${options.kernels} needs a recompile`);
    }
    const runtime = options.runtime ?? v8Runtime;
    this.runtime = runtime.name;
    this.kernels = meta.kernels;
    this.macs = meta.macs;
    const need = { linearMemoryBytes: meta.memory.linearMemoryBytes, ramBytes: meta.memory.ramBytes, romDataBytes: meta.memory.romDataBytes };
    checkLimits(need, options);
    this.timeoutMs = options.timeoutMs;
    if (this.timeoutMs !== undefined && !(Number.isInteger(this.timeoutMs) && this.timeoutMs >= 1 && this.timeoutMs <= MAX_TIMEOUT_MS)) {
      throw new InputError(`timeout must be a whole number of milliseconds 1..${MAX_TIMEOUT_MS}, got ${this.timeoutMs}`);
    }
    this.instance = trapsAsErrors('instantiating', () => runtime.instantiateStandalone(model.wasm, {
      maximumPages: options.memoryLimit === undefined ? undefined : memoryPages(need, options).maximum,
      interruptible: this.timeoutMs !== undefined,
    }));
    if (this.timeoutMs !== undefined && !this.instance.withTimeout) {
      throw new InputError(`runtime ${runtime.name} cannot stop running WebAssembly: a timeout needs --runtime wasmtime`);
    }
    const memory = this.instance.memory;
    if (memory.length < need.linearMemoryBytes) {
      throw new ModelError(`module: its memory holds ${memory.length} bytes, the model needs ${need.linearMemoryBytes}`);
    }
    const pages = memory.length / PAGE_BYTES;
    this.linearMemory = { ...need, memoryLimit: options.memoryLimit ?? null, ramLimit: options.ramLimit ?? null, pages, maximumPages: pages };
    this.inputs = meta.inputs.map((t, i) => ({ ...t, data: tensorView(memory, this.address('input_ptr', i, t), t) }));
    this.outputs = meta.outputs.map((t, i) => ({ ...t, data: tensorView(memory, this.address('output_ptr', i, t), t) }));
    this.frontEnd = meta.frontEnd && meta.pm ? this.frontEndOf(meta.pm, meta.frontEnd) : null;
  }

  /** Computes one window's features into the model's input (see RunnerFrontEnd.push). Throws
   *  InputError when the module has no front-end (its model had no edgerun.pm metadata). */
  features(samples?: ArrayLike<number>): boolean {
    if (!this.frontEnd) throw new InputError('this module has no DSP front-end: compile a model that carries edgerun.pm metadata');
    return this.frontEnd.push(samples);
  }

  private frontEndOf(pm: NonNullable<ModuleMeta['pm']>, fe: NonNullable<ModuleMeta['frontEnd']>): RunnerFrontEnd {
    const { buffer, byteOffset } = this.instance.memory;
    const samples = new Float32Array(buffer, byteOffset + this.pointer('samples_ptr', 4 * fe.samples, 4), fe.samples);
    const count = fe.context * fe.featureCount;
    const quantized = new Int8Array(buffer, byteOffset + this.pointer('context_ptr', count, 1), count);
    const { windowSize, channels } = pm.features;
    return {
      pm, featureCount: fe.featureCount, samples, quantized,
      push: (values) => {
        if (values !== undefined) {
          if (values.length !== fe.samples) {
            throw new InputError(`window holds ${values.length} samples, the module's front-end needs ${fe.samples} (${windowSize} x ${channels} channels, interleaved)`);
          }
          samples.set(values);
        }
        const status = this.run('features');
        if (status === 0 || status === 1) return status === 0;
        const what = ['', 'dsp_features', 'pm_quantize'][status >>> 8] ?? 'an unknown call';
        throw new KernelError(`compiled module: features() failed with status ${status} (${what} returned ${status & 255})`);
      },
    };
  }

  /** samples_ptr() / context_ptr(), checked as address() checks tensors. */
  private pointer(fn: 'samples_ptr' | 'context_ptr', bytes: number, align: number): number {
    const at = this.run(fn);
    if (!(at >= 0 && at + bytes <= this.instance.memory.length && at % align === 0)) {
      throw new ModelError(`module: ${fn}() = ${at} is not ${bytes} bytes inside its ${this.instance.memory.length}-byte memory, aligned to ${align}`);
    }
    return at;
  }

  /** input_ptr(i) / output_ptr(i), checked to lie inside memory and be aligned for the dtype. */
  private address(fn: 'input_ptr' | 'output_ptr', i: number, t: TensorInfo): number {
    const at = this.run(fn, i);
    const size = DTYPE_BYTES[t.dtype];
    if (!(at >= 0 && at + t.bytes <= this.instance.memory.length && at % size === 0)) {
      throw new ModelError(`module: ${fn}(${i}) = ${at} is not a ${t.bytes}-byte ${t.dtype} tensor inside its ${this.instance.memory.length}-byte memory`);
    }
    return at;
  }

  /** Runs the compiled invoke(). Throws KernelError naming the op when a kernel reports failure
   *  (or when the module traps: a module altered after compiling), TimeoutError when it runs past
   *  options.timeoutMs. */
  invoke(): void {
    const status = this.run('invoke');
    if (status !== 0) this.fail(status);
  }

  /** Calls an export of the module: every call of module code goes under the timeout (when there
   *  is one), and a trap becomes KernelError. */
  private run(name: string, ...args: number[]): number {
    const call = () => this.instance.call(name, ...args);
    return trapsAsErrors(`${name}()`, () => (this.timeoutMs === undefined ? call() : this.instance.withTimeout!(this.timeoutMs, call)));
  }

  /** Calls the module's reset(): restores variable tensors (recurrent state) to their initial
   *  values and empties the front-end's context. */
  reset(): void {
    this.run('reset');
  }

  /** Decodes status ((call + 1) << 8) | kernelStatus (README, "Module ABI"). */
  private fail(status: number): never {
    const { meta } = this.model;
    const call = (status >>> 8) - 1;
    const op = meta.calls[call];
    if (op === undefined) throw new KernelError(`compiled module: invoke() failed with status ${status}`);
    const fault = inputFault(meta.ops[op], status & 255);
    if (fault) throw new InputError(`operator ${op} (${meta.ops[op]}): ${fault}`);
    throw new KernelError(`operator ${op} (${meta.ops[op]}): kernel call ${call} failed with status ${status & 255}`);
  }
}
