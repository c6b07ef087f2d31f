/**
 * The `edgerun.meta` custom section of a compiled module: UTF-8 JSON that tells any host how to
 * drive the module without the source model (format "edgerun.meta/1", README "Module ABI").
 *
 * It cannot hold the module's own size (it is part of the module): codeBytes and romBytes are
 * measured from the file when it is read.
 */
import { ModelError } from '../errors.js';
import { OPTIMIZE_FOR, type OptimizeFor } from '../graph/tensors.js';
import { MAX_TENSOR_BYTES } from '../tflite/reader.js';
import type { PreparedModel, TensorInfo } from '../plan/prepare.js';
import type { KernelFlavor } from '../run/kernels.js';
import { memoryNeed } from '../run/limits.js';
import { planFeatures } from '../pm/features.js';
import { parsePmMeta, type PmMeta, pmMetaOf } from '../pm/model_meta.js';
import type { MetaFrontEnd } from './front_end.js';

export const META_SECTION = 'edgerun.meta';
export const META_FORMAT = 'edgerun.meta/1';

/** Bytes per element of the dtypes that cross the API (as TensorInfo.dtype spells them). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8,
};

export interface MetaMemory {
  arenaBytes: number;
  lowerBoundBytes: number;
  weightsBytes: number;
  paramsBytes: number;
  /** Writable at run time: the arena plus the 16-byte SIMD over-read slack. */
  ramBytes: number;
  /** Constant data in linear memory (the data segments, before zero runs are dropped). */
  romDataBytes: number;
  /** romDataBytes + ramBytes. */
  linearMemoryBytes: number;
  /** The module's memory, in 64 KiB pages: its minimum and its maximum (it never grows). */
  pages: number;
}

export interface ModuleMeta {
  format: typeof META_FORMAT;
  kernels: KernelFlavor;
  /** The layouts prepare chose (`--optimize`); absent in modules compiled before the option. */
  optimize?: OptimizeFor;
  model: { sha256: string; bytes: number; description: string; version: number };
  /** The source model's operators, in execution order (index = TFLite operator index). */
  ops: string[];
  /** One entry per kernel call made by invoke(), in order: the index of the operator it belongs
   *  to. A failing invoke() returns ((call + 1) << 8) | kernelStatus: ops[calls[call]] names the op. */
  calls: number[];
  /** Kernels this module runs (for some or all of their calls) as their scalar twin although
   *  `kernels` is "simd": the model gives them so little work that their SIMD code would cost more
   *  bytes than it saves time, or the SIMD fast path does not apply to a call (PlannedCall.scalar). */
  scalarKernels: string[];
  /** Multiply-accumulates per invoke(). */
  macs: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  memory: MetaMemory;
  /** The source model's edgerun.pm metadata (features, normalization, threshold), when it has one. */
  pm?: PmMeta;
  /** Present when the module computes the pm front-end itself (exports samples_ptr, features,
   *  context_ptr): always with `pm`. Its memory is included in `memory`. */
  frontEnd?: MetaFrontEnd;
}

/** `frontEnd` (with `end`, its first byte past linear memory) adds the front-end to the memory figures. */
export function buildMeta(
  prepared: PreparedModel, kernels: KernelFlavor, scalarKernels: string[], model: { sha256: string; bytes: number }, pages: number,
  frontEnd?: { meta: MetaFrontEnd; end: number },
): ModuleMeta {
  const { layout } = prepared;
  const need = memoryNeed(layout);
  const extraRom = frontEnd?.meta.romDataBytes ?? 0;
  const pm = pmMetaOf(prepared.model.metadata, 'model');
  for (const t of [...prepared.inputs, ...prepared.outputs]) {
    if (!(t.dtype in DTYPE_BYTES)) throw new ModelError(`tensor ${t.index} (${JSON.stringify(t.name)}): dtype ${t.dtype} cannot cross a compiled module's ABI`);
  }
  return {
    format: META_FORMAT,
    kernels,
    optimize: prepared.optimize,
    model: { ...model, description: prepared.model.description, version: prepared.model.version },
    ops: prepared.model.operators.map((op) => op.opName),
    calls: layout.calls.map((c) => c.opIndex),
    scalarKernels,
    macs: layout.calls.reduce((s, c) => s + c.macs, 0),
    inputs: prepared.inputs,
    outputs: prepared.outputs,
    memory: {
      arenaBytes: layout.arena.arenaBytes,
      lowerBoundBytes: layout.arena.lowerBoundBytes,
      weightsBytes: layout.weightsBytes,
      paramsBytes: layout.paramsBytes + extraRom,
      ramBytes: frontEnd ? frontEnd.end - need.romDataBytes - extraRom : need.ramBytes,
      romDataBytes: need.romDataBytes + extraRom,
      linearMemoryBytes: frontEnd ? frontEnd.end : need.linearMemoryBytes,
      pages,
    },
    ...(pm ? { pm } : {}),
    ...(frontEnd ? { frontEnd: frontEnd.meta } : {}),
  };
}

export function encodeMeta(meta: ModuleMeta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(meta));
}

/** Parses and checks the section's contents; every failure is one ModelError naming the field. */
/** Whether JSON `value` nests deeper than `limit` (checked without recursion: no stack to exhaust). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export function decodeMeta(contents: Uint8Array): ModuleMeta {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(contents));
  } catch (e) {
    throw new ModelError(`module: ${META_SECTION} is not UTF-8 JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (nestedDeeperThan(value, 64)) throw new ModelError(`module: ${META_SECTION} is nested more than 64 levels deep`);
  const check = new MetaChecker();
  const m = check.object(value, '');
  if (m.format !== META_FORMAT) check.fail('format', `must be ${JSON.stringify(META_FORMAT)}, got ${JSON.stringify(m.format)}`);
  if (m.kernels !== 'simd' && m.kernels !== 'ref') check.fail('kernels', 'must be "simd" or "ref"');
  if (m.optimize !== undefined && !OPTIMIZE_FOR.includes(m.optimize as OptimizeFor)) check.fail('optimize', 'must be "speed" or "size"');
  const model = check.object(m.model, 'model');
  if (typeof model.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(model.sha256)) check.fail('model.sha256', 'must be 64 hex digits');
  check.count(model.bytes, 'model.bytes');
  check.string(model.description, 'model.description');
  check.count(model.version, 'model.version');
  const ops = check.array(m.ops, 'ops');
  ops.forEach((op, i) => check.string(op, `ops[${i}]`));
  check.array(m.calls, 'calls').forEach((op, i) => {
    if (check.count(op, `calls[${i}]`) >= ops.length) check.fail(`calls[${i}]`, `is not an index into ops (${ops.length} ops)`);
  });
  check.array(m.scalarKernels, 'scalarKernels').forEach((k, i) => check.string(k, `scalarKernels[${i}]`));
  check.count(m.macs, 'macs');
  for (const side of ['inputs', 'outputs'] as const) {
    const list = check.array(m[side], side);
    if (list.length === 0) check.fail(side, 'is empty');
    list.forEach((t, i) => check.tensor(t, `${side}[${i}]`));
  }
  const memory = check.object(m.memory, 'memory');
  for (const k of ['arenaBytes', 'lowerBoundBytes', 'weightsBytes', 'paramsBytes', 'ramBytes', 'romDataBytes', 'linearMemoryBytes', 'pages']) {
    check.count(memory[k], `memory.${k}`);
  }
  if ((memory.pages as number) < 1 || (memory.pages as number) > 65536) check.fail('memory.pages', 'must be 1..65536');
  if (m.pm !== undefined) m.pm = parsePmMeta(m.pm, `module: ${META_SECTION}: pm`);
  if (m.frontEnd !== undefined) check.frontEnd(m.frontEnd, m.pm as PmMeta | undefined, m.inputs as { shape: number[] }[]);
  return value as ModuleMeta;
}

class MetaChecker {
  fail(field: string, problem: string): never {
    throw new ModelError(`module: ${META_SECTION}: ${field || 'the JSON'} ${problem}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as Record<string, unknown>;
  }

  array(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, 'must be an array');
    return v;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'must be a string');
    return v;
  }

  count(v: unknown, field: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(field, 'must be a whole number >= 0');
    return v;
  }

  /** The front-end's figures agree with the pm metadata and the (already checked) input tensor. */
  frontEnd(v: unknown, pm: PmMeta | undefined, inputs: { shape: number[] }[]): void {
    const f = this.object(v, 'frontEnd');
    for (const k of ['samples', 'featureCount', 'context', 'romDataBytes', 'ramBytes']) this.count(f[k], `frontEnd.${k}`);
    if (!pm) this.fail('frontEnd', 'needs pm (the metadata it was compiled from)');
    const { spec, featureCount } = planFeatures(pm.features);
    if (f.samples !== spec.windowSize * spec.channels) this.fail('frontEnd.samples', `must be pm.features windowSize x channels = ${spec.windowSize * spec.channels}`);
    if (f.featureCount !== featureCount) this.fail('frontEnd.featureCount', `must be ${featureCount} (pm.features)`);
    if (f.context !== pm.context) this.fail('frontEnd.context', `must be pm.context = ${pm.context}`);
    const elements = inputs.length === 1 ? inputs[0].shape.reduce((a, b) => a * b, 1) : -1;
    if (elements !== featureCount * pm.context) this.fail('frontEnd', `needs one input of context x featureCount = ${featureCount * pm.context} values`);
  }

  tensor(v: unknown, field: string): void {
    const t = this.object(v, field);
    this.count(t.index, `${field}.index`);
    this.string(t.name, `${field}.name`);
    const shape = this.array(t.shape, `${field}.shape`).map((d, i) => this.count(d, `${field}.shape[${i}]`));
    const size = DTYPE_BYTES[this.string(t.dtype, `${field}.dtype`)];
    if (size === undefined) this.fail(`${field}.dtype`, `${JSON.stringify(t.dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
    if (typeof t.scale !== 'number' || !Number.isFinite(t.scale)) this.fail(`${field}.scale`, 'must be a finite number');
    if (typeof t.zeroPoint !== 'number' || !Number.isSafeInteger(t.zeroPoint)) this.fail(`${field}.zeroPoint`, 'must be an integer');
    const bytes = shape.reduce((a, b) => a * b, size);
    if (t.bytes !== bytes) this.fail(`${field}.bytes`, `must be ${bytes} (shape x ${size}-byte ${t.dtype}), got ${JSON.stringify(t.bytes)}`);
    if (bytes > MAX_TENSOR_BYTES) this.fail(`${field}.bytes`, `${bytes} is over edgerun's limit of ${MAX_TENSOR_BYTES} (256 MiB) per tensor`);
  }
}
