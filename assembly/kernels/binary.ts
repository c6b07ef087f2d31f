// SIMD twin of ../ref/binary.ts for ADD and SUB in the dense layouts (same shapes, or one input
// a single element); other operations and strided broadcasting use the twin. Sixteen elements per step, widened to
// i32 lanes; every multiplier and shift is per tensor, so lanes share them (mbqmUniform4).
import { binary_ref, SUB } from '../ref/binary';
import { mbqmUniform4 } from '../simd';
import {
  BINARY_INPUT1, BINARY_INPUT2, BINARY_OUTPUT, BINARY_LAYOUT, BINARY_COUNT, BINARY_INPUT1_OFFSET, BINARY_INPUT2_OFFSET,
  BINARY_OUTPUT_OFFSET, BINARY_LEFT_SHIFT, BINARY_INPUT1_MULTIPLIER, BINARY_INPUT1_SHIFT, BINARY_INPUT2_MULTIPLIER,
  BINARY_INPUT2_SHIFT, BINARY_OUTPUT_MULTIPLIER, BINARY_OUTPUT_SHIFT, BINARY_ACT_MIN, BINARY_ACT_MAX, BINARY_OPERATION,
  BINARY_ELEMENT_BYTES,
} from '../params';

const SAME_SHAPE: i32 = 1;
const INPUT2_SCALAR: i32 = 2;
const INPUT1_SCALAR: i32 = 3;

/** Four int8 lanes (already widened to i32) through the add arithmetic, before narrowing. */
// @ts-ignore: decorator
@inline
function add4(x: v128, y: v128, p: usize): v128 {
  const leftShift = load<i32>(p, BINARY_LEFT_SHIFT);
  const a = i32x4.shl(i32x4.add(x, i32x4.splat(load<i32>(p, BINARY_INPUT1_OFFSET))), leftShift);
  const b = i32x4.shl(i32x4.add(y, i32x4.splat(load<i32>(p, BINARY_INPUT2_OFFSET))), leftShift);
  const sa = mbqmUniform4(a, i32x4.splat(load<i32>(p, BINARY_INPUT1_MULTIPLIER)), -load<i32>(p, BINARY_INPUT1_SHIFT));
  const sb = mbqmUniform4(b, i32x4.splat(load<i32>(p, BINARY_INPUT2_MULTIPLIER)), -load<i32>(p, BINARY_INPUT2_SHIFT));
  const sum = load<i32>(p, BINARY_OPERATION) == SUB ? i32x4.sub(sa, sb) : i32x4.add(sa, sb);
  const raw = mbqmUniform4(sum, i32x4.splat(load<i32>(p, BINARY_OUTPUT_MULTIPLIER)), -load<i32>(p, BINARY_OUTPUT_SHIFT));
  const v = i32x4.add(raw, i32x4.splat(load<i32>(p, BINARY_OUTPUT_OFFSET)));
  return i32x4.min_s(i32x4.max_s(v, i32x4.splat(load<i32>(p, BINARY_ACT_MIN))), i32x4.splat(load<i32>(p, BINARY_ACT_MAX)));
}

// @ts-ignore: decorator
@inline
function widen(v: v128, half: i32): v128 {
  const h = half < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return (half & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h);
}

export function binary(p: usize): i32 {
  const layout = load<i32>(p, BINARY_LAYOUT);
  const operation = load<i32>(p, BINARY_OPERATION);
  if (operation > SUB || load<i32>(p, BINARY_ELEMENT_BYTES) != 1 || (layout != SAME_SHAPE && layout != INPUT2_SCALAR && layout != INPUT1_SCALAR)) return binary_ref(p);
  const in1 = load<usize>(p, BINARY_INPUT1);
  const in2 = load<usize>(p, BINARY_INPUT2);
  const out = load<usize>(p, BINARY_OUTPUT);
  const count = load<i32>(p, BINARY_COUNT);
  const vecCount = count & ~15;
  const step1: usize = layout == INPUT1_SCALAR ? 0 : 16;
  const step2: usize = layout == INPUT2_SCALAR ? 0 : 16;
  let a = in1;
  let b = in2;
  for (let i = 0; i < vecCount; i += 16) {
    const x = layout == INPUT1_SCALAR ? i8x16.splat(load<i8>(a)) : v128.load(a);
    const y = layout == INPUT2_SCALAR ? i8x16.splat(load<i8>(b)) : v128.load(b);
    const r0 = add4(widen(x, 0), widen(y, 0), p);
    const r1 = add4(widen(x, 1), widen(y, 1), p);
    const r2 = add4(widen(x, 2), widen(y, 2), p);
    const r3 = add4(widen(x, 3), widen(y, 3), p);
    v128.store(out + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3)));
    a += step1;
    b += step2;
  }
  for (let i = vecCount; i < count; i++) {
    const x = i32x4.splat(<i32>load<i8>(layout == INPUT1_SCALAR ? in1 : in1 + <usize>i));
    const y = i32x4.splat(<i32>load<i8>(layout == INPUT2_SCALAR ? in2 : in2 + <usize>i));
    store<i8>(out + <usize>i, <i8>i32x4.extract_lane(add4(x, y, p), 0));
  }
  return 0;
}
