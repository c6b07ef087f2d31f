/**
 * Buffer identity for the arena planner: which tensors share memory, and for how long each
 * buffer lives. RESHAPE outputs alias their input; elementwise outputs take over an input's
 * buffer when that input dies at their op (in place); per-call scratch gets buffers of its own.
 */
import { tensorBytes } from '../graph/tensors.js';
import type { KernelCall } from '../ops/types.js';
import type { Model } from '../tflite/model.js';
import { type Lifetime, lifetimes } from './arena.js';

export interface PreparedOp {
  opIndex: number;
  calls: KernelCall[];
  alias: { output: number; input: number } | null;
  inPlaceInputs: number[];
}

export interface BufferPlan {
  /** The buffer a tensor lives in: a tensor id (constant, or planned in the arena). */
  bufferOf(tensor: number): number;
  /** Arena buffers (activations and scratch) with their lifetimes in call steps. */
  lifetimes: Lifetime[];
  /** Buffer id of each scratch argument (ids past the model's tensors). */
  scratchBuffer: Map<object, number>;
}

/** `inPlace: false` keeps every op output in a buffer of its own (offline plans name them all). */
export function planBuffers(model: Model, ops: PreparedOp[], options: { inPlace: boolean }): BufferPlan {
  const parent = model.tensors.map((_, i) => i);
  const find = (t: number): number => {
    while (parent[t] !== t) t = parent[t] = parent[parent[t]];
    return t;
  };
  for (const op of ops) if (op.alias) parent[find(op.alias.output)] = find(op.alias.input);

  const steps: { opIndex: number; tensors: number[]; scratch: { arg: object; bytes: number }[] }[] = [];
  for (const op of ops) {
    for (const call of op.calls) {
      const tensors: number[] = [];
      const scratch: { arg: object; bytes: number }[] = [];
      for (const v of Object.values(call.args)) {
        if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
        if ('tensor' in v) tensors.push(v.tensor);
        if ('scratch' in v && v.scratch > 0) scratch.push({ arg: v, bytes: v.scratch });
      }
      steps.push({ opIndex: op.opIndex, tensors, scratch });
    }
  }

  // Constants live in ROM and variable tensors (recurrent state) in the state region, not the arena.
  const isActivation = (b: number) => !model.tensors[b].data && !model.tensors[b].isVariable;
  const graphBuffers = (ids: number[]) => new Set(ids.map(find).filter(isActivation));
  const compute = () => {
    const scratchBuffer = new Map<object, number>();
    const scratchBytes = new Map<number, number>();
    const stepBuffers = steps.map((s) => {
      const reads = s.tensors.map(find).filter(isActivation);
      for (const { arg, bytes } of s.scratch) {
        const id = model.tensors.length + scratchBytes.size;
        scratchBytes.set(id, bytes);
        scratchBuffer.set(arg, id);
        reads.push(id);
      }
      return { reads, writes: [] as number[] };
    });
    const spans = lifetimes(stepBuffers, [...graphBuffers(model.inputs)], [...graphBuffers(model.outputs)],
      (b) => scratchBytes.get(b) ?? tensorBytes(model.tensors[b]));
    return { spans, scratchBuffer };
  };

  // In place: the op's output joins an input that dies at the op's (single) call. A merged
  // buffer lives over the union of the two spans (spans are first..last steps), so they are
  // merged here rather than recomputed (which made long graphs quadratic).
  const spans = new Map(compute().spans.map((l) => [l.tensor, l]));
  const inputs = graphBuffers(model.inputs);
  const outputs = graphBuffers(model.outputs);
  const firstStep = new Map<number, number>();
  steps.forEach((s, i) => { if (!firstStep.has(s.opIndex)) firstStep.set(s.opIndex, i); });
  for (const op of ops) {
    if (!options.inPlace || op.calls.length !== 1 || op.inPlaceInputs.length === 0) continue;
    const step = firstStep.get(op.opIndex);
    const out = find(model.operators[op.opIndex].outputs[0]);
    for (const candidate of op.inPlaceInputs) {
      const b = find(candidate);
      if (b === out || !isActivation(b) || !isActivation(out) || inputs.has(b) || outputs.has(b) || inputs.has(out)) continue;
      if (tensorBytes(model.tensors[b]) !== tensorBytes(model.tensors[out])) continue;
      const [into, from] = [spans.get(b), spans.get(out)];
      if (!into || !from || into.last !== step || from.first !== step) continue;
      parent[out] = b;
      into.first = Math.min(into.first, from.first);
      into.last = Math.max(into.last, from.last);
      spans.delete(out);
      break;
    }
  }
  const { spans: lifetimesAfter, scratchBuffer } = compute();
  return { bufferOf: find, lifetimes: lifetimesAfter, scratchBuffer };
}
