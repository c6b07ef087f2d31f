/** The small interface every WebAssembly runtime implements for edgerun. */
export interface KernelInstance {
  /** Linear memory as bytes; stable for the instance's life (memory never grows). */
  readonly memory: Uint8Array;
  /** Calls kernel export `name` with a param-block address; returns its status (0 = ok). */
  call(name: string, block: number): number;
}

export interface Runtime {
  readonly name: string;
  /** Instantiates kernel module bytes over a fresh memory of exactly `pages` 64 KiB pages. */
  instantiate(moduleBytes: Uint8Array, pages: number): KernelInstance;
}
