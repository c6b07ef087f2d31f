/**
 * Sparse constants (TFLite SparsityParameters, as the converter's EXPERIMENTAL_SPARSITY emits
 * them): validated and densified once at load, and DENSIFY ops on constants folded away. Kernels
 * that can use the sparsity (FULLY_CONNECTED, 1x1 CONV_2D) re-compress the dense values into
 * edgerun's block format (compressRows); every other op reads the dense values.
 */
import { ModelError } from '../errors.js';
import { type Model, type Tensor } from '../tflite/model.js';
import { BuiltinOperator, TENSOR_TYPE_BITS } from '../tflite/schema.js';
import { tensorLabel } from './tensors.js';

/** Densified sparse constants may not exceed this (a corrupt shape must not size an allocation). */
export const MAX_DENSIFIED_BYTES = 256 * 1024 * 1024;

/**
 * FormatConverter::SparseToDense, with every field checked: traversal order a permutation (original
 * dims first, then block dims), block sizes within their dims, dense levels of the traversed
 * extent, CSR segments non-decreasing and within the index array, indices in range and increasing
 * within a segment, and exactly as many stored values as the structure addresses.
 */
export function densify(t: Tensor): Uint8Array {
  const s = t.sparsity!;
  const fail = (why: string): never => {
    throw new ModelError(`${tensorLabel(t)}: sparsity ${why}`);
  };
  // A constant whose weights are all pruned stores no values: its buffer is empty, not absent.
  if (!t.data && t.buffer === 0) fail('on a tensor without constant data (sparse activations are not supported)');
  const bits = TENSOR_TYPE_BITS[t.type] ?? 0;
  if (bits < 8) fail(`on a ${bits}-bit type is not supported`);
  const elementBytes = bits / 8;
  const shape = t.shape;
  const n = shape.length;
  const k = s.blockMap.length;
  const levels = n + k;
  if (s.traversalOrder.length !== levels) fail(`traversal_order has ${s.traversalOrder.length} entries, expected ${levels} (rank ${n} + ${k} block dims)`);
  if (s.dimMetadata.length !== levels) fail(`dim_metadata has ${s.dimMetadata.length} entries, expected ${levels}`);
  const isPermutation = (xs: number[], from: number, to: number) =>
    xs.length === to - from && new Set(xs).size === xs.length && xs.every((x) => Number.isInteger(x) && x >= from && x < to);
  if (!isPermutation(s.traversalOrder.slice(0, n), 0, n) || !isPermutation(s.traversalOrder.slice(n), n, levels)) {
    fail(`traversal_order [${s.traversalOrder}] is not the original dims then the block dims`);
  }
  if (new Set(s.blockMap).size !== k || s.blockMap.some((d) => !(Number.isInteger(d) && d >= 0 && d < n))) {
    fail(`block_map [${s.blockMap}] names a dimension twice or out of range`);
  }
  // Block sizes: the dense size of the level that traverses block dim j. A blocked dim holds
  // floor(size / block) blocks; as in TFLite's FormatConverter, a remainder stays zero.
  const blockSize = s.blockMap.map((dim, j) => {
    const level = s.traversalOrder.indexOf(n + j);
    const m = s.dimMetadata[level];
    if (m.format !== 'dense' || !(m.denseSize > 0) || m.denseSize > shape[dim]) {
      fail(`block dim ${j} (of dimension ${dim}) must be DENSE with a size from 1 to ${shape[dim]}`);
    }
    return m.denseSize;
  });
  const extent = s.traversalOrder.map((v) => {
    if (v >= n) return blockSize[v - n];
    const j = s.blockMap.indexOf(v);
    return j < 0 ? shape[v] : Math.floor(shape[v] / blockSize[j]);
  });
  s.dimMetadata.forEach((m, level) => {
    if (m.format === 'dense' && m.denseSize !== extent[level]) fail(`level ${level} is DENSE of size ${m.denseSize}, expected ${extent[level]}`);
  });

  const denseBytes = shape.reduce((a, b) => a * b, 1) * elementBytes;
  if (denseBytes > MAX_DENSIFIED_BYTES) fail(`densifies to ${denseBytes} bytes, over edgerun's ${MAX_DENSIFIED_BYTES}-byte limit`);
  const values = t.data ?? new Uint8Array(0);
  const count = values.length / elementBytes;
  if (!Number.isInteger(count)) fail(`stores ${values.length} bytes, not a whole number of elements`);
  const dense = new Uint8Array(denseBytes);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const index = new Array<number>(levels).fill(0);
  let next = 0;

  const visit = (level: number, prev: number): void => {
    if (level === levels) {
      const orig = new Array<number>(n).fill(0);
      for (let l = 0; l < n; l++) orig[s.traversalOrder[l]] = index[l];
      for (let l = n; l < levels; l++) {
        const j = s.traversalOrder[l] - n;
        orig[s.blockMap[j]] = orig[s.blockMap[j]] * blockSize[j] + index[l];
      }
      if (next >= count) fail(`addresses more than the ${count} stored values`);
      const at = orig.reduce((a, x, d) => a + x * strides[d], 0) * elementBytes;
      dense.set(values.subarray(next * elementBytes, (next + 1) * elementBytes), at);
      next++;
      return;
    }
    const m = s.dimMetadata[level];
    if (m.format === 'dense') {
      for (let i = 0; i < extent[level]; i++) {
        index[level] = i;
        visit(level + 1, prev * extent[level] + i);
      }
      return;
    }
    const { segments, indices } = m;
    if (prev + 1 >= segments.length) fail(`level ${level} has ${segments.length} segment bounds, needs more than ${prev + 1}`);
    const [start, end] = [segments[prev], segments[prev + 1]];
    if (!(start >= 0 && start <= end && end <= indices.length)) {
      fail(`level ${level} segment ${prev} [${start}, ${end}) is not a non-decreasing range inside its ${indices.length} indices`);
    }
    for (let i = start; i < end; i++) {
      const at = indices[i];
      if (!(at >= 0 && at < extent[level])) fail(`level ${level} index ${at} is outside [0, ${extent[level]})`);
      if (i > start && at <= indices[i - 1]) fail(`level ${level} indices are not increasing within segment ${prev}`);
      index[level] = at;
      visit(level + 1, i);
    }
  };
  visit(0, 0);
  if (next !== count) fail(`addresses ${next} values but stores ${count}`);
  return dense;
}

/**
 * Densifies every sparse constant in place (its `data` becomes dense, `sparsity` stays as the file's
 * record) and folds DENSIFY ops on constants: their output becomes a constant holding the dense
 * data and the sparsity note; the op stays in the graph with nothing left to do (ops/densify.ts).
 */
export function foldSparseConstants(model: Model): Model {
  if (!model.tensors.some((t) => t.isSparse)) return model;
  for (const t of model.tensors) if (t.isSparse) t.data = densify(t);
  for (const op of model.operators) {
    if (op.builtinCode !== BuiltinOperator.DENSIFY || op.inputs.length !== 1 || op.outputs.length !== 1) continue;
    const input = model.tensors[op.inputs[0]];
    const output = model.tensors[op.outputs[0]];
    if (!input?.data || !output || output.data || model.outputs.includes(output.index)) continue;
    if (input.type !== output.type || input.shape.join() !== output.shape.join()) {
      throw new ModelError(`operator ${op.index} (DENSIFY): output ${tensorLabel(output)} does not match its input ${tensorLabel(input)}`);
    }
    output.data = input.data;
    output.sparsity = input.sparsity;
  }
  return model;
}
