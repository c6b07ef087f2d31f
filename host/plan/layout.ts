/**
 * Linear-memory layout of a prepared model:
 *   [0, 16)                 null guard (pointer 0 means "absent", e.g. no bias)
 *   [romStart, romEnd)      ROM: constant tensors, prepared blobs, param blocks
 *   [stateStart, stateEnd)  RAM: variable tensors (recurrent state), persisting across invocations
 *   [arenaStart, arenaEnd)  RAM: activation arena (tensors and per-call scratch)
 *   [arenaEnd, +16)         slack for SIMD over-reads
 * Every region and item is 16-byte aligned.
 */
import { BLOCKS, type KernelName } from '../abi/blocks.js';
import { ModelError } from '../errors.js';
import type { KernelCall } from '../ops/types.js';
import { type Model, type Tensor, TensorType } from '../tflite/model.js';
import { tensorBytes } from '../graph/tensors.js';
import { ALIGN, alignUp, type ArenaPlan, planArena } from './arena.js';
import { planBuffers, type PreparedOp } from './buffers.js';
import { fixedOffsets, readOfflinePlan } from './offline.js';

export type { PreparedOp } from './buffers.js';

export interface PlannedCall {
  opIndex: number;
  kernel: KernelName;
  block: number;
  macs: number;
  /** Runs as `<kernel>_ref` in the SIMD build (KernelCall.scalar). */
  scalar: boolean;
  /** Must not run as the scalar twin (KernelCall.simdOnly). */
  simdOnly: boolean;
}

export interface MemoryLayout {
  /** Bytes [0, stateEnd) to copy into linear memory before the first call: ROM, then the
   *  variable tensors' initial values, which reset() copies back. */
  image: Uint8Array;
  romStart: number;
  romEnd: number;
  stateStart: number;
  stateEnd: number;
  arenaStart: number;
  arena: ArenaPlan;
  totalBytes: number;
  /** Address of every tensor a kernel touches and of every graph input and output. */
  tensorAddress: Map<number, number>;
  calls: PlannedCall[];
  /** ROM split: model constants (weights, biases, constant tensors) vs. everything prepare adds. */
  weightsBytes: number;
  /** Everything else in ROM: param blocks, prepared per-channel data (multipliers, shifts,
   *  scales, folded biases), the null guard and alignment padding. weights + params = romEnd. */
  paramsBytes: number;
}

/** Blob labels (ops/types.ts) that are model weights rather than prepared parameters. */
const WEIGHT_LABELS = new Set(['filter', 'bias']);

export const SIMD_OVERREAD_BYTES = 16;

/** wasm32 linear memory is at most 65536 pages of 64 KiB. */
export const MAX_MEMORY_BYTES = 65536 * 65536;

export function layoutMemory(model: Model, ops: PreparedOp[]): MemoryLayout {
  const romItems: Uint8Array[] = [];
  const romOffsetOf = new Map<Uint8Array, number>();
  let romCursor = ALIGN;
  let weightsBytes = 0;
  const placeRom = (bytes: Uint8Array, isWeight: boolean): number => {
    const known = romOffsetOf.get(bytes);
    if (known !== undefined) return known;
    const at = romCursor;
    romOffsetOf.set(bytes, at);
    romItems.push(bytes);
    romCursor = alignUp(at + bytes.byteLength);
    if (isWeight) weightsBytes += bytes.byteLength;
    return at;
  };

  const offline = readOfflinePlan(model);
  const buffers = planBuffers(model, ops, { inPlace: offline === null });
  const flatCalls = ops.flatMap((p) => p.calls.map((c) => ({ opIndex: p.opIndex, call: c })));
  const touched = new Set<number>([...model.inputs, ...model.outputs]);
  for (const { call } of flatCalls) {
    for (const v of Object.values(call.args)) if (v && typeof v === 'object' && 'tensor' in v) touched.add(v.tensor);
  }
  // Constant tensors first (weights), then prepared blobs, then param blocks.
  for (const t of touched) {
    const data = model.tensors[buffers.bufferOf(t)].data;
    if (data) placeRom(data, true);
  }
  for (const { call } of flatCalls) {
    for (const v of Object.values(call.args)) {
      if (v && typeof v === 'object' && 'rom' in v) placeRom(v.rom, WEIGHT_LABELS.has(v.label));
    }
  }
  const arena = planArena(buffers.lifetimes, offline ? fixedOffsets(offline, buffers.bufferOf, buffers.lifetimes) : undefined);

  const blockAt: number[] = [];
  for (const { call } of flatCalls) {
    blockAt.push(romCursor);
    romCursor = alignUp(romCursor + BLOCKS[call.kernel].bytes);
  }
  const romEnd = romCursor;
  const paramsBytes = romEnd - weightsBytes; // includes the null guard and alignment padding
  const stateStart = romEnd;
  const stateAddress = new Map<number, number>();
  let stateCursor = stateStart;
  for (const t of touched) {
    if (!model.tensors[t].isVariable || stateAddress.has(t)) continue;
    stateAddress.set(t, stateCursor);
    stateCursor = alignUp(stateCursor + tensorBytes(model.tensors[t]));
  }
  const stateEnd = stateCursor;
  const arenaStart = stateEnd;
  const tensorAddress = new Map<number, number>();
  for (const t of touched) {
    const b = buffers.bufferOf(t);
    const data = model.tensors[b].data;
    tensorAddress.set(t, data ? romOffsetOf.get(data)! : stateAddress.get(b) ?? arenaStart + arena.offsets.get(b)!);
  }
  // SIMD kernels may read up to 15 bytes past a tensor (weights there are zero); keep them in memory.
  const totalBytes = arenaStart + arena.arenaBytes + SIMD_OVERREAD_BYTES;
  if (totalBytes > MAX_MEMORY_BYTES) {
    throw new ModelError(`model: needs ${totalBytes} bytes of linear memory, more than wasm32's 4 GiB`);
  }

  const image = new Uint8Array(stateEnd);
  for (const item of romItems) image.set(item, romOffsetOf.get(item)!);
  for (const [t, at] of stateAddress) {
    const tensor = model.tensors[t];
    image.fill(variableFill(tensor), at, at + tensorBytes(tensor));
  }
  const view = new DataView(image.buffer);
  const calls: PlannedCall[] = flatCalls.map(({ opIndex, call }, i) => {
    writeBlock(view, blockAt[i], call, (v) => {
      if ('tensor' in v) return tensorAddress.get(v.tensor)!;
      if ('scratch' in v) return v.scratch > 0 ? arenaStart + arena.offsets.get(buffers.scratchBuffer.get(v)!)! : 0;
      return romOffsetOf.get(v.rom)!;
    });
    return { opIndex, kernel: call.kernel, block: blockAt[i], macs: call.macs, scalar: call.scalar ?? false, simdOnly: call.simdOnly ?? false };
  });
  return { image, romStart: ALIGN, romEnd, stateStart, stateEnd, arenaStart, arena, totalBytes, tensorAddress, calls, weightsBytes, paramsBytes };
}

/** tflite::ResetVariableTensor: int8 state starts at its zero point, anything else at zero. */
function variableFill(t: Tensor): number {
  return t.type === TensorType.INT8 ? (t.quantization?.zeroPoint[0] ?? 0) & 0xff : 0;
}

function writeBlock(
  view: DataView,
  at: number,
  call: KernelCall,
  address: (v: { tensor: number } | { rom: Uint8Array } | { scratch: number }) => number,
): void {
  const spec = BLOCKS[call.kernel];
  for (const f of spec.fields) {
    const v = call.args[f.name];
    const base = at + spec.offsets[f.name];
    if (v === undefined) throw new Error(`internal: kernel ${call.kernel} argument ${f.name} missing`);
    if (Array.isArray(v)) {
      if (v.length !== f.length) throw new Error(`internal: kernel ${call.kernel} argument ${f.name} has ${v.length} values, expected ${f.length}`);
      v.forEach((x, i) => view.setInt32(base + 4 * i, x, true));
    } else if (v === null) {
      view.setInt32(base, 0, true);
    } else if (typeof v === 'number') {
      if (f.kind === 'f32') view.setFloat32(base, v, true);
      else view.setInt32(base, v, true);
    } else {
      view.setInt32(base, address(v), true);
    }
  }
}
