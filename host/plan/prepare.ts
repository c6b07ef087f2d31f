/** From a decoded model to a ready memory layout: op prepare (registry) + arena + ROM. */
import { ModelError, UnsupportedOpError } from '../errors.js';
import { OpTensors, type OptimizeFor, dtypeName, scaleOf, tensorBytes, zeroPointOf } from '../graph/tensors.js';
import { QuantizationError } from '../ops/quant.js';
import { findOp } from '../ops/registry.js';
import type { KernelFlavor } from '../run/kernels.js';
import type { Model, Tensor } from '../tflite/model.js';
import { label } from '../tflite/reader.js';
import { layoutMemory, type MemoryLayout, type PreparedOp } from './layout.js';

export interface TensorInfo {
  index: number;
  name: string;
  shape: number[];
  dtype: string;
  scale: number;
  zeroPoint: number;
  bytes: number;
}

export interface PreparedModel {
  model: Model;
  /** What the kernel choices favoured (LoadOptions.optimize). */
  optimize: OptimizeFor;
  layout: MemoryLayout;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export function tensorInfo(t: Tensor): TensorInfo {
  return { index: t.index, name: t.name, shape: [...t.shape], dtype: dtypeName(t.type), scale: scaleOf(t), zeroPoint: zeroPointOf(t), bytes: tensorBytes(t) };
}

/** Ops the registry does not know, in execution order. */
export function unsupportedOps(model: Model): { index: number; op: string }[] {
  return model.operators.filter((op) => !findOp(op.opName)).map((op) => ({ index: op.index, op: op.opName }));
}

export function prepareModel(model: Model, kernels: KernelFlavor = 'simd', optimize: OptimizeFor = 'speed'): PreparedModel {
  const unsupported = unsupportedOps(model);
  if (unsupported.length > 0) {
    throw new UnsupportedOpError(`unsupported ops: ${unsupported.map((u) => `${label(u.op)} (op ${u.index})`).join(', ')}`);
  }
  if (model.inputs.length === 0) throw new ModelError('model: subgraph 0 has no inputs');
  if (model.outputs.length === 0) throw new ModelError('model: subgraph 0 has no outputs');
  const prepared: PreparedOp[] = model.operators.map((op) => {
    const def = findOp(op.opName)!;
    const t = new OpTensors(model, op, kernels === 'simd', optimize);
    try {
      return { opIndex: op.index, calls: def.prepare(t), alias: def.alias?.(t) ?? null, inPlaceInputs: def.inPlaceInputs?.(t) ?? [] };
    } catch (e) {
      // Shared prepare-time math (quant.ts) throws without knowing the operator: name it here.
      if (e instanceof QuantizationError) t.fail(e.message);
      throw e;
    }
  });
  const layout = layoutMemory(model, prepared);
  return {
    model,
    optimize,
    layout,
    inputs: model.inputs.map((i) => tensorInfo(model.tensors[i])),
    outputs: model.outputs.map((i) => tensorInfo(model.tensors[i])),
  };
}
