// SIMD twin of ../ref/lstm.ts: the gate matrix-vector products (the LSTM's MACs) four rows at a
// time with sign-extending 8-byte loads and i32x4.dot_i16x8_s; every other step is the twin's
// (lstmRun with simd = true; the twin's module is built without SIMD and never compiles this file's code).
import { accumulate16, lstmRun } from '../ref/lstm';
import { hsum4 } from '../simd';

// @ts-ignore: decorator
@inline
function dot8(acc: v128, x: usize, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(x), v128.load8x8_s(w)));
}

export function matVecAccumulate16Simd(
  vectors: usize, bias: usize, weights: usize, multiplier: i32, shift: i32,
  batches: i32, cols: i32, rows: i32, out: usize,
): void {
  const vecCols = cols & ~7;
  const stride = <usize>cols;
  for (let b = 0; b < batches; b++) {
    const x = vectors + <usize>(b * cols);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const w0 = weights + <usize>r * stride;
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      for (let c = 0; c < vecCols; c += 8) {
        const xc = x + <usize>c;
        const wc = w0 + <usize>c;
        a0 = dot8(a0, xc, wc);
        a1 = dot8(a1, xc, wc + stride);
        a2 = dot8(a2, xc, wc + 2 * stride);
        a3 = dot8(a3, xc, wc + 3 * stride);
      }
      const sums = i32x4.add(hsum4(a0, a1, a2, a3), v128.load(bias + (<usize>r << 2)));
      for (let j = 0; j < 4; j++) {
        const row = w0 + <usize>j * stride;
        let acc = j == 0 ? i32x4.extract_lane(sums, 0) : j == 1 ? i32x4.extract_lane(sums, 1) : j == 2 ? i32x4.extract_lane(sums, 2) : i32x4.extract_lane(sums, 3);
        for (let c = vecCols; c < cols; c++) acc += <i32>load<i8>(x + <usize>c) * <i32>load<i8>(row + <usize>c);
        const o = out + (<usize>(b * rows + r + j) << 1);
        store<i16>(o, <i16>accumulate16(acc, multiplier, shift, o));
      }
    }
    for (; r < rows; r++) {
      const row = weights + <usize>r * stride;
      let a = i32x4.splat(0);
      for (let c = 0; c < vecCols; c += 8) a = dot8(a, x + <usize>c, row + <usize>c);
      let acc = load<i32>(bias + (<usize>r << 2)) +
        i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
      for (let c = vecCols; c < cols; c++) acc += <i32>load<i8>(x + <usize>c) * <i32>load<i8>(row + <usize>c);
      const o = out + (<usize>(b * rows + r) << 1);
      store<i16>(o, <i16>accumulate16(acc, multiplier, shift, o));
    }
  }
}

export function lstm_8x8_16(p: usize): i32 {
  return lstmRun(p, true);
}
