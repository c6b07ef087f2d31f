/**
 * Arena planning: tensor lifetimes from execution order, then offsets. Buffers whose
 * lifetimes overlap never share bytes; all offsets are multiples of ALIGN.
 */

export const ALIGN = 16;

export interface Lifetime {
  tensor: number;
  bytes: number;
  /** First and last step (op index) at which the buffer is live, inclusive. */
  first: number;
  last: number;
}

export interface ArenaPlan {
  buffers: Lifetime[];
  offsets: Map<number, number>;
  arenaBytes: number;
  /** The most bytes live at any one step (aligned sizes): no plan can be smaller. */
  lowerBoundBytes: number;
}

export const alignUp = (n: number, a = ALIGN) => Math.ceil(n / a) * a;

/**
 * Lifetimes of the non-constant tensors the steps touch. steps[i] lists the tensors op i
 * reads and writes; graph inputs live from step 0, graph outputs until the last step.
 */
export function lifetimes(
  steps: { reads: number[]; writes: number[] }[],
  graphInputs: number[],
  graphOutputs: number[],
  bytesOf: (tensor: number) => number,
): Lifetime[] {
  const span = new Map<number, Lifetime>();
  const touch = (tensor: number, step: number) => {
    const l = span.get(tensor);
    if (l) {
      l.first = Math.min(l.first, step);
      l.last = Math.max(l.last, step);
    } else {
      span.set(tensor, { tensor, bytes: bytesOf(tensor), first: step, last: step });
    }
  };
  steps.forEach((s, i) => [...s.reads, ...s.writes].forEach((t) => touch(t, i)));
  const end = Math.max(0, steps.length - 1);
  for (const t of graphInputs) touch(t, 0);
  for (const t of graphOutputs) touch(t, end);
  return [...span.values()];
}

type Placement = Map<number, number>;

interface Placed {
  offset: number;
  size: number;
}

const overlapsInTime = (a: { first: number; last: number }, b: { first: number; last: number }) =>
  a.first <= b.last && b.first <= a.last;

/**
 * Places buffers in the given order, each at the lowest offset (first fit) or in the smallest
 * gap (best fit) free for its whole lifetime. `fixed` offsets (offline plans) are placed first.
 * First fit in order of decreasing size is TFLM's GreedyMemoryPlanner.
 */
function place(order: Lifetime[], fit: 'first' | 'best', fixed: Placement = new Map()): { offsets: Placement; arenaBytes: number } {
  // Placed buffers by the steps they live at, so a buffer meets only those live with it (long
  // graphs stay fast: a buffer lives a few steps).
  const byStep: Placed[][] = [];
  const offsets = new Map<number, number>();
  let arenaBytes = 0;
  const put = (l: Lifetime, offset: number) => {
    const size = alignUp(l.bytes);
    const p = { offset, size };
    for (let step = l.first; step <= l.last; step++) (byStep[step] ??= []).push(p);
    offsets.set(l.tensor, offset);
    arenaBytes = Math.max(arenaBytes, offset + size);
  };
  const liveDuring = (l: Lifetime): Placed[] => {
    const seen = new Set<Placed>();
    for (let step = l.first; step <= l.last; step++) for (const p of byStep[step] ?? []) seen.add(p);
    return [...seen];
  };
  for (const l of order) if (fixed.has(l.tensor)) put(l, fixed.get(l.tensor)!);
  for (const l of order) {
    if (fixed.has(l.tensor)) continue;
    const size = alignUp(l.bytes);
    const conflicts = liveDuring(l).sort((a, b) => a.offset - b.offset);
    let cursor = 0;
    let best = -1;
    let bestGap = Infinity;
    for (const c of conflicts) {
      const gap = c.offset - cursor;
      if (gap >= size) {
        if (fit === 'first') break;
        if (gap < bestGap) {
          best = cursor;
          bestGap = gap;
        }
      }
      cursor = Math.max(cursor, c.offset + c.size);
    }
    put(l, fit === 'first' || best < 0 ? cursor : best);
  }
  return { offsets, arenaBytes };
}

/** The most (aligned) bytes live at any one step. */
export function lowerBound(buffers: Lifetime[]): number {
  // Bytes that start living minus those that stop, per step, summed along the steps.
  const change: number[] = [];
  for (const b of buffers) {
    change[b.first] = (change[b.first] ?? 0) + alignUp(b.bytes);
    change[b.last + 1] = (change[b.last + 1] ?? 0) - alignUp(b.bytes);
  }
  let bound = 0;
  let live = 0;
  for (let step = 0; step < change.length; step++) {
    live += change[step] ?? 0;
    bound = Math.max(bound, live);
  }
  return bound;
}

/** Orders the heuristic planner tries; ties always break by tensor id, so plans are deterministic. */
function orders(buffers: Lifetime[]): Lifetime[][] {
  const degree = new Map(buffers.map((b) => [b.tensor, buffers.filter((o) => o !== b && overlapsInTime(o, b)).length]));
  const by = (key: (l: Lifetime) => number[]) => [...buffers].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return a.tensor - b.tensor;
  });
  return [
    by((l) => [-l.bytes, l.first]),
    by((l) => [-l.bytes, -l.first]),
    by((l) => [l.first, -l.bytes]),
    by((l) => [-l.last, -l.bytes]),
    by((l) => [-(l.last - l.first), -l.bytes]),
    by((l) => [-l.bytes * (l.last - l.first + 1), l.first]),
    by((l) => [-degree.get(l.tensor)!, -l.bytes]),
  ];
}

/**
 * Exact search for small problems. Any plan stays valid when each buffer is moved down until it
 * rests at 0 or on top of a buffer live at the same time; sorted by (offset, order index), each
 * buffer of such a plan then sits at 0 or on top of one placed before it. So the search places
 * buffers in that sorted order, trying every unplaced buffer at 0 and at the tops of placed
 * buffers, which reaches every such plan exactly once. Pruned by the best arena so far and by
 * the bytes still to place at each step above the last offset; stops at the lower bound or after
 * `budget` placements.
 */
function search(buffers: Lifetime[], best: number, bound: number, budget: number): Placement | null {
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.tensor - b.tensor);
  const n = order.length;
  const sizes = order.map((l) => alignUp(l.bytes));
  const steps = Math.max(0, ...order.map((l) => l.last + 1));
  const liveAt = Array.from({ length: steps }, (_, step) => order.flatMap((l, i) => (l.first <= step && step <= l.last ? [i] : [])));
  const conflicts = order.map((l, i) => order.flatMap((o, j) => (j !== i && overlapsInTime(o, l) ? [j] : [])));
  const offsets = new Array<number>(n).fill(-1);
  let found: Placement | null = null;
  let nodes = 0;
  // Whether no plan below `best` remains with every unplaced buffer at or above `floor`.
  const hopeless = (floor: number): boolean => {
    for (const live of liveAt) {
      let need = floor;
      for (const i of live) need += offsets[i] < 0 ? sizes[i] : Math.max(0, offsets[i] + sizes[i] - floor);
      if (need >= best) return true;
    }
    return false;
  };
  const visit = (count: number, lastOffset: number, lastIndex: number, top: number): boolean => {
    if (count === n) {
      best = top;
      found = new Map(order.map((l, i) => [l.tensor, offsets[i]]));
      return top <= bound;
    }
    if (hopeless(lastOffset)) return false;
    for (let i = 0; i < n; i++) {
      if (offsets[i] >= 0) continue;
      const size = sizes[i];
      const placed = conflicts[i].filter((j) => offsets[j] >= 0);
      const candidates = [0, ...placed.map((j) => offsets[j] + sizes[j])].sort((a, b) => a - b);
      let previous = -1;
      for (const offset of candidates) {
        if (offset === previous || offset < lastOffset || (offset === lastOffset && i < lastIndex)) continue;
        previous = offset;
        if (++nodes > budget) return true;
        if (offset + size >= best) break;
        if (placed.some((j) => offset < offsets[j] + sizes[j] && offsets[j] < offset + size)) continue;
        offsets[i] = offset;
        const done = visit(count + 1, offset, i, Math.max(top, offset + size));
        offsets[i] = -1;
        if (done) return true;
      }
    }
    return false;
  };
  visit(0, 0, -1, 0);
  return found;
}

/** Largest problem the exact search is tried on, and its placement budget. */
const SEARCH_MAX_BUFFERS = 40;
const SEARCH_BUDGET = 50_000;

/**
 * Plans the arena: the best of several orderings with first- and best-fit placement, then, if
 * that is above the lower bound and the problem is small, an exact search. `fixed` offsets
 * (TFLM offline plans) are kept as given.
 */
export function planArena(buffers: Lifetime[], fixed: Placement = new Map()): ArenaPlan {
  const bound = lowerBound(buffers);
  let best = place(orders(buffers)[0], 'first', fixed);
  for (const order of orders(buffers)) {
    for (const fit of ['first', 'best'] as const) {
      const plan = place(order, fit, fixed);
      if (plan.arenaBytes < best.arenaBytes) best = plan;
    }
  }
  if (best.arenaBytes > bound && fixed.size === 0 && buffers.length <= SEARCH_MAX_BUFFERS) {
    const exact = search(buffers, best.arenaBytes, bound, SEARCH_BUDGET);
    if (exact) best = { offsets: exact, arenaBytes: Math.max(0, ...buffers.map((b) => exact.get(b.tensor)! + alignUp(b.bytes))) };
  }
  return { buffers, offsets: best.offsets, arenaBytes: best.arenaBytes, lowerBoundBytes: bound };
}

/** TFLM's GreedyMemoryPlanner on the same lifetimes: first fit in order of decreasing size. */
export function tflmGreedyArenaBytes(buffers: Lifetime[]): number {
  return place([...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.tensor - b.tensor), 'first').arenaBytes;
}
