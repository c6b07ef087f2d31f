/** Memory limits: size parsing, the page rule, the runtime enforcing the cap, exit code 3. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkLimits, InputError, type KernelInstance, loadModel, MemoryLimitError, memoryPages, PAGE_BYTES, parseSize,
  parseSizeList, readNpy, type Runtime, sweepMemoryLimits, v8Runtime,
} from '../host/index.js';
import { asBytes, ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const MODEL = join(ROOT, 'models', 'kws_dscnn.tflite');
const INPUT = join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy');
const EXPECTED = join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy');
const KiB = 1024;

function edgerun(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A v8 runtime that hands the test every instance it creates. */
function capturingRuntime(): { runtime: Runtime; instances: KernelInstance[] } {
  const instances: KernelInstance[] = [];
  return {
    instances,
    runtime: {
      name: 'v8-capture',
      instantiate(bytes, pages) {
        const instance = v8Runtime.instantiate(bytes, pages);
        instances.push(instance);
        return instance;
      },
      instantiateStandalone: (bytes, options) => v8Runtime.instantiateStandalone(bytes, options),
    },
  };
}

const npyData = (path: string) => readNpy(new Uint8Array(readFileSync(path)), path).data;

test('parseSize: bytes, binary and decimal units, strictly', () => {
  const ok: [string, number][] = [
    ['0', 0], ['1', 1], ['55376', 55376], ['64B', 64], ['64KiB', 65536], ['1MiB', 1048576], ['4GiB', 4 * 1024 ** 3],
    ['256KB', 256000], ['2MB', 2000000], ['1GB', 1e9],
  ];
  for (const [text, bytes] of ok) assert.is(parseSize(text, '--memory-limit'), bytes, text);
  const bad = ['', ' 64KiB', '64 KiB', '64kib', '64kb', '64K', '64k', '1.5MiB', '-1', '+5', '0x100', '1e6', '064', 'KiB',
    '64KiBs', '64iB', '99999999999999999999', '9007199254740993', 'NaN', 'Infinity'];
  for (const text of bad) {
    try {
      parseSize(text, '--memory-limit');
      assert.unreachable(`accepted ${JSON.stringify(text)}`);
    } catch (e) {
      assert.instance(e, InputError, text);
      assert.is((e as InputError).exitCode, 2);
      assert.match((e as Error).message, /^--memory-limit: /);
    }
  }
  assert.equal(parseSizeList('64KiB,128KiB,256000', 'x'), [65536, 131072, 256000]);
  assert.throws(() => parseSizeList('64KiB,', 'x'), (e: unknown) => e instanceof InputError);
  assert.throws(() => parseSizeList('64KiB,,1', 'x'), (e: unknown) => e instanceof InputError);
});

test('the page rule: exact byte check, need rounded up, limit rounded down, never below the need', () => {
  const need = (bytes: number, ram = 1000) => ({ linearMemoryBytes: bytes, ramBytes: ram, romDataBytes: bytes - ram });
  assert.equal(memoryPages(need(40 * KiB), {}), { initial: 1, maximum: 1 });
  assert.equal(memoryPages(need(40 * KiB), { memoryLimit: 48 * KiB }), { initial: 1, maximum: 1 }); // below one page
  assert.equal(memoryPages(need(40 * KiB), { memoryLimit: 40 * KiB }), { initial: 1, maximum: 1 }); // exactly the need
  assert.equal(memoryPages(need(100000), { memoryLimit: 120000 }), { initial: 2, maximum: 2 });
  assert.equal(memoryPages(need(55376), { memoryLimit: 200 * KiB }), { initial: 1, maximum: 3 });
  assert.equal(memoryPages(need(55376), { memoryLimit: 256 * KiB }), { initial: 1, maximum: 4 });
  assert.equal(memoryPages(need(55376), { memoryLimit: 16 * 1024 ** 3 }), { initial: 1, maximum: 65536 });
  assert.equal(memoryPages(need(3 * PAGE_BYTES + 1), { memoryLimit: 5 * PAGE_BYTES - 1 }), { initial: 4, maximum: 4 });
  const over = (fn: () => unknown, message: string) => {
    try {
      fn();
      assert.unreachable('no MemoryLimitError');
    } catch (e) {
      assert.instance(e, MemoryLimitError);
      assert.is((e as MemoryLimitError).exitCode, 3);
      assert.is((e as Error).message, message);
    }
  };
  over(() => memoryPages(need(55376, 16176), { memoryLimit: 55375 }), 'needs 55376 bytes (RAM 16176 + ROM 39200), limit is 55375');
  over(() => memoryPages(need(55376, 16176), { memoryLimit: 0 }), 'needs 55376 bytes (RAM 16176 + ROM 39200), limit is 0');
  over(() => checkLimits(need(55376, 16176), { ramLimit: 16175 }), 'needs 16176 bytes of RAM, limit is 16175');
  checkLimits(need(55376, 16176), { ramLimit: 16176, memoryLimit: 55376 });
  assert.throws(() => checkLimits(need(1), { memoryLimit: -1 }), (e: unknown) => e instanceof InputError);
  assert.throws(() => checkLimits(need(1), { ramLimit: 1.5 }), (e: unknown) => e instanceof InputError);
});

test('the runtime enforces the cap: memory.grow past the maximum fails', () => {
  const model = loadModel(MODEL);
  const need = model.memory.linearMemoryBytes;
  assert.ok(need <= PAGE_BYTES, 'kws needs one page');
  const { runtime, instances } = capturingRuntime();

  // 256 KiB: starts at the one page it needs, may grow to 4 pages, not to 5.
  const capped = model.createInterpreter({ memoryLimit: 256 * KiB, runtime });
  assert.equal({ pages: capped.linearMemory.pages, max: capped.linearMemory.maximumPages }, { pages: 1, max: 4 });
  const instance = instances.at(-1)!;
  assert.is(instance.memory.byteLength, PAGE_BYTES);
  assert.ok(instance.grow(3), 'grows to the cap');
  assert.is(instance.memory.byteLength, 4 * PAGE_BYTES);
  assert.not.ok(instance.grow(1), 'one page past the cap');
  assert.is(instance.memory.byteLength, 4 * PAGE_BYTES);

  // A limit below one page that still holds the need: exactly one page, no growth at all.
  model.createInterpreter({ memoryLimit: need, runtime });
  assert.is(instances.at(-1)!.memory.byteLength, PAGE_BYTES);
  assert.not.ok(instances.at(-1)!.grow(1));

  // No limit: the memory is sized exactly and cannot grow either.
  model.createInterpreter({ runtime });
  assert.not.ok(instances.at(-1)!.grow(1));
});

test('under a cap the model runs and matches the reference; the figures are the model\'s', () => {
  const model = loadModel(MODEL, { optimize: 'size' }); // 16,176 B of RAM (speed: 16,544, scratch to widen 1x1 pixels)
  const interpreter = model.createInterpreter({ memoryLimit: 64 * KiB, ramLimit: 16 * KiB });
  const m = interpreter.linearMemory;
  assert.equal(
    { need: m.linearMemoryBytes, ram: m.ramBytes, rom: m.romDataBytes, limit: m.memoryLimit, ramLimit: m.ramLimit },
    { need: model.memory.linearMemoryBytes, ram: model.memory.ramBytes, rom: model.memory.romDataBytes, limit: 64 * KiB, ramLimit: 16 * KiB },
  );
  asBytes(interpreter.inputs[0].data).set(npyData(INPUT));
  interpreter.invoke();
  assert.equal(Array.from(asBytes(interpreter.outputs[0].data)), Array.from(npyData(EXPECTED)));

  const { linearMemoryBytes: n, ramBytes: r, romDataBytes: w } = model.memory;
  assert.throws(() => model.createInterpreter({ memoryLimit: n - 1 }),
    (e: unknown) => e instanceof MemoryLimitError && e.message === `needs ${n} bytes (RAM ${r} + ROM ${w}), limit is ${n - 1}`);
  assert.throws(() => model.createInterpreter({ ramLimit: r - 1 }),
    (e: unknown) => e instanceof MemoryLimitError && e.message === `needs ${r} bytes of RAM, limit is ${r - 1}`);
});

test('sweepMemoryLimits: per cap, fits and a median only when it fits', () => {
  const model = loadModel(MODEL);
  const n = model.memory.linearMemoryBytes;
  const rows = sweepMemoryLimits([32 * KiB, n, 128 * KiB], n, (memoryLimit) => model.createInterpreter({ memoryLimit }),
    { iterations: 3, warmup: 0 });
  assert.equal(rows.map((r) => [r.limitBytes, r.fits, r.neededBytes]), [[32 * KiB, false, n], [n, true, n], [128 * KiB, true, n]]);
  assert.not.ok('medianMs' in rows[0]);
  assert.type(rows[1].medianMs, 'number');
  assert.type(rows[2].medianMs, 'number');
});

test('CLI: over a limit exits 3 with the exact one-line message', () => {
  const model = loadModel(MODEL);
  const { linearMemoryBytes: n, ramBytes: r, romDataBytes: w } = model.memory;
  let res = edgerun('run', MODEL, '--input', INPUT, '--memory-limit', '32KiB');
  assert.is(res.code, 3, res.stderr);
  assert.is(res.stderr, `edgerun: error: needs ${n} bytes (RAM ${r} + ROM ${w}), limit is 32768\n`);
  assert.is(res.stdout, '');
  res = edgerun('run', MODEL, '--input', INPUT, '--ram-limit', '1KiB');
  assert.is(res.code, 3, res.stderr);
  assert.is(res.stderr, `edgerun: error: needs ${r} bytes of RAM, limit is 1024\n`);
  res = edgerun('bench', MODEL, '--iterations', '2', '--warmup', '0', '--memory-limit', String(n - 1));
  assert.is(res.code, 3, res.stderr);
  assert.is(res.stderr, `edgerun: error: needs ${n} bytes (RAM ${r} + ROM ${w}), limit is ${n - 1}\n`);
  for (const bad of [['run', MODEL, '--input', INPUT, '--memory-limit', '64kb'], ['bench', MODEL, '--ram-limit', '1.5KiB'],
    ['bench', MODEL, '--memory-limit', '64KiB,'], ['run', MODEL, '--input', INPUT, '--memory-limit', '1KiB', '--memory-limit', '2KiB']]) {
    res = edgerun(...bad);
    assert.is(res.code, 2, `${bad.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, /^edgerun: error: [^\n]+\n$/);
  }
});

test('CLI: under a limit, run prints the exact need and the reference output', () => {
  const model = loadModel(MODEL);
  const { linearMemoryBytes: n, ramBytes: r, romDataBytes: w } = model.memory;
  const res = edgerun('run', MODEL, '--input', INPUT, '--memory-limit', '256KiB', '--ram-limit', `${r}`);
  assert.is(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.is(lines[0], `memory: needs ${n} bytes (RAM ${r} + ROM ${w}), limit 262144, RAM limit ${r}; linear memory 1 page of 64 KiB, maximum 4 pages`);
  assert.equal(lines.at(-1)!.split(' ').map(Number), Array.from(new Int8Array(npyData(EXPECTED).buffer, npyData(EXPECTED).byteOffset, npyData(EXPECTED).length)));
  const json = JSON.parse(edgerun('run', MODEL, '--input', INPUT, '--memory-limit', '64KiB', '--json').stdout);
  assert.equal(json.memory, {
    linearMemoryBytes: n, ramBytes: r, romDataBytes: w, memoryLimit: 65536, ramLimit: null, pages: 1, maximumPages: 1,
  });
});

test('CLI: bench --memory-limit A,B,C sweeps caps', () => {
  const n = loadModel(MODEL).memory.linearMemoryBytes;
  const res = edgerun('bench', MODEL, '--iterations', '3', '--warmup', '1', '--memory-limit', '32KiB,64KiB,128KiB', '--json');
  assert.is(res.code, 0, res.stderr);
  const rows = JSON.parse(res.stdout);
  assert.equal(rows.map((r: { limitBytes: number; fits: boolean; neededBytes: number }) => [r.limitBytes, r.fits, r.neededBytes]),
    [[32768, false, n], [65536, true, n], [131072, true, n]]);
  assert.not.ok('medianMs' in rows[0]);
  assert.type(rows[1].medianMs, 'number');
  for (const row of rows) assert.equal(Object.keys(row).filter((k) => k !== 'medianMs').sort(), ['fits', 'limitBytes', 'neededBytes']);
  const text = edgerun('bench', MODEL, '--iterations', '3', '--warmup', '1', '--memory-limit', '32KiB,64KiB');
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /32KiB\s+32,768\s+no/);
  assert.match(text.stdout, /64KiB\s+65,536\s+yes\s+1 \(1\)\s+\d+\.\d{4}/);
  const profiled = edgerun('bench', MODEL, '--memory-limit', '32KiB,64KiB', '--profile');
  assert.is(profiled.code, 2);
});

test.run();
