/** Node's own WebAssembly engine (V8). The memory's `maximum` is V8's hard cap on growth. */
import { MemoryLimitError } from '../../errors.js';
import type { KernelInstance, MemoryPages, Runtime } from './runtime.js';

const compiled = new WeakMap<Uint8Array, WebAssembly.Module>();

export const v8Runtime: Runtime = {
  name: 'v8',
  instantiate(moduleBytes: Uint8Array, pages: MemoryPages): KernelInstance {
    let module = compiled.get(moduleBytes);
    if (!module) {
      module = new WebAssembly.Module(moduleBytes as Uint8Array<ArrayBuffer>);
      compiled.set(moduleBytes, module);
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages.initial, maximum: pages.maximum });
    } catch {
      throw new MemoryLimitError(`cannot allocate ${pages.initial * 65536} bytes of linear memory (${pages.initial} pages, maximum ${pages.maximum})`);
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as Record<string, (block: number) => number>;
    let bytes = new Uint8Array(memory.buffer);
    return {
      get memory(): Uint8Array {
        if (bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
        return bytes;
      },
      call(name: string, block: number): number {
        return exports[name](block);
      },
      grow(delta: number): boolean {
        try {
          memory.grow(delta);
          return true;
        } catch {
          return false; // RangeError: past the maximum (or the engine cannot allocate)
        }
      },
    };
  },
};
