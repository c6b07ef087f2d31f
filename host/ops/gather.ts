import { elementCount, type OpTensors, tensorLabel } from '../graph/tensors.js';
import { TensorType } from '../tflite/model.js';
import { GatherOptionsField } from '../tflite/schema.js';
import { elementBytes, expectSameType, normalizeAxis } from './data_movement.js';
import { type KernelCall, type OpDef, tensorArg } from './types.js';

export const gather: OpDef = {
  name: 'GATHER',
  summary: 'any fixed-size dtype, int32 or int64 indices (checked at run time), batch_dims',
  prepare(t: OpTensors): KernelCall[] {
    t.expectCounts([2, 2], 1);
    const params = t.input(0);
    const indices = t.input(1);
    const output = t.output(0);
    expectSameType(t, params, output);
    if (indices.type !== TensorType.INT32 && indices.type !== TensorType.INT64) t.fail(`indices ${tensorLabel(indices)} must be INT32 or INT64`);
    const axis = normalizeAxis(t, t.op.options?.int32(GatherOptionsField.axis, 0) ?? 0, params.shape.length);
    let batchDims = t.op.options?.int32(GatherOptionsField.batchDims, 0) ?? 0;
    if (batchDims < 0) batchDims += indices.shape.length;
    if (batchDims < 0 || batchDims > axis || batchDims > indices.shape.length) t.fail(`batch_dims ${batchDims} is not valid for axis ${axis}`);
    for (let i = 0; i < batchDims; i++) {
      if (params.shape[i] !== indices.shape[i]) t.fail(`batch dimension ${i} differs: params ${params.shape[i]}, indices ${indices.shape[i]}`);
    }
    t.expectShape(output, [...params.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...params.shape.slice(axis + 1)], 'output');
    return [{
      kernel: 'gather',
      macs: 0,
      args: {
        params: tensorArg(params.index), indices: tensorArg(indices.index), output: tensorArg(output.index),
        batches: elementCount(params.shape.slice(0, batchDims)), outer: elementCount(params.shape.slice(batchDims, axis)),
        axisSize: params.shape[axis], count: elementCount(indices.shape.slice(batchDims)),
        innerBytes: elementCount(params.shape.slice(axis + 1)) * elementBytes(t, params),
        indexBytes: indices.type === TensorType.INT64 ? 8 : 4,
      },
    }];
  },
};
