/**
 * Robustness: truncated, random and mutated model files must either load (read, validate,
 * prepare and plan: the whole of loadModel) or throw a typed model error: ModelError, or
 * UnsupportedOpError when a mutation turns an op code into one edgerun does not run.
 * Every failure names the model, seed and mutation so it can be replayed with `mutate()`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError, UnsupportedOpError } from '../host/errors.js';
import { rng } from './helpers.js';
import { loadModel } from '../host/index.js';
import { unsupportedOps } from '../host/plan/prepare.js';
import { readModel } from '../host/tflite/reader.js';
import type { Model } from '../host/tflite/model.js';
import { BuiltinOperator, TENSOR_TYPE_BITS } from '../host/tflite/schema.js';
import { parsePmMeta, PM_FORMAT } from '../host/pm/model_meta.js';
import { writeModel, type ModelSpec, type TensorSpec } from '../host/tflite/writer.js';

/** The function under test: change this one line to point the test at another loader. */
const load = (b: Uint8Array): unknown => loadModel(b).prepared.model;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Models beyond this many get a reduced sample, keeping the suite fast. */
const FULL_MODELS = 24;
/** EDGERUN_FUZZ_MUTATIONS=<n> runs a deeper local fuzz (n per model). */
const FUZZ = Number(process.env.EDGERUN_FUZZ_MUTATIONS) || 0;
const MUTATIONS = FUZZ || 1000;

// ---- seeded mutations (exported for reuse and replay) ----------------------------------------

/** mulberry32: small seeded PRNG returning floats in [0, 1) (tests/helpers.ts). */
export const mulberry32 = rng;

export interface Mutation {
  kind: 'flip' | 'byte' | 'u16' | 'u32' | 'span';
  pos: number;
  /** Bit index for flips, the value written otherwise (first byte for spans). */
  value: number;
  length: number;
}

/**
 * Applies 1..4 seeded mutations to `bytes` in place and returns them with an undo function.
 * Half of the positions fall in the first KiB, where the tables of small models live.
 */
export function mutateInPlace(bytes: Uint8Array, seed: number): { mutations: Mutation[]; undo: () => void } {
  const rand = mulberry32(seed);
  const len = bytes.length;
  const saved: { pos: number; old: Uint8Array }[] = [];
  const mutations: Mutation[] = [];
  if (len === 0) return { mutations, undo: () => {} };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const count = 1 + Math.floor(rand() ** 3 * 4);
  for (let k = 0; k < count; k++) {
    let pos = Math.floor(rand() * (rand() < 0.5 ? Math.min(len, 1024) : len));
    const r = rand();
    const kind: Mutation['kind'] = r < 0.3 ? 'flip' : r < 0.55 ? 'byte' : r < 0.7 ? 'u16' : r < 0.92 ? 'u32' : 'span';
    const size = kind === 'u16' ? 2 : kind === 'u32' ? 4 : kind === 'span' ? 8 + Math.floor(rand() * 57) : 1;
    if (kind === 'u16' || kind === 'u32') pos -= pos % size;
    if (pos + size > len) pos = Math.max(0, len - size);
    const n = Math.min(size, len - pos);
    saved.push({ pos, old: bytes.slice(pos, pos + n) });
    let value = 0;
    if (kind === 'flip') {
      value = Math.floor(rand() * 8);
      bytes[pos] ^= 1 << value;
    } else if (kind === 'byte') {
      value = pick([0x00, 0xff, 0x7f, 0x80]);
      bytes[pos] = value;
    } else if (kind === 'u16' && n === 2) {
      value = pick([0, 0xffff, 0x8000, 3, 4, 5, 0x7ffe, Math.floor(rand() * 0x10000)]);
      dv.setUint16(pos, value, true);
    } else if (kind === 'u32' && n === 4) {
      value = pick([0x7fffffff, 0xffffffff, 0x80000000, 0xfffffffe, 0x40000000, 0x10000, 0, 1, len, len - 4, len + 4,
        Math.floor(rand() * 0x100000000)]) >>> 0;
      dv.setUint32(pos, value, true);
    } else {
      for (let i = 0; i < n; i++) bytes[pos + i] = Math.floor(rand() * 256);
      value = bytes[pos]!;
    }
    mutations.push({ kind, pos, value, length: n });
  }
  const undo = () => {
    for (let i = saved.length - 1; i >= 0; i--) bytes.set(saved[i]!.old, saved[i]!.pos);
  };
  return { mutations, undo };
}

/** A mutated copy of `bytes` (same mutations as mutateInPlace with this seed). */
export function mutate(bytes: Uint8Array, seed: number): { bytes: Uint8Array; mutations: Mutation[] } {
  const copy = bytes.slice();
  return { bytes: copy, mutations: mutateInPlace(copy, seed).mutations };
}

export function describeMutations(ms: readonly Mutation[]): string {
  return ms.map((m) => (m.kind === 'flip' ? `flip@${m.pos}.bit${m.value}` : `${m.kind}@${m.pos}=0x${m.value.toString(16)}${m.kind === 'span' ? `+${m.length}` : ''}`)).join(' ');
}

// ---- models under test -----------------------------------------------------------------------

/** expectError: the golden index says this model must be rejected with that message. */
interface Sample { name: string; bytes: Uint8Array; expectError?: string }

function writerModels(): Sample[] {
  const INT8 = 9;
  const q = (s: number, z = 0) => ({ scale: [s], zeroPoint: [z] });
  const conv: ModelSpec = {
    tensors: [
      { name: 'input', shape: [1, 5, 5, 2], shapeSignature: [-1, 5, 5, 2], type: INT8, quantization: q(0.05, -3) },
      { name: 'w', shape: [4, 3, 3, 2], type: INT8, data: new Int8Array(72).fill(3), quantization: { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0] } },
      { name: 'b', shape: [4], type: 2, data: new Int32Array([1, 2, 3, 4]), quantization: { scale: [1e-3, 2e-3, 3e-3, 4e-3], zeroPoint: [0, 0, 0, 0] } },
      { name: 'out', shape: [1, 3, 3, 4], type: INT8, quantization: q(0.1, 7) },
    ],
    operators: [{ builtinCode: 3, version: 3, inputs: [0, 1, 2], outputs: [3], optionsType: 1, options: [
      { field: 0, kind: 'int8', value: 1 }, { field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 }] }],
    inputs: [0],
    outputs: [3],
    metadata: [{ name: 'min_runtime_version', data: new TextEncoder().encode('1.14.0') }],
    signatures: [{ key: 'serving_default', inputs: [{ name: 'x', tensor: 0 }], outputs: [{ name: 'y', tensor: 3 }] }],
  };
  const chain: TensorSpec[] = [{ name: 'x', shape: [1, 8], type: INT8, quantization: q(0.1) }];
  const ops: ModelSpec['operators'][number][] = [];
  for (let i = 0; i < 3; i++) {
    chain.push({ name: `w${i}`, shape: [8, 8], type: INT8, data: new Int8Array(64).fill(i), quantization: q(0.02) });
    chain.push({ name: `y${i}`, shape: [1, 8], type: INT8, quantization: q(0.1, i) });
    ops.push({ builtinCode: 9, version: 4, inputs: [2 * i, 2 * i + 1, -1], outputs: [2 * i + 2], optionsType: 8, options: [{ field: 2, kind: 'bool', value: true }] });
  }
  chain.push({ name: 'r', shape: [2, 4], type: INT8, quantization: q(0.1) }, { name: 'p', shape: [2, 4], type: INT8, quantization: q(1 / 256, -128) });
  ops.push({ builtinCode: 22, inputs: [6], outputs: [7], optionsType: 17, options: [{ field: 0, kind: 'int32[]', value: [2, 4] }] });
  ops.push({ builtinCode: 25, inputs: [7], outputs: [8], optionsType: 9, options: [{ field: 0, kind: 'float32', value: 1 }] });
  const mlp: ModelSpec = { tensors: chain, operators: ops, inputs: [0], outputs: [8] };
  const odd: ModelSpec = {
    tensors: [
      { name: 'a', shape: [2, 3], type: INT8, quantization: q(0.5), isVariable: true },
      { name: 'b', shape: [2, 3], type: INT8, data: Int8Array.of(1, 2, 3, 4), sparsity: {
        traversalOrder: [0, 1], blockMap: [],
        dimMetadata: [{ format: 'dense', denseSize: 2, segments: [], indices: [] }, { format: 'csr', denseSize: 0, segments: [0, 2, 4], indices: [0, 2, 1, 2] }],
      } },
      { name: 'c', shape: [2, 3], type: 17, data: new Uint8Array(3) },
      { name: 'd', shape: [2, 3], type: 1 },
    ],
    operators: [
      { builtinCode: 150, inputs: [0], outputs: [1] },
      { builtinCode: 32, customCode: 'Custom', inputs: [1, 2], outputs: [3] },
      { builtinCode: 4, inputs: [3], outputs: [0] },
    ],
    inputs: [0],
    outputs: [3],
    extraSubgraphs: 2,
    signatures: [{ key: 's1', inputs: [], outputs: [], subgraphIndex: 1 }],
  };
  return [
    { name: 'writer:conv', bytes: writeModel(conv) },
    { name: 'writer:conv-offset-buffers', bytes: writeModel({ ...conv, bufferStorage: 'offset' }) },
    { name: 'writer:mlp', bytes: writeModel(mlp) },
    { name: 'writer:odd', bytes: writeModel(odd) },
    { name: 'writer:legacy-no-identifier', bytes: writeModel({ ...mlp, deprecatedOpcodesOnly: true, fileIdentifier: false }) },
  ];
}

function fixtureModels(): Sample[] {
  const files: string[] = [];
  const cases = join(ROOT, 'tests/golden/cases');
  if (existsSync(cases)) {
    for (const op of readdirSync(cases).sort()) {
      let entries: string[];
      try { entries = readdirSync(join(cases, op)).sort(); } catch { continue; }
      for (const c of entries) {
        const f = join(cases, op, c, 'model.tflite');
        if (existsSync(f)) files.push(f);
      }
    }
  }
  const dirs = [join(ROOT, 'models'), ...(process.env.EDGERUN_EXTRA_MODELS ?? '').split(':').filter(Boolean)];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.tflite')) files.push(join(dir, f));
  }
  const mustReject = new Map<string, string>();
  const index = join(cases, 'index.json');
  if (existsSync(index)) {
    for (const c of JSON.parse(readFileSync(index, 'utf8')).cases as { dir: string; expectError?: string }[]) {
      if (c.expectError) mustReject.set(join(cases, c.dir, 'model.tflite'), c.expectError);
    }
  }
  return files.map((f) => {
    const b = readFileSync(f);
    return {
      name: f.startsWith(ROOT) ? f.slice(ROOT.length) : `${basename(dirname(f))}/${basename(f)}`,
      bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), expectError: mustReject.get(f),
    };
  });
}

/** Fixtures spread over op folders first, so the fully tested ones cover many ops. */
function interleaveByFolder(samples: Sample[]): Sample[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = dirname(dirname(s.name));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(s);
  }
  const out: Sample[] = [];
  const lists = [...groups.values()];
  for (let i = 0; out.length < samples.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

// ---- checking one load -----------------------------------------------------------------------

function isModel(x: unknown): x is Model {
  return typeof x === 'object' && x !== null && Array.isArray((x as Model).tensors) && Array.isArray((x as Model).operators);
}

/** What the reader promises about a model it returns; violations are plain Errors (bugs). */
function checkInvariants(m: Model, bytes: Uint8Array): void {
  const nt = m.tensors.length;
  const bad = (msg: string): never => { throw new Error(`invariant: ${msg}`); };
  for (const t of m.tensors) {
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`tensor ${t.index} shape ${t.shape}`);
    const bits = TENSOR_TYPE_BITS[t.type];
    if (bits === undefined) bad(`tensor ${t.index} type ${t.type}`);
    if (t.data) {
      // Sparse constants (and DENSIFY outputs) hold freshly densified values; all others are views.
      if (!t.sparsity && t.data.buffer !== bytes.buffer) bad(`tensor ${t.index} data is not a view of the input`);
      const count = t.shape.reduce((a, d) => a * d, 1);
      const need = Math.ceil((count * bits!) / 8);
      if (bits! >= 8 && t.data.length !== need) bad(`tensor ${t.index} data ${t.data.length} != ${need}`);
    }
    const q = t.quantization;
    if (q) {
      if (q.scale.length !== q.zeroPoint.length || q.scale.length === 0) bad(`tensor ${t.index} quantization lengths`);
      if (q.scale.length > 1 && q.scale.length !== t.shape[q.quantizedDimension]) bad(`tensor ${t.index} per-axis length`);
      for (const s of q.scale) if (!(s > 0 && Number.isFinite(s))) bad(`tensor ${t.index} scale ${s}`);
    }
  }
  const inRange = (x: number, optional: boolean) => Number.isInteger(x) && x < nt && x >= (optional ? -1 : 0);
  for (const op of m.operators) {
    if (!m.operatorCodes[op.opcodeIndex]) bad(`operator ${op.index} opcode ${op.opcodeIndex}`);
    if (!op.inputs.every((x) => inRange(x, true)) || !op.outputs.every((x) => inRange(x, false))) bad(`operator ${op.index} indices`);
    if (op.options) exerciseOptions(op.options);
  }
  if (!m.inputs.every((x) => inRange(x, false)) || !m.outputs.every((x) => inRange(x, false))) bad('subgraph indices');
  for (const s of m.signatures) for (const e of [...s.inputs, ...s.outputs]) if (!inRange(e.tensor, false)) bad(`signature ${s.key}`);
}

/**
 * Options are read lazily and this reads every field as every type, so a 4-byte read of a 1-byte
 * field at the end of a table is a legitimate ModelError here. Anything else is a bug.
 */
function exerciseOptions(o: NonNullable<Model['operators'][number]['options']>): void {
  const reads: ((f: number) => unknown)[] = [
    (f) => o.has(f), (f) => o.bool(f, false), (f) => o.int8(f, 0), (f) => o.uint8(f, 0),
    (f) => o.int32(f, 0), (f) => o.float32(f, 0), (f) => o.int32Vector(f),
  ];
  for (let f = 0; f < 8; f++) {
    for (const read of reads) {
      try { read(f); } catch (e) { if (!(e instanceof ModelError)) throw e; }
    }
  }
}

interface Stats { loads: number; ok: number; modelErrors: number; failures: string[]; slowest: number }

function attempt(bytes: Uint8Array, what: () => string, stats: Stats): void {
  stats.loads++;
  const t0 = performance.now();
  try {
    const result = load(bytes);
    if (isModel(result)) checkInvariants(result, bytes);
    stats.ok++;
  } catch (e) {
    if ((e instanceof ModelError || e instanceof UnsupportedOpError) && !e.message.includes('\n')) {
      stats.modelErrors++;
    } else if (stats.failures.length < 20) {
      const err = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      stats.failures.push(`${what()} -> ${err}`);
    }
  }
  stats.slowest = Math.max(stats.slowest, performance.now() - t0);
}

function report(label: string, stats: Stats, ms: number): void {
  console.log(`  ${label}: ${stats.loads} loads (${stats.ok} ok, ${stats.modelErrors} ModelError) in ${ms.toFixed(0)} ms, slowest ${stats.slowest.toFixed(1)} ms`);
  assert.is(stats.failures.length, 0, `non-ModelError outcomes:\n    ${stats.failures.join('\n    ')}`);
}

const started = performance.now();
const writer = writerModels();
const fixtures = interleaveByFolder(fixtureModels());
const models = [...writer, ...fixtures];
const full = (i: number) => i < FULL_MODELS;

test(`${models.length} models (${fixtures.length} fixtures) load cleanly`, () => {
  for (const m of models) {
    try {
      const r = load(m.bytes);
      if (isModel(r)) checkInvariants(r, m.bytes);
    } catch (e) {
      // Models holding ops edgerun does not run (writer:odd, fixtures for future ops) must
      // say exactly that, must-reject fixtures must give their error; anything else is a failure.
      if (m.expectError && e instanceof ModelError && e.message.includes(m.expectError)) continue;
      if (!(e instanceof UnsupportedOpError && unsupportedOps(readModel(m.bytes)).length > 0)) throw e;
    }
  }
});

test('truncations: every length for small models, ~200 points for larger ones', () => {
  const stats: Stats = { loads: 0, ok: 0, modelErrors: 0, failures: [], slowest: 0 };
  const t0 = performance.now();
  models.forEach((m, i) => {
    const len = m.bytes.length;
    const points = new Set<number>();
    const sample = full(i) ? 200 : 40;
    if (len <= 4096 && full(i)) for (let k = 0; k < len; k++) points.add(k);
    else {
      const rand = mulberry32(len + i);
      for (let k = 0; k < 16 && k < len; k++) { points.add(k); points.add(len - 1 - k); }
      while (points.size < Math.min(len, sample)) points.add(Math.floor(rand() * len));
    }
    for (const k of points) attempt(m.bytes.subarray(0, k), () => `${m.name} truncated to ${k} of ${len} bytes`, stats);
  });
  report('truncations', stats, performance.now() - t0);
});

test('200 random-byte buffers', () => {
  const stats: Stats = { loads: 0, ok: 0, modelErrors: 0, failures: [], slowest: 0 };
  const t0 = performance.now();
  const lengths = [0, 1, 3, 4, 7, 8, 9, 12, 16, 24, 32, 48, 64, 100, 128, 256, 1000, 4096, 65536];
  for (let seed = 1; seed <= 200; seed++) {
    const rand = mulberry32(seed * 7919);
    const len = lengths[Math.floor(rand() * lengths.length)]!;
    const b = new Uint8Array(len);
    for (let k = 0; k < len; k++) b[k] = Math.floor(rand() * 256);
    if (seed % 2 === 0 && len >= 12) {
      // Plausible header: identifier and a root offset inside the buffer.
      b.set([0x54, 0x46, 0x4c, 0x33], 4);
      new DataView(b.buffer).setUint32(0, 8 + Math.floor(rand() * (len - 8)), true);
    }
    attempt(b, () => `random buffer seed=${seed * 7919} length=${len}`, stats);
  }
  report('random buffers', stats, performance.now() - t0);
});

test(`${MUTATIONS} seeded mutations per model`, () => {
  const stats: Stats = { loads: 0, ok: 0, modelErrors: 0, failures: [], slowest: 0 };
  const t0 = performance.now();
  models.forEach((m, i) => {
    const n = full(i) ? MUTATIONS : 100;
    const work = m.bytes.slice();
    for (let k = 0; k < n; k++) {
      const seed = (i + 1) * 100_003 + k;
      const { mutations, undo } = mutateInPlace(work, seed);
      attempt(work, () => `${m.name} mutate(bytes, ${seed}): ${describeMutations(mutations)}`, stats);
      undo();
    }
  });
  report('mutations', stats, performance.now() - t0);
});

test('targeted corruptions: sizes, block shapes, offline plans, custom op names and pm metadata give one-line errors before any large allocation', () => {
  const INT8 = 9;
  const INT32 = 2;
  const F32 = 0;
  const q = { scale: [0.05], zeroPoint: [0] };
  const rejects = (spec: ModelSpec, pattern: RegExp) => {
    try {
      loadModel(writeModel(spec));
    } catch (e) {
      assert.ok(e instanceof ModelError, `${(e as Error).name}: ${(e as Error).message}`);
      assert.match((e as Error).message, pattern);
      assert.not.match((e as Error).message, /\n/);
      return;
    }
    assert.unreachable(`loaded; expected ${pattern}`);
  };
  const wide = 1 << 17;
  rejects({
    tensors: [
      { name: 'x', shape: [1, 1, 1, 1], type: INT8, quantization: q },
      { name: 'size', shape: [2], type: INT32, data: new Int32Array([1, wide]) },
      { name: 'y', shape: [1, 1, wide, 1], type: INT8, quantization: q },
    ],
    operators: [{ builtinCode: BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, inputs: [0, 1], outputs: [2] }],
    inputs: [0], outputs: [2],
  }, /size \[1, 131072\]: more than 65536 per axis/);
  rejects({
    tensors: [
      { name: 'x', shape: [128 * 128, 1, 1, 1], type: INT8, quantization: q },
      { name: 'block', shape: [2], type: INT32, data: new Int32Array([128, 128]) },
      { name: 'crops', shape: [2, 2], type: INT32, data: new Int32Array(4) },
      { name: 'y', shape: [1, 128, 128, 1], type: INT8, quantization: q },
    ],
    operators: [{ builtinCode: BuiltinOperator.BATCH_TO_SPACE_ND, inputs: [0, 1, 2], outputs: [3] }],
    inputs: [0], outputs: [3],
  }, /block_shape \[128,128\]: more than 4096 block positions/);
  const relu = (shape: number[], metadata: ModelSpec['metadata'] = [], type = INT8): ModelSpec => ({
    tensors: [{ name: 'x', shape, type, quantization: q }, { name: 'y', shape, type: INT8, quantization: q }],
    operators: [{ builtinCode: type === INT8 ? BuiltinOperator.RELU : BuiltinOperator.QUANTIZE, inputs: [0], outputs: [1] }],
    inputs: [0], outputs: [1], metadata,
  });
  rejects(relu([2, 1 << 30]), /needs 2147483648 bytes, over edgerun's limit of 268435456 \(256 MiB\) per tensor/);
  rejects(relu([1, (1 << 28) + 1]), /over edgerun's limit/);
  const plan = (...words: number[]) => [{ name: 'OfflineMemoryAllocation', data: new Uint8Array(Int32Array.from(words).buffer) }];
  rejects(relu([1, 8], plan(1, 0, 2, 2, 64), F32), /tensor 0: offset 2 is not a multiple of its 4-byte elements/);
  rejects(relu([1, 8], plan(1, 0, 2, 0x7ffffff0, 0)), /tensor 0 at offset 2147483632 ends past 268435456 bytes \(256 MiB\), edgerun's limit for any buffer/);
  const custom = `x\n\u001b[31m${'A'.repeat(100_000)}`;
  const weird: ModelSpec = { ...relu([4]), operators: [{ builtinCode: BuiltinOperator.CUSTOM, customCode: custom, inputs: [0], outputs: [1] }] };
  assert.throws(() => loadModel(writeModel(weird)), (e: unknown) =>
    e instanceof UnsupportedOpError && !/\n|\u001b/.test(e.message) && e.message.length < 200);
  const STRING = 5; // no typed view for it
  const strings: ModelSpec = {
    tensors: [{ name: 'x', shape: [4], type: STRING }, { name: 'y', shape: [4], type: STRING }],
    operators: [{ builtinCode: BuiltinOperator.RESHAPE, inputs: [0], outputs: [1] }],
    inputs: [0], outputs: [1],
  };
  assert.throws(() => loadModel(writeModel(strings)).createInterpreter(), (e: unknown) =>
    e instanceof ModelError && /a graph input or output of dtype string cannot be read or written through the API/.test(e.message));
  for (const task of ['constructor', '__proto__', 'valueOf']) {
    assert.throws(() => parsePmMeta({ format: PM_FORMAT, task }, 'm'), /edgerun\.pm task must be anomaly, classify or rul/);
  }
});

test('summary', () => {
  console.log(`  robustness total ${(performance.now() - started).toFixed(0)} ms for ${models.length} models`);
});

test.run();
