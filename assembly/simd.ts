// Named v128 idioms shared by the SIMD kernels.

/** [sum(a), sum(b), sum(c), sum(d)] of four i32x4 accumulators. */
// @ts-ignore: decorator
@inline
export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** acc + dot(x, w) over 16 int8 lanes, with x already widened to (xl, xh) i16x8 halves. */
// @ts-ignore: decorator
@inline
export function dot16(acc: v128, xl: v128, xh: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.add(
    i32x4.dot_i16x8_s(xl, i16x8.extend_low_i8x16_s(w)),
    i32x4.dot_i16x8_s(xh, i16x8.extend_high_i8x16_s(w)),
  ));
}
