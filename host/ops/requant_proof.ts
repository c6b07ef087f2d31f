/**
 * Proven requantization: per-channel f32 constants under which the SIMD kernels' rounding without
 * an exactness check (assembly/simd.ts requantCentred, requantSigned) gives TFLite's MultiplyByQuantizedMultiplier
 * for every accumulator the channel can produce.
 *
 * The kernel computes, for an accumulator x whose bias was lowered by `centre` (x' = x - centre):
 *   y = nearest(fl32(fl32(fl32(x') * scale32) + c)) + centreLevel,
 * with c = constant32, or for `signed` channels -constant32 where x' < 0 (TFLite rounds negative
 * values half away from zero), then adds the output offset and clamps.
 * - Layers whose negative accumulators all clamp to actMin (output offset <= actMin, as under a
 *   fused ReLU at the zero point) need no sign term, and are centred: |x'| * scale stays within ~128
 *   levels, where f32 resolves the rounding boundaries twice as finely as over 0..255.
 * - Other layers are signed with centreLevel 0 (the sign must be x's, so the centre stays near 0).
 *
 * Both y and TFLite's level are non-decreasing step functions of x, so they give the same clamped
 * output on [-bound, bound] when they agree at both ends and every level inside the clamp starts at
 * the same accumulator: at the least x where TFLite's level reaches it (exact integer arithmetic,
 * levelStart), y reaches it at x and not at x - 1. JavaScript evaluates the kernel's f32 arithmetic
 * exactly: Math.fround of one double operation on f32 operands is the f32 result (a double has more
 * than 2 * 24 + 2 bits).
 *
 * The nearest f32 constants fail for about one channel in eight (an accumulator lands within f32's
 * resolution of a boundary, on the wrong side). For a given scale32 and centre, each step bounds the
 * constant from below at x and from above at x - 1, so the constant is solved for; a few ulps away
 * in scale32, or a centre moved by a few units, almost always leaves room.
 */
import { multiplyByQuantizedMultiplier } from './quant.js';

/** assembly/simd.ts ROUNDING_MAGIC: adding it rounds an f32 |t| < 2^22 to an integer in the low mantissa bits. */
const ROUNDING_MAGIC = 12582912;
const ROUNDING_MAGIC_BITS = 0x4b400000;
/** Channels proven together: requant16 reads one record block's mark for 8 channels. */
export const PROVEN_GROUP = 8;

export interface ProvenChannel {
  scale32: number;
  constant32: number;
  /** Subtracted from the channel's folded bias (wrapping int32). */
  centre: number;
  /** -constant32 where x' < 0. */
  signed: boolean;
  /** ROUNDING_MAGIC_BITS - outputOffset - centreLevel: one i32 subtraction takes the rounded integer out and adds both. */
  magic: number;
}

export interface OutputStage { outputOffset: number; actMin: number; actMax: number }

/** scale32 tried at these ulps from the nearest f32 of the scale, in turn; for each, the constant is solved for. */
const SCALE_ULPS: readonly number[] = [0, ...Array.from({ length: 32 }, (_, i) => [-(i + 1), i + 1]).flat()];
/** Moves of the centre tried in turn (each rounds the products differently). */
const CENTRE_MOVES: readonly number[] = [0, 1, -1, 2, -2, 3, -3, 5, -5, 8, -8];
/** Room beyond the bound for the centre's moves. */
const SEARCH_MARGIN = 16;
const TWO_52 = 2 ** 52;

const f32Bits = new Float32Array(1);
const i32Bits = new Int32Array(f32Bits.buffer);
function ulpsAway(x: number, n: number): number {
  f32Bits[0] = x;
  i32Bits[0] += n;
  return f32Bits[0];
}

/** The next f32 towards -infinity from a non-zero f32. */
function nextDown(x: number): number {
  f32Bits[0] = x;
  i32Bits[0] += x > 0 ? -1 : 1;
  return f32Bits[0];
}

/**
 * The real number above which an f32 sum rounds (nearest) to an f32 that the rounding trick
 * takes to k or more: the midpoint below the least such f32, which is k - 1/2 when k is even
 * (ties go to even) and the f32 after it when k is odd.
 */
function roundingEdge(k: number): number {
  const tie = k - 0.5;
  const least = k % 2 === 0 ? tie : -nextDown(-tie);
  return (nextDown(least) + least) / 2;
}
/** roundingEdge(k) at k + 512 for |k| < 512 (a level less centreLevel is within +-256). */
const ROUNDING_EDGES = Float64Array.from({ length: 1024 }, (_, i) => roundingEdge(i - 512));

/**
 * Per channel, its proven constants or null. Channels are proven in whole groups of PROVEN_GROUP:
 * a group with one unproven channel (or past the last whole group) keeps the checked path.
 */
export function proveRequant(multipliers: Int32Array, shifts: Int32Array, bounds: Float64Array, channels: number, stage: OutputStage): (ProvenChannel | null)[] {
  const proven: (ProvenChannel | null)[] = new Array(channels).fill(null);
  for (let g = 0; g + PROVEN_GROUP <= channels; g += PROVEN_GROUP) {
    const group: ProvenChannel[] = [];
    for (let c = g; c < g + PROVEN_GROUP; c++) {
      const p = proveChannel(multipliers[c], shifts[c], bounds[c], stage);
      if (!p) break;
      group.push(p);
    }
    if (group.length === PROVEN_GROUP) group.forEach((p, i) => { proven[g + i] = p; });
  }
  return proven;
}

function proveChannel(multiplier: number, shift: number, bound: number, stage: OutputStage): ProvenChannel | null {
  const { outputOffset, actMin, actMax } = stage;
  if (multiplier <= 0) return null;
  const signed = outputOffset > actMin;
  const scale = (multiplier * 2 ** Math.max(shift, 0)) / 2 ** (31 + Math.max(-shift, 0));
  const centreLevel = signed ? 0 : Math.round((actMin + actMax + 1) / 2 - outputOffset);
  const centre = Math.round(centreLevel / scale);
  // x' must not wrap in int32 (nor TFLite's left shift of x), and the rounding trick needs |t| < 2^22.
  const reach = bound + Math.abs(centre) + SEARCH_MARGIN;
  if (reach >= 2 ** 31 || reach * 2 ** Math.max(shift, 0) >= 2 ** 31 || reach * scale >= 2 ** 21) return null;
  const lowest = actMin - outputOffset;
  const highest = actMax - outputOffset;
  if (!(highest - lowest >= 0 && highest - lowest <= MAX_STEPS)) return null;
  // Accumulators where TFLite's level steps up to k (inside the clamp and within reach).
  const xs = STEP_XS;
  const ks = STEP_KS;
  let n = 0;
  const start = levelStart(multiplier, shift);
  for (let k = lowest + 1; k <= highest; k++) {
    const x = start(k);
    if (x === null) return null;
    if (x > bound) break;
    if (x > -bound) { xs[n] = x; ks[n] = k; n++; }
  }
  const edges = STEP_EDGES;
  for (let i = 0; i < n; i++) edges[i] = ROUNDING_EDGES[ks[i] - centreLevel + 512];
  const clampLevel = (v: number) => Math.min(Math.max(v, lowest), highest);
  const level = (x: number) => clampLevel(multiplyByQuantizedMultiplier(x, multiplier, shift));
  const target: Target = {
    xs, ks, edges, n, centreLevel, clampLevel, signed,
    ends: [[bound, level(bound)], [-bound, level(-bound)]] as [number, number][],
  };
  const scale0 = Math.fround(scale);
  for (const move of CENTRE_MOVES) {
    for (const ds of SCALE_ULPS) {
      const found = solveConstant(target, centre + move, ulpsAway(scale0, ds));
      if (found) return { ...found, centre: centre + move, signed, magic: ROUNDING_MAGIC_BITS - outputOffset - centreLevel };
    }
  }
  return null;
}

/**
 * levelStart(m, shift)(k): the least int32 accumulator x at which MultiplyByQuantizedMultiplier(x,
 * m, shift) reaches k, or null where doubles cannot tell exactly. With A = m 2^left, e the right
 * shift and h = 2^(e-1) (0 when e = 0):
 * - k >= 1: the rounding divide reaches k from SaturatingRoundingDoublingHighMul's floor((x A +
 *   2^30) / 2^31) >= k 2^e - h, i.e. at the least x with x A >= T = (k 2^e - h) 2^31 - 2^30;
 * - k <= 0: for x < 0 the high mul is -floor((|x| A + 2^30 - 1) / 2^31) and the rounding divide is
 *   odd, so the level is >= k iff that floor is < (1 - k) 2^e - h, i.e. |x| A <= T = ((1 - k) 2^e -
 *   h) 2^31 - 2^30: x = -floor(T / A).
 */
export function levelStart(multiplier: number, shift: number): (k: number) => number | null {
  const e = Math.max(-shift, 0);
  const a = multiplier * 2 ** Math.max(shift, 0);
  const perLevel = 2 ** (e + 31);
  const offset = (e > 0 ? 2 ** (e + 30) : 0) + 2 ** 30;
  return (k: number) => {
    const t = (k >= 1 ? k : 1 - k) * perLevel - offset;
    if (t >= TWO_52 || a >= TWO_52) return null;
    // One division may miss by one; products below 2^53 are exact.
    let q = Math.floor(t / a);
    if (q * a > t) q--;
    else if ((q + 1) * a <= t) q++;
    if (k <= 0) return -q;
    return q * a === t ? q : q + 1; // the least x with x A >= T
  };
}

interface Target {
  /** Where TFLite's level steps up to ks[i], i < n. */
  xs: Float64Array;
  ks: Float64Array;
  n: number;
  /** ROUNDING_EDGES of ks[i] - centreLevel. */
  edges: Float64Array;
  centreLevel: number;
  clampLevel: (v: number) => number;
  signed: boolean;
  /** [x, clamped level] at both ends of the accumulator range. */
  ends: [number, number][];
}

/**
 * The f32 constant, if any, with which the kernel's y (see the top) steps where `target` does. Each
 * step bounds the constant from one side at x (t must round to k - centreLevel or more: product +
 * c above the rounding edge) and from the other at x - 1 (exact in doubles, as open bounds; ties are
 * left to the final check, which evaluates y at every step and both ends).
 */
function solveConstant({ xs, ks, edges, n, centreLevel, clampLevel, signed, ends }: Target, centre: number, scale32: number) {
  const f = Math.fround;
  let low = signed ? 0 : -Infinity; // a signed constant's sign bit is the accumulator's
  let high = Infinity;
  for (let i = 0; i < n && low <= high; i++) {
    const at = xs[i] - centre;
    const up = f(f(at) * scale32);
    const down = f(f(at - 1) * scale32);
    PRODUCTS_UP[i] = up;
    PRODUCTS_DOWN[i] = down;
    // At x: p + c above the edge (c > edge - p), or p - c where x' < 0; at x - 1 the opposite.
    if (signed && at < 0) high = Math.min(high, up - edges[i]);
    else low = Math.max(low, edges[i] - up);
    if (signed && at - 1 < 0) low = Math.max(low, down - edges[i]);
    else high = Math.min(high, edges[i] - down);
  }
  if (!(low <= high)) return null;
  const constant32 = f(Number.isFinite(low) ? (Number.isFinite(high) ? (low + high) / 2 : low + 1) : Number.isFinite(high) ? high - 1 : 0);
  // The check: the kernel's level at every step, one below it, and both ends.
  for (let i = 0; i < n; i++) {
    const at = xs[i] - centre;
    if (kernelLevel(PRODUCTS_UP[i], constant32, signed && at < 0, centreLevel) < ks[i]) return null;
    if (kernelLevel(PRODUCTS_DOWN[i], constant32, signed && at - 1 < 0, centreLevel) >= ks[i]) return null;
  }
  for (const [x, v] of ends) {
    const at = f(x - centre);
    if (clampLevel(kernelLevel(f(at * scale32), constant32, signed && at < 0, centreLevel)) !== v) return null;
  }
  return { scale32, constant32 };
}

/** The kernel's level for an f32 product: nearest(fl32(product +- constant32)) + centreLevel (the constant negated where `negative`). */
function kernelLevel(product: number, constant32: number, negative: boolean, centreLevel: number): number {
  return Math.fround(Math.fround(product + (negative ? -constant32 : constant32)) + ROUNDING_MAGIC) - ROUNDING_MAGIC + centreLevel;
}
/** Steps of an int8 output: levels inside its clamp. */
const MAX_STEPS = 255;
/** Scratch for one channel's proof: step points, their levels and rounding edges, and solveConstant's products at x and x - 1. */
const STEP_XS = new Float64Array(MAX_STEPS);
const STEP_KS = new Float64Array(MAX_STEPS);
const STEP_EDGES = new Float64Array(MAX_STEPS);
const PRODUCTS_UP = new Float64Array(MAX_STEPS);
const PRODUCTS_DOWN = new Float64Array(MAX_STEPS);
