/**
 * Ahead-of-time compiled modules: every golden fixture compiled and run gives the interpreter's
 * outputs byte for byte; the module ABI (no imports, exactly the ABI exports, edgerun.meta);
 * determinism; dead-kernel removal; status codes; the CLI on .wasm files; malformed modules;
 * the README's plain-JavaScript snippet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import binaryen from 'binaryen';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { META_SECTION } from '../host/aot/meta.js';
import { readSections } from '../host/aot/sections.js';
import {
  compileModel, CompiledModel, getRuntime, type Interpreter, KernelError, listRuntimes, loadCompiled, loadModel, MemoryLimitError, ModelError, MODULE_ABI, openModel,
} from '../host/index.js';
import { asBytes, casePath, firstDifference, goldenCases, type GoldenCase, npyBytes, rng, ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const KWS = join(ROOT, 'models', 'kws_dscnn.tflite');
const KWS_INPUT = join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy');
const KWS_EXPECTED = join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy');
const AUTOENCODER = join(ROOT, 'models', 'bench', 'ad_autoencoder.tflite');
const BENCH = ['kws_dscnn', 'vww_mobilenetv1_025', 'ic_resnet8', 'ad_autoencoder', 'ww_dscnn1d'];
const tmp = mkdtempSync(join(tmpdir(), 'edgerun-aot-'));
const cases = goldenCases();

const int8 = (b: Uint8Array) => new Int8Array(b.buffer, b.byteOffset, b.length);

async function instantiate(wasm: Uint8Array): Promise<WebAssembly.Instance> {
  return (await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, {})).instance;
}

function edgerun(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.is(r.code, code, r.stderr);
  assert.match(r.stderr, /^edgerun: error: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

/** Runs a golden case through the interpreter and through its compiled module; the differences. */
async function compareCase(c: GoldenCase, kernels: 'simd' | 'ref'): Promise<string[]> {
  const source = new Uint8Array(readFileSync(casePath(c, 'model.tflite')));
  let interpreter: Interpreter;
  try {
    interpreter = loadModel(source, { kernels }).createInterpreter();
  } catch (e) {
    // The interpreter's failures are golden.test's business; compiling must fail the same way.
    const message = await compileModel(source, { kernels }).then(() => 'compiled', (f: Error) => f.message);
    return message === (e as Error).message ? [] : [`${c.op}/${c.id}: load failed (${(e as Error).message}), compile: ${message}`];
  }
  const compiled = loadCompiled((await compileModel(source, { kernels })).wasm).createInterpreter();
  const failures: string[] = [];
  const steps = c.steps ?? 1;
  const file = (kind: string, i: number, step: number) => casePath(c, c.steps ? `${kind}_${i}.step${step}.npy` : `${kind}_${i}.npy`);
  for (let step = 0; step < steps; step++) {
    for (const runner of [interpreter, compiled]) runner.inputs.forEach((v, i) => asBytes(v.data).set(npyBytes(file('input', i, step))));
    interpreter.invoke();
    compiled.invoke();
    // Against the interpreter: golden.test.ts holds the interpreter to TFLite's outputs.
    compiled.outputs.forEach((v, i) => {
      const at = firstDifference(asBytes(v.data), asBytes(interpreter.outputs[i].data));
      if (at >= 0) failures.push(`${c.op}/${c.id} output ${i}${c.steps ? ` step ${step}` : ''}: differs from the interpreter at byte ${at}`);
    });
  }
  return failures;
}

test(`all ${cases.length} golden cases compiled (simd kernels) match the interpreter byte for byte`, async () => {
  const failures: string[] = [];
  for (const c of cases) failures.push(...await compareCase(c, 'simd'));
  assert.equal(failures, [], `${failures.length} differ:\n${failures.slice(0, 20).join('\n')}`);
});

test('every 4th golden case compiled with ref kernels matches the interpreter byte for byte', async () => {
  const failures: string[] = [];
  for (const c of cases.filter((_, i) => i % 4 === 0)) failures.push(...await compareCase(c, 'ref'));
  assert.equal(failures, [], `${failures.length} differ:\n${failures.slice(0, 20).join('\n')}`);
});

test('benchmark networks compiled are bit-exact, at the interpreter\'s addresses, and smaller than ROM data + code', async () => {
  for (const name of BENCH) {
    const base = join(ROOT, 'models', 'bench', name);
    const model = loadModel(`${base}.tflite`);
    const compiled = await compileModel(`${base}.tflite`);
    const runner = loadCompiled(compiled.wasm).createInterpreter();
    asBytes(runner.inputs[0].data).set(npyBytes(`${base}.input.npy`));
    runner.invoke();
    assert.is(firstDifference(asBytes(runner.outputs[0].data), npyBytes(`${base}.expected.npy`)), -1, name);
    const { layout } = model.prepared;
    assert.is(runner.inputs[0].data.byteOffset, layout.tensorAddress.get(model.inputs[0].index), `${name} input address`);
    assert.is(runner.outputs[0].data.byteOffset, layout.tensorAddress.get(model.outputs[0].index), `${name} output address`);
    assert.ok(compiled.bytes <= model.memory.romDataBytes + compiled.codeBytes, `${name}: ${compiled.bytes} bytes`);
    assert.is(compiled.bytes, compiled.codeBytes + compiled.dataBytes);
    assert.is(compiled.ramBytes, model.memory.ramBytes);
    assert.is(compiled.romBytes, model.memory.romDataBytes + compiled.codeBytes);
  }
});

test('code size targets: the keyword-spotting DS-CNN compiles to <= 16 KiB of code, the FC autoencoder to <= 8 KiB', async () => {
  for (const [name, limit] of [['kws_dscnn', 16384], ['ad_autoencoder', 8192]] as const) {
    const { codeBytes } = await compileModel(join(ROOT, 'models', 'bench', `${name}.tflite`));
    assert.ok(codeBytes <= limit, `${name}: ${codeBytes} bytes of code, target ${limit}`);
  }
});

test('compiled benchmark networks run bit-exact on every available runtime', async () => {
  const runtimes = listRuntimes();
  for (const r of runtimes.filter((x) => !x.available)) console.log(`  aot: runtime ${r.name} skipped: ${r.reason}`);
  for (const name of BENCH) {
    const base = join(ROOT, 'models', 'bench', name);
    const model = loadCompiled((await compileModel(`${base}.tflite`)).wasm);
    for (const r of runtimes.filter((x) => x.available)) {
      // Under a (generous) timeout: the runtime's interruptible path runs the module the same.
      const runner = model.createInterpreter({ runtime: getRuntime(r.name), timeoutMs: 60_000 });
      assert.is(runner.runtime, r.name);
      asBytes(runner.inputs[0].data).set(npyBytes(`${base}.input.npy`));
      runner.invoke();
      assert.is(firstDifference(asBytes(runner.outputs[0].data), npyBytes(`${base}.expected.npy`)), -1, `${name} on ${r.name}`);
    }
  }
});

test('pruned DS-CNNs (models/pruned_dscnn, sparse 1x1 convolutions on the pixel kernel) compiled are bit-exact on every available runtime', async () => {
  const dir = join(ROOT, 'models', 'pruned_dscnn');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { models: { name: string; file: string }[] };
  let pixelKernel = 0;
  for (const e of manifest.models) {
    const source = join(dir, e.file);
    pixelKernel += loadModel(source).prepared.layout.calls.filter((c) => c.kernel === 'sparse_conv_1x1').length;
    const model = loadCompiled((await compileModel(source)).wasm);
    for (const r of listRuntimes().filter((x) => x.available)) {
      const runner = model.createInterpreter({ runtime: getRuntime(r.name) });
      asBytes(runner.inputs[0].data).set(npyBytes(join(dir, `${e.name}.input.npy`)));
      runner.invoke();
      assert.is(firstDifference(asBytes(runner.outputs[0].data), npyBytes(join(dir, `${e.name}.expected.npy`))), -1, `${e.name} on ${r.name}`);
    }
  }
  assert.ok(pixelKernel >= 4, `${pixelKernel} sparse_conv_1x1 calls`);
});

test('the module imports nothing, exports exactly the ABI, and carries edgerun.meta', async () => {
  const source = new Uint8Array(readFileSync(KWS));
  const { wasm, meta } = await compileModel(source);
  const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  assert.equal(WebAssembly.Module.imports(module), []);
  const exports = WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`).sort();
  assert.equal(exports, Object.entries(MODULE_ABI).map(([n, k]) => `${n}:${k === 'func' ? 'function' : k}`).sort());
  assert.equal(WebAssembly.Module.customSections(module, 'name'), [], 'no names section');
  const sections = WebAssembly.Module.customSections(module, META_SECTION);
  assert.is(sections.length, 1);
  const json = JSON.parse(new TextDecoder().decode(sections[0]));
  assert.equal(json, meta);
  const model = loadModel(source);
  assert.is(json.format, 'edgerun.meta/1');
  assert.is(json.kernels, 'simd');
  assert.is(json.model.sha256, createHash('sha256').update(source).digest('hex'));
  assert.is(json.model.bytes, source.length);
  assert.equal(json.ops, model.ops);
  assert.equal(json.inputs, model.inputs);
  assert.equal(json.outputs, model.outputs);
  for (const t of [...json.inputs, ...json.outputs]) {
    assert.equal(Object.keys(t).sort(), ['bytes', 'dtype', 'index', 'name', 'scale', 'shape', 'zeroPoint']);
  }
  assert.equal(json.calls, model.prepared.layout.calls.map((c) => c.opIndex));
  assert.equal(json.scalarKernels, ['softmax']);
  const { codeBytes: _c, romBytes: _r, ...figures } = model.memory;
  assert.equal(json.memory, { ...figures, pages: 1 });
});

test('memory: minimum = maximum = the pages the model needs; it cannot grow', async () => {
  const { wasm, meta } = await compileModel(readFileSync(AUTOENCODER));
  const instance = await instantiate(wasm);
  const memory = instance.exports.memory as WebAssembly.Memory;
  assert.is(memory.buffer.byteLength, meta.memory.pages * 65536);
  assert.is(meta.memory.pages, Math.ceil(meta.memory.linearMemoryBytes / 65536));
  assert.throws(() => memory.grow(1));
});

test('compiling is deterministic: twice in-process and once through the CLI give identical bytes', async () => {
  for (const path of [KWS, AUTOENCODER]) {
    const a = (await compileModel(path)).wasm;
    const b = (await compileModel(new Uint8Array(readFileSync(path)))).wasm;
    assert.ok(firstDifference(a, b) === -1, path);
    const out = join(tmp, 'det.wasm');
    assert.is(edgerun('compile', path, '-o', out).code, 0);
    assert.is(firstDifference(a, new Uint8Array(readFileSync(out))), -1, `${path} via the CLI`);
  }
});

test('only the kernels a model calls are linked: a FULLY_CONNECTED-only module is a fraction of a DS-CNN\'s code', async () => {
  const fc = await compileModel(AUTOENCODER);
  const kws = await compileModel(KWS);
  assert.ok(fc.meta.ops.every((op) => op === 'FULLY_CONNECTED'));
  assert.ok(fc.codeBytes < 4096, `FC-only code ${fc.codeBytes} bytes`);
  assert.ok(fc.codeBytes * 3 < kws.codeBytes, `FC-only ${fc.codeBytes} vs DS-CNN ${kws.codeBytes}`);
  const functions = (wasm: Uint8Array) => {
    const code = readSections(wasm).find((s) => s.id === 10)!;
    return wasm[code.payload]; // function count (< 128: one LEB byte)
  };
  // invoke, input_ptr, output_ptr, reset, fully_connected (+ at most a helper or two)
  assert.ok(functions(fc.wasm) <= 7, `${functions(fc.wasm)} functions`);
  const ref = await compileModel(AUTOENCODER, { kernels: 'ref' });
  assert.ok(ref.codeBytes < fc.codeBytes, 'ref code is scalar and smaller');
  assert.is(ref.meta.kernels, 'ref');
});

test('status codes: a failing kernel returns ((call + 1) << 8) | status, and run names the op', async () => {
  const model = loadModel(KWS);
  const { wasm } = await compileModel(KWS);
  const k = model.prepared.layout.calls.findIndex((c) => c.kernel === 'average_pool_2d');
  const call = model.prepared.layout.calls[k];
  // Padding far outside the image leaves every pooling window empty: TFLite's AveragePool fails.
  const padH = call.block + BLOCKS.average_pool_2d.offsets.padH;
  const instance = await instantiate(wasm);
  const e = instance.exports as { memory: WebAssembly.Memory; invoke(): number };
  assert.is(e.invoke(), 0);
  new DataView(e.memory.buffer).setInt32(padH, 1 << 20, true);
  assert.is(e.invoke(), ((k + 1) << 8) | 1);

  const runner = loadCompiled(wasm).createInterpreter();
  runner.invoke();
  new DataView(runner.inputs[0].data.buffer).setInt32(padH, 1 << 20, true);
  try {
    runner.invoke();
    assert.unreachable('invoke succeeded');
  } catch (err) {
    assert.instance(err, KernelError);
    assert.is((err as Error).message, `operator ${call.opIndex} (AVERAGE_POOL_2D): kernel call ${k} failed with status 1`);
  }
  // A param block pointing outside memory makes the kernel trap: a KernelError too, one line.
  const conv = model.prepared.layout.calls[0];
  new DataView(runner.inputs[0].data.buffer).setInt32(conv.block + BLOCKS.conv_2d.offsets.output, 0x7ff00000, true);
  assert.throws(() => runner.invoke(), (err: unknown) => err instanceof KernelError && /^compiled module: invoke\(\) trapped \([^\n]+\)$/.test((err as Error).message));
});

test('bad input never crashes the loader: every truncation and 2,000 meta mutations give ModelError or a module', async () => {
  const c = cases.find((g) => g.op === 'FULLY_CONNECTED')!;
  const { wasm } = await compileModel(readFileSync(casePath(c, 'model.tflite')));
  const outcome = (bytes: Uint8Array): string => {
    try {
      openModel(bytes);
      return 'ok';
    } catch (e) {
      return e instanceof ModelError && !(e as Error).message.includes('\n') ? 'ModelError' : `${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  const odd: string[] = [];
  for (let n = 0; n < wasm.length; n++) {
    const r = outcome(wasm.subarray(0, n));
    if (r !== 'ModelError') odd.push(`truncated to ${n}: ${r}`);
  }
  const meta = readSections(wasm).find((s) => s.id === 0 && s.name === META_SECTION)!;
  const random = rng(5);
  for (let k = 0; k < 2000; k++) {
    const bytes = wasm.slice();
    const at = meta.contents! + Math.floor(random() * (meta.end - meta.contents!));
    bytes[at] = Math.floor(random() * 256);
    const r = outcome(bytes);
    if (r !== 'ok' && r !== 'ModelError') odd.push(`byte ${at} = ${bytes[at]}: ${r}`);
  }
  assert.equal(odd, []);
});

test('input_ptr/output_ptr return -1 out of range; reset() changes nothing in a model without variable tensors', async () => {
  const { wasm } = await compileModel(KWS);
  const instance = await instantiate(wasm);
  const e = instance.exports as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  for (const i of [1, 2, -1, 0x7fffffff]) {
    assert.is(e.input_ptr(i), -1);
    assert.is(e.output_ptr(i), -1);
  }
  // Inputs are consumed: the arena reuses their bytes once no op needs them, so write them before every invoke().
  const input = () => new Int8Array(e.memory.buffer, e.input_ptr(0), 490).set(int8(npyBytes(KWS_INPUT)));
  input();
  assert.is(e.invoke(), 0);
  const first = new Int8Array(e.memory.buffer, e.output_ptr(0), 12).slice();
  assert.is(e.reset(), undefined);
  input();
  assert.is(e.invoke(), 0);
  assert.equal(new Int8Array(e.memory.buffer, e.output_ptr(0), 12), first);
  const runner = loadCompiled(wasm).createInterpreter();
  runner.reset();
});

test('stateful golden cases compiled: state carries over and the ABI\'s reset() restores it', async () => {
  const stateful = cases.filter((c) => c.steps);
  assert.ok(stateful.length > 0, 'no multi-step golden case');
  for (const c of stateful) {
    const e = (await instantiate((await compileModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))))).wasm)).exports as
      Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
    const runStep = (step: number) => {
      const input = npyBytes(casePath(c, `input_0.step${step}.npy`));
      new Uint8Array(e.memory.buffer, e.input_ptr(0), input.length).set(input);
      assert.is(e.invoke(), 0);
    };
    const expected = (step: number) => npyBytes(casePath(c, `output_0.step${step}.npy`));
    const output = () => new Uint8Array(e.memory.buffer, e.output_ptr(0), expected(0).length);
    for (let step = 0; step < c.steps!; step++) {
      runStep(step);
      assert.is(firstDifference(output(), expected(step)), -1, `${c.id} step ${step}`);
    }
    runStep(0);
    assert.ok(firstDifference(output(), expected(0)) >= 0, `${c.id}: state did not carry over`);
    e.reset();
    runStep(0);
    assert.is(firstDifference(output(), expected(0)), -1, `${c.id} step 0 after reset()`);
  }
});

test('memory limits apply to compiled modules as to models', async () => {
  const { wasm, meta } = await compileModel(KWS);
  const model = loadCompiled(wasm);
  const need = meta.memory.linearMemoryBytes;
  assert.throws(() => model.createInterpreter({ memoryLimit: need - 1 }), (e: unknown) => e instanceof MemoryLimitError);
  assert.throws(() => model.createInterpreter({ ramLimit: meta.memory.ramBytes - 1 }), (e: unknown) => e instanceof MemoryLimitError);
  const runner = model.createInterpreter({ memoryLimit: need });
  assert.is(runner.linearMemory.pages, 1);
  assert.is(runner.linearMemory.memoryLimit, need);
});

function customSection(name: string, contents: Uint8Array): Uint8Array {
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    return out;
  };
  const nameBytes = new TextEncoder().encode(name);
  const payload = [...leb(nameBytes.length), ...nameBytes, ...contents];
  return new Uint8Array([0, ...leb(payload.length), ...payload]);
}

/** The module with its edgerun.meta section replaced by `contents` (or removed: null). */
function withMeta(wasm: Uint8Array, contents: Uint8Array | string | null): Uint8Array {
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of readSections(wasm)) if (!(s.id === 0 && s.name === META_SECTION)) parts.push(wasm.subarray(s.start, s.end));
  if (contents !== null) parts.push(customSection(META_SECTION, typeof contents === 'string' ? new TextEncoder().encode(contents) : contents));
  return Buffer.concat(parts);
}

test('malformed modules: one-line ModelErrors naming the problem', async () => {
  const { wasm, meta } = await compileModel(KWS);
  const bad = (bytes: Uint8Array, pattern: RegExp) => {
    try {
      openModel(bytes);
      assert.unreachable(`loaded; expected ${pattern}`);
    } catch (e) {
      assert.instance(e, ModelError, String(e));
      assert.match((e as Error).message, pattern);
      assert.not.match((e as Error).message, /\n/);
    }
  };
  const json = (patch: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
    patch(m);
    return withMeta(wasm, JSON.stringify(m));
  };
  bad(wasm.subarray(0, wasm.length - 100), /malformed WebAssembly: section \d+ of \d+ bytes runs past the end/);
  bad(wasm.subarray(0, 6), /unsupported WebAssembly version/);
  bad(withMeta(wasm, null), /no edgerun\.meta section: not a module made by `edgerun compile`/);
  bad(new Uint8Array(readFileSync(join(ROOT, 'build', 'edgerun-simd.wasm'))), /no edgerun\.meta section/);
  bad(withMeta(wasm, '{"format": "edgerun.meta/1", '), /edgerun\.meta is not UTF-8 JSON/);
  bad(withMeta(wasm, new Uint8Array([0x7b, 0xff, 0x7d])), /edgerun\.meta is not UTF-8 JSON/);
  bad(withMeta(wasm, '[]'), /edgerun\.meta: the JSON must be an object/);
  bad(json((m) => { m.format = 'edgerun.meta/2'; }), /format must be "edgerun\.meta\/1"/);
  bad(json((m) => { (m.inputs as { bytes: number }[])[0].bytes = 1; }), /inputs\[0\]\.bytes must be 490/);
  bad(json((m) => { (m.outputs as { dtype: string }[])[0].dtype = 'complex64'; }), /outputs\[0\]\.dtype "complex64" is not one of/);
  bad(json((m) => { m.inputs = []; }), /inputs is empty/);
  bad(json((m) => { m.calls = [99]; }), /calls\[0\] is not an index into ops/);
  bad(json((m) => { delete m.memory; }), /memory must be an object/);
  bad(Buffer.concat([withMeta(wasm, null), customSection(META_SECTION, new Uint8Array()), customSection(META_SECTION, new Uint8Array())]), /2 edgerun\.meta sections/);
  const kernels = new Uint8Array(readFileSync(join(ROOT, 'build', 'edgerun-ref.wasm')));
  bad(Buffer.concat([kernels, customSection(META_SECTION, new TextEncoder().encode(JSON.stringify(meta)))]), /imports env\.memory \(memory\); a compiled module imports nothing/);
  // A module whose code is corrupt but whose sections parse.
  const code = readSections(wasm).find((s) => s.id === 10)!;
  const corrupt = wasm.slice();
  corrupt.fill(0xff, code.payload + 4, code.payload + 24);
  bad(corrupt, /not valid WebAssembly/);
  // A section that claims more bytes than the file has, and random bytes after the magic.
  bad(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]), /runs past the end|too large/);
  bad(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), /integer too long|unexpected end/);
});

test('crafted modules: a start function, a growable memory, wrong export types, huge tensors, a deep meta, thousands of sections are refused; traps outside invoke() are KernelErrors', async () => {
  const { wasm, meta } = await compileModel(KWS);
  const text = JSON.stringify(meta);
  const module = (memory: string, inputPtr = '(i32.const 1024)', extra = '') => {
    const m = binaryen.parseText(`(module (memory (export "memory") ${memory})
      (func (export "invoke") (result i32) (i32.const 0)) (func (export "input_ptr") (param i32) (result i32) ${inputPtr})
      (func (export "output_ptr") (param i32) (result i32) (i32.const 2048)) (func (export "reset")) ${extra})`);
    try {
      return m.emitBinary();
    } finally {
      m.dispose();
    }
  };
  const refused = (bytes: Uint8Array, pattern: RegExp) => assert.throws(() => openModel(bytes), (e: unknown) => e instanceof ModelError && pattern.test(e.message));
  assert.ok(openModel(withMeta(module('1 1'), text)) instanceof CompiledModel);
  refused(withMeta(module('1 1', undefined, '(func $s) (start $s)'), text), /has a start function; a compiled module has none/);
  refused(withMeta(module('1'), text), /its memory must be one of 1 page\(s\), minimum = maximum/);
  refused(withMeta(module('65535 65535'), text), /its memory must be one of 1 page\(s\)/);
  const huge = JSON.parse(text) as { outputs: { shape: number[]; bytes: number }[] };
  huge.outputs[0].shape = [1, 2 ** 29];
  huge.outputs[0].bytes = 2 ** 29;
  refused(withMeta(wasm, JSON.stringify(huge)), /outputs\[0\]\.bytes 536870912 is over edgerun's limit/);
  const deep = JSON.parse(text) as { inputs: Record<string, unknown>[] };
  deep.inputs[0].extra = JSON.parse('['.repeat(100) + ']'.repeat(100));
  refused(withMeta(wasm, JSON.stringify(deep)), /edgerun\.meta is nested more than 64 levels deep/);
  refused(Buffer.concat([wasm, ...Array.from({ length: 5000 }, () => customSection('x', new Uint8Array()))]), /more than 4096 sections/);
  const m = binaryen.parseText(`(module (memory (export "memory") 1 1) (func (export "invoke") (result i64) (i64.const 0))
    (func (export "input_ptr") (param i32) (result i32) (i32.const 1024)) (func (export "output_ptr") (param i32) (result i32) (i32.const 2048)) (func (export "reset")))`);
  const i64Invoke = m.emitBinary();
  m.dispose();
  refused(withMeta(i64Invoke, text), /invoke has type ->i64, the edgerun module ABI says ->i32/);
  const trapping = openModel(withMeta(module('1 1', '(unreachable)'), text)) as CompiledModel;
  assert.throws(() => trapping.createInterpreter(), (e: unknown) => e instanceof KernelError && /input_ptr\(\) trapped \(unreachable\)/.test(e.message));
});

test('CLI: compile, then run, inspect and bench the .wasm like the .tflite', () => {
  const out = join(tmp, 'kws.wasm');
  const compiled = edgerun('compile', KWS, '-o', out, '--json');
  assert.is(compiled.code, 0, compiled.stderr);
  const sizes = JSON.parse(compiled.stdout);
  assert.equal(Object.keys(sizes), ['bytes', 'codeBytes', 'dataBytes', 'ramBytes', 'romBytes']);
  assert.is(sizes.bytes, readFileSync(out).length);
  assert.is(sizes.codeBytes + sizes.dataBytes, sizes.bytes);

  const viaModel = edgerun('run', KWS, '--input', KWS_INPUT);
  const viaModule = edgerun('run', out, '--input', KWS_INPUT);
  assert.is(viaModule.code, 0, viaModule.stderr);
  assert.is(viaModule.stdout, viaModel.stdout);
  const printed = viaModule.stdout.trim().split('\n').at(-1)!.split(' ').map(Number);
  assert.equal(printed, Array.from(int8(npyBytes(KWS_EXPECTED))));

  // Detected by content, not by name.
  const renamed = join(tmp, 'kws-module.tflite');
  writeFileSync(renamed, readFileSync(out));
  assert.is(edgerun('run', renamed, '--input', KWS_INPUT).stdout, viaModel.stdout);

  const npy = join(tmp, 'out.npy');
  const json = edgerun('run', out, '--input', KWS_INPUT, '--output', npy, '--json', '--memory-limit', '64KiB');
  assert.is(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout);
  assert.equal(j.outputs[0].data, printed);
  assert.is(j.memory.pages, 1);
  assert.equal(Array.from(int8(npyBytes(npy))), printed);

  const inspect = edgerun('inspect', out, '--json');
  assert.is(inspect.code, 0, inspect.stderr);
  const report = JSON.parse(inspect.stdout);
  const tflite = JSON.parse(edgerun('inspect', KWS, '--json').stdout);
  assert.equal(report.ops, tflite.ops);
  assert.equal(report.inputs, tflite.inputs);
  assert.equal(report.outputs, tflite.outputs);
  assert.is(report.memory.ramBytes, tflite.memory.ramBytes);
  assert.is(report.memory.codeBytes, sizes.codeBytes);
  assert.is(report.module.bytes, sizes.bytes);
  assert.is(report.module.kernels, 'simd');
  assert.match(edgerun('inspect', out).stdout, /compiled module \(edgerun\.meta\/1\): simd kernels \(scalar twin: softmax\), optimized for speed, 12 kernel calls/);

  const bench = edgerun('bench', out, '--iterations', '5', '--warmup', '1', '--json');
  assert.is(bench.code, 0, bench.stderr);
  const b = JSON.parse(bench.stdout);
  assert.is(b.iterations, 5);
  assert.is(b.macs, loadModel(KWS).createInterpreter().macs);
  assert.match(edgerun('bench', out, '--iterations', '2', '--warmup', '0').stdout, /compiled module, simd kernels/);
  const sweep = JSON.parse(edgerun('bench', out, '--iterations', '2', '--warmup', '0', '--memory-limit', '32KiB,64KiB', '--json').stdout);
  assert.equal(sweep.map((r: { fits: boolean }) => r.fits), [false, true]);
});

test('CLI: errors with compiled modules are one line', () => {
  const out = join(tmp, 'kws-ref.wasm');
  assert.is(edgerun('compile', KWS, '-o', out, '--kernels', 'ref').code, 0);
  assert.is(edgerun('run', out, '--input', KWS_INPUT, '--kernels', 'ref').code, 0);
  expectError(edgerun('run', out, '--input', KWS_INPUT, '--kernels', 'simd'), 2, /compiled with ref kernels; --kernels simd needs a recompile/);
  expectError(edgerun('bench', out, '--profile'), 2, /--profile times each op, but a compiled module runs as one call/);
  expectError(edgerun('run', out, '--input', KWS_INPUT, '--memory-limit', '32KiB'), 3, /needs \d+ bytes \(RAM \d+ \+ ROM \d+\), limit is 32768/);
  expectError(edgerun('plan', out), 2, /compiled WebAssembly module, not a \.tflite model/);
  expectError(edgerun('compile', out, '-o', join(tmp, 'again.wasm')), 2, /already a compiled WebAssembly module/);
  expectError(edgerun('compile', KWS), 2, /compile needs -o OUT\.wasm/);
  expectError(edgerun('compile', KWS, '-o', join(tmp, 'missing-dir', 'x.wasm')), 2, /cannot write \(ENOENT\)/);
  const noMeta = join(tmp, 'kernels.wasm');
  writeFileSync(noMeta, readFileSync(join(ROOT, 'build', 'edgerun-ref.wasm')));
  expectError(edgerun('run', noMeta, '--input', KWS_INPUT), 2, /no edgerun\.meta section/);
  expectError(edgerun('inspect', noMeta), 2, /no edgerun\.meta section/);
  const truncated = join(tmp, 'truncated.wasm');
  writeFileSync(truncated, readFileSync(out).subarray(0, 1000));
  expectError(edgerun('bench', truncated), 2, /malformed WebAssembly/);
  assert.match(edgerun('compile', '--help').stdout, /Usage: edgerun compile MODEL -o OUT\.wasm/);
  assert.match(edgerun('--help').stdout, /compile MODEL/);
});

test('the README\'s plain-JavaScript snippet runs a compiled module', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- aot-js-snippet -->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has the snippet');
  const snippet = block![1];
  assert.ok(snippet.trim().split('\n').length <= 12, 'about ten lines');
  assert.not.match(snippet, /from '(?!node:fs)/, 'uses nothing but WebAssembly and node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'edgerun-snippet-'));
  writeFileSync(join(dir, 'kws.wasm'), (await compileModel(KWS)).wasm);
  writeFileSync(join(dir, 'input.bin'), npyBytes(KWS_INPUT));
  writeFileSync(join(dir, 'snippet.mjs'), snippet);
  const r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split(' ').map(Number), Array.from(int8(npyBytes(KWS_EXPECTED))));
});

test('openModel tells .tflite from .wasm by content; loadModel refuses a module', async () => {
  const { wasm } = await compileModel(KWS);
  assert.instance(openModel(wasm), CompiledModel);
  assert.not.instance(openModel(KWS), CompiledModel);
  assert.throws(() => loadModel(wasm), /compiled WebAssembly module, not a \.tflite model/);
});

test.run();
