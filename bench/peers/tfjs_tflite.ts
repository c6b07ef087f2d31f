/**
 * @tensorflow/tfjs-tflite: TFLite + XNNPACK compiled to wasm (tflite_web_api_cc_simd), 1 thread.
 *
 * Loading: the package's Node entry (tf-tflite.node.js) sees no `window`, so its emscripten loader
 * takes the web-worker path: `importScripts(<wasmPath>tflite_web_api_cc_simd.js)` and a `fetch` of
 * the .wasm next to it, both served from node_modules by the shims (shims.ts). The build is chosen
 * by `getWasmFeatures()`, which Node would answer {simd: true, multiThreading: true} (SharedArrayBuffer
 * and MessageChannel exist) and pick the pthreads build, whose workers cannot start here. The answer
 * is cached on first call, so it is asked once while `MessageChannel` throws: {simd, no threads}.
 *
 * Running: `run` uses the model runner behind `TFLiteModel.predict` (the WebAssembly side's
 * `TFLiteWebModelRunner`): write the input bytes into its input tensor views, `infer()`, copy the
 * output views. `runApi` is the public `predict()` with tfjs tensors (int8 travels as int32 there).
 */
import type * as TfliteModule from '@tensorflow/tfjs-tflite';
import type * as TfCoreModule from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { captureConsole, installWorkerShims, packageDir, packageVersion } from './shims.js';
import { checkInputs, errorText, type Peer, type PeerSession } from './types.js';

const PACKAGE = '@tensorflow/tfjs-tflite';
const GLUE = 'tflite_web_api_cc_simd.js';

type Runner = TfliteModule.TFLiteWebModelRunner;
type TensorInfo = TfliteModule.TFLiteWebModelRunnerTensorInfo;
type View = ReturnType<TensorInfo['data']>;

interface Engine {
  tflite: typeof TfliteModule;
  tf: typeof TfCoreModule;
  wasmBytes: number;
  wasmFile: string;
  log: string[];
}

let engine: Promise<Engine> | null = null;

/** Asks tfjs-tflite's (cached) feature probe while threads look unavailable. */
async function probeWithoutThreads(tflite: typeof TfliteModule): Promise<void> {
  const g = globalThis as unknown as { MessageChannel: unknown };
  const saved = g.MessageChannel;
  g.MessageChannel = class {
    constructor() {
      throw new Error('threads disabled for benchmarking');
    }
  };
  try {
    const features = await tflite.getWasmFeatures();
    if (!features.simd) throw new Error(`${PACKAGE}: this WebAssembly runtime has no SIMD128`);
    if (features.multiThreading) throw new Error(`${PACKAGE}: feature probe already cached with threads on`);
  } finally {
    g.MessageChannel = saved;
  }
}

async function loadEngine(): Promise<Engine> {
  const dir = packageDir(PACKAGE);
  const wasmDir = join(dir, 'wasm');
  if (!existsSync(join(wasmDir, GLUE))) throw new Error(`${PACKAGE}: ${join(wasmDir, GLUE)} missing (npm ci?)`);
  const log: string[] = [];
  const quiet = captureConsole(log);
  const shims = installWorkerShims({ roots: [wasmDir], exportNames: ['tflite_web_api_ModuleFactory'] });
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tflite = await import('@tensorflow/tfjs-tflite');
    await probeWithoutThreads(tflite);
    tflite.setWasmPath(wasmDir + '/');
    // The wasm module is a per-process singleton loaded by the first model creation; load it now
    // with a bytes-that-are-no-model buffer (the module loads before the model is parsed).
    const loadError = await tflite.loadTFLiteModel(new ArrayBuffer(16), { numThreads: 1 }).then(
      () => new Error('an empty model loaded'), (err: unknown) => err);
    const loaded = shims.wasm.at(-1);
    if (!loaded || shims.scripts.length === 0) throw new Error(`${PACKAGE}: wasm did not load: ${errorText(loadError)}`);
    if (shims.scripts.some((s) => !s.endsWith('/' + GLUE))) throw new Error(`${PACKAGE}: loaded ${shims.scripts.join(', ')}, want ${GLUE}`);
    return { tflite, tf, wasmBytes: loaded.bytes, wasmFile: loaded.path, log };
  } finally {
    shims.restore();
    quiet.restore();
  }
}

function getEngine(): Promise<Engine> {
  engine ??= loadEngine().catch((e: unknown) => {
    engine = null;
    throw e;
  });
  return engine;
}

/** A byte view of a runner tensor, re-fetched if wasm memory grew (old views detach to length 0). */
function bytesOf(info: TensorInfo, cached: Uint8Array | null): Uint8Array {
  if (cached && cached.byteLength > 0) return cached;
  const v: View = info.data();
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

async function openSession(model: Uint8Array): Promise<PeerSession> {
  const e = await getEngine();
  const quiet = captureConsole(e.log);
  let tfliteModel: TfliteModule.TFLiteModel;
  try {
    const copy = model.slice();
    tfliteModel = await e.tflite.loadTFLiteModel(copy.buffer, { numThreads: 1 });
  } finally {
    quiet.restore();
  }
  const runner = (tfliteModel as unknown as { modelRunner: Runner }).modelRunner;
  const inputs = runner.getInputs();
  const outputs = runner.getOutputs();
  const inViews: (Uint8Array | null)[] = inputs.map(() => null);
  const outViews: (Uint8Array | null)[] = outputs.map(() => null);
  const inBytes = inputs.map((t) => bytesOf(t, null).byteLength);
  const session: PeerSession = {
    name: 'tfjs-tflite',
    version: packageVersion(PACKAGE),
    wasmBytes: e.wasmBytes,
    build: `${e.wasmFile.split('/').pop()} (SIMD128, no threads; TFLite interpreter + XNNPACK delegate)`,
    log: e.log,
    run(data: Uint8Array[]): Uint8Array[] {
      checkInputs('tfjs-tflite', data, inBytes);
      for (let i = 0; i < data.length; i++) (inViews[i] = bytesOf(inputs[i], inViews[i])).set(data[i]);
      if (!runner.infer()) throw new Error('tfjs-tflite: infer() failed');
      return outputs.map((t, i) => (outViews[i] = bytesOf(t, outViews[i])).slice());
    },
    runApi: (data: Uint8Array[]): Uint8Array[] => predict(e, tfliteModel, inputs, outputs, data),
    apiUnavailable: null,
    dispose(): void {
      runner.cleanUp();
    },
  };
  return session;
}

const TYPED = {
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, int32: Int32Array,
  uint32: Uint32Array, float32: Float32Array, float64: Float64Array,
} as const;

function typed(bytes: Uint8Array, dataType: TensorInfo['dataType']): ArrayLike<number> {
  const C = TYPED[dataType];
  const copy = bytes.slice();
  return new C(copy.buffer, 0, copy.byteLength / C.BYTES_PER_ELEMENT);
}

/** `TFLiteModel.predict` as a user calls it: tfjs tensors in, tensors out, disposed. */
function predict(e: Engine, m: TfliteModule.TFLiteModel, inputs: TensorInfo[], outputs: TensorInfo[], data: Uint8Array[]): Uint8Array[] {
  const quiet = captureConsole(e.log); // predict() warns "converting 'int32' to 'int8'" per call
  const tensors = data.map((d, i) => {
    const info = inputs[i];
    const shape = info.shape.split(',').map(Number);
    const float = info.dataType === 'float32' || info.dataType === 'float64';
    const values = typed(d, info.dataType);
    return float ? e.tf.tensor(Float32Array.from(values), shape, 'float32') : e.tf.tensor(Int32Array.from(values), shape, 'int32');
  });
  try {
    const result = m.predict(tensors.length === 1 ? tensors[0] : tensors, {});
    const map = result instanceof e.tf.Tensor ? { [outputs[0].name]: result } : (result as TfCoreModule.NamedTensorMap);
    return outputs.map((info) => {
      const t = map[info.name];
      const values = t.dataSync() as ArrayLike<number>;
      const C = TYPED[info.dataType];
      const out = C.from(values as ArrayLike<number>);
      t.dispose();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    });
  } finally {
    for (const t of tensors) t.dispose();
    quiet.restore();
  }
}

export const tfjsTflite: Peer = {
  name: 'tfjs-tflite',
  async available(): Promise<string | null> {
    try {
      await getEngine();
      return null;
    } catch (err) {
      return errorText(err);
    }
  },
  open: openSession,
};
