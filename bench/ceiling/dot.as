// AssemblyScript source of the SIMD128 int8 dot-product ceiling kernels (bench/ceiling.ts compiles
// it at bench time with `--enable simd --runtime stub -O3`; the file is not named .ts so that the
// host's tsc, which includes bench/**/*.ts, leaves it alone).
//
// Every export: (a, b, n, reps) -> i32. `a` is n int8 values; `b` is n int8 values, or ROWS rows of
// n int8 values (row r at b + r*n) for the register-blocked variants. n is a multiple of 32. The
// dot products are computed `reps` times over the same L1-resident data and their i32 sum is
// returned (wrapping), so nothing can be optimized away and the host can check the result.
// MACs per call: n * reps (single row) or ROWS * n * reps (blocked).
// All operands are full-range int8 (-128..127): products are exact in i16, sums exact in i32.

function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Sign-extending 8-byte loads + i32x4.dot_i16x8_s, four independent accumulators. */
export function dot_load8x8_dot(a: usize, b: usize, n: i32, reps: i32): i32 {
  let total: i32 = 0;
  for (let r = 0; r < reps; r++) {
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    let acc2 = i32x4.splat(0);
    let acc3 = i32x4.splat(0);
    for (let i: usize = 0; i < <usize>n; i += 32) {
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.load8x8_s(a + i), v128.load8x8_s(b + i)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.load8x8_s(a + i, 8), v128.load8x8_s(b + i, 8)));
      acc2 = i32x4.add(acc2, i32x4.dot_i16x8_s(v128.load8x8_s(a + i, 16), v128.load8x8_s(b + i, 16)));
      acc3 = i32x4.add(acc3, i32x4.dot_i16x8_s(v128.load8x8_s(a + i, 24), v128.load8x8_s(b + i, 24)));
    }
    total += hsum(i32x4.add(i32x4.add(acc0, acc1), i32x4.add(acc2, acc3)));
  }
  return total;
}

/** 16-byte loads + i16x8.extmul_low/high_i8x16_s + i32x4.extadd_pairwise_i16x8_s, four accumulators. */
export function dot_extmul(a: usize, b: usize, n: i32, reps: i32): i32 {
  let total: i32 = 0;
  for (let r = 0; r < reps; r++) {
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    let acc2 = i32x4.splat(0);
    let acc3 = i32x4.splat(0);
    for (let i: usize = 0; i < <usize>n; i += 32) {
      const a0 = v128.load(a + i);
      const b0 = v128.load(b + i);
      const a1 = v128.load(a + i, 16);
      const b1 = v128.load(b + i, 16);
      acc0 = i32x4.add(acc0, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(a0, b0)));
      acc1 = i32x4.add(acc1, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(a0, b0)));
      acc2 = i32x4.add(acc2, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(a1, b1)));
      acc3 = i32x4.add(acc3, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(a1, b1)));
    }
    total += hsum(i32x4.add(i32x4.add(acc0, acc1), i32x4.add(acc2, acc3)));
  }
  return total;
}

/**
 * Register-blocked GEMV, 4 rows: each sign-extended 8-byte slice of `a` is reused against 4 rows of
 * `b` (5 widening loads per 32 MACs instead of 8), one accumulator per row.
 */
export function dot_load8x8_dot_4rows(a: usize, b: usize, n: i32, reps: i32): i32 {
  const b1 = b + <usize>n;
  const b2 = b1 + <usize>n;
  const b3 = b2 + <usize>n;
  let total: i32 = 0;
  for (let r = 0; r < reps; r++) {
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    let acc2 = i32x4.splat(0);
    let acc3 = i32x4.splat(0);
    for (let i: usize = 0; i < <usize>n; i += 8) {
      const x = v128.load8x8_s(a + i);
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(x, v128.load8x8_s(b + i)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(x, v128.load8x8_s(b1 + i)));
      acc2 = i32x4.add(acc2, i32x4.dot_i16x8_s(x, v128.load8x8_s(b2 + i)));
      acc3 = i32x4.add(acc3, i32x4.dot_i16x8_s(x, v128.load8x8_s(b3 + i)));
    }
    total += hsum(i32x4.add(i32x4.add(acc0, acc1), i32x4.add(acc2, acc3)));
  }
  return total;
}

/**
 * Register-blocked 2x4 tile: two sign-extended slices of `a` (at i and i + n/2, two "pixels"
 * sharing the weight rows) against 4 rows of `b` over the first half of each row; 8 accumulators,
 * 6 widening loads per 64 MACs. Covers the same 4n MACs per rep as the 4-row variant.
 */
export function dot_load8x8_dot_2x4(a: usize, b: usize, n: i32, reps: i32): i32 {
  const half = <usize>(n >> 1);
  const a1 = a + half;
  const b1 = b + <usize>n;
  const b2 = b1 + <usize>n;
  const b3 = b2 + <usize>n;
  let total: i32 = 0;
  for (let r = 0; r < reps; r++) {
    let s00 = i32x4.splat(0);
    let s01 = i32x4.splat(0);
    let s02 = i32x4.splat(0);
    let s03 = i32x4.splat(0);
    let s10 = i32x4.splat(0);
    let s11 = i32x4.splat(0);
    let s12 = i32x4.splat(0);
    let s13 = i32x4.splat(0);
    for (let i: usize = 0; i < half; i += 8) {
      const x0 = v128.load8x8_s(a + i);
      const x1 = v128.load8x8_s(a1 + i);
      const w0 = v128.load8x8_s(b + i);
      const w1 = v128.load8x8_s(b1 + i);
      const w2 = v128.load8x8_s(b2 + i);
      const w3 = v128.load8x8_s(b3 + i);
      s00 = i32x4.add(s00, i32x4.dot_i16x8_s(x0, w0));
      s01 = i32x4.add(s01, i32x4.dot_i16x8_s(x0, w1));
      s02 = i32x4.add(s02, i32x4.dot_i16x8_s(x0, w2));
      s03 = i32x4.add(s03, i32x4.dot_i16x8_s(x0, w3));
      s10 = i32x4.add(s10, i32x4.dot_i16x8_s(x1, w0));
      s11 = i32x4.add(s11, i32x4.dot_i16x8_s(x1, w1));
      s12 = i32x4.add(s12, i32x4.dot_i16x8_s(x1, w2));
      s13 = i32x4.add(s13, i32x4.dot_i16x8_s(x1, w3));
    }
    const s0 = i32x4.add(i32x4.add(s00, s01), i32x4.add(s02, s03));
    const s1 = i32x4.add(i32x4.add(s10, s11), i32x4.add(s12, s13));
    total += hsum(i32x4.add(s0, s1));
  }
  return total;
}
