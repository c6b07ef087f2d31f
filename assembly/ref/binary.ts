// Binary elementwise int8 (and int16 ADD) ops (host/abi/blocks.ts `binary`), each element as TFLite computes it:
// reference_integer_ops::AddElementwise (ADD, and SUB with the second term negated),
// squared_difference.cc's SquaredDifference, MulElementwise, raw MAXIMUM / MINIMUM, and PRELU
// (reference_ops::BroadcastPrelu4DSlow, input2 = alpha);
// broadcasting as BroadcastAdd6DSlow: output dims padded to rank 6, a stride of 0 repeats an input.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  BINARY_INPUT1, BINARY_INPUT2, BINARY_OUTPUT, BINARY_OUT_DIMS, BINARY_STRIDES1, BINARY_STRIDES2,
  BINARY_INPUT1_OFFSET, BINARY_INPUT2_OFFSET, BINARY_OUTPUT_OFFSET, BINARY_LEFT_SHIFT,
  BINARY_INPUT1_MULTIPLIER, BINARY_INPUT1_SHIFT, BINARY_INPUT2_MULTIPLIER, BINARY_INPUT2_SHIFT,
  BINARY_OUTPUT_MULTIPLIER, BINARY_OUTPUT_SHIFT, BINARY_ACT_MIN, BINARY_ACT_MAX, BINARY_OPERATION, BINARY_ELEMENT_BYTES,
} from '../params';

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const SQUARED_DIFFERENCE: i32 = 2;
export const MUL: i32 = 3;
export const MAXIMUM: i32 = 4;
export const MINIMUM: i32 = 5;
export const PRELU: i32 = 6;

export function binary_ref(p: usize): i32 {
  const operation = load<i32>(p, BINARY_OPERATION);
  const in1 = load<usize>(p, BINARY_INPUT1);
  const in2 = load<usize>(p, BINARY_INPUT2);
  const out = load<usize>(p, BINARY_OUTPUT);
  const in1Offset = load<i32>(p, BINARY_INPUT1_OFFSET);
  const in2Offset = load<i32>(p, BINARY_INPUT2_OFFSET);
  const outOffset = load<i32>(p, BINARY_OUTPUT_OFFSET);
  const leftShift = load<i32>(p, BINARY_LEFT_SHIFT);
  const m1 = load<i32>(p, BINARY_INPUT1_MULTIPLIER);
  const s1 = load<i32>(p, BINARY_INPUT1_SHIFT);
  const m2 = load<i32>(p, BINARY_INPUT2_MULTIPLIER);
  const s2 = load<i32>(p, BINARY_INPUT2_SHIFT);
  const mo = load<i32>(p, BINARY_OUTPUT_MULTIPLIER);
  const so = load<i32>(p, BINARY_OUTPUT_SHIFT);
  const actMin = load<i32>(p, BINARY_ACT_MIN);
  const actMax = load<i32>(p, BINARY_ACT_MAX);
  const wide = load<i32>(p, BINARY_ELEMENT_BYTES) == 2;
  const sizeShift: i32 = wide ? 1 : 0;

  const d0 = load<i32>(p, BINARY_OUT_DIMS);
  const d1 = load<i32>(p, BINARY_OUT_DIMS + 4);
  const d2 = load<i32>(p, BINARY_OUT_DIMS + 8);
  const d3 = load<i32>(p, BINARY_OUT_DIMS + 12);
  const d4 = load<i32>(p, BINARY_OUT_DIMS + 16);
  const d5 = load<i32>(p, BINARY_OUT_DIMS + 20);
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = i0 * load<i32>(p, BINARY_STRIDES1);
    const b0 = i0 * load<i32>(p, BINARY_STRIDES2);
    for (let i1 = 0; i1 < d1; i1++) {
      const a1 = a0 + i1 * load<i32>(p, BINARY_STRIDES1 + 4);
      const b1 = b0 + i1 * load<i32>(p, BINARY_STRIDES2 + 4);
      for (let i2 = 0; i2 < d2; i2++) {
        const a2 = a1 + i2 * load<i32>(p, BINARY_STRIDES1 + 8);
        const b2 = b1 + i2 * load<i32>(p, BINARY_STRIDES2 + 8);
        for (let i3 = 0; i3 < d3; i3++) {
          const a3 = a2 + i3 * load<i32>(p, BINARY_STRIDES1 + 12);
          const b3 = b2 + i3 * load<i32>(p, BINARY_STRIDES2 + 12);
          for (let i4 = 0; i4 < d4; i4++) {
            const a4 = a3 + i4 * load<i32>(p, BINARY_STRIDES1 + 16);
            const b4 = b3 + i4 * load<i32>(p, BINARY_STRIDES2 + 16);
            const s1d5 = load<i32>(p, BINARY_STRIDES1 + 20);
            const s2d5 = load<i32>(p, BINARY_STRIDES2 + 20);
            for (let i5 = 0; i5 < d5; i5++) {
              const ia = <usize>(a4 + i5 * s1d5) << sizeShift;
              const ib = <usize>(b4 + i5 * s2d5) << sizeShift;
              const x = wide ? <i32>load<i16>(in1 + ia) : <i32>load<i8>(in1 + ia);
              const y = wide ? <i32>load<i16>(in2 + ib) : <i32>load<i8>(in2 + ib);
              let raw: i32;
              if (operation == MAXIMUM) raw = max(x, y);
              else if (operation == MINIMUM) raw = min(x, y);
              else if (operation == MUL) raw = multiplyByQuantizedMultiplier((x + in1Offset) * (y + in2Offset), mo, so) + outOffset;
              else if (operation == PRELU) {
                const v = x + in1Offset;
                raw = (v >= 0 ? multiplyByQuantizedMultiplier(v, m1, s1) : multiplyByQuantizedMultiplier(v * (y + in2Offset), m2, s2)) + outOffset;
              }
              else {
                const sx = multiplyByQuantizedMultiplier((x + in1Offset) * (1 << leftShift), m1, s1);
                const sy = multiplyByQuantizedMultiplier((y + in2Offset) * (1 << leftShift), m2, s2);
                if (operation == SQUARED_DIFFERENCE) raw = multiplyByQuantizedMultiplier((sx - sy) * (sx - sy), mo, so) + outOffset;
                else raw = multiplyByQuantizedMultiplier(operation == SUB ? sx - sy : sx + sy, mo, so) + outOffset;
              }
              const r = clamp(raw, actMin, actMax);
              if (wide) store<i16>(o, <i16>r);
              else store<i8>(o, <i8>r);
              o += 1 << sizeShift;
            }
          }
        }
      }
    }
  }
  return 0;
}
