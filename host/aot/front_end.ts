/**
 * The predictive-maintenance front-end inside a compiled module: when the source model carries
 * edgerun.pm metadata, the module also holds dsp_features (host/pm/features.ts's plan, same
 * tables and param block) and pm_quantize (normalize, quantize, K-vector context; the host twin is
 * host/pm/scorer.ts), so one window of samples in gives the model's input tensor, bit-identical
 * to the host path. README "Module ABI".
 *
 * Memory, after the model's own (from align16(layout.totalBytes), every item 16-byte aligned):
 *   ROM  pm_quantize block, mean f64[F], std f64[F], scale f64 (the input tensor's)
 *        dsp_features block, Hann window, twiddles, filter-bank rows and weights
 *   RAM  samples f32[windowSize x channels], features f32[F], DSP scratch (features.ts layout)
 *        history int8[K x F] (the quantized context, oldest first), filled i32
 * The context lives outside the arena: the arena may reuse the input tensor's bytes during an
 * invoke(), and the mse score needs the quantized input afterwards.
 */
import { BLOCKS } from '../abi/blocks.js';
import { ModelError } from '../errors.js';
import { elementCount } from '../graph/tensors.js';
import { alignUp } from '../plan/arena.js';
import type { PreparedModel } from '../plan/prepare.js';
import { featureMemory, installFeatures, planFeatures } from '../pm/features.js';
import type { PmMeta } from '../pm/model_meta.js';
import type { KernelInstance } from '../run/runtimes/runtime.js';

/** What edgerun.meta says about the front-end (ModuleMeta.frontEnd). */
export interface MetaFrontEnd {
  /** float32 values per window (windowSize x channels, interleaved) at samples_ptr(). */
  samples: number;
  featureCount: number;
  /** Feature vectors per inference (edgerun.pm context K). */
  context: number;
  /** The front-end's share of memory.romDataBytes (tables, param blocks, normalization). */
  romDataBytes: number;
  /** Its share of memory.ramBytes (window, features, DSP scratch, context). */
  ramBytes: number;
}

export interface FrontEndPlan {
  meta: MetaFrontEnd;
  /** ROM bytes, to be placed at romOffset as data segments. */
  romOffset: number;
  rom: Uint8Array;
  featuresBlock: number;
  quantizeBlock: number;
  samples: number;
  history: number;
  filled: number;
  /** First byte past the front-end: the module's linear-memory need. */
  end: number;
}

/** Checks that the model's input takes K feature vectors, as createScorer does; throws ModelError. */
function inputOf(prepared: PreparedModel, pm: PmMeta, featureCount: number, where: string) {
  const fail = (problem: string): never => {
    throw new ModelError(`${where}: edgerun.pm: ${problem}; cannot compile the DSP front-end into the module`);
  };
  if (prepared.inputs.length !== 1) fail(`a scoring model has one input, this one ${prepared.inputs.length}`);
  const input = prepared.inputs[0];
  if (input.dtype !== 'int8' || !(input.scale > 0)) fail(`input ${JSON.stringify(input.name)} must be quantized int8, it is ${input.dtype} with scale ${input.scale}`);
  const need = pm.context * featureCount;
  if (elementCount(input.shape) !== need) fail(`the model takes ${elementCount(input.shape)} input values, the features give ${pm.context} x ${featureCount} = ${need}`);
  return input;
}

/** Lays the front-end out after the model's memory and renders its ROM. */
export function planFrontEnd(prepared: PreparedModel, pm: PmMeta, where = 'model'): FrontEndPlan {
  const plan = planFeatures(pm.features);
  const count = plan.featureCount;
  const input = inputOf(prepared, pm, count, where);
  const base = alignUp(prepared.layout.totalBytes);
  const quantizeBlock = base;
  const mean = alignUp(quantizeBlock + BLOCKS.pm_quantize.bytes);
  const std = alignUp(mean + 8 * count);
  const scale = alignUp(std + 8 * count);
  const dspBase = alignUp(scale + 8);
  // installFeatures writes the plan's tables and block at absolute addresses: render into a
  // buffer that stands for linear memory up to the front-end's end.
  const memory = new Uint8Array(dspBase + featureMemory(plan).bytes);
  const shim: KernelInstance = { memory, call: () => { throw new Error('internal: not callable'); }, grow: () => false };
  const dsp = installFeatures(shim, plan, dspBase);
  const history = alignUp(dsp.end);
  const filled = alignUp(history + pm.context * count);
  const end = alignUp(filled + 4);
  const view = new DataView(memory.buffer);
  pm.normalize.mean.forEach((v, i) => view.setFloat64(mean + 8 * i, v, true));
  pm.normalize.std.forEach((v, i) => view.setFloat64(std + 8 * i, v, true));
  view.setFloat64(scale, input.scale, true);
  const { offsets } = BLOCKS.pm_quantize;
  const i32 = (field: keyof typeof offsets, v: number) => view.setInt32(quantizeBlock + offsets[field], v, true);
  i32('features', dsp.output);
  i32('mean', mean);
  i32('std', std);
  i32('scale', scale);
  i32('history', history);
  i32('input', prepared.layout.tensorAddress.get(input.index)!);
  i32('filled', filled);
  i32('count', count);
  i32('context', pm.context);
  i32('zeroPoint', input.zeroPoint);
  const romEnd = dsp.input; // features.ts puts its ROM (block, tables) before its RAM (input, output, scratch)
  return {
    meta: { samples: plan.spec.windowSize * plan.spec.channels, featureCount: count, context: pm.context, romDataBytes: romEnd - base, ramBytes: end - romEnd },
    romOffset: base,
    rom: memory.slice(base, romEnd),
    featuresBlock: dsp.block,
    quantizeBlock,
    samples: dsp.input,
    history,
    filled,
    end,
  };
}
