// Reductions (host/abi/blocks.ts `reduce`): MEAN and SUM as reference_ops::QuantizedMeanOrSum
// (SUM as TFLite's reference path instantiates it, on uint8),
// REDUCE_MAX, ARG_MAX and ARG_MIN (reference_ops::ArgMinMax: strict comparison, first index).
// The same code serves both modules.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  REDUCE_INPUT, REDUCE_OUTPUT, REDUCE_OPERATION, REDUCE_OUT_DIMS, REDUCE_OUT_STRIDES, REDUCE_RED_DIMS,
  REDUCE_RED_STRIDES, REDUCE_COUNT, REDUCE_INPUT_ZERO_POINT, REDUCE_OUTPUT_ZERO_POINT,
  REDUCE_MULTIPLIER, REDUCE_SHIFT, REDUCE_INDEX_BYTES,
} from '../params';

const MEAN: i32 = 0;
const SUM: i32 = 1;
const MAX: i32 = 2;
const ARG_MAX: i32 = 3;

/** Offset of flat index n of a 6-D box (dims, strides at d and s in the block). */
// @ts-ignore: decorator
@inline
function boxOffset(p: usize, dims: usize, strides: usize, n: i32): i32 {
  let offset = 0;
  for (let k = 5; k >= 0; k--) {
    const size = load<i32>(p + dims + (<usize>k << 2));
    offset += (n % size) * load<i32>(p + strides + (<usize>k << 2));
    n /= size;
  }
  return offset;
}

export function reduce(p: usize): i32 {
  const input = load<usize>(p, REDUCE_INPUT);
  const output = load<usize>(p, REDUCE_OUTPUT);
  const operation = load<i32>(p, REDUCE_OPERATION);
  const count = load<i32>(p, REDUCE_COUNT);
  const inZp = load<i32>(p, REDUCE_INPUT_ZERO_POINT);
  const outZp = load<i32>(p, REDUCE_OUTPUT_ZERO_POINT);
  const multiplier = load<i32>(p, REDUCE_MULTIPLIER);
  const shift = load<i32>(p, REDUCE_SHIFT);
  const indexBytes = load<i32>(p, REDUCE_INDEX_BYTES);
  let outputs = 1;
  for (let k = 0; k < 6; k++) outputs *= load<i32>(p + REDUCE_OUT_DIMS + (<usize>k << 2));
  for (let o = 0; o < outputs; o++) {
    const base = input + <usize>boxOffset(p, REDUCE_OUT_DIMS, REDUCE_OUT_STRIDES, o);
    let acc: i32 = operation == MEAN || operation == SUM ? 0 : <i32>load<i8>(base);
    // TFLite's reference SUM reads int8 data as uint8 (QuantizedMeanOrSum<uint8_t>) and clamps
    // the result to 0..255; edgerun reproduces that.
    const unsigned = operation == SUM;
    let best: i32 = 0;
    for (let r = 0; r < count; r++) {
      const at = base + <usize>boxOffset(p, REDUCE_RED_DIMS, REDUCE_RED_STRIDES, r);
      const v = unsigned ? <i32>load<u8>(at) : <i32>load<i8>(at);
      if (operation == MEAN || operation == SUM) acc += v;
      else if (operation == MAX) acc = max(acc, v);
      else if (operation == ARG_MAX ? v > acc : v < acc) {
        acc = v;
        best = r;
      }
    }
    if (operation == MEAN || operation == SUM) {
      const q = multiplyByQuantizedMultiplier(acc - inZp * count, multiplier, shift) + outZp;
      store<i8>(output + <usize>o, <i8>(unsigned ? clamp(q, 0, 255) : clamp(q, -128, 127)));
    } else if (operation == MAX) {
      store<i8>(output + <usize>o, <i8>acc);
    } else if (indexBytes == 8) {
      store<i64>(output + (<usize>o << 3), <i64>best);
    } else {
      store<i32>(output + (<usize>o << 2), best);
    }
  }
  return 0;
}
