/**
 * Smoke check for the peer engines: run each on a model, print its outputs next to the expected
 * ones (TFLite reference kernels; XNNPACK may differ by ±1), count differing elements, and time it
 * (median of 200 runs after 20 warm-ups, ms).
 *
 *   node dist/bench/peers/check.js                       KWS sample + tests/golden/cases/NETWORK/*
 *   node dist/bench/peers/check.js MODEL INPUT EXPECTED  one model, one input, one output (.npy)
 *   node dist/bench/peers/check.js --case DIR            DIR/model.tflite, input_N.npy, output_N.npy
 * Exit status 1 if a peer is unavailable, fails, or differs from the expected output by more than 1.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../host/index.js';
import { PEERS, type PeerSession } from './index.js';

/** Repository root (this file runs as dist/bench/peers/check.js). */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const WARMUP = 20;
const RUNS = 200;

interface Tensor { dtype: string; shape: number[]; data: Uint8Array }
interface Case { name: string; model: Uint8Array; inputs: Tensor[]; expected: Tensor[] }

function npy(path: string): Tensor {
  return readNpy(new Uint8Array(readFileSync(path)), path);
}

function caseFromDir(dir: string): Case {
  const files = readdirSync(dir);
  const name = dir.startsWith(ROOT) ? relative(ROOT, dir) : dir;
  const numbered = (prefix: string): string[] => files.filter((f) => new RegExp(`^${prefix}_\\d+\\.npy$`).test(f))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]));
  return {
    name,
    model: new Uint8Array(readFileSync(join(dir, 'model.tflite'))),
    inputs: numbered('input').map((f) => npy(join(dir, f))),
    expected: numbered('output').map((f) => npy(join(dir, f))),
  };
}

function cases(argv: string[]): Case[] {
  if (argv[0] === '--case' && argv[1]) return [caseFromDir(argv[1])];
  if (argv.length === 3) {
    return [{ name: argv[0], model: new Uint8Array(readFileSync(argv[0])), inputs: [npy(argv[1])], expected: [npy(argv[2])] }];
  }
  if (argv.length !== 0) throw new Error('usage: check.js [MODEL INPUT.npy EXPECTED.npy | --case DIR]');
  const at = (p: string): string => join(ROOT, p);
  const list: Case[] = [{
    name: 'models/kws_dscnn.tflite',
    model: new Uint8Array(readFileSync(at('models/kws_dscnn.tflite'))),
    inputs: [npy(at('models/samples/kws_dscnn_input.npy'))],
    expected: [npy(at('models/samples/kws_dscnn_expected.npy'))],
  }];
  const root = at('tests/golden/cases/NETWORK');
  if (existsSync(root)) {
    for (const d of readdirSync(root).sort()) if (existsSync(join(root, d, 'model.tflite'))) list.push(caseFromDir(join(root, d)));
  }
  return list;
}

function values(bytes: Uint8Array, dtype: string): number[] {
  const b = bytes.slice();
  switch (dtype) {
    case 'int8': return Array.from(new Int8Array(b.buffer));
    case 'uint8': case 'bool': return Array.from(b);
    case 'int16': return Array.from(new Int16Array(b.buffer));
    case 'int32': return Array.from(new Int32Array(b.buffer));
    case 'float32': return Array.from(new Float32Array(b.buffer));
    default: throw new Error(`unsupported output dtype ${dtype}`);
  }
}

function show(v: number[]): string {
  const shown = v.slice(0, 24).map((x) => (Number.isInteger(x) ? String(x) : x.toPrecision(4))).join(' ');
  return v.length > 24 ? `${shown} … (${v.length})` : shown;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function time(fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    const t1 = performance.now();
    if (i >= WARMUP) samples.push(t1 - t0);
  }
  return median(samples);
}

/** Compares one peer's outputs with the expected tensors; returns false when off by more than 1. */
function compare(peer: string, got: Uint8Array[], expected: Tensor[]): boolean {
  let ok = got.length === expected.length;
  if (!ok) console.log(`  ${peer}: ${got.length} outputs, expected ${expected.length}`);
  expected.forEach((exp, i) => {
    const want = values(exp.data, exp.dtype);
    const have = got[i] ? values(got[i], exp.dtype) : [];
    let differ = 0;
    let maxDiff = 0;
    want.forEach((w, j) => {
      const d = Math.abs((have[j] ?? NaN) - w);
      if (d !== 0) differ++;
      maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Infinity : d);
    });
    const tol = exp.dtype === 'float32' ? Infinity : 1;
    if (have.length !== want.length || maxDiff > tol) ok = false;
    console.log(`  output ${i} ${exp.dtype}[${exp.shape.join(',')}]`);
    console.log(`    expected     ${show(want)}`);
    console.log(`    ${peer.padEnd(12)} ${show(have)}`);
    console.log(`    differ: ${differ} of ${want.length} elements, max |diff| ${maxDiff}`);
  });
  return ok;
}

async function checkCase(c: Case): Promise<boolean> {
  console.log(`\n== ${c.name}  (inputs ${c.inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(', ')})`);
  const inputs = c.inputs.map((t) => t.data);
  const results: { peer: string; out: Uint8Array[] }[] = [];
  let ok = true;
  for (const peer of PEERS) {
    const reason = await peer.available();
    if (reason !== null) {
      console.log(`  ${peer.name}: UNAVAILABLE: ${reason}`);
      ok = false;
      continue;
    }
    let session: PeerSession | null = null;
    try {
      session = await peer.open(c.model);
      console.log(`  ${session.name} ${session.version}  wasm ${session.wasmBytes} B  ${session.build}`);
      const out = session.run(inputs);
      results.push({ peer: session.name, out });
      if (!compare(session.name, out, c.expected)) ok = false;
      const again = session.run(inputs);
      if (again.some((b, i) => Buffer.compare(b, out[i]) !== 0)) {
        console.log('    second run differs from the first');
        ok = false;
      }
      const run = session;
      const ms = await time(() => run.run(inputs));
      let api = `public API: unavailable (${session.apiUnavailable})`;
      if (run.runApi) {
        const viaApi = await run.runApi(inputs);
        const same = viaApi.length === out.length && viaApi.every((b, i) => Buffer.compare(b, out[i]) === 0);
        const apiRun = run.runApi;
        api = `public API: median ${(await time(() => apiRun(inputs))).toFixed(4)} ms${same ? '' : ' (OUTPUT DIFFERS from run())'}`;
        if (!same) ok = false;
      }
      console.log(`    run(): median ${ms.toFixed(4)} ms of ${RUNS} after ${WARMUP} warm-ups; ${api}`);
    } catch (e) {
      ok = false;
      console.log(`  ${peer.name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      if (session?.log.length) console.log(`    last engine log: ${session.log.slice(-3).join(' | ')}`);
    } finally {
      session?.dispose();
    }
  }
  for (let i = 1; i < results.length; i++) {
    const [a, b] = [results[0], results[i]];
    const same = a.out.length === b.out.length && a.out.every((x, j) => Buffer.compare(x, b.out[j]) === 0);
    console.log(`  ${a.peer} vs ${b.peer}: ${same ? 'identical outputs' : 'outputs differ'}`);
  }
  return ok;
}

async function main(): Promise<void> {
  let ok = true;
  for (const c of cases(process.argv.slice(2))) if (!(await checkCase(c))) ok = false;
  console.log(ok ? '\nall peers ran; outputs within ±1 of the reference'
    : '\nSOME PEER CHECKS FAILED (unavailable, error, or an output more than 1 away from the reference)');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(`check: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
