/**
 * Emits a standalone module with binaryen: the built kernel module (which imports `env.memory`)
 * becomes a module that defines and exports its own memory, holds the ROM image as data
 * segments, exports the ABI (invoke, input_ptr, output_ptr, reset) instead of the kernels, and
 * loses every kernel the model does not call (remove-unused-module-elements).
 *
 * Determinism: binaryen's global options are set explicitly before each emit, the input is
 * fixed bytes, and nothing depends on time, paths or iteration order of unordered collections;
 * the same model and kernel build give the same bytes.
 */
import type binaryenNamespace from 'binaryen';

type Binaryen = typeof binaryenNamespace;
type BModule = binaryenNamespace.Module;

/** binaryen's name for an imported memory that has no name in the binary (binaryen 132). */
const IMPORTED_MEMORY = 'mimport$0';

/** Zero runs at least this long split a data segment (a segment header costs ~7-10 bytes). */
const ZERO_RUN_SPLIT = 16;
/** Keep well under engines' segment limits (V8: 100,000 data segments). */
const MAX_SEGMENTS = 10_000;

export interface EmitPlan {
  /** The built kernel module (build/edgerun-<flavor>.wasm). */
  kernelModule: Uint8Array;
  simd: boolean;
  /** Linear-memory bytes [0, image.length) before the first call: ROM (weights, params, blocks),
   *  then the initial values of the variable tensors at [stateStart, image.length). */
  image: Uint8Array;
  stateStart: number;
  /** Memory size, minimum = maximum: the module never grows. */
  pages: number;
  /** Kernel calls in order: export name of the kernel and its param-block address. */
  calls: { kernel: string; block: number }[];
  inputAddresses: number[];
  outputAddresses: number[];
  /** Contents of the edgerun.meta custom section. */
  meta: Uint8Array;
  metaSection: string;
  /** The pm front-end (host/aot/front_end.ts), for models with edgerun.pm metadata. */
  frontEnd?: EmitFrontEnd;
}

export interface EmitFrontEnd {
  /** Its ROM (param blocks, tables, normalization), placed at romOffset. */
  romOffset: number;
  rom: Uint8Array;
  /** dsp_features, then pm_quantize: kernel export names and param-block addresses. */
  features: { kernel: string; block: number };
  quantize: { kernel: string; block: number };
  /** samples_ptr(), context_ptr(), and the context count reset() zeroes. */
  samples: number;
  history: number;
  filled: number;
}

let binaryenModule: Promise<Binaryen> | undefined;

/** binaryen is large (its load takes ~0.6 s): imported only when something is compiled. */
function loadBinaryen(): Promise<Binaryen> {
  binaryenModule ??= import('binaryen').then((m) => m.default);
  return binaryenModule;
}

/** The ROM image (placed at `base`) as active data segments, without the zero runs (memory starts zeroed). */
export function dataSegments(image: Uint8Array, base = 0): { offset: number; data: Uint8Array }[] {
  for (let minRun = ZERO_RUN_SPLIT; ; minRun *= 2) {
    const segments: { offset: number; data: Uint8Array }[] = [];
    let i = 0;
    while (i < image.length) {
      while (i < image.length && image[i] === 0) i++;
      if (i >= image.length) break;
      const start = i;
      let end = i;
      let zeros = 0;
      for (; i < image.length; i++) {
        if (image[i] !== 0) {
          zeros = 0;
          end = i + 1;
        } else if (++zeros >= minRun) {
          break;
        }
      }
      segments.push({ offset: base + start, data: image.subarray(start, end) });
    }
    if (segments.length <= MAX_SEGMENTS) return segments;
  }
}

function setGlobalOptions(b: Binaryen): void {
  b.setOptimizeLevel(3);
  b.setShrinkLevel(1);
  b.setDebugInfo(false);
  b.setLowMemoryUnused(false); // address 0..1023 holds the null guard and ROM
  b.setZeroFilledMemory(true); // the memory is defined here, so it starts zeroed
  b.setFastMath(false);
  b.setTrapsNeverHappen(false);
  b.setClosedWorld(false);
  b.clearPassArguments();
}

function features(b: Binaryen, simd: boolean): number {
  // The same set scripts/build-wasm.mjs builds the kernels with.
  return b.Features.MVP | b.Features.MutableGlobals | b.Features.SignExt | b.Features.NontrappingFPToInt |
    b.Features.BulkMemory | b.Features.BulkMemoryOpt | (simd ? b.Features.SIMD128 : 0);
}

/** The kernel module's exports (name -> internal function name), all removed from the module. */
function takeKernelExports(b: Binaryen, mod: BModule): Map<string, string> {
  const kernels = new Map<string, string>();
  const infos = Array.from({ length: mod.getNumExports() }, (_, i) => b.getExportInfo(mod.getExportByIndex(i)));
  for (const e of infos) {
    if (e.kind === b.ExternalFunction) kernels.set(e.name, e.value);
    mod.removeExport(e.name);
  }
  return kernels;
}

/** `(func (param i32) (result i32))` returning addresses[i], or -1 when i is out of range. */
function addressTable(b: Binaryen, mod: BModule, name: string, addresses: number[]): void {
  const i = () => mod.local.get(0, b.i32);
  const body = addresses.map((a, k) => mod.if(mod.i32.eq(i(), mod.i32.const(k)), mod.return(mod.i32.const(a))));
  mod.addFunction(name, b.i32, b.i32, [], mod.block(null, [...body, mod.i32.const(-1)], b.i32));
  mod.addFunctionExport(name, name);
}

/**
 * invoke(): each kernel call in order with its constant block address; the first non-zero
 * status s of call k returns ((k + 1) << 8) | min(s as unsigned, 255), so 0 means every call
 * succeeded and the failing call is recoverable from the status alone.
 */
function addInvoke(b: Binaryen, mod: BModule, kernels: Map<string, string>, calls: EmitPlan['calls']): void {
  const s = () => mod.local.get(0, b.i32);
  if (calls.length === 0) { // a model of aliases only (e.g. RESHAPE): nothing to call
    mod.addFunction('invoke', b.none, b.i32, [], mod.i32.const(0));
    return void mod.addFunctionExport('invoke', 'invoke');
  }
  mod.addFunction('status', b.createType([b.i32, b.i32]), b.i32, [], mod.i32.or(
    mod.i32.shl(mod.local.get(1, b.i32), mod.i32.const(8)),
    mod.select(mod.i32.lt_u(s(), mod.i32.const(256)), s(), mod.i32.const(255)),
  ));
  const body = calls.map((c, k) => {
    const fn = kernels.get(c.kernel);
    if (fn === undefined) throw new Error(`internal: the kernel module has no export ${c.kernel} (rebuild: npm run build)`);
    const call = mod.call(fn, [mod.i32.const(c.block)], b.i32);
    return mod.if(mod.local.tee(0, call, b.i32), mod.return(mod.call('status', [s(), mod.i32.const(k + 1)], b.i32)));
  });
  mod.addFunction('invoke', b.none, b.i32, [b.i32], mod.block(null, [...body, mod.i32.const(0)], b.i32));
  mod.addFunctionExport('invoke', 'invoke');
}

/** `status` in the form invoke() returns it: (call << 8) | min(status as unsigned, 255). */
function callStatus(b: Binaryen, mod: BModule, local: number, call: number): number {
  const s = () => mod.local.get(local, b.i32);
  return mod.i32.or(mod.i32.const(call << 8), mod.select(mod.i32.lt_u(s(), mod.i32.const(256)), s(), mod.i32.const(255)));
}

/**
 * features(): dsp_features, then pm_quantize. Returns pm_quantize's 0 (the input tensor holds a
 * full context) or 1 (the context is filling); a failure of call k (1 = dsp_features,
 * 2 = pm_quantize's status >= 2) returns (k << 8) | min(status, 255), as invoke() does.
 * samples_ptr() and context_ptr() return constant addresses.
 */
function addFrontEnd(b: Binaryen, mod: BModule, kernels: Map<string, string>, fe: EmitFrontEnd): void {
  const fn = (c: { kernel: string }) => {
    const f = kernels.get(c.kernel);
    if (f === undefined) throw new Error(`internal: the kernel module has no export ${c.kernel} (rebuild: npm run build)`);
    return f;
  };
  const s = () => mod.local.get(0, b.i32);
  mod.addFunction('features', b.none, b.i32, [b.i32], mod.block(null, [
    mod.if(mod.local.tee(0, mod.call(fn(fe.features), [mod.i32.const(fe.features.block)], b.i32), b.i32), mod.return(callStatus(b, mod, 0, 1))),
    mod.if(mod.i32.gt_u(mod.local.tee(0, mod.call(fn(fe.quantize), [mod.i32.const(fe.quantize.block)], b.i32), b.i32), mod.i32.const(1)),
      mod.return(callStatus(b, mod, 0, 2))),
    s(),
  ], b.i32));
  mod.addFunction('samples_ptr', b.none, b.i32, [], mod.i32.const(fe.samples));
  mod.addFunction('context_ptr', b.none, b.i32, [], mod.i32.const(fe.history));
  for (const name of ['features', 'samples_ptr', 'context_ptr']) mod.addFunctionExport(name, name);
}

/** reset(): memory.fill runs that restore the variable tensors' initial bytes; empties the
 *  front-end's context. */
function addReset(b: Binaryen, mod: BModule, image: Uint8Array, stateStart: number, fe?: EmitFrontEnd): void {
  const fills = [];
  if (fe) fills.push(mod.i32.store(0, 4, mod.i32.const(fe.filled), mod.i32.const(0), IMPORTED_MEMORY));
  for (let i = stateStart; i < image.length;) {
    let j = i;
    while (j < image.length && image[j] === image[i]) j++;
    fills.push(mod.memory.fill(mod.i32.const(i), mod.i32.const(image[i]), mod.i32.const(j - i), IMPORTED_MEMORY));
    i = j;
  }
  mod.addFunction('reset', b.none, b.none, [], fills.length === 0 ? mod.nop() : mod.block(null, fills, b.none));
}

export async function emitModule(plan: EmitPlan): Promise<Uint8Array> {
  const b = await loadBinaryen();
  setGlobalOptions(b);
  const mod = b.readBinary(plan.kernelModule);
  try {
    mod.setFeatures(features(b, plan.simd));
    const kernels = takeKernelExports(b, mod);
    try {
      mod.getMemoryInfo(IMPORTED_MEMORY);
    } catch {
      throw new Error(`internal: the kernel module's memory is not named ${IMPORTED_MEMORY} in binaryen (version changed?)`);
    }
    // Replaces the imported memory by a defined one under the same internal name, so every
    // load and store in the kernels now addresses it.
    const images = [dataSegments(plan.image), plan.frontEnd ? dataSegments(plan.frontEnd.rom, plan.frontEnd.romOffset) : []].flat();
    const segments = images.map((s) => ({ offset: mod.i32.const(s.offset), data: s.data, passive: false }));
    mod.setMemory(plan.pages, plan.pages, 'memory', segments, false, false, IMPORTED_MEMORY);
    addInvoke(b, mod, kernels, plan.calls);
    addressTable(b, mod, 'input_ptr', plan.inputAddresses);
    addressTable(b, mod, 'output_ptr', plan.outputAddresses);
    addReset(b, mod, plan.image, plan.stateStart, plan.frontEnd);
    mod.addFunctionExport('reset', 'reset');
    if (plan.frontEnd) addFrontEnd(b, mod, kernels, plan.frontEnd);
    mod.addCustomSection(plan.metaSection, plan.meta);
    // Drops the kernels and helpers invoke() does not reach, then splits the data segments where
    // zero runs make it pay. The kernels were optimized when the kernel module was built (same
    // levels); re-optimizing them (optimize()) changes the result by a few bytes and takes ~8x
    // longer, so only the generated functions are optimized here.
    mod.runPasses(['remove-unused-module-elements', 'memory-packing']);
    const generated = ['invoke', 'input_ptr', 'output_ptr', 'reset', ...(plan.frontEnd ? ['features', 'samples_ptr', 'context_ptr'] : [])];
    for (const name of generated) mod.optimizeFunction(name);
    if (!mod.validate()) throw new Error('internal: the compiled module does not validate');
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}
