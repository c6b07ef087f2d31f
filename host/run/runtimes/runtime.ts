/** The small interface every WebAssembly runtime implements for edgerun. */
export interface KernelInstance {
  /** Linear memory as bytes. The memory is sized once and never grows in normal use; after a
   *  successful grow() this returns a new view and every earlier view (tensor views too) is dead. */
  readonly memory: Uint8Array;
  /** Calls kernel export `name` with a param-block address; returns its status (0 = ok). */
  call(name: string, block: number): number;
  /** Grows linear memory by `pages` 64 KiB pages; false when the runtime refuses (past the
   *  memory's maximum). Exists to prove that a cap holds; the interpreter never grows memory. */
  grow(pages: number): boolean;
  /** Present on instances that can stop running wasm (v8's; wasmtime's created `interruptible`):
   *  runs `fn`, whose calls into this instance are stopped with TimeoutError once `ms`
   *  milliseconds of wall-clock time have passed. */
  withTimeout?<T>(ms: number, fn: () => T): T;
}

/** An instance of a standalone module (an ahead-of-time compiled model): it defines and
 *  exports its own `memory` and imports nothing. */
export interface ModuleInstance {
  /** The exported memory as bytes (a fresh view after a grow, as for KernelInstance). */
  readonly memory: Uint8Array;
  /** Calls an exported function taking and returning i32 values. */
  call(name: string, ...args: number[]): number;
  grow(pages: number): boolean;
  /** As KernelInstance.withTimeout. */
  withTimeout?<T>(ms: number, fn: () => T): T;
}

/** Linear memory size in 64 KiB pages: `initial` at instantiation, never more than `maximum`. */
export interface MemoryPages {
  initial: number;
  maximum: number;
}

export interface InstanceOptions {
  /** The instance must support withTimeout. Ask only when a timeout will be used: wasmtime then
   *  compiles with epoch checks at function entries and loop back-edges (~1.5x slower kernels). */
  interruptible?: boolean;
}

export interface StandaloneOptions extends InstanceOptions {
  /** The most pages the module's memory may ever have (the runtime refuses growth past it). */
  maximumPages?: number;
}

export interface Runtime {
  readonly name: string;
  /** Instantiates kernel module bytes over a fresh memory of `pages.initial` pages that the
   *  runtime itself caps at `pages.maximum` pages. */
  instantiate(moduleBytes: Uint8Array, pages: MemoryPages, options?: InstanceOptions): KernelInstance;
  /** Instantiates a standalone module (no imports). */
  instantiateStandalone(moduleBytes: Uint8Array, options?: StandaloneOptions): ModuleInstance;
}
