/**
 * The wasmtime runtime (libwasmtime through koffi): the golden suite bit-exact with both kernel
 * modules, memory caps enforced by wasmtime, timeouts stopping a runaway module, standalone
 * modules, errors, view lifetime. Skipped, with the reason printed, when libwasmtime cannot be
 * loaded, unless EDGERUN_REQUIRE_WASMTIME=1 (CI sets it after scripts/setup-wasmtime.sh).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import binaryen from 'binaryen';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  getRuntime, InputError, KernelError, type KernelInstance, listRuntimes, loadModel, MemoryLimitError, ModelError,
  PAGE_BYTES, type Runtime, TimeoutError, v8Runtime, wasmtimeRuntime,
} from '../host/index.js';
import { wasmtimeLiveStores } from '../host/run/runtimes/wasmtime.js';
import { asBytes, casePath, firstDifference, goldenCases, npyBytes, ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const KWS = join(ROOT, 'models', 'kws_dscnn.tflite');
const KWS_INPUT = join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy');
const KWS_EXPECTED = join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy');
const KiB = 1024;

const wasmtime = listRuntimes().find((r) => r.name === 'wasmtime')!;
const required = process.env.EDGERUN_REQUIRE_WASMTIME === '1';
const available = wasmtime.available;
if (!available) console.log(`  wasmtime tests ${required ? 'required but cannot run' : 'skipped'}: ${wasmtime.reason}`);
/** Registers a test, or counts it as skipped (uvu's summary) when wasmtime cannot run here. */
const check = available || required ? test : test.skip;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function edgerun(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function wat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** A hand-made standalone module with the compiled-model ABI (memory, invoke, input_ptr, output_ptr,
 *  reset): out[i] = in[i] + the number of invokes since reset, over 16 bytes; plus misbehaving exports. */
const STANDALONE = wat(`(module
  (memory (export "memory") 1 8)
  (global $calls (mut i32) (i32.const 0))
  (func (export "input_ptr") (param i32) (result i32) (i32.add (i32.const 1024) (i32.mul (local.get 0) (i32.const 16))))
  (func (export "output_ptr") (param i32) (result i32) (i32.add (i32.const 2048) (i32.mul (local.get 0) (i32.const 16))))
  (func (export "invoke") (result i32) (local $i i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (loop $l
      (i32.store8 (i32.add (i32.const 2048) (local.get $i))
        (i32.add (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (global.get $calls)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 16))))
    (i32.const 0))
  (func (export "reset") (global.set $calls (i32.const 0)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin_calls") (result i32) (loop $l (call $leaf) (br $l)) (i32.const 0))
  (func $leaf)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "trap") (result i32) unreachable)
  (func (export "oob") (result i32) (i32.load (i32.const -4)))
  (func (export "f64") (param f64) (result f64) (local.get 0)))`);

function runGolden(runtime: Runtime, kernels: 'simd' | 'ref'): string[] {
  const failures: string[] = [];
  for (const c of goldenCases()) {
    const model = loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))), { kernels });
    const interpreter = model.createInterpreter({ runtime });
    const steps = c.steps ?? 1;
    const file = (kind: string, i: number, step: number) => casePath(c, c.steps ? `${kind}_${i}.step${step}.npy` : `${kind}_${i}.npy`);
    for (let step = 0; step < steps; step++) {
      interpreter.inputs.forEach((v, i) => asBytes(v.data).set(npyBytes(file('input', i, step))));
      interpreter.invoke();
      interpreter.outputs.forEach((v, i) => {
        const at = firstDifference(asBytes(v.data), npyBytes(file('output', i, step)));
        if (at >= 0) failures.push(`${c.op}/${c.id} output ${i}${c.steps ? ` step ${step}` : ''}: first difference at byte ${at}`);
      });
    }
  }
  return failures;
}

check('the registry: v8 and wasmtime by name; unknown names list the runtimes', () => {
  assert.is(getRuntime('v8'), v8Runtime);
  assert.is(getRuntime('wasmtime'), wasmtimeRuntime);
  assert.equal(listRuntimes().map((r) => [r.name, r.available]), [['v8', true], ['wasmtime', true]]);
  assert.throws(() => getRuntime('wasmer'), (e: unknown) => e instanceof InputError && e.message === 'unknown runtime "wasmer" (runtimes: v8, wasmtime)');
});

for (const kernels of ['simd', 'ref'] as const) {
  check(`wasmtime: all ${goldenCases().length} golden cases are bit-exact (${kernels} kernels)`, () => {
    const failures = runGolden(wasmtimeRuntime, kernels);
    assert.equal(failures, [], `${failures.length} cases differ:\n${failures.slice(0, 20).join('\n')}`);
  });
}

check('wasmtime: benchmark networks are bit-exact, with and without a timeout', () => {
  for (const name of ['kws_dscnn', 'vww_mobilenetv1_025', 'ic_resnet8', 'ad_autoencoder', 'ww_dscnn1d']) {
    const base = join(ROOT, 'models', 'bench', name);
    const model = loadModel(`${base}.tflite`);
    for (const timeoutMs of [undefined, 60_000]) {
      const it = model.createInterpreter({ runtime: wasmtimeRuntime, timeoutMs });
      asBytes(it.inputs[0].data).set(npyBytes(`${base}.input.npy`));
      it.invoke();
      assert.is(firstDifference(asBytes(it.outputs[0].data), npyBytes(`${base}.expected.npy`)), -1, `${name} timeout ${timeoutMs}`);
      if (timeoutMs) assert.is(it.invokeProfiled().length, model.prepared.layout.calls.length);
    }
  }
});

check('wasmtime enforces the cap: memory.grow past the maximum fails', () => {
  const model = loadModel(KWS);
  const need = model.memory.linearMemoryBytes;
  const instances: KernelInstance[] = [];
  const runtime: Runtime = {
    name: 'wasmtime-capture',
    instantiate(bytes, pages, options) {
      const instance = wasmtimeRuntime.instantiate(bytes, pages, options);
      instances.push(instance);
      return instance;
    },
    instantiateStandalone: (bytes, options) => wasmtimeRuntime.instantiateStandalone(bytes, options),
  };
  const capped = model.createInterpreter({ memoryLimit: 256 * KiB, runtime });
  assert.equal({ pages: capped.linearMemory.pages, max: capped.linearMemory.maximumPages }, { pages: 1, max: 4 });
  const instance = instances.at(-1)!;
  assert.is(instance.memory.byteLength, PAGE_BYTES);
  assert.ok(instance.grow(3), 'grows to the cap');
  assert.is(instance.memory.byteLength, 4 * PAGE_BYTES, 'a fresh view after growth');
  assert.not.ok(instance.grow(1), 'one page past the cap');
  assert.is(instance.memory.byteLength, 4 * PAGE_BYTES);
  // The model still runs, bit-exact, in the grown memory (its views point below the growth).
  asBytes(capped.inputs[0].data).set(npyBytes(KWS_INPUT));
  capped.invoke();
  assert.is(firstDifference(asBytes(capped.outputs[0].data), npyBytes(KWS_EXPECTED)), -1);

  model.createInterpreter({ memoryLimit: need, runtime });
  assert.is(instances.at(-1)!.memory.byteLength, PAGE_BYTES);
  assert.not.ok(instances.at(-1)!.grow(1), 'a limit below one page: no growth at all');
  model.createInterpreter({ runtime });
  assert.not.ok(instances.at(-1)!.grow(1), 'no limit: sized exactly, no growth');
  assert.throws(() => model.createInterpreter({ memoryLimit: need - 1, runtime }), (e: unknown) => e instanceof MemoryLimitError);
});

check('standalone modules: same results as V8; maximumPages caps growth from wasm and from the host', () => {
  const results = [v8Runtime, wasmtimeRuntime].map((runtime) => {
    const m = runtime.instantiateStandalone(STANDALONE, { maximumPages: 3 });
    const input = m.call('input_ptr', 0);
    m.memory.set(Array.from({ length: 16 }, (_, i) => i * 3), input);
    const outs: number[][] = [];
    for (let k = 0; k < 3; k++) {
      assert.is(m.call('invoke'), 0);
      outs.push(Array.from(m.memory.subarray(m.call('output_ptr', 0), m.call('output_ptr', 0) + 16)));
    }
    m.call('reset');
    assert.is(m.call('invoke'), 0);
    outs.push(Array.from(m.memory.subarray(2048, 2064)));
    return outs;
  });
  assert.equal(results[1], results[0]);
  assert.equal(results[1][0], Array.from({ length: 16 }, (_, i) => i * 3 + 1));

  const m = wasmtimeRuntime.instantiateStandalone(STANDALONE, { maximumPages: 3 });
  assert.is(m.memory.byteLength, PAGE_BYTES);
  assert.is(m.call('grow', 1), 1, 'memory.grow inside wasm, under the cap');
  assert.is(m.memory.byteLength, 2 * PAGE_BYTES, 'the view follows growth done by wasm');
  assert.is(m.call('grow', 2), -1, 'memory.grow past maximumPages fails in wasm');
  assert.not.ok(m.grow(2), 'and from the host');
  assert.ok(m.grow(1));
  assert.is(m.memory.byteLength, 3 * PAGE_BYTES);
  // Without maximumPages the module's own maximum (8 pages) holds.
  const free = wasmtimeRuntime.instantiateStandalone(STANDALONE);
  assert.ok(free.grow(7));
  assert.not.ok(free.grow(1));
  for (const runtime of [v8Runtime, wasmtimeRuntime]) {
    assert.throws(() => runtime.instantiateStandalone(STANDALONE, { maximumPages: 0 }),
      (e: unknown) => e instanceof MemoryLimitError && e.message === 'the module starts with 1 pages of memory, more than the 0 allowed');
  }
});

check('a runaway module is stopped with TimeoutError; the instance stays usable', () => {
  const m = wasmtimeRuntime.instantiateStandalone(STANDALONE, { interruptible: true });
  for (const [name, ms] of [['spin', 30], ['spin_calls', 5], ['spin', 1]] as const) {
    try {
      m.withTimeout!(ms, () => m.call(name));
      assert.unreachable(`${name} returned`);
    } catch (e) {
      assert.instance(e, TimeoutError);
      assert.is((e as TimeoutError).exitCode, 4);
      assert.is((e as Error).message, `stopped: still running after the ${ms} ms timeout`);
    }
    assert.is(m.withTimeout!(10_000, () => m.call('invoke')), 0, 'usable after the timeout');
    assert.is(m.call('invoke'), 0, 'and without one');
  }
  // A deadline that fires only belongs to its own run: many short runs under a tight timeout.
  for (let i = 0; i < 200; i++) assert.is(m.withTimeout!(1, () => m.call('invoke')), 0);
  assert.throws(() => m.withTimeout!(0, () => 0), (e: unknown) => e instanceof InputError);
  const plain = wasmtimeRuntime.instantiateStandalone(STANDALONE);
  assert.throws(() => plain.withTimeout!(10, () => 0), /not created interruptible/);
});

test('v8: a runaway module is stopped with TimeoutError too (node:vm watchdog)', () => {
  const m = v8Runtime.instantiateStandalone(STANDALONE);
  for (const name of ['spin', 'spin_calls']) {
    assert.throws(() => m.withTimeout!(5, () => m.call(name)),
      (e: unknown) => e instanceof TimeoutError && e.message === 'stopped: still running after the 5 ms timeout');
    assert.is(m.withTimeout!(10_000, () => m.call('invoke')), 0, 'usable after the timeout');
  }
  assert.throws(() => m.withTimeout!(1.5, () => 0), (e: unknown) => e instanceof InputError);
});

function timedInterpreters(runtime: Runtime): void {
  const model = loadModel(KWS);
  const it = model.createInterpreter({ runtime, timeoutMs: 30_000 });
  asBytes(it.inputs[0].data).set(npyBytes(KWS_INPUT));
  it.invoke();
  assert.is(firstDifference(asBytes(it.outputs[0].data), npyBytes(KWS_EXPECTED)), -1);
  for (const bad of [0, -1, 1.5, 2 ** 31, NaN]) {
    assert.throws(() => model.createInterpreter({ runtime, timeoutMs: bad }), (e: unknown) => e instanceof InputError, String(bad));
  }
  const uninterruptible: Runtime = {
    name: 'no-timeouts',
    instantiate(bytes, pages) {
      const { memory, call, grow } = runtime.instantiate(bytes, pages);
      return { memory, call, grow };
    },
    instantiateStandalone: (bytes) => runtime.instantiateStandalone(bytes),
  };
  assert.throws(() => model.createInterpreter({ runtime: uninterruptible, timeoutMs: 1000 }),
    (e: unknown) => e instanceof InputError && e.message === 'runtime no-timeouts cannot stop running WebAssembly, so it takes no timeout (v8 and wasmtime can)');
}

test('v8 interpreter timeouts: bit-exact under a timeout; bad values are InputError', () => timedInterpreters(v8Runtime));
check('wasmtime interpreter timeouts: bit-exact under a timeout; bad values are InputError', () => timedInterpreters(wasmtimeRuntime));

check('errors: traps, bad modules and bad calls are typed one-line errors', () => {
  const m = wasmtimeRuntime.instantiateStandalone(STANDALONE);
  const fails = (fn: () => unknown, type: new (...a: never[]) => Error, pattern: RegExp) => {
    try {
      fn();
      assert.unreachable('no error');
    } catch (e) {
      assert.instance(e, type);
      assert.match((e as Error).message, pattern);
      assert.not.match((e as Error).message, /\n/);
    }
  };
  fails(() => m.call('trap'), KernelError, /^wasm trap: wasm `unreachable` instruction executed$/);
  fails(() => m.call('oob'), KernelError, /^wasm trap: out of bounds memory access \(memory fault at wasm address 0xfffffffc/);
  assert.is(m.call('invoke'), 0, 'usable after a trap');
  fails(() => m.call('nope'), ModelError, /^the module exports no function named "nope"$/);
  fails(() => m.call('input_ptr'), KernelError, /takes 1 argument\(s\), got 0/);
  fails(() => m.call('f64', 1), ModelError, /only functions of at most 8 i32 parameters/);
  fails(() => wasmtimeRuntime.instantiateStandalone(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99])), ModelError, /^not a valid WebAssembly module for wasmtime: /);
  fails(() => wasmtimeRuntime.instantiateStandalone(wat('(module (func (export "f")))')), ModelError, /^the module exports no memory named "memory"$/);
  fails(() => wasmtimeRuntime.instantiateStandalone(wat('(module (import "env" "f" (func)) (memory (export "memory") 1))')), ModelError, /^cannot instantiate the module on wasmtime: /);
  fails(() => wasmtimeRuntime.instantiateStandalone(wat('(module (memory (export "memory") 1) (func $s unreachable) (start $s))')), KernelError, /^wasm trap: /);
});

check('views keep their store alive; stores are deleted once nothing reaches them', async () => {
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await settle();
  const before = wasmtimeLiveStores();
  const outputOf = () => {
    const it = loadModel(KWS).createInterpreter({ runtime: wasmtimeRuntime });
    asBytes(it.inputs[0].data).set(npyBytes(KWS_INPUT));
    it.invoke();
    return it.outputs[0].data; // the interpreter and its instance become unreachable here
  };
  let output: ArrayBufferView | null = outputOf();
  for (let i = 0; i < 20; i++) outputOf();
  await settle();
  assert.is(firstDifference(asBytes(output), npyBytes(KWS_EXPECTED)), -1, 'the view still reads its memory');
  assert.ok(wasmtimeLiveStores() >= before + 1, 'its store is alive');
  assert.ok(wasmtimeLiveStores() < before + 21, 'the others were deleted');
  output = null;
  await settle();
  assert.ok(wasmtimeLiveStores() <= before, `all deleted (${wasmtimeLiveStores()} live, ${before} before)`);
});

check('CLI: run and bench --runtime wasmtime, --timeout', () => {
  const bytes = npyBytes(KWS_EXPECTED);
  const expected = Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  let r = edgerun(['run', KWS, '--input', KWS_INPUT, '--runtime', 'wasmtime', '--timeout', '60000']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').at(-1)!.split(' ').map(Number), expected);
  r = edgerun(['run', KWS, '--input', KWS_INPUT, '--timeout', '60000']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').at(-1)!.split(' ').map(Number), expected, 'v8 with a timeout');
  r = edgerun(['bench', KWS, '--runtime', 'wasmtime', '--iterations', '3', '--warmup', '1', '--timeout', '60000', '--profile']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /simd kernels, wasmtime, timeout 60000 ms\)/);
  r = edgerun(['bench', KWS, '--runtime', 'wasmtime', '--iterations', '2', '--warmup', '0', '--memory-limit', '32KiB,64KiB', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).map((row: { fits: boolean }) => row.fits), [false, true]);
  const errors: [string[], RegExp, NodeJS.ProcessEnv?][] = [
    [['run', KWS, '--input', KWS_INPUT, '--runtime', 'wasmtime', '--timeout', '0'], /^edgerun: error: --timeout must be a whole number of milliseconds 1\.\.2147483647, got "0"\n$/],
    [['bench', KWS, '--runtime', 'wasmtime', '--timeout', '1.5'], /^edgerun: error: --timeout must be a whole number/],
    [['bench', KWS, '--runtime', 'nope'], /^edgerun: error: --runtime nope: unknown runtime \(runtimes: v8, wasmtime\)\n$/],
    [['run', KWS, '--input', KWS_INPUT, '--runtime', 'wasmtime'], /^edgerun: error: runtime wasmtime is unavailable: WASMTIME_LIB=\/nonexistent\/libwasmtime.so does not exist\n$/,
      { ...process.env, WASMTIME_LIB: '/nonexistent/libwasmtime.so' }],
  ];
  for (const [args, pattern, env] of errors) {
    r = edgerun(args, env);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

test.run();
