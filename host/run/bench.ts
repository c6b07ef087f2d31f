/** Latency measurement over an interpreter: medians and percentiles, and per-op profiles. */
import { MemoryLimitError } from '../errors.js';
import type { Interpreter, OpTiming } from './interpreter.js';
import type { ModelRunner } from './runner.js';

export interface BenchOptions {
  iterations: number;
  warmup: number;
  /** Called after each timed iteration (progress on long runs). */
  onProgress?: (done: number, total: number) => void;
}

export interface OpProfile {
  opIndex: number;
  op: string;
  kernel: string;
  /** Median time of this op over the profiled iterations. */
  ms: number;
  macs: number;
  gmacPerS: number;
  share: number;
}

export interface BenchResult {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  iterations: number;
  warmup: number;
  macs: number;
  gmacPerS: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function benchmark(interpreter: ModelRunner, options: BenchOptions): BenchResult {
  for (let i = 0; i < options.warmup; i++) interpreter.invoke();
  const times: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const t0 = performance.now();
    interpreter.invoke();
    times.push(performance.now() - t0);
    options.onProgress?.(i + 1, options.iterations);
  }
  times.sort((a, b) => a - b);
  const { macs } = interpreter;
  const medianMs = percentile(times, 0.5);
  return {
    medianMs, p10Ms: percentile(times, 0.1), p90Ms: percentile(times, 0.9), minMs: times[0] ?? NaN,
    iterations: options.iterations, warmup: options.warmup, macs, gmacPerS: macs / (medianMs * 1e6),
  };
}

/** Per-kernel-call medians over `iterations` profiled invocations. */
export function profile(interpreter: Interpreter, iterations: number): OpProfile[] {
  const runs: OpTiming[][] = [];
  for (let i = 0; i < iterations; i++) runs.push(interpreter.invokeProfiled());
  if (runs.length === 0) return [];
  const rows = runs[0].map((t, k) => {
    const ms = percentile(runs.map((r) => r[k].ms).sort((a, b) => a - b), 0.5);
    return { opIndex: t.opIndex, op: t.op, kernel: t.kernel, ms, macs: t.macs, gmacPerS: t.macs / (ms * 1e6), share: 0 };
  });
  const total = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows) r.share = total > 0 ? r.ms / total : 0;
  return rows;
}

/** One cap of a memory-limit sweep: whether the model fits and, when it does, its latency. */
export interface LimitSweepRow {
  limitBytes: number;
  fits: boolean;
  /** The model's linear-memory need (ROM data + RAM), bytes. */
  neededBytes: number;
  /** Median latency under this cap; absent when the model does not fit. */
  medianMs?: number;
}

/**
 * Benchmarks under each cap in turn. `create(limit)` makes an interpreter capped at `limit`
 * (inputs filled); a MemoryLimitError from it means the model does not fit that cap.
 */
export function sweepMemoryLimits(
  limits: readonly number[],
  neededBytes: number,
  create: (limitBytes: number) => ModelRunner,
  options: BenchOptions,
): LimitSweepRow[] {
  return limits.map((limitBytes) => {
    let interpreter: ModelRunner;
    try {
      interpreter = create(limitBytes);
    } catch (e) {
      if (e instanceof MemoryLimitError) return { limitBytes, fits: false, neededBytes };
      throw e;
    }
    return { limitBytes, fits: true, neededBytes, medianMs: benchmark(interpreter, options).medianMs };
  });
}
