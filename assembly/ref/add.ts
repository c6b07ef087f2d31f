// Mirrors tflite::reference_integer_ops::AddElementwise / BroadcastAdd6DSlow (integer_ops/add.h), int8.
// Output dims padded to rank 6; an input stride of 0 broadcasts it along that dim.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  ADD_INPUT1, ADD_INPUT2, ADD_OUTPUT, ADD_OUT_DIMS, ADD_STRIDES1, ADD_STRIDES2,
  ADD_INPUT1_OFFSET, ADD_INPUT2_OFFSET, ADD_OUTPUT_OFFSET, ADD_LEFT_SHIFT,
  ADD_INPUT1_MULTIPLIER, ADD_INPUT1_SHIFT, ADD_INPUT2_MULTIPLIER, ADD_INPUT2_SHIFT,
  ADD_OUTPUT_MULTIPLIER, ADD_OUTPUT_SHIFT, ADD_ACT_MIN, ADD_ACT_MAX,
} from '../params';

export function add(p: usize): i32 {
  const in1 = load<usize>(p, ADD_INPUT1);
  const in2 = load<usize>(p, ADD_INPUT2);
  const out = load<usize>(p, ADD_OUTPUT);
  const in1Offset = load<i32>(p, ADD_INPUT1_OFFSET);
  const in2Offset = load<i32>(p, ADD_INPUT2_OFFSET);
  const outOffset = load<i32>(p, ADD_OUTPUT_OFFSET);
  const leftShift = load<i32>(p, ADD_LEFT_SHIFT);
  const m1 = load<i32>(p, ADD_INPUT1_MULTIPLIER);
  const s1 = load<i32>(p, ADD_INPUT1_SHIFT);
  const m2 = load<i32>(p, ADD_INPUT2_MULTIPLIER);
  const s2 = load<i32>(p, ADD_INPUT2_SHIFT);
  const mo = load<i32>(p, ADD_OUTPUT_MULTIPLIER);
  const so = load<i32>(p, ADD_OUTPUT_SHIFT);
  const actMin = load<i32>(p, ADD_ACT_MIN);
  const actMax = load<i32>(p, ADD_ACT_MAX);

  const d0 = load<i32>(p, ADD_OUT_DIMS);
  const d1 = load<i32>(p, ADD_OUT_DIMS + 4);
  const d2 = load<i32>(p, ADD_OUT_DIMS + 8);
  const d3 = load<i32>(p, ADD_OUT_DIMS + 12);
  const d4 = load<i32>(p, ADD_OUT_DIMS + 16);
  const d5 = load<i32>(p, ADD_OUT_DIMS + 20);
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = i0 * load<i32>(p, ADD_STRIDES1);
    const b0 = i0 * load<i32>(p, ADD_STRIDES2);
    for (let i1 = 0; i1 < d1; i1++) {
      const a1 = a0 + i1 * load<i32>(p, ADD_STRIDES1 + 4);
      const b1 = b0 + i1 * load<i32>(p, ADD_STRIDES2 + 4);
      for (let i2 = 0; i2 < d2; i2++) {
        const a2 = a1 + i2 * load<i32>(p, ADD_STRIDES1 + 8);
        const b2 = b1 + i2 * load<i32>(p, ADD_STRIDES2 + 8);
        for (let i3 = 0; i3 < d3; i3++) {
          const a3 = a2 + i3 * load<i32>(p, ADD_STRIDES1 + 12);
          const b3 = b2 + i3 * load<i32>(p, ADD_STRIDES2 + 12);
          for (let i4 = 0; i4 < d4; i4++) {
            const a4 = a3 + i4 * load<i32>(p, ADD_STRIDES1 + 16);
            const b4 = b3 + i4 * load<i32>(p, ADD_STRIDES2 + 16);
            const s1d5 = load<i32>(p, ADD_STRIDES1 + 20);
            const s2d5 = load<i32>(p, ADD_STRIDES2 + 20);
            for (let i5 = 0; i5 < d5; i5++) {
              const x = <i32>load<i8>(in1 + <usize>(a4 + i5 * s1d5));
              const y = <i32>load<i8>(in2 + <usize>(b4 + i5 * s2d5));
              const sx = multiplyByQuantizedMultiplier((x + in1Offset) * (1 << leftShift), m1, s1);
              const sy = multiplyByQuantizedMultiplier((y + in2Offset) * (1 << leftShift), m2, s2);
              const raw = multiplyByQuantizedMultiplier(sx + sy, mo, so) + outOffset;
              store<i8>(o, <i8>clamp(raw, actMin, actMax));
              o++;
            }
          }
        }
      }
    }
  }
  return 0;
}
