/**
 * Ahead-of-time compilation: a .tflite model becomes one standalone .wasm (no imports) that
 * holds only the kernels the model calls, the ROM image as data segments, the arena at the
 * interpreter's fixed addresses, a generated invoke(), and the edgerun.meta section.
 * The interpreter and the compiler share everything up to the planned call list.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EdgerunError } from '../errors.js';
import { elementCount } from '../graph/tensors.js';
import type { PreparedModel } from '../plan/prepare.js';
import type { PlannedCall } from '../plan/layout.js';
import { callExport, kernelModule, type KernelFlavor } from '../run/kernels.js';
import { memoryNeed, memoryPages } from '../run/limits.js';
import { pmMetaOf } from '../pm/model_meta.js';
import { emitModule } from './emit.js';
import { planFrontEnd } from './front_end.js';
import { buildMeta, encodeMeta, META_SECTION, type ModuleMeta } from './meta.js';
import { exportsOf, moduleSizes, readSections } from './sections.js';

export interface CompiledModule {
  /** The .wasm file. */
  wasm: Uint8Array;
  meta: ModuleMeta;
  /** The whole module. */
  bytes: number;
  /** Module bytes minus the data section: code, types, exports, the meta section. */
  codeBytes: number;
  /** The data section: the ROM image without its zero runs. */
  dataBytes: number;
  /** Writable linear memory at run time (arena + SIMD over-read slack). */
  ramBytes: number;
  /** Constant bytes the model needs, counted as for the interpreter: romDataBytes + codeBytes. */
  romBytes: number;
}

/**
 * A SIMD kernel whose calls together do at most this much work (MACs, or output elements for
 * kernels without MACs) runs as its scalar twin: e.g. the SIMD SOFTMAX with its vector exp is
 * ~4.8 KB of code against ~2 KB for the twin, to score a dozen classes once.
 */
export const SCALAR_TWIN_MAX_WORK = 256;

let aotModule: Uint8Array | undefined;

/** build/edgerun-aot.wasm: the SIMD kernels plus their scalar twins as `<kernel>_ref`. */
function aotKernelModule(): Uint8Array {
  const path = fileURLToPath(new URL('../../../build/edgerun-aot.wasm', import.meta.url));
  try {
    aotModule ??= new Uint8Array(readFileSync(path));
  } catch {
    throw new EdgerunError(`kernel module ${path} is missing: run \`npm run build\``);
  }
  return aotModule;
}

/** Kernels (of the SIMD flavour) whose calls do so little work that the scalar twin is linked instead
 *  (none of whose calls is simdOnly). */
export function scalarTwinKernels(prepared: PreparedModel): string[] {
  const { model, layout } = prepared;
  const work = new Map<string, number>();
  const simdOnly = new Set(layout.calls.filter((c) => c.simdOnly).map((c) => c.kernel));
  for (const c of layout.calls) {
    if (simdOnly.has(c.kernel)) continue;
    const outputs = model.operators[c.opIndex].outputs.filter((t) => t >= 0);
    const elements = outputs.reduce((s, t) => s + elementCount(model.tensors[t].shape), 0);
    work.set(c.kernel, (work.get(c.kernel) ?? 0) + Math.max(c.macs, elements));
  }
  return [...work].filter(([, w]) => w <= SCALAR_TWIN_MAX_WORK).map(([k]) => k).sort();
}

/**
 * Compiles a prepared model; `source` is the .tflite file the model was read from (for its sha256).
 * A model with edgerun.pm metadata gets the DSP front-end too (host/aot/front_end.ts).
 */
export async function compilePrepared(prepared: PreparedModel, source: Uint8Array, kernels: KernelFlavor): Promise<CompiledModule> {
  const { layout } = prepared;
  const pm = pmMetaOf(prepared.model.metadata, 'model');
  const frontEnd = pm ? planFrontEnd(prepared, pm) : undefined;
  const need = memoryNeed(layout);
  if (frontEnd) {
    need.romDataBytes += frontEnd.meta.romDataBytes;
    need.linearMemoryBytes = frontEnd.end;
    need.ramBytes = need.linearMemoryBytes - need.romDataBytes;
  }
  const pages = memoryPages(need, {}).initial;
  const sha256 = createHash('sha256').update(source).digest('hex');
  const linked = kernels === 'simd' ? aotKernelModule() : kernelModule('ref');
  const twins = kernels === 'simd' ? scalarTwinKernels(prepared) : [];
  // A twin is linked only where it is other code than the kernel (some kernels are scalar in both builds).
  const functionOf = new Map(exportsOf(linked, readSections(linked)).map((e) => [e.name, e.index]));
  const linkedTwins = twins.filter((k) => functionOf.has(`${k}_ref`) && functionOf.get(`${k}_ref`) !== functionOf.get(k));
  const twinOf = (c: PlannedCall) => (kernels === 'simd' && (c.scalar || linkedTwins.includes(c.kernel)));
  const scalar = [...new Set(layout.calls.filter(twinOf).map((c) => c.kernel))].sort();
  const meta = buildMeta(prepared, kernels, scalar, { sha256, bytes: source.byteLength }, pages, frontEnd);
  const address = (index: number) => layout.tensorAddress.get(index)!;
  const wasm = await emitModule({
    kernelModule: linked,
    simd: kernels === 'simd',
    image: layout.image,
    stateStart: layout.stateStart,
    pages,
    // Compiled modules are what edge gateways run, under wasmtime: its kernel builds.
    calls: layout.calls.map((c) => ({ kernel: callExport(c.kernel, kernels, 'wasmtime', twinOf(c)), block: c.block })),
    inputAddresses: prepared.inputs.map((t) => address(t.index)),
    outputAddresses: prepared.outputs.map((t) => address(t.index)),
    meta: encodeMeta(meta),
    metaSection: META_SECTION,
    ...(frontEnd ? {
      frontEnd: {
        romOffset: frontEnd.romOffset, rom: frontEnd.rom,
        features: { kernel: 'dsp_features', block: frontEnd.featuresBlock },
        quantize: { kernel: 'pm_quantize', block: frontEnd.quantizeBlock },
        samples: frontEnd.samples, history: frontEnd.history, filled: frontEnd.filled,
      },
    } : {}),
  });
  const sizes = moduleSizes(wasm, readSections(wasm));
  return { wasm, meta, ...sizes, ramBytes: need.ramBytes, romBytes: need.romDataBytes + sizes.codeBytes };
}
