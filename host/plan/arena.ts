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

/** Greedy placement, largest buffers first, each at the lowest offset free for its lifetime. */
export function planArena(buffers: Lifetime[]): ArenaPlan {
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.tensor - b.tensor);
  const placed: { l: Lifetime; offset: number; size: number }[] = [];
  const offsets = new Map<number, number>();
  let arenaBytes = 0;
  for (const l of order) {
    const size = alignUp(l.bytes);
    const conflicts = placed
      .filter((p) => p.l.first <= l.last && l.first <= p.l.last)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + size <= c.offset) break;
      offset = Math.max(offset, c.offset + c.size);
    }
    placed.push({ l, offset, size });
    offsets.set(l.tensor, offset);
    arenaBytes = Math.max(arenaBytes, offset + size);
  }
  let lowerBoundBytes = 0;
  const lastStep = Math.max(-1, ...buffers.map((b) => b.last));
  for (let step = 0; step <= lastStep; step++) {
    let live = 0;
    for (const b of buffers) if (b.first <= step && step <= b.last) live += alignUp(b.bytes);
    lowerBoundBytes = Math.max(lowerBoundBytes, live);
  }
  return { buffers, offsets, arenaBytes, lowerBoundBytes };
}
