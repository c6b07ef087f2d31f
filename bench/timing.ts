/**
 * Fair interleaved timing of several engines on one model: every engine is warmed up, then each
 * round times one block of single-inference samples per engine, in an order rotated every round,
 * so slow drifts and bursts of machine noise land on all engines alike. Blocks are sized per engine
 * to take about the same time (blockMs, from the warm-up speed), or hold a fixed `iterations`.
 * Each engine's statistics are over all of its samples (rounds x its block size); the median of
 * each of its blocks is kept too, for ratios of blocks timed next to each other.
 */
import { percentile, summarize, type Summary } from './stats.js';

export interface Timed {
  name: string;
  /** One inference (inputs in, invoke, outputs out). */
  step(): unknown;
}

export interface TimingOptions {
  rounds: number;
  /** Samples per engine per round; null = per engine, ceil(blockMs / its warm-up time per step). */
  iterations: number | null;
  blockMs: number;
  warmupMs: number;
  progress(message: string): void;
}

export interface TimingResult {
  /** Block size (samples per round) of each engine. */
  iterations: number[];
  rounds: number;
  /** Per engine, in the order given. */
  summaries: Summary[];
  /** Per engine, the median of its block in each round. */
  roundMedians: number[][];
}

const MIN_WARMUP_STEPS = 20;
const MIN_AUTO_ITERATIONS = 20;
const MAX_AUTO_ITERATIONS = 200_000;

/** Runs `step` for at least `ms` and MIN_WARMUP_STEPS times; returns ms per step over the second half. */
function warmUp(t: Timed, ms: number): number {
  const start = performance.now();
  let steps = 0;
  let halfAt = 0;
  let halfSteps = 0;
  for (;;) {
    t.step();
    steps++;
    const now = performance.now();
    if (halfSteps === 0 && now - start >= ms / 2 && steps >= MIN_WARMUP_STEPS / 2) {
      halfAt = now;
      halfSteps = steps;
    }
    if (now - start >= ms && steps >= MIN_WARMUP_STEPS && halfSteps > 0 && steps > halfSteps) {
      return (now - halfAt) / (steps - halfSteps);
    }
  }
}

function block(t: Timed, out: Float64Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    t.step();
    out[from + i] = performance.now() - t0;
  }
}

export function timeInterleaved(engines: readonly Timed[], o: TimingOptions): TimingResult {
  const perStep = engines.map((t) => warmUp(t, o.warmupMs));
  const iterations = perStep.map((ms) => o.iterations
    ?? Math.min(MAX_AUTO_ITERATIONS, Math.max(MIN_AUTO_ITERATIONS, Math.ceil(o.blockMs / ms))));
  o.progress(`warm: ${engines.map((t, i) => `${t.name} ${perStep[i].toFixed(4)} ms`).join(', ')}; ` +
    `${o.rounds} rounds of ${iterations.join(' / ')} iterations`);
  const samples = engines.map((_, e) => new Float64Array(o.rounds * iterations[e]));
  for (let r = 0; r < o.rounds; r++) {
    for (let k = 0; k < engines.length; k++) {
      const e = (r + k) % engines.length;
      block(engines[e], samples[e], r * iterations[e], iterations[e]);
    }
  }
  const roundMedians = samples.map((xs, e) => Array.from({ length: o.rounds }, (_, r) =>
    percentile(xs.slice(r * iterations[e], (r + 1) * iterations[e]).sort(), 0.5)));
  return { iterations, rounds: o.rounds, summaries: samples.map(summarize), roundMedians };
}
