/** Order statistics over latency samples (ms). */

/** Linear-interpolated percentile (p in 0..1) of an ascending-sorted sample. NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const at = (n - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export interface Summary {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  samples: number;
}

export function summarize(samples: Float64Array): Summary {
  const sorted = Float64Array.from(samples).sort();
  return {
    medianMs: percentile(sorted, 0.5),
    p10Ms: percentile(sorted, 0.1),
    p90Ms: percentile(sorted, 0.9),
    minMs: sorted.length ? sorted[0] : NaN,
    samples: sorted.length,
  };
}

export function median(xs: readonly number[]): number {
  return percentile(Float64Array.from(xs).sort(), 0.5);
}
