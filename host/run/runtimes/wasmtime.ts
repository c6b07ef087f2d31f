/**
 * wasmtime, driven through its C API (wasmtime-lib.ts). Two engines per process (without and with
 * epoch interruption), one store per instance.
 *
 * - Memory caps: a kernel module's memory is created host-side with type limits {initial, maximum}
 *   and the store limiter caps linear memory at `maximum` pages too; a standalone module's memory is
 *   checked against `maximumPages` after instantiation (the same message as V8), then capped by the
 *   limiter, which applies to all later growth.
 * - Timeouts: epoch interruption, on a second engine used only for `interruptible` instances (the
 *   epoch checks at function entries and loop back-edges make the SIMD kernels ~1.5x slower, so
 *   the default engine has none). Such a store runs with a deadline far in the future; withTimeout()
 *   sets it to the next epoch and arms a watchdog thread (wasmtime-watchdog.ts) that bumps the
 *   engine's epoch when the time is up, so running wasm traps with "interrupt" -> TimeoutError.
 *   Epochs measure wall-clock time; fuel would count instructions (a per-machine calibration to
 *   turn into milliseconds) and costs more than epoch checks in tight loops.
 * - Views: `memory` is a zero-copy koffi view over wasmtime_memory_data. Memories never move
 *   (memory_may_move off; wasm32 memories sit inside their reservation), so an old view stays valid
 *   memory, only shorter than after a grow. A FinalizationRegistry deletes a store once its
 *   instance object and every view handed out are unreachable, so no view outlives its memory.
 * - Calls: exports are type-checked once (i32 params, at most one i32 result), then called with
 *   wasmtime_func_call_unchecked over a per-store native scratch block.
 */
import { InputError, KernelError, MemoryLimitError, ModelError, TimeoutError } from '../../errors.js';
import type { InstanceOptions, KernelInstance, MemoryPages, ModuleInstance, Runtime, StandaloneOptions } from './runtime.js';
import {
  EXTERN_BYTES, EXTERN_FUNC, EXTERN_MEMORY, EXTERN_PAYLOAD, firstLine, INSTANCE_BYTES, loadWasmtimeApi, type Ptr,
  summarizeReport, takeError, takeMessage, TRAP_INTERRUPT, VAL_RAW_BYTES, VALKIND_I32, type WasmtimeApi,
} from './wasmtime-lib.js';
import { Watchdog } from './wasmtime-watchdog.js';

const PAGE_BYTES = 65536;
const FAR_DEADLINE = 1n << 62n;
const MAX_ARGS = 8;
// Scratch block layout (bytes): one extern, call args/results, out-pointers, handles, then funcs.
const EXT = 0;
const ARGS = EXT + EXTERN_BYTES;
const TRAP = ARGS + MAX_ARGS * VAL_RAW_BYTES;
const PREV = TRAP + 8;
const INST = PREV + 8;
const MEM = INST + INSTANCE_BYTES;
const FUNCS = 256;
const SCRATCH_BYTES = 4096;
/** Handles are copied as the whole extern payload, whatever the size of the handle itself. */
const HANDLE_BYTES = EXTERN_BYTES - EXTERN_PAYLOAD;
const MAX_FUNCS = Math.floor((SCRATCH_BYTES - FUNCS) / HANDLE_BYTES);

interface Engine {
  api: WasmtimeApi;
  ptr: Ptr;
  interruptible: boolean;
  modules: WeakMap<Uint8Array, Ptr>;
  watchdog?: Watchdog;
}

const engines = new Map<boolean, Engine | { reason: string }>();

/** The engine with (interruptible) or without epoch interruption, created on first use. */
function loadEngine(interruptible: boolean): Engine | { reason: string } {
  let e = engines.get(interruptible);
  if (e) return e;
  const api = loadWasmtimeApi();
  if ('reason' in api) {
    e = api;
  } else {
    try {
      const config = api.config_new();
      api.config_epoch_interruption_set(config, interruptible);
      api.config_memory_may_move_set(config, false);
      const ptr = api.engine_new_with_config(config);
      // The watchdog thread starts now, so it is up by the time a timed run begins.
      e = { api, ptr, interruptible, modules: new WeakMap(), watchdog: interruptible ? new Watchdog(api.path, ptr) : undefined };
    } catch (err) {
      e = { reason: `${api.path}: cannot create an engine: ${firstLine(err)}` };
    }
  }
  engines.set(interruptible, e);
  return e;
}

/** Whether wasmtime can run here, and if not, why (one line). */
export function wasmtimeAvailability(): { available: true; library: string } | { available: false; reason: string } {
  const e = loadEngine(false);
  return 'reason' in e ? { available: false, reason: e.reason } : { available: true, library: e.api.path };
}

function theEngine(interruptible = false): Engine {
  const e = loadEngine(interruptible);
  if ('reason' in e) throw new InputError(`the wasmtime runtime is unavailable: ${e.reason}`);
  return e;
}

const moduleRegistry = new FinalizationRegistry<{ api: WasmtimeApi; module: Ptr }>(({ api, module }) => api.module_delete(module));

function compile(e: Engine, bytes: Uint8Array): Ptr {
  let module = e.modules.get(bytes);
  if (module === undefined) {
    const out = new BigUint64Array(1);
    const error = e.api.module_new(e.ptr, bytes, bytes.byteLength, out);
    if (error !== null) throw new ModelError(`not a valid WebAssembly module for wasmtime: ${firstLine(takeError(e.api, error))}`);
    module = out[0];
    e.modules.set(bytes, module);
    moduleRegistry.register(bytes, { api: e.api, module });
  }
  return module;
}

/** A store's native resources; deleted when nothing that can reach its memory is left. */
interface StoreHandle {
  api: WasmtimeApi;
  store: Ptr;
  scratch: Ptr;
  refs: number;
}

let liveStores = 0;

const storeRegistry = new FinalizationRegistry<StoreHandle>((h) => {
  if (--h.refs > 0) return;
  h.api.store_delete(h.store);
  h.api.koffi.free(h.scratch);
  liveStores--;
});

function hold(owner: object, h: StoreHandle): void {
  h.refs++;
  storeRegistry.register(owner, h);
}

/** Stores not yet deleted (for tests of the lifetime rule above). */
export function wasmtimeLiveStores(): number {
  return liveStores;
}

interface Func {
  ptr: Ptr;
  params: number;
  results: number;
}

class WasmtimeInstance implements KernelInstance, ModuleInstance {
  private readonly api: WasmtimeApi;
  private readonly handle: StoreHandle;
  private readonly ctx: Ptr;
  private readonly base: Ptr;
  private readonly argsPtr: Ptr;
  private readonly trapPtr: Ptr;
  private readonly memPtr: Ptr;
  private readonly bytes: Uint8Array;
  private readonly i32: Int32Array;
  private readonly funcs = new Map<string, Func>();
  private view = new Uint8Array(0);
  private viewData = 0n;
  private guarded = false;

  constructor(private readonly engine: Engine, memoryCap: number | null) {
    const api = (this.api = engine.api);
    const store = api.store_new(engine.ptr, null, null);
    const scratch = api.koffi.alloc('uint8_t', SCRATCH_BYTES) as Ptr;
    this.handle = { api, store, scratch, refs: 0 };
    liveStores++;
    hold(this, this.handle);
    this.ctx = api.store_context(store);
    this.base = scratch;
    this.argsPtr = scratch + BigInt(ARGS);
    this.trapPtr = scratch + BigInt(TRAP);
    this.memPtr = scratch + BigInt(MEM);
    const buffer = api.koffi.view(scratch, SCRATCH_BYTES);
    this.bytes = new Uint8Array(buffer);
    this.bytes.fill(0);
    this.i32 = new Int32Array(buffer);
    api.context_set_epoch_deadline(this.ctx, FAR_DEADLINE);
    if (memoryCap !== null) this.limit(memoryCap);
  }

  /** Caps linear memory growth at `bytes` (the store limiter). */
  limit(bytes: number): void {
    this.api.store_limiter(this.handle.store, bytes, -1, -1, -1, -1);
  }

  /** Creates the kernel module's `env.memory`: {initial, maximum} pages. */
  createMemory(pages: MemoryPages): void {
    const type = this.api.memorytype_new(new Uint32Array([pages.initial, pages.maximum]));
    const error = this.api.memory_new(this.ctx, type, this.memPtr);
    this.api.memorytype_delete(type);
    if (error !== null) {
      takeError(this.api, error);
      throw new MemoryLimitError(`cannot allocate ${pages.initial * PAGE_BYTES} bytes of linear memory (${pages.initial} pages, maximum ${pages.maximum})`);
    }
  }

  /** Instantiates `module`; the only import, if `withMemory`, is the memory made by createMemory. */
  instantiate(module: Ptr, withMemory: boolean): void {
    const { api, bytes } = this;
    if (withMemory) {
      bytes.fill(0, EXT, EXT + EXTERN_BYTES);
      bytes[EXT] = EXTERN_MEMORY;
      bytes.copyWithin(EXT + EXTERN_PAYLOAD, MEM, MEM + HANDLE_BYTES);
    }
    const at = (offset: number) => this.base + BigInt(offset);
    const error = api.instance_new(this.ctx, module, withMemory ? at(EXT) : null, withMemory ? 1 : 0, at(INST), at(TRAP));
    if (error !== null) throw new ModelError(`cannot instantiate the module on wasmtime: ${firstLine(takeError(api, error))}`);
    this.checkTrap();
    if (!withMemory) {
      const exported = this.exported('memory');
      if (exported !== EXTERN_MEMORY) throw new ModelError('the module exports no memory named "memory"');
      bytes.copyWithin(MEM, EXT + EXTERN_PAYLOAD, EXT + EXTERN_BYTES);
    }
  }

  /** Looks export `name` up into the scratch extern; its kind, or -1 when there is none. */
  private exported(name: string): number {
    const found = this.api.instance_export_get(this.ctx, this.base + BigInt(INST), name, Buffer.byteLength(name), this.base + BigInt(EXT));
    return found ? this.bytes[EXT] : -1;
  }

  get memory(): Uint8Array {
    const size = Number(this.api.memory_data_size(this.ctx, this.memPtr));
    const data = size === 0 ? 0n : this.api.memory_data(this.ctx, this.memPtr);
    if (size !== this.view.byteLength || data !== this.viewData) {
      const buffer = size === 0 ? new ArrayBuffer(0) : this.api.koffi.view(data, size);
      hold(buffer, this.handle);
      this.view = new Uint8Array(buffer);
      this.viewData = data;
    }
    return this.view;
  }

  grow(pages: number): boolean {
    const error = this.api.memory_grow(this.ctx, this.memPtr, pages, this.base + BigInt(PREV));
    if (error === null) return true;
    takeError(this.api, error);
    return false;
  }

  call(name: string, ...args: number[]): number {
    const f = this.funcs.get(name) ?? this.lookup(name, args.length);
    if (args.length !== f.params) throw new KernelError(`wasmtime: export "${name}" takes ${f.params} argument(s), got ${args.length}`);
    const { i32 } = this;
    for (let i = 0; i < args.length; i++) i32[(ARGS + i * VAL_RAW_BYTES) >> 2] = args[i];
    const error = this.api.func_call_unchecked(this.ctx, f.ptr, this.argsPtr, Math.max(f.params, f.results), this.trapPtr);
    if (error !== null) throw new KernelError(`wasmtime: ${firstLine(takeError(this.api, error))}`);
    if (i32[TRAP >> 2] !== 0 || i32[(TRAP >> 2) + 1] !== 0) this.checkTrap();
    return f.results === 1 ? i32[ARGS >> 2] : 0;
  }

  /** Finds export `name`, checks it is a function over i32s, and keeps its handle in the scratch block. */
  private lookup(name: string, argCount: number): Func {
    if (this.exported(name) !== EXTERN_FUNC) throw new ModelError(`the module exports no function named ${JSON.stringify(name)}`);
    if (this.funcs.size >= MAX_FUNCS) throw new KernelError(`wasmtime: more than ${MAX_FUNCS} distinct exports called`);
    const slot = FUNCS + this.funcs.size * HANDLE_BYTES;
    this.bytes.copyWithin(slot, EXT + EXTERN_PAYLOAD, EXT + EXTERN_BYTES);
    const ptr = this.base + BigInt(slot);
    const { api } = this;
    const type = api.func_type(this.ctx, ptr);
    const kinds = (vec: Ptr): number[] => {
      const [size, data] = new BigUint64Array(api.koffi.view(vec, 16));
      if (size === 0n) return [];
      return Array.from(new BigUint64Array(api.koffi.view(data, Number(size) * 8)), (t) => api.valtype_kind(t));
    };
    const params = kinds(api.functype_params(type));
    const results = kinds(api.functype_results(type));
    api.functype_delete(type);
    if (params.length > MAX_ARGS || results.length > 1 || [...params, ...results].some((k) => k !== VALKIND_I32)) {
      throw new ModelError(`export ${JSON.stringify(name)}: only functions of at most ${MAX_ARGS} i32 parameters and at most one i32 result can be called`);
    }
    const f = { ptr, params: params.length, results: results.length };
    if (argCount !== f.params) throw new KernelError(`wasmtime: export "${name}" takes ${f.params} argument(s), got ${argCount}`);
    this.funcs.set(name, f);
    return f;
  }

  /** Throws the pending trap, if any: TimeoutError for an epoch interrupt, else KernelError. */
  private checkTrap(): void {
    const cell = new BigUint64Array(this.bytes.buffer, TRAP, 1);
    const trap = cell[0];
    if (trap === 0n) return;
    cell[0] = 0n;
    const { api } = this;
    const code = new Uint8Array(1);
    const hasCode = api.trap_code(trap, code);
    const vec = new BigUint64Array(2);
    api.trap_message(trap, vec);
    const message = takeMessage(api, vec);
    api.trap_delete(trap);
    if (hasCode && code[0] === TRAP_INTERRUPT) throw new TimeoutError('wasm execution interrupted');
    throw new KernelError(`wasm trap: ${summarizeReport(message)}`);
  }

  withTimeout<T>(ms: number, fn: () => T): T {
    if (!(ms > 0 && ms <= 2 ** 31 - 1)) throw new InputError(`timeout must be 1..${2 ** 31 - 1} ms, got ${ms}`);
    const { watchdog } = this.engine;
    if (!watchdog) throw new Error('internal: withTimeout on an instance not created interruptible');
    if (this.guarded) throw new Error('internal: nested withTimeout');
    this.guarded = true;
    this.api.context_set_epoch_deadline(this.ctx, 1n);
    watchdog.arm(ms);
    try {
      return fn();
    } catch (err) {
      if (err instanceof TimeoutError) throw new TimeoutError(`stopped: still running after the ${ms} ms timeout`);
      throw err;
    } finally {
      watchdog.disarm();
      this.api.context_set_epoch_deadline(this.ctx, FAR_DEADLINE);
      this.guarded = false;
    }
  }
}

export const wasmtimeRuntime: Runtime = {
  name: 'wasmtime',
  instantiate(moduleBytes: Uint8Array, pages: MemoryPages, options: InstanceOptions = {}): KernelInstance {
    const e = theEngine(options.interruptible);
    const module = compile(e, moduleBytes);
    const instance = new WasmtimeInstance(e, pages.maximum * PAGE_BYTES);
    instance.createMemory(pages);
    instance.instantiate(module, true);
    return instance;
  },
  instantiateStandalone(moduleBytes: Uint8Array, options: StandaloneOptions = {}): ModuleInstance {
    const e = theEngine(options.interruptible);
    const module = compile(e, moduleBytes);
    const instance = new WasmtimeInstance(e, null);
    instance.instantiate(module, false);
    const pages = instance.memory.byteLength / PAGE_BYTES;
    if (options.maximumPages !== undefined) {
      if (pages > options.maximumPages) {
        throw new MemoryLimitError(`the module starts with ${pages} pages of memory, more than the ${options.maximumPages} allowed`);
      }
      instance.limit(options.maximumPages * PAGE_BYTES);
    }
    return instance;
  },
};
