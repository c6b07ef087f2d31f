/** Tensor helpers shared by ops, planner and runtime. */
import { ModelError } from '../errors.js';
import type { Model, Operator, Tensor } from '../tflite/model.js';
import { TensorType } from '../tflite/model.js';
import { tensorTypeByteSize, tensorTypeName } from '../tflite/schema.js';

/** dtype names as NumPy spells them, for the types edgerun moves across its API. */
const NUMPY_DTYPES: Partial<Record<TensorType, string>> = {
  [TensorType.FLOAT32]: 'float32', [TensorType.INT32]: 'int32', [TensorType.UINT8]: 'uint8',
  [TensorType.INT64]: 'int64', [TensorType.INT16]: 'int16', [TensorType.INT8]: 'int8', [TensorType.BOOL]: 'bool',
};

export function dtypeName(type: TensorType): string {
  return NUMPY_DTYPES[type] ?? tensorTypeName(type).toLowerCase();
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensorBytes(t: Tensor): number {
  return elementCount(t.shape) * tensorTypeByteSize(t.type);
}

export function tensorLabel(t: Tensor): string {
  return `tensor ${t.index} (${JSON.stringify(t.name)})`;
}

export function opLabel(op: Operator): string {
  return `operator ${op.index} (${op.opName})`;
}

/** Per-tensor scale and zero point (first entry for per-axis quantization); 0/0 when absent. */
export function scaleOf(t: Tensor): number {
  return t.quantization ? t.quantization.scale[0] : 0;
}

export function zeroPointOf(t: Tensor): number {
  return t.quantization ? t.quantization.zeroPoint[0] : 0;
}

/** What kernel choices favour: speed (default), or size (no layout or scratch that trades ROM or RAM for speed). */
export const OPTIMIZE_FOR = ['speed', 'size'] as const;
export type OptimizeFor = (typeof OPTIMIZE_FOR)[number];

/** Checked accessors used by op prepare functions; each failure names the operator. */
export class OpTensors {
  /** `simd`: the calls run on the SIMD kernel module (else the scalar one), so a block may leave out
   *  data only the other module's kernel reads. `optimize`: 'size' takes no layout or scratch that
   *  trades ROM or RAM for speed. */
  constructor(readonly model: Model, readonly op: Operator, readonly simd = true, readonly optimize: OptimizeFor = 'speed') {}

  fail(message: string): never {
    throw new ModelError(`${opLabel(this.op)}: ${message}`);
  }

  input(k: number): Tensor {
    const index = this.op.inputs[k];
    if (index === undefined || index < 0) this.fail(`missing input ${k}`);
    return this.model.tensors[index];
  }

  optionalInput(k: number): Tensor | null {
    const index = this.op.inputs[k];
    return index === undefined || index < 0 ? null : this.model.tensors[index];
  }

  output(k: number): Tensor {
    const index = this.op.outputs[k];
    if (index === undefined || index < 0) this.fail(`missing output ${k}`);
    return this.model.tensors[index];
  }

  expectCounts(inputs: [number, number], outputs: number): void {
    const n = this.op.inputs.length;
    if (n < inputs[0] || n > inputs[1]) {
      const expected = inputs[0] === inputs[1] ? `${inputs[0]}` : inputs[1] === Infinity ? `at least ${inputs[0]}` : `${inputs[0]}–${inputs[1]}`;
      this.fail(`has ${n} inputs, expected ${expected}`);
    }
    if (this.op.outputs.length !== outputs) this.fail(`has ${this.op.outputs.length} outputs, expected ${outputs}`);
  }

  expectType(t: Tensor, type: TensorType, role: string): void {
    if (t.type !== type) this.fail(`${role} ${tensorLabel(t)} is ${tensorTypeName(t.type)}, expected ${tensorTypeName(type)}`);
  }

  expectQuantized(t: Tensor, role: string): void {
    if (!t.quantization || t.quantization.scale.length === 0) this.fail(`${role} ${tensorLabel(t)} has no quantization parameters`);
  }

  expectRank(t: Tensor, rank: number, role: string): void {
    if (t.shape.length !== rank) this.fail(`${role} ${tensorLabel(t)} has shape [${t.shape}], expected rank ${rank}`);
  }

  expectConstant(t: Tensor, role: string): Uint8Array {
    if (!t.data) this.fail(`${role} ${tensorLabel(t)} must be a constant (non-constant ${role}s are not supported)`);
    return t.data;
  }

  expectShape(t: Tensor, shape: readonly number[], role: string): void {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      this.fail(`${role} ${tensorLabel(t)} has shape [${t.shape}], the op produces [${shape}]`);
    }
  }
}
