/**
 * Node's own WebAssembly engine (V8). The memory's `maximum` is V8's hard cap on growth.
 * Timeouts: withTimeout runs its function through a node:vm script with a `timeout`, whose watchdog
 * thread terminates execution, running wasm included (V8 checks for interrupts in wasm loops).
 * Node starts that thread per call: ~0.05 ms per timed call on the machine in the README.
 */
import { createContext, Script } from 'node:vm';
import { InputError, MemoryLimitError, TimeoutError } from '../../errors.js';
import type { KernelInstance, MemoryPages, ModuleInstance, Runtime, StandaloneOptions } from './runtime.js';

const compiled = new WeakMap<Uint8Array, WebAssembly.Module>();

const guarded: { run: (() => void) | null } = { run: null };
const guardContext = createContext({ guarded });
const guardScript = new Script('guarded.run()', { filename: 'edgerun-timeout' });

/** Runs fn, terminating it with TimeoutError after `ms` milliseconds. */
function withTimeout<T>(ms: number, fn: () => T): T {
  if (!(Number.isInteger(ms) && ms >= 1 && ms <= 2 ** 31 - 1)) throw new InputError(`timeout must be 1..${2 ** 31 - 1} ms, got ${ms}`);
  if (guarded.run) throw new Error('internal: nested withTimeout');
  let result: T | undefined;
  guarded.run = () => { result = fn(); };
  try {
    guardScript.runInContext(guardContext, { timeout: ms });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new TimeoutError(`stopped: still running after the ${ms} ms timeout`);
    throw e;
  } finally {
    guarded.run = null;
  }
  return result as T;
}

function compile(moduleBytes: Uint8Array): WebAssembly.Module {
  let module = compiled.get(moduleBytes);
  if (!module) {
    module = new WebAssembly.Module(moduleBytes as Uint8Array<ArrayBuffer>);
    compiled.set(moduleBytes, module);
  }
  return module;
}

/** Byte view, grow and call over a V8 memory and an instance's exports. */
function wrap(memory: WebAssembly.Memory, exports: WebAssembly.Exports): ModuleInstance {
  const fns = exports as Record<string, (...args: number[]) => number>;
  let bytes = new Uint8Array(memory.buffer);
  return {
    get memory(): Uint8Array {
      if (bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
      return bytes;
    },
    call(name: string, ...args: number[]): number {
      return fns[name](...args);
    },
    grow(delta: number): boolean {
      try {
        memory.grow(delta);
        return true;
      } catch {
        return false; // RangeError: past the maximum (or the engine cannot allocate)
      }
    },
    withTimeout,
  };
}

export const v8Runtime: Runtime = {
  name: 'v8',
  instantiate(moduleBytes: Uint8Array, pages: MemoryPages): KernelInstance {
    const module = compile(moduleBytes);
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages.initial, maximum: pages.maximum });
    } catch {
      throw new MemoryLimitError(`cannot allocate ${pages.initial * 65536} bytes of linear memory (${pages.initial} pages, maximum ${pages.maximum})`);
    }
    return wrap(memory, new WebAssembly.Instance(module, { env: { memory } }).exports);
  },
  instantiateStandalone(moduleBytes: Uint8Array, options: StandaloneOptions = {}): ModuleInstance {
    const exports = new WebAssembly.Instance(compile(moduleBytes), {}).exports;
    const memory = exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('internal: standalone module exports no memory');
    const instance = wrap(memory, exports);
    const pages = memory.buffer.byteLength / 65536;
    if (options.maximumPages !== undefined && pages > options.maximumPages) {
      throw new MemoryLimitError(`the module starts with ${pages} pages of memory, more than the ${options.maximumPages} allowed`);
    }
    return instance;
  },
};
