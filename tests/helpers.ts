/** Shared test helpers: repository paths, golden fixtures, byte comparisons. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../host/index.js';
import { findOp } from '../host/ops/registry.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const GOLDEN_DIR = join(ROOT, 'tests', 'golden', 'cases');

export interface GoldenCase {
  id: string;
  op: string;
  dir: string;
  ops: string[];
  config: Record<string, unknown>;
  inputs: { shape: number[]; dtype: string }[];
  outputs: { shape: number[]; dtype: string }[];
  /** Stateful cases: this many invocations, files input_N.stepK.npy / output_N.stepK.npy. */
  steps?: number;
  /** Cases the runtime must reject, with this message. */
  expectError?: string;
}

/** Every case in the fixture index. */
export function allGoldenCases(): GoldenCase[] {
  const index = join(GOLDEN_DIR, 'index.json');
  if (!existsSync(index)) throw new Error(`golden fixtures missing: ${index} (run npm run golden)`);
  return (JSON.parse(readFileSync(index, 'utf8')) as { cases: GoldenCase[] }).cases;
}

/** Cases whose ops are all in the registry and that are expected to run. */
export function goldenCases(): GoldenCase[] {
  return allGoldenCases().filter((c) => !c.expectError && c.ops.every((op) => findOp(op)));
}

/** Cases waiting for ops edgerun does not run yet, by op. */
export function pendingGoldenCases(): Map<string, number> {
  const pending = new Map<string, number>();
  for (const c of allGoldenCases()) {
    for (const op of new Set(c.ops.filter((o) => !findOp(o)))) pending.set(op, (pending.get(op) ?? 0) + 1);
  }
  return pending;
}

export function casePath(c: GoldenCase, file: string): string {
  return join(GOLDEN_DIR, c.dir, file);
}

export function npyBytes(path: string): Uint8Array {
  return readNpy(new Uint8Array(readFileSync(path)), path).data;
}

export function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Index of the first differing byte, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Seeded PRNG (mulberry32) for reproducible randomized tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
