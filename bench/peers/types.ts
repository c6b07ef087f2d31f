/** The peer-engine interface shared by bench/peers/*. */

export interface PeerSession {
  name: string;
  /** Package version actually loaded from node_modules. */
  version: string;
  /** Size in bytes of the .wasm binary the engine instantiated. */
  wasmBytes: number;
  /** Which wasm build was loaded and how (file name, threads, notes). */
  build: string;
  /**
   * One inference on the engine's own synchronous invoke path: copy each input's raw
   * little-endian bytes into the engine's input buffer, invoke, copy the outputs out.
   * This is the same work edgerun's `inputs[i].data.set(); invoke(); outputs[i].data` does.
   */
  run(inputs: Uint8Array[]): Uint8Array[];
  /**
   * The engine's public high-level call per inference (tfjs-tflite `predict()` with tfjs tensors,
   * LiteRT.js `CompiledModel.run()` with `Tensor`s), when it can handle the model's dtypes;
   * null when it cannot (the reason is in `apiUnavailable`). tfjs-tflite's is synchronous,
   * LiteRT.js's returns a Promise.
   */
  runApi: ((inputs: Uint8Array[]) => Uint8Array[] | Promise<Uint8Array[]>) | null;
  apiUnavailable: string | null;
  /** Engine log lines captured while loading/running (kept off stdout). */
  log: string[];
  dispose(): void;
}

export interface Peer {
  name: 'litert.js' | 'tfjs-tflite';
  /** null = ok; otherwise the reason the peer cannot run here. Loads the engine (once). */
  available(): Promise<string | null>;
  open(model: Uint8Array): Promise<PeerSession>;
}

/** Byte size of each input, from the engine's view of the model, checked against `inputs`. */
export function checkInputs(peer: string, inputs: Uint8Array[], expected: number[]): void {
  if (inputs.length !== expected.length) {
    throw new Error(`${peer}: model has ${expected.length} inputs, got ${inputs.length}`);
  }
  inputs.forEach((b, i) => {
    if (b.byteLength !== expected[i]) {
      throw new Error(`${peer}: input ${i} needs ${expected[i]} bytes, got ${b.byteLength}`);
    }
  });
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
