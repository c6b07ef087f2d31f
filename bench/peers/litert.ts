/**
 * LiteRT.js (@litertjs/core) on its CPU path: TFLite + XNNPACK compiled to wasm, SIMD128, 1 thread.
 *
 * Loading: `loadLiteRt(<node_modules>/@litertjs/core/wasm/litert_wasm_compat_internal.js)` through
 * @litertjs/wasm-utils, which calls the worker-style `importScripts` shim (shims.ts) and then
 * `self.ModuleFactory(self.Module)`. The emscripten glue takes its Node branch (fs reads the .wasm
 * next to it); a `Module.locateFile` hook records which binary. The file is named explicitly: the
 * default choice probes relaxed SIMD, which Node 20 lacks without a flag (the "compat" build is the
 * plain-SIMD128 one; Node 20's Liftoff also miscomputes relaxed dot products, see DESIGN.md).
 *
 * Running: the JS `Tensor`/`CompiledModel` layer only knows float32/int32/uint8 and throws on int8
 * models while building signature details, so `run` drives the embind layer underneath it, exactly
 * as `CompiledModel.run` does: host-memory `LiteRtTensorBuffer` inputs (created once), the
 * synchronous `LiteRtCompiledModel.run(0, inputs)`, output buffers read then deleted.
 */
import type * as LiteRtModule from '@litertjs/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { captureConsole, fixDynamicDims, installWorkerShims, packageDir, packageVersion } from './shims.js';
import { checkInputs, errorText, type Peer, type PeerSession } from './types.js';

type LiteRtWasm = LiteRtModule.LiteRt['liteRtWasm'];
type TensorBuffer = ReturnType<LiteRtWasm['LiteRtTensorBuffer']['createManaged']>;
type RankedType = ReturnType<ReturnType<LiteRtWasm['loadModel']>['getInputTensorType']>;

const PACKAGE = '@litertjs/core';
const GLUE = 'litert_wasm_compat_internal.js';
/** LiteRT ElementType values the JS API's dtype table accepts (FLOAT32, INT32, UINT8). */
const JS_API_TYPES: Record<number, 'float32' | 'int32' | 'uint8'> = { 1: 'float32', 2: 'int32', 3: 'uint8' };
const TYPE_NAMES: Record<number, string> = { 1: 'FLOAT32', 2: 'INT32', 3: 'UINT8', 9: 'INT8', 7: 'INT16', 4: 'INT64', 6: 'BOOL' };

interface Engine {
  lib: typeof LiteRtModule;
  wasm: LiteRtWasm;
  env: LiteRtModule.Environment;
  wasmBytes: number;
  wasmFile: string;
  log: string[];
}

let engine: Promise<Engine> | null = null;

async function loadEngine(): Promise<Engine> {
  const dir = packageDir(PACKAGE);
  const glue = join(dir, 'wasm', GLUE);
  if (!existsSync(glue)) throw new Error(`${PACKAGE}: ${glue} missing (npm ci?)`);
  const log: string[] = [];
  const shims = installWorkerShims({ roots: [join(dir, 'wasm')], exportNames: ['ModuleFactory'] });
  const quiet = captureConsole(log);
  const g = globalThis as unknown as { Module?: unknown };
  g.Module = {
    locateFile(file: string, prefix: string): string {
      if (file.endsWith('.wasm')) shims.trackWasmRead(prefix + file);
      return prefix + file;
    },
  };
  try {
    const lib = await import('@litertjs/core');
    const liteRt = await lib.loadLiteRt(glue);
    const wasm = liteRt.liteRtWasm;
    if (wasm.getThreadCount() !== 1) throw new Error(`${PACKAGE}: loaded build runs ${wasm.getThreadCount()} threads, want 1`);
    const loaded = shims.wasm.at(-1);
    if (!loaded) throw new Error(`${PACKAGE}: could not tell which .wasm was loaded`);
    return { lib, wasm, env: liteRt.getDefaultEnvironment(), wasmBytes: loaded.bytes, wasmFile: loaded.path, log };
  } finally {
    delete g.Module;
    quiet.restore();
    shims.restore();
  }
}

function getEngine(): Promise<Engine> {
  engine ??= loadEngine().catch((e: unknown) => {
    engine = null;
    throw e;
  });
  return engine;
}

function dims(type: RankedType): number[] {
  const layout = type.layout();
  const vec = layout.dimensions();
  const out: number[] = [];
  for (let i = 0; i < vec.size(); i++) out.push(vec.get(i));
  vec.delete();
  layout.delete();
  return out;
}

interface IoInfo { elementType: number; shape: number[]; bytes: number }

function ioInfo(type: RankedType): IoInfo {
  return { elementType: type.elementType().value, shape: dims(type), bytes: type.bytes() };
}

function readBuffer(e: Engine, buf: TensorBuffer): Uint8Array {
  const ptr = buf.lock(e.wasm.LiteRtTensorBufferLockMode.READ);
  try {
    return e.wasm.HEAPU8.slice(ptr, ptr + buf.packedSize());
  } finally {
    buf.unlock();
  }
}

async function openSession(model: Uint8Array): Promise<PeerSession> {
  const e = await getEngine();
  const { wasm, env } = e;
  const { bytes } = fixDynamicDims(model);
  const quiet = captureConsole(e.log);
  const ptr = wasm._malloc(bytes.byteLength);
  wasm.HEAPU8.set(bytes, ptr);
  let wasmModel: ReturnType<LiteRtWasm['loadModel']> | null = null;
  let compiled: Awaited<ReturnType<LiteRtWasm['compileModel']>> | null = null;
  const inputBuffers: TensorBuffer[] = [];
  const cleanup = (): void => {
    for (const b of inputBuffers.splice(0)) b.delete();
    compiled?.delete();
    wasmModel?.delete();
    wasm._free(ptr);
    compiled = wasmModel = null;
  };
  try {
    wasmModel = wasm.loadModel(env.liteRtEnvironment, ptr, bytes.byteLength);
    const options = { environment: env, accelerator: 'wasm', cpuOptions: { numThreads: 1 }, gpuOptions: {}, webNNOptions: {} };
    compiled = await wasm.compileModel(env.liteRtEnvironment, wasmModel, options as Parameters<LiteRtWasm['compileModel']>[2]);
    const signature = wasmModel.getSignature(0);
    const inNames = signature.inputNames();
    const outNames = signature.outputNames();
    const inputs: IoInfo[] = [];
    const outputs: IoInfo[] = [];
    for (let i = 0; i < inNames.size(); i++) {
      const type = wasmModel.getInputTensorType(0, i);
      inputs.push(ioInfo(type));
      inputBuffers.push(wasm.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, wasm.LiteRtTensorBufferType.HOST_MEMORY, type, type.bytes()));
      type.delete();
    }
    for (let i = 0; i < outNames.size(); i++) {
      const type = wasmModel.getOutputTensorType(0, i);
      outputs.push(ioInfo(type));
      type.delete();
    }
    inNames.delete();
    outNames.delete();
    signature.delete();
    const api = await openApi(e, model, inputs, outputs);
    const live = compiled;
    const session: PeerSession = {
      name: 'litert.js',
      version: packageVersion(PACKAGE),
      wasmBytes: e.wasmBytes,
      build: `${e.wasmFile.split('/').pop()} (SIMD128, no relaxed SIMD, no threads; XNNPACK CPU accelerator, numThreads 1)`,
      log: e.log,
      run(data: Uint8Array[]): Uint8Array[] {
        checkInputs('litert.js', data, inputs.map((t) => t.bytes));
        for (let i = 0; i < data.length; i++) {
          const buf = inputBuffers[i];
          const at = buf.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
          wasm.HEAPU8.set(data[i], at);
          buf.unlock();
        }
        const outs = live.run(0, inputBuffers);
        if (outs instanceof Promise) throw new Error('litert.js: run returned a Promise (JSPI build?); expected the synchronous build');
        const result = outs.map((b) => readBuffer(e, b));
        for (const b of outs) b.delete();
        return result;
      },
      runApi: api.run,
      apiUnavailable: api.reason,
      dispose(): void {
        api.dispose();
        cleanup();
      },
    };
    return session;
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    quiet.restore();
  }
}

interface ApiPath {
  run: PeerSession['runApi'];
  reason: string | null;
  dispose(): void;
}

/** The public API path (`loadAndCompile` + `Tensor` + `CompiledModel.run`), when dtypes allow. */
async function openApi(e: Engine, model: Uint8Array, inputs: IoInfo[], outputs: IoInfo[]): Promise<ApiPath> {
  const bad = [...inputs.map((t, i) => ['input', i, t] as const), ...outputs.map((t, i) => ['output', i, t] as const)]
    .find(([, , t]) => JS_API_TYPES[t.elementType] === undefined);
  if (bad) {
    const [kind, i, t] = bad;
    const type = TYPE_NAMES[t.elementType] ?? `type ${t.elementType}`;
    return { run: null, reason: `LiteRT.js JS API has no ${type} dtype (model ${kind} ${i}); only float32/int32/uint8`, dispose() {} };
  }
  const { bytes } = fixDynamicDims(model);
  const compiled = await e.lib.loadAndCompile(bytes, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } } as LiteRtModule.CompileOptions);
  const ctor = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array };
  return {
    reason: null,
    async run(data: Uint8Array[]): Promise<Uint8Array[]> {
      checkInputs('litert.js', data, inputs.map((t) => t.bytes));
      const tensors = data.map((d, i) => {
        const C = ctor[JS_API_TYPES[inputs[i].elementType]];
        const copy = d.slice();
        return new e.lib.Tensor(new C(copy.buffer, 0, copy.byteLength / C.BYTES_PER_ELEMENT), inputs[i].shape);
      });
      try {
        const outs = await compiled.run(tensors);
        return outs.map((t) => {
          const a = t.toTypedArray();
          t.delete();
          return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        });
      } finally {
        for (const t of tensors) t.delete();
      }
    },
    dispose() {
      compiled.delete();
    },
  };
}

export const litert: Peer = {
  name: 'litert.js',
  async available(): Promise<string | null> {
    try {
      await getEngine();
      return null;
    } catch (e) {
      return errorText(e);
    }
  },
  open: openSession,
};
