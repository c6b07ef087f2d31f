/** edgerun's public API: the only module other code imports. */
import { readRegularFile } from './files.js';
import { compilePrepared, type CompiledModule } from './aot/compile.js';
import { isWasm } from './aot/sections.js';
import { EdgerunError, InputError, ModelError } from './errors.js';
import { OPTIMIZE_FOR, type OptimizeFor } from './graph/tensors.js';
import { OPS } from './ops/registry.js';
import { type PreparedModel, prepareModel, type TensorInfo, tensorInfo, unsupportedOps } from './plan/prepare.js';
import { Interpreter, type InterpreterOptions } from './run/interpreter.js';
import { CompiledModel, type ModuleReport } from './run/compiled.js';
import { kernelModule, type KernelFlavor } from './run/kernels.js';
import type { Model } from './tflite/model.js';
import { readModel } from './tflite/reader.js';
import { foldSparseConstants } from './graph/sparse.js';
import { type PmMeta, pmMetaOf } from './pm/model_meta.js';

export { OPTIMIZE_FOR, type OptimizeFor } from './graph/tensors.js';
export { EdgerunError, InputError, KernelError, MemoryLimitError, ModelError, TimeoutError, UnsupportedOpError } from './errors.js';
export { Interpreter, MAX_TIMEOUT_MS } from './run/interpreter.js';
export type { InterpreterOptions, OpTiming, TensorData, TensorView } from './run/interpreter.js';
export type { TensorInfo } from './plan/prepare.js';
export type { KernelFlavor } from './run/kernels.js';
export { v8Runtime } from './run/runtimes/v8.js';
export { wasmtimeRuntime } from './run/runtimes/wasmtime.js';
export { getRuntime, listRuntimes, RUNTIME_NAMES } from './run/runtimes/index.js';
export type { RuntimeInfo } from './run/runtimes/index.js';
export type { InstanceOptions, KernelInstance, MemoryPages, ModuleInstance, Runtime, StandaloneOptions } from './run/runtimes/runtime.js';
export { readNpy, writeNpy } from './io/npy.js';
export { formatBytes, formatSize, parseSize, parseSizeList } from './io/size.js';
export { benchmark, profile, sweepMemoryLimits } from './run/bench.js';
export type { BenchOptions, BenchResult, LimitSweepRow, OpProfile } from './run/bench.js';
export { checkLimits, fitsLimits, memoryPages, PAGE_BYTES } from './run/limits.js';
export type { LinearMemoryInfo, MemoryLimits, MemoryNeed } from './run/limits.js';
export { planReport, renderPlanSvg, renderPlanText } from './plan/render.js';
export { CompiledInterpreter, CompiledModel, FRONT_END_ABI, MODULE_ABI } from './run/compiled.js';
export type { ModuleReport } from './run/compiled.js';
export type { ModelRunner, RunnerFrontEnd } from './run/runner.js';
export type { CompiledModule } from './aot/compile.js';
export type { MetaMemory, ModuleMeta } from './aot/meta.js';
export { isWasm } from './aot/sections.js';
export type { PlanBuffer, PlannedModel, PlanReport } from './plan/render.js';
export { parsePmMeta, PM_FORMAT, PM_METADATA, withOverrides } from './pm/model_meta.js';
export type { PmMeta, PmScore, PmTask } from './pm/model_meta.js';
export { createFeatureExtractor, planFeatures, featureMemory, STATS_NAMES } from './pm/features.js';
export type { FeatureExtractor, FeatureGroup, FeaturePlan, FeatureSpec, BandScale } from './pm/features.js';
export { createScorer } from './pm/scorer.js';
export type { Scorer, ScorerTiming, WindowScore } from './pm/scorer.js';
export { CsvScorer } from './pm/stream.js';
export type { StreamScore, StreamStats } from './pm/stream.js';
export { bearingFrequencies, createSynth, FAULTS, makeMachine, splitMachines, synthesize, toCsv } from './pm/synth.js';
export type { Fault, Machine, Synth, SynthMeta, SynthOptions, SynthRun, WindowLabel } from './pm/synth.js';
export { BundleError } from './bundle/errors.js';
export type { RefusalReason } from './bundle/errors.js';
export { canonicalJson } from './bundle/canonical.js';
export { BUNDLE_MAGIC, decodeBundle, DEFAULT_MAX_MODULE_BYTES, encodeBundle, readBundleFile } from './bundle/container.js';
export type { BundleParts, Signature as BundleSignature } from './bundle/container.js';
export { engineFeatures, moduleFeatures, WASM_FEATURES } from './bundle/features.js';
export type { WasmFeature } from './bundle/features.js';
export { generateKey, keyId, loadPrivateKey, loadPublicKey, loadTrust } from './bundle/keys.js';
export type { GeneratedKey, PublicKey } from './bundle/keys.js';
export { BUNDLE_FORMAT, decodeManifest, encodeManifest } from './bundle/manifest.js';
export type { BundleManifest, ManifestMemory, ManifestTensor } from './bundle/manifest.js';
export { packBundle, signBundle } from './bundle/pack.js';
export type { PackedBundle, PackOptions } from './bundle/pack.js';
export { selfTest, verifyBundle } from './bundle/verify.js';
export type { SelfTestOptions, SelfTestResult, VerifiedBundle, VerifyOptions } from './bundle/verify.js';
export { GatewayAgent } from './gateway/agent.js';
export type { BundleSource, GatewayEvent, GatewayOptions, InstallResult, ModelStatus } from './gateway/agent.js';
export { startHttp } from './gateway/http.js';
export type { HttpOptions } from './gateway/http.js';
export { startMqtt } from './gateway/mqtt.js';
export type { MqttOptions } from './gateway/mqtt.js';
export { flashHttp } from './gateway/flash.js';
export { flashFleet } from './gateway/fleet.js';
export type { FleetOptions } from './gateway/fleet.js';
export type { GatewayOutcome, GatewayReport, RolloutOptions, RolloutReport } from './gateway/flash.js';
export { topics as mqttTopics } from './gateway/topics.js';

export interface MemoryFigures {
  /** Activation arena: every intermediate tensor and per-call scratch, planned. */
  arenaBytes: number;
  /** The most activation bytes live at one step: the smallest arena any plan could reach. */
  lowerBoundBytes: number;
  /** Model constants: weights, biases, constant tensors. */
  weightsBytes: number;
  /** Param blocks, prepared per-channel quantization data, null guard and alignment. */
  paramsBytes: number;
  /** The kernel module's bytes (code lives outside linear memory). */
  codeBytes: number;
  /** Everything writable at run time: the arena plus the 16 bytes SIMD loads may over-read. */
  ramBytes: number;
  /** Constant data in linear memory: weightsBytes + paramsBytes. */
  romDataBytes: number;
  /** Everything constant: romDataBytes + codeBytes. */
  romBytes: number;
  /** Linear memory the model needs: romDataBytes + ramBytes (before rounding to 64 KiB pages). */
  linearMemoryBytes: number;
}

export interface ModelReport {
  ops: string[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  unsupported: { index: number; op: string }[];
  /** null when the model cannot be prepared (unsupported ops). */
  memory: MemoryFigures | null;
  description: string;
  version: number;
  /** Compiled modules only: the module's own figures. */
  module?: ModuleReport;
  /** Predictive-maintenance metadata (edgerun.pm), when the model carries it. */
  pm?: PmMeta;
}

export interface LoadOptions {
  /** Kernel module: 'simd' (default) or the scalar 'ref' twins. */
  kernels?: KernelFlavor;
  /** 'speed' (default) or 'size': no weight layout or scratch that trades ROM or RAM for speed (README, "Speed or size"). */
  optimize?: OptimizeFor;
}

/** LoadOptions with their defaults, checked (JavaScript callers may pass anything). */
function checkedOptions(options: LoadOptions): { kernels: KernelFlavor; optimize: OptimizeFor } {
  const kernels = options.kernels ?? 'simd';
  const optimize = options.optimize ?? 'speed';
  const shown = (v: unknown) => JSON.stringify(v) ?? String(v);
  if (kernels !== 'simd' && kernels !== 'ref') throw new InputError(`kernels must be 'simd' or 'ref', got ${shown(kernels)}`);
  if (!OPTIMIZE_FOR.includes(optimize)) throw new InputError(`optimize must be 'speed' or 'size', got ${shown(optimize)}`);
  return { kernels, optimize };
}

/** Flatbuffers (and so .tflite files) stop at 2 GiB; compiled modules are smaller still. */
const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

function modelBytes(source: string | Uint8Array): Uint8Array {
  return typeof source === 'string' ? readRegularFile(source, MAX_MODEL_FILE_BYTES) : source;
}

function memoryFigures(prepared: PreparedModel, flavor: KernelFlavor): MemoryFigures {
  const { layout } = prepared;
  const codeBytes = kernelModule(flavor).byteLength;
  const romDataBytes = layout.weightsBytes + layout.paramsBytes;
  return {
    arenaBytes: layout.arena.arenaBytes,
    lowerBoundBytes: layout.arena.lowerBoundBytes,
    weightsBytes: layout.weightsBytes,
    paramsBytes: layout.paramsBytes,
    codeBytes,
    ramBytes: layout.totalBytes - romDataBytes,
    romDataBytes,
    romBytes: romDataBytes + codeBytes,
    linearMemoryBytes: layout.totalBytes,
  };
}

/** A model that has been read, validated and prepared; make interpreters from it. */
export class EdgerunModel {
  readonly ops: string[];
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly memory: MemoryFigures;

  constructor(readonly prepared: PreparedModel, readonly kernels: KernelFlavor) {
    this.ops = prepared.model.operators.map((op) => op.opName);
    this.inputs = prepared.inputs;
    this.outputs = prepared.outputs;
    this.memory = memoryFigures(prepared, kernels);
  }

  createInterpreter(options: InterpreterOptions = {}): Interpreter {
    return new Interpreter(this.prepared, { kernels: this.kernels, ...options });
  }
}

/** Reads, validates and prepares a .tflite model (path or bytes). Throws typed EdgerunErrors. */
export function loadModel(source: string | Uint8Array, options: LoadOptions = {}): EdgerunModel {
  const { kernels, optimize } = checkedOptions(options);
  return new EdgerunModel(prepareModel(parse(source), kernels, optimize), kernels);
}

/** Reads a module made by compileModel / `edgerun compile`. Throws ModelError if it is not one. */
export function loadCompiled(source: string | Uint8Array): CompiledModel {
  return new CompiledModel(modelBytes(source));
}

/** A .tflite model or a compiled .wasm, told apart by content (the `\0asm` magic), not by name.
 *  options.kernels, for a compiled module, must be the flavour it was compiled with. */
export function openModel(source: string | Uint8Array, options: LoadOptions = {}): EdgerunModel | CompiledModel {
  const bytes = modelBytes(source);
  if (!isWasm(bytes)) return loadModel(bytes, options);
  checkedOptions(options);
  const compiled = new CompiledModel(bytes);
  if (options.kernels !== undefined && options.kernels !== compiled.kernels) {
    throw new InputError(`the module was compiled with ${compiled.kernels} kernels; --kernels ${options.kernels} needs a recompile`);
  }
  if (options.optimize !== undefined && options.optimize !== compiled.meta.optimize) {
    throw new InputError(compiled.meta.optimize
      ? `the module was compiled with --optimize ${compiled.meta.optimize}; --optimize ${options.optimize} needs a recompile`
      : 'the module does not record --optimize (compiled before the option); it keeps the layouts it was compiled with');
  }
  return compiled;
}

/** Compiles a .tflite model ahead of time into one standalone .wasm (README, "Compiling a model"). */
export async function compileModel(source: string | Uint8Array, options: LoadOptions = {}): Promise<CompiledModule> {
  const bytes = modelBytes(source);
  if (isWasm(bytes)) throw new InputError('the input is already a compiled WebAssembly module; compile takes a .tflite model');
  const model = loadModel(bytes, options);
  return compilePrepared(model.prepared, bytes, model.kernels);
}

/** Describes a model without requiring every op to be supported. Throws ModelError if malformed.
 *  A compiled .wasm is described from its edgerun.meta section. */
export function inspectModel(source: string | Uint8Array, options: LoadOptions = {}): ModelReport {
  const { kernels, optimize } = checkedOptions(options);
  const bytes = modelBytes(source);
  if (isWasm(bytes)) {
    const compiled = openModel(bytes, options) as CompiledModel;
    return { ...compiled.report(), ...(compiled.meta.pm ? { pm: compiled.meta.pm } : {}) };
  }
  const model = parse(bytes);
  const pm = pmMetaOf(model.metadata, typeof source === 'string' ? source : 'model');
  const unsupported = unsupportedOps(model);
  const base = {
    ops: model.operators.map((op) => op.opName),
    inputs: model.inputs.map((i) => tensorInfo(model.tensors[i])),
    outputs: model.outputs.map((i) => tensorInfo(model.tensors[i])),
    unsupported,
    description: model.description,
    version: model.version,
    ...(pm ? { pm } : {}),
  };
  if (unsupported.length > 0) return { ...base, memory: null };
  return { ...base, memory: memoryFigures(prepareModel(model, kernels, optimize), kernels) };
}

function parse(source: string | Uint8Array): Model {
  const bytes = modelBytes(source);
  if (isWasm(bytes)) throw new ModelError('model: this is a compiled WebAssembly module, not a .tflite model (use openModel or loadCompiled)');
  return foldSparseConstants(readModel(bytes));
}

/** A model's edgerun.pm metadata (a .tflite's metadata entry, a compiled module's meta.pm), or null. */
export function pmMetaOfModel(model: EdgerunModel | CompiledModel, where = 'model'): PmMeta | null {
  return model instanceof CompiledModel ? model.meta.pm ?? null : pmMetaOf(model.prepared.model.metadata, where);
}

/** The op registry, for tools and docs: builtin name and what is supported. */
export function supportedOps(): { name: string; summary: string }[] {
  return OPS.map((op) => ({ name: op.name, summary: op.summary }));
}

export function isEdgerunError(e: unknown): e is EdgerunError {
  return e instanceof EdgerunError;
}
