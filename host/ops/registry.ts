/** The op registry: every TFLite builtin edgerun runs. Tests, docs and tools enumerate it. */
import { add, maximum, minimum, mul, prelu, squaredDifference, sub } from './binary.js';
import { conv2d } from './conv_2d.js';
import { densify } from './densify.js';
import { depthwiseConv2d } from './depthwise_conv_2d.js';
import { fullyConnected } from './fully_connected.js';
import { averagePool2d, maxPool2d } from './pool_2d.js';
import { addN, dequantize, quantize } from './quantize.js';
import { reshape } from './reshape.js';
import { softmax } from './softmax.js';
import type { OpDef } from './types.js';
import { transposeConv } from './transpose_conv.js';
import { batchToSpaceNd, spaceToBatchNd } from './space_to_batch.js';
import { argMax, argMin, mean, reduceMax, sum } from './reduce.js';
import { elu, hardSwish, leakyRelu, logistic, relu, relu6, reluN1To1, tanh } from './activations.js';
import { concatenation, pack } from './concatenation.js';
import { gather } from './gather.js';
import { pad, padV2 } from './pad.js';
import { resizeBilinear, resizeNearestNeighbor } from './resize.js';
import { slice, stridedSlice } from './slice.js';
import { depthToSpace, spaceToDepth } from './space_to_depth.js';
import { split, splitV, unpack } from './split.js';
import { expandDims, squeeze } from './squeeze.js';
import { transpose } from './transpose.js';
import { unidirectionalSequenceLstm } from './lstm.js';

export const OPS: readonly OpDef[] = [
  add, addN, batchToSpaceNd, spaceToBatchNd, argMax, argMin, mean, reduceMax, sum, averagePool2d, concatenation, conv2d, densify, depthToSpace, depthwiseConv2d, dequantize, expandDims, fullyConnected,
  elu, gather, hardSwish, leakyRelu, logistic, maximum, maxPool2d, minimum, mul, pack, pad, padV2, prelu, quantize, relu,
  relu6, reluN1To1, reshape, resizeBilinear, resizeNearestNeighbor, slice, softmax, spaceToDepth, split, splitV, squaredDifference,
  squeeze, stridedSlice, sub, tanh, transpose, transposeConv, unidirectionalSequenceLstm, unpack,
];

const BY_NAME = new Map(OPS.map((op) => [op.name, op]));

export function findOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}
