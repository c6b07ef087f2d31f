/**
 * TFLM offline memory plans: metadata "OfflineMemoryAllocation", an int32 array
 * [version (1), subgraph index, tensor count, offset per tensor...], where an offset is a byte
 * offset into the activation arena and -1 leaves the tensor to the online planner.
 */
import { ModelError } from '../errors.js';
import type { Model } from '../tflite/model.js';
import { MAX_TENSOR_BYTES } from '../tflite/reader.js';
import { TENSOR_TYPE_BITS } from '../tflite/schema.js';
import { alignUp, type Lifetime } from './arena.js';

export const OFFLINE_PLAN_METADATA = 'OfflineMemoryAllocation';

/** Offsets by tensor id from the model's offline plan, or null when it has none. */
export function readOfflinePlan(model: Model): Map<number, number> | null {
  const entry = model.metadata.find((m) => m.name === OFFLINE_PLAN_METADATA);
  if (!entry) return null;
  const fail = (msg: string): never => {
    throw new ModelError(`metadata ${OFFLINE_PLAN_METADATA}: ${msg}`);
  };
  const data = entry.data ?? fail('has no buffer');
  if (data.byteLength % 4 !== 0 || data.byteLength < 12) fail(`holds ${data.byteLength} bytes, expected 12 + 4 per tensor`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const word = (i: number) => view.getInt32(4 * i, true);
  if (word(0) !== 1) fail(`version ${word(0)}, expected 1`);
  if (word(1) !== 0) return null; // a plan for another subgraph; edgerun runs subgraph 0
  const count = word(2);
  if (count !== model.tensors.length) fail(`plans ${count} tensors, the model has ${model.tensors.length}`);
  if (data.byteLength !== 12 + 4 * count) fail(`holds ${data.byteLength} bytes, ${count} tensors need ${12 + 4 * count}`);
  const offsets = new Map<number, number>();
  for (let t = 0; t < count; t++) {
    const offset = word(3 + t);
    if (offset === -1) continue;
    if (offset < 0) fail(`tensor ${t}: offset ${offset} is negative`);
    const elementBytes = Math.max(1, (TENSOR_TYPE_BITS[model.tensors[t].type] ?? 8) / 8);
    if (offset % elementBytes !== 0) fail(`tensor ${t}: offset ${offset} is not a multiple of its ${elementBytes}-byte elements`);
    offsets.set(t, offset);
  }
  return offsets;
}

/**
 * Offline offsets per arena buffer (tensors sharing a buffer must agree), checked so that no
 * two buffers live at the same time overlap.
 */
export function fixedOffsets(plan: Map<number, number>, bufferOf: (t: number) => number, buffers: Lifetime[]): Map<number, number> {
  const fixed = new Map<number, number>();
  const owner = new Map<number, number>();
  for (const [t, offset] of plan) {
    const b = bufferOf(t);
    if (!buffers.some((l) => l.tensor === b)) continue; // constants and unused tensors take no arena
    const known = fixed.get(b);
    if (known !== undefined && known !== offset) {
      throw new ModelError(`metadata ${OFFLINE_PLAN_METADATA}: tensors ${owner.get(b)} and ${t} share a buffer but are planned at ${known} and ${offset}`);
    }
    fixed.set(b, offset);
    owner.set(b, t);
  }
  // No buffer may end past the per-tensor limit: a corrupt offset must not size the arena.
  for (const l of buffers) {
    const offset = fixed.get(l.tensor);
    if (offset !== undefined && offset + l.bytes > MAX_TENSOR_BYTES) {
      throw new ModelError(`metadata ${OFFLINE_PLAN_METADATA}: tensor ${owner.get(l.tensor)} at offset ${offset} ends past ${MAX_TENSOR_BYTES} bytes (256 MiB), edgerun's limit for any buffer`);
    }
  }
  const placed = buffers.filter((l) => fixed.has(l.tensor));
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      const [a, b] = [placed[i], placed[j]];
      if (a.first > b.last || b.first > a.last) continue;
      const [oa, ob] = [fixed.get(a.tensor)!, fixed.get(b.tensor)!];
      if (oa < ob + alignUp(b.bytes, 1) && ob < oa + alignUp(a.bytes, 1)) {
        throw new ModelError(`metadata ${OFFLINE_PLAN_METADATA}: tensors ${owner.get(a.tensor)} and ${owner.get(b.tensor)} overlap while both live`);
      }
    }
  }
  return fixed;
}
