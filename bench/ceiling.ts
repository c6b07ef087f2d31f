/**
 * The SIMD128 int8 dot-product ceiling of this machine: compiles bench/ceiling/dot.as with asc
 * (`--enable simd --runtime stub -O3`, in memory) and times each kernel variant on L1-resident
 * data, interleaved; the ceiling is the best variant's p90 GMAC/s (its fast end: a slow spell of
 * a shared machine during the ~1 s of timing lowers the median, not what the machine can do).
 * Every variant's result is
 * checked against a JavaScript dot product first.
 */
import { readFileSync } from 'node:fs';
import { CEILING_SOURCE } from './paths.js';
import { median, percentile } from './stats.js';

interface Variant {
  name: string;
  idiom: string;
  /** Rows of `b` (register blocking); MACs per rep = rows * N. */
  rows: number;
  /** JavaScript model of one rep (i32 result). */
  reference(a: Int8Array, b: Int8Array): number;
}

export interface CeilingVariant {
  name: string;
  idiom: string;
  medianGmacPerS: number;
  p10GmacPerS: number;
  p90GmacPerS: number;
  samples: number;
}

export interface Ceiling {
  gmacPerS: number;
  best: string;
  /** int8 elements per vector; all operands together stay under 21 KB (L1-resident). */
  n: number;
  variants: CeilingVariant[];
  wasmBytes: number;
}

const N = 4096;
const A = 1024;
const B = A + N;
const CALL_MS = 2;
const WARMUP_MS = 250;
const ROUNDS = 40;
const CALLS_PER_ROUND = 4;

function dot(a: Int8Array, ao: number, b: Int8Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

const VARIANTS: Variant[] = [
  { name: 'dot_load8x8_dot', idiom: 'v128.load8x8_s + i32x4.dot_i16x8_s, 4 accumulators', rows: 1,
    reference: (a, b) => dot(a, 0, b, 0, N) },
  { name: 'dot_extmul', idiom: 'i16x8.extmul_low/high_i8x16_s + i32x4.extadd_pairwise_i16x8_s, 4 accumulators', rows: 1,
    reference: (a, b) => dot(a, 0, b, 0, N) },
  { name: 'dot_load8x8_dot_4rows', idiom: 'load8x8_s + dot_i16x8_s, 1 input x 4 weight rows', rows: 4,
    reference: (a, b) => [0, 1, 2, 3].reduce((s, r) => s + dot(a, 0, b, r * N, N), 0) },
  { name: 'dot_load8x8_dot_2x4', idiom: 'load8x8_s + dot_i16x8_s, 2 inputs x 4 weight rows', rows: 4,
    reference: (a, b) => [0, 1, 2, 3].reduce((s, r) => s + dot(a, 0, b, r * N, N / 2) + dot(a, N / 2, b, r * N, N / 2), 0) },
];

type DotFn = (a: number, b: number, n: number, reps: number) => number;

async function compile(): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  const source = readFileSync(CEILING_SOURCE, 'utf8');
  const r = await asc.compileString({ 'dot.ts': source }, {
    runtime: 'stub', optimizeLevel: 3, shrinkLevel: 0, enable: ['simd'], noAssert: true, use: ['abort='],
  });
  if (r.error || !r.binary) throw new Error(`asc failed on bench/ceiling/dot.as: ${r.error?.message ?? ''} ${r.stderr.toString().trim()}`);
  return r.binary;
}

function timeCall(f: DotFn, reps: number): number {
  const t0 = performance.now();
  f(A, B, N, reps);
  return performance.now() - t0;
}

/** Reps for one call of about CALL_MS, after warming the function up for WARMUP_MS. */
function calibrate(f: DotFn): number {
  let reps = 16;
  const start = performance.now();
  while (performance.now() - start < WARMUP_MS) {
    const ms = timeCall(f, reps);
    if (ms < CALL_MS / 2) reps *= 2;
    else reps = Math.max(1, Math.round(reps * CALL_MS / ms));
  }
  return reps;
}

export async function measureCeiling(progress: (message: string) => void): Promise<Ceiling> {
  const binary = await compile();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), {});
  const memory = instance.exports.memory as WebAssembly.Memory;
  const need = B + 4 * N;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const a = new Int8Array(memory.buffer, A, N);
  const b = new Int8Array(memory.buffer, B, 4 * N);
  let seed = 0x2545f491;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 16) & 0xff;
  for (let i = 0; i < a.length; i++) a[i] = rand();
  for (let i = 0; i < b.length; i++) b[i] = rand();
  a[0] = b[0] = -128; // the extreme product (-128 * -128) is part of every check

  const fns = VARIANTS.map((v) => {
    const f = instance.exports[v.name] as DotFn;
    const got = f(A, B, N, 1);
    const want = v.reference(a, b) | 0;
    if (got !== want) throw new Error(`ceiling kernel ${v.name}: got ${got}, the JavaScript dot product gives ${want}`);
    return f;
  });
  const reps = fns.map(calibrate);
  const gmacs = VARIANTS.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = (r + k) % VARIANTS.length;
      const macs = VARIANTS[v].rows * N * reps[v];
      for (let c = 0; c < CALLS_PER_ROUND; c++) gmacs[v].push(macs / (timeCall(fns[v], reps[v]) * 1e6));
    }
  }
  const variants = VARIANTS.map((v, i) => {
    const sorted = Float64Array.from(gmacs[i]).sort();
    return {
      name: v.name, idiom: v.idiom, medianGmacPerS: median(gmacs[i]),
      p10GmacPerS: percentile(sorted, 0.1), p90GmacPerS: percentile(sorted, 0.9), samples: sorted.length,
    };
  });
  const best = variants.reduce((x, y) => (y.p90GmacPerS > x.p90GmacPerS ? y : x));
  progress(`ceiling (p90): ${variants.map((v) => `${v.name} ${v.p90GmacPerS.toFixed(2)}`).join(', ')} GMAC/s`);
  return { gmacPerS: best.p90GmacPerS, best: best.name, n: N, variants, wasmBytes: binary.byteLength };
}
