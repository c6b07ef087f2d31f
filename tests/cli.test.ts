/** The CLI contract: outputs, JSON shapes, exit codes and one-line errors. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError, listRuntimes, loadModel, readNpy } from '../host/index.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const MODEL = join(ROOT, 'models', 'kws_dscnn.tflite');
const INPUT = join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy');
const EXPECTED = join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy');
const tmp = mkdtempSync(join(tmpdir(), 'edgerun-cli-'));

function edgerun(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.is(r.code, code, r.stderr);
  assert.match(r.stderr, /^edgerun: error: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

test('run on the bundled sample prints the reference output', () => {
  const r = edgerun('run', MODEL, '--input', INPUT);
  assert.is(r.code, 0, r.stderr);
  const expected = readNpy(new Uint8Array(readFileSync(EXPECTED)), EXPECTED);
  const printed = r.stdout.trim().split('\n').at(-1)!.split(' ').map(Number);
  assert.equal(printed, Array.from(new Int8Array(expected.data.buffer, expected.data.byteOffset, expected.data.length)));
});

test('run --json and --output (.npy and .bin) agree with the reference', () => {
  const npy = join(tmp, 'out.npy');
  const r = edgerun('run', MODEL, '--input', INPUT, '--output', npy, '--json');
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.type(json.latencyMs, 'number');
  assert.is(json.outputs.length, 1);
  const expected = readNpy(new Uint8Array(readFileSync(EXPECTED)), EXPECTED);
  assert.equal(json.outputs[0].shape, expected.shape);
  assert.is(json.outputs[0].dtype, 'int8');
  const written = readNpy(new Uint8Array(readFileSync(npy)), npy);
  assert.equal(Array.from(written.data), Array.from(expected.data));
  assert.equal(written.shape, expected.shape);

  const raw = readNpy(new Uint8Array(readFileSync(INPUT)), INPUT).data;
  const bin = join(tmp, 'in.bin');
  writeFileSync(bin, raw);
  const outBin = join(tmp, 'out.bin');
  assert.is(edgerun('run', MODEL, '--input', bin, '--output', outBin).code, 0);
  assert.equal(Array.from(readFileSync(outBin)), Array.from(expected.data));
});

test('inspect --json has the documented fields', () => {
  const r = edgerun('inspect', MODEL, '--json');
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.ops.length > 0 && j.ops.every((o: unknown) => typeof o === 'string'));
  assert.equal(j.unsupported, []);
  for (const t of [...j.inputs, ...j.outputs]) for (const k of ['name', 'shape', 'dtype', 'scale', 'zeroPoint']) assert.ok(k in t, k);
  for (const k of ['arenaBytes', 'weightsBytes', 'ramBytes', 'romBytes']) assert.type(j.memory[k], 'number');
  assert.ok(j.memory.romBytes > j.memory.weightsBytes);
});

test('--optimize size: the same bytes out, no Winograd filters, less ROM; speed is the default; bad option values are InputErrors', () => {
  const dir = join(ROOT, 'tests', 'golden', 'cases', 'NETWORK', 'n003-resnet-tiny-24x24');
  const model = join(dir, 'model.tflite');
  const npyData = (file: string) => Array.from(readNpy(new Uint8Array(readFileSync(file)), file).data);
  const expected = npyData(join(dir, 'output_0.npy'));
  const memory = (...extra: string[]) => JSON.parse(edgerun('inspect', model, '--json', ...extra).stdout).memory;
  const speed = memory();
  const size = memory('--optimize', 'size');
  assert.equal(memory('--optimize', 'speed'), speed);
  assert.ok(size.weightsBytes < speed.weightsBytes && size.romBytes < speed.romBytes, `${size.romBytes} vs ${speed.romBytes}`);
  const kernels = (optimize: 'speed' | 'size') => loadModel(model, { optimize }).prepared.layout.calls.map((c) => c.kernel);
  assert.ok(kernels('speed').includes('conv_2d_winograd'));
  assert.not.ok(kernels('size').includes('conv_2d_winograd'));
  for (const bad of [{ optimize: 'fast' }, { optimize: 'SPEED' }, { kernels: 'bogus' }]) {
    assert.throws(() => loadModel(model, bad as object), (e: Error) => e instanceof InputError && /must be '\w+' or '\w+', got "\w+"$/.test(e.message));
  }
  for (const optimize of ['speed', 'size']) {
    const out = join(tmp, `resnet-${optimize}.npy`);
    const r = edgerun('run', model, '--input', join(dir, 'input_0.npy'), '--output', out, '--optimize', optimize);
    assert.is(r.code, 0, r.stderr);
    assert.equal(npyData(out), expected);
  }
  expectError(edgerun('run', model, '--input', join(dir, 'input_0.npy'), '--optimize', 'fast'), 2, /--optimize must be speed or size, got fast/);
  const wasm = join(tmp, 'resnet-size.wasm');
  assert.is(edgerun('compile', model, '-o', wasm, '--optimize', 'size').code, 0);
  assert.is(JSON.parse(edgerun('inspect', wasm, '--json', '--optimize', 'size').stdout).module.optimize, 'size');
  expectError(edgerun('run', wasm, '--input', join(dir, 'input_0.npy'), '--optimize', 'speed'), 2, /compiled with --optimize size; --optimize speed needs a recompile/);
});

test('bad input: one-line errors with exit 2, existing outputs untouched', () => {
  expectError(edgerun('run', MODEL), 2, /1 input\(s\).*got 0 --input/);
  expectError(edgerun('run', join(tmp, 'missing.tflite'), '--input', INPUT), 2, /cannot read \(ENOENT\)/);
  const junk = join(tmp, 'junk.tflite');
  writeFileSync(junk, 'not a model at all, just text');
  expectError(edgerun('run', junk, '--input', INPUT), 2, /model/);
  expectError(edgerun('inspect', junk), 2, /model/);
  const wrong = join(tmp, 'wrong.bin');
  writeFileSync(wrong, new Uint8Array(3));
  expectError(edgerun('run', MODEL, '--input', wrong), 2, /3 bytes.*needs/);
  expectError(edgerun('run', MODEL, '--input', join(tmp, 'x.txt')), 2, /cannot read|use \.npy or \.bin/);
  expectError(edgerun('frobnicate'), 2, /unknown command/);
  expectError(edgerun('run', MODEL, '--input', INPUT, '--bogus', '1'), 2, /unknown option --bogus/);
  expectError(edgerun('run', MODEL, '--input', INPUT, '--runtime', 'nope'), 2, /--runtime nope/);

  const keep = join(tmp, 'keep.npy');
  writeFileSync(keep, 'precious');
  expectError(edgerun('run', MODEL, '--input', INPUT, '--output', keep, '--output', join(tmp, 'extra.npy')), 2, /1 output\(s\)/);
  assert.is(readFileSync(keep, 'utf8'), 'precious');
  const bad = join(tmp, 'out.txt');
  expectError(edgerun('run', MODEL, '--input', INPUT, '--output', bad), 2, /use \.npy or \.bin/);
  assert.not.ok(existsSync(bad));
});

test('an input that makes a kernel fail as it makes TFLite fail (GATHER index out of range): one line, exit 2, on both runtimes and compiled', () => {
  const dir = join(ROOT, 'tests', 'golden', 'cases', 'GATHER', 'ga003-10x3-input-idx6-axis0');
  const indices = join(tmp, 'indices.bin');
  writeFileSync(indices, new Uint8Array(Int32Array.of(0, 1, 2, 99, 4, 5).buffer));
  const compiled = join(tmp, 'gather.wasm');
  assert.is(edgerun('compile', join(dir, 'model.tflite'), '-o', compiled).code, 0);
  // wasmtime where it can run (CI requires it: EDGERUN_REQUIRE_WASMTIME=1, see tests/wasmtime.test.ts)
  const wasmtime = listRuntimes().find((r) => r.name === 'wasmtime')!.available || process.env.EDGERUN_REQUIRE_WASMTIME === '1';
  const runs = [[join(dir, 'model.tflite'), 'v8'], [compiled, 'v8'], ...(wasmtime ? [[join(dir, 'model.tflite'), 'wasmtime']] : [])];
  for (const [model, runtime] of runs) {
    expectError(edgerun('run', model, '--input', join(dir, 'input_0.npy'), '--input', indices, '--runtime', runtime), 2,
      /^edgerun: error: operator 0 \(GATHER\): an index is out of range/);
  }
});

test('bench --json reports medians and a per-op profile (structure only; tests never judge timings)', () => {
  const r = edgerun('bench', MODEL, '--iterations', '5', '--warmup', '1', '--profile', '--json');
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['medianMs', 'p10Ms', 'p90Ms', 'iterations']) assert.type(j[k], 'number', k);
  assert.is(j.iterations, 5);
  assert.ok(j.p10Ms <= j.medianMs && j.medianMs <= j.p90Ms);
  const inspect = JSON.parse(edgerun('inspect', MODEL, '--json').stdout);
  assert.equal(j.profile.map((p: { op: string }) => p.op), inspect.ops);
  expectError(edgerun('bench', MODEL, '--iterations', 'lots'), 2, /--iterations must be a whole number/);
});

const commas = (n: number) => n.toLocaleString('en-US');

test('plan prints the timeline with totals and one line per buffer', () => {
  const r = edgerun('plan', MODEL);
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(edgerun('inspect', MODEL, '--json').stdout).memory;
  assert.match(r.stdout, `arena ${commas(m.arenaBytes)} B  lower bound ${commas(m.lowerBoundBytes)} B`);
  assert.match(r.stdout, `RAM ${commas(m.ramBytes)} B  ROM data ${commas(m.romDataBytes)} B`);
  const layout = loadModel(MODEL).prepared.layout;
  const rows = r.stdout.split('\n').filter((l) => /^ +[0-9,]+ \|/.test(l));
  assert.ok(rows.length >= 10 && rows.length <= 30, `${rows.length} offset rows`);
  const lines = r.stdout.split('\n').filter((l) => /^  [A-Za-z0-9]  +\d+ /.test(l));
  assert.is(lines.length, layout.arena.buffers.length);
  assert.match(r.stdout, /scratch \(op \d+\)/);
});

test('plan --json: the documented fields, offsets and sizes from the model\'s layout', () => {
  const r = edgerun('plan', MODEL, '--json');
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const model = loadModel(MODEL);
  const { arena, calls } = model.prepared.layout;
  assert.equal(Object.keys(j).sort(), ['arenaBytes', 'buffers', 'lowerBoundBytes', 'ramBytes', 'romDataBytes']);
  assert.equal([j.arenaBytes, j.lowerBoundBytes, j.ramBytes, j.romDataBytes],
    [arena.arenaBytes, arena.lowerBoundBytes, model.memory.ramBytes, model.memory.romDataBytes]);
  assert.is(j.buffers.length, arena.buffers.length);
  const tensors = model.prepared.model.tensors;
  for (const b of j.buffers) {
    assert.equal(Object.keys(b).sort(), ['bytes', 'first', 'last', 'name', 'offset', 'tensor']);
    const planned = arena.buffers.find((l) => l.tensor === b.tensor)!;
    assert.ok(planned, `buffer ${b.tensor}`);
    assert.is(b.offset, arena.offsets.get(b.tensor));
    assert.is(b.bytes, planned.bytes);
    assert.ok(b.first <= b.last && b.first <= calls[planned.first].opIndex && b.last >= calls[planned.last].opIndex);
    if (b.tensor < tensors.length) assert.is(b.name, tensors[b.tensor].name);
    else assert.is(b.name, `scratch (op ${b.first})`);
  }
  // Lifetimes are op indices: call-less RESHAPEs at either end are covered by the buffers they alias.
  const reshapes = join(ROOT, 'tests', 'golden', 'cases', 'MULTI', 'x010-reshape-softmax-3x5x4', 'model.tflite');
  const rj = JSON.parse(edgerun('plan', reshapes, '--json').stdout);
  assert.is(Math.min(...rj.buffers.map((b: { first: number }) => b.first)), 0);
  assert.is(Math.max(...rj.buffers.map((b: { last: number }) => b.last)), loadModel(reshapes).ops.length - 1);
  // Buffers live at the same op never share bytes (what the picture shows).
  for (const a of j.buffers) {
    for (const b of j.buffers) {
      if (a === b || a.last < b.first || b.last < a.first) continue;
      assert.ok(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset, `${a.tensor} and ${b.tensor} overlap`);
    }
  }
});

/** Well-formed XML, enough for our hand-written SVG: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tags = svg.match(/<[^>]*>/g) ?? [];
  for (const tag of tags) {
    const m = /^<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(tag);
    assert.ok(m, `malformed tag ${tag}`);
    const [, close, name, , self] = m!;
    if (close) assert.is(stack.pop(), name, `closing ${name}`);
    else if (!self) stack.push(name);
  }
  assert.equal(stack, []);
  const text = svg.replace(/<[^>]*>/g, '');
  assert.not.match(text, /&(?!(amp|lt|gt|quot|apos);)/);
  assert.not.match(text, /[<>]/);
}

test('plan --svg writes a well-formed SVG: one rectangle per buffer, offset axis, dashed lower bound', () => {
  const file = join(tmp, 'plan.svg');
  const r = edgerun('plan', MODEL, '--svg', file);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `wrote ${file}`);
  const svg = readFileSync(file, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
  assert.match(svg, /<\/svg>\n$/);
  assertWellFormed(svg);
  const buffers = JSON.parse(edgerun('plan', MODEL, '--json').stdout).buffers;
  assert.is((svg.match(/<g><title>tensor /g) ?? []).length, buffers.length);
  assert.match(svg, /stroke-dasharray/);
  assert.match(svg, />arena offset \(bytes\)</);
  assert.ok(readdirSync(tmp).every((f) => !f.includes('.tmp')), 'no temporary file left');
  if (spawnSync('rsvg-convert', ['--version']).status === 0) {
    const png = spawnSync('rsvg-convert', [file, '-o', join(tmp, 'plan.png')]);
    assert.is(png.status, 0, String(png.stderr));
  }
  expectError(edgerun('plan', MODEL, '--svg', join(tmp, 'plan.png')), 2, /must end in \.svg/);
  expectError(edgerun('plan', MODEL, '--svg', join(tmp, 'missing-dir', 'plan.svg')), 2, /cannot write \(ENOENT\)/);
  expectError(edgerun('plan'), 2, /plan takes one MODEL/);
});

test('--help on every command', () => {
  for (const args of [['--help'], ['inspect', '--help'], ['run', '--help'], ['bench', '--help'], ['plan', '--help'], ['ops', '--help']]) {
    const r = edgerun(...args);
    assert.is(r.code, 0);
    assert.match(r.stdout, /Usage: edgerun/);
  }
  const main = edgerun('--help').stdout;
  assert.match(main, /plan MODEL/);
  assert.match(main, /3 the model does not fit/);
  for (const command of ['run', 'bench']) assert.match(edgerun(command, '--help').stdout, /--memory-limit SIZE[\s\S]*--ram-limit SIZE/);
});

test('bench scripts: --help exits 0 with usage; an unknown flag or a bad value is a one-line error, exit 2, before any work', () => {
  const script = (name: string, ...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', `${name}.js`), ...args], { encoding: 'utf8' });
  for (const name of ['suite', 'memory', 'sparse', 'stream']) {
    const help = script(name, '--help');
    assert.is(help.status, 0, name);
    assert.match(help.stdout, /^usage: /, name);
    const bad = script(name, '--no-such-flag');
    assert.is(bad.status, 2, `${name}: ${bad.stderr}`);
    assert.is(bad.stderr.trim().split('\n').length, 1, `${name}: ${bad.stderr}`);
  }
  for (const args of [['--densities', '2'], ['--blocks', '7'], ['--layer', 'nothing'], ['--densities']]) {
    const r = script('sparse', ...args);
    assert.is(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^bench\/sparse: error: [^\n]+\n$/, args.join(' '));
  }
});

test.run();
