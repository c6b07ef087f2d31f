/** The CLI contract: outputs, JSON shapes, exit codes and one-line errors. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy } from '../host/index.js';
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

test('--help on every command', () => {
  for (const args of [['--help'], ['inspect', '--help'], ['run', '--help'], ['bench', '--help'], ['ops', '--help']]) {
    const r = edgerun(...args);
    assert.is(r.code, 0);
    assert.match(r.stdout, /Usage: edgerun/);
  }
});

test.run();
