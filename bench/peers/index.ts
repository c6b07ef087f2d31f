/**
 * Peer engines for the benchmark (issue 3): TensorFlow Lite + XNNPACK compiled to WebAssembly,
 * run in Node on one thread with their SIMD128 builds, loaded only from node_modules.
 *   litert.js    @litertjs/core (CPU/wasm accelerator)           → litert.ts
 *   tfjs-tflite  @tensorflow/tfjs-tflite (+ tfjs-core/backend-cpu) → tfjs_tflite.ts
 * Usage: `for (const p of PEERS) if (!(await p.available())) { const s = await p.open(bytes); s.run([...]); }`
 * Both engines keep one wasm instance per process; sessions share it.
 */
import { litert } from './litert.js';
import { tfjsTflite } from './tfjs_tflite.js';
import type { Peer } from './types.js';

export type { Peer, PeerSession } from './types.js';
export { fixDynamicDims } from './shims.js';

export const PEERS: Peer[] = [litert, tfjsTflite];
