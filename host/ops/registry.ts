/** The op registry: every TFLite builtin edgerun runs. Tests, docs and tools enumerate it. */
import { add } from './add.js';
import { conv2d } from './conv_2d.js';
import { depthwiseConv2d } from './depthwise_conv_2d.js';
import { fullyConnected } from './fully_connected.js';
import { averagePool2d, maxPool2d } from './pool_2d.js';
import { dequantize, quantize } from './quantize.js';
import { reshape } from './reshape.js';
import { softmax } from './softmax.js';
import type { OpDef } from './types.js';

export const OPS: readonly OpDef[] = [
  add, averagePool2d, conv2d, depthwiseConv2d, dequantize, fullyConnected, maxPool2d, quantize, reshape, softmax,
];

const BY_NAME = new Map(OPS.map((op) => [op.name, op]));

export function findOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}
