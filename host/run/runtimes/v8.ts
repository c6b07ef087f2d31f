/** Node's own WebAssembly engine (V8). */
import { MemoryLimitError } from '../../errors.js';
import type { KernelInstance, Runtime } from './runtime.js';

const compiled = new WeakMap<Uint8Array, WebAssembly.Module>();

export const v8Runtime: Runtime = {
  name: 'v8',
  instantiate(moduleBytes: Uint8Array, pages: number): KernelInstance {
    let module = compiled.get(moduleBytes);
    if (!module) {
      module = new WebAssembly.Module(moduleBytes as Uint8Array<ArrayBuffer>);
      compiled.set(moduleBytes, module);
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch {
      throw new MemoryLimitError(`cannot allocate ${pages * 65536} bytes of linear memory (${pages} pages)`);
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as Record<string, (block: number) => number>;
    return {
      memory: new Uint8Array(memory.buffer),
      call(name: string, block: number): number {
        return exports[name](block);
      },
    };
  },
};
