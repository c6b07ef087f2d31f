// The transforms of conv_2d_winograd.ts (Winograd F(2x2, 3x3) in integers): B^T d B of a 4x4
// input window, A^T M A of a tile's 16 products.

/**
 * V = B^T d B of one tile for all input channels, d's rows rowStride apart and its pixels inC
 * bytes apart; position xi = 4i + j goes to dst + xi * plane, as inC i16.
 */
export function inputTransform(dst: usize, plane: usize, src: usize, rowStride: usize, inC: usize): void {
  for (let c: usize = 0; c < inC; c += 8) {
    const r0 = src + c;
    const r1 = r0 + rowStride;
    const r2 = r1 + rowStride;
    const r3 = r2 + rowStride;
    // Row pass (d B): e[r] = [d0 - d2, d1 + d2, d2 - d1, d1 - d3] of row r.
    let a = v128.load8x8_s(r0);
    let b = v128.load8x8_s(r0 + inC);
    let d = v128.load8x8_s(r0 + 2 * inC);
    let f = v128.load8x8_s(r0 + 3 * inC);
    const e00 = i16x8.sub(a, d), e01 = i16x8.add(b, d), e02 = i16x8.sub(d, b), e03 = i16x8.sub(b, f);
    a = v128.load8x8_s(r1);
    b = v128.load8x8_s(r1 + inC);
    d = v128.load8x8_s(r1 + 2 * inC);
    f = v128.load8x8_s(r1 + 3 * inC);
    const e10 = i16x8.sub(a, d), e11 = i16x8.add(b, d), e12 = i16x8.sub(d, b), e13 = i16x8.sub(b, f);
    a = v128.load8x8_s(r2);
    b = v128.load8x8_s(r2 + inC);
    d = v128.load8x8_s(r2 + 2 * inC);
    f = v128.load8x8_s(r2 + 3 * inC);
    const e20 = i16x8.sub(a, d), e21 = i16x8.add(b, d), e22 = i16x8.sub(d, b), e23 = i16x8.sub(b, f);
    a = v128.load8x8_s(r3);
    b = v128.load8x8_s(r3 + inC);
    d = v128.load8x8_s(r3 + 2 * inC);
    f = v128.load8x8_s(r3 + 3 * inC);
    const e30 = i16x8.sub(a, d), e31 = i16x8.add(b, d), e32 = i16x8.sub(d, b), e33 = i16x8.sub(b, f);
    // Column pass (B^T e).
    const o = dst + (c << 1);
    columnPass(o, plane, e00, e10, e20, e30);
    columnPass(o + plane, plane, e01, e11, e21, e31);
    columnPass(o + 2 * plane, plane, e02, e12, e22, e32);
    columnPass(o + 3 * plane, plane, e03, e13, e23, e33);
  }
}

/** Column j of V (positions j, 4 + j, 8 + j, 12 + j) from column j of e. */
// @ts-ignore: decorator
@inline
function columnPass(dst: usize, plane: usize, e0: v128, e1: v128, e2: v128, e3: v128): void {
  v128.store(dst, i16x8.sub(e0, e2));
  v128.store(dst + 4 * plane, i16x8.add(e1, e2));
  v128.store(dst + 8 * plane, i16x8.sub(e2, e1));
  v128.store(dst + 12 * plane, i16x8.sub(e1, e3));
}

/**
 * Copies the 4x4 window at (y0, x0) into `dst` (rows of 4 * inC bytes), the input zero point
 * (zpRow: inC bytes of it) where the window leaves the image.
 */
export function borderWindow(dst: usize, image: usize, inH: i32, inW: i32, inC: usize, y0: i32, x0: i32, zpRow: usize): void {
  for (let r = 0; r < 4; r++) {
    const y = y0 + r;
    for (let c = 0; c < 4; c++) {
      const x = x0 + c;
      const src = y >= 0 && y < inH && x >= 0 && x < inW ? image + (<usize>(y * inW + x)) * inC : zpRow;
      const to = dst + <usize>(r * 4 + c) * inC;
      for (let i: usize = 0; i < inC; i += 8) store<u64>(to + i, load<u64>(src + i));
    }
  }
}

/**
 * The four outputs of one tile for four channels, each 4x its sums (A^T M A) then shifted back
 * and biased: lanes of the results as [y00, y01, y10, y11] in out4 (four v128).
 */
// @ts-ignore: decorator
@inline
export function tileSums(m: usize, step: usize, bias: v128, out4: usize): void {
  // Row pass (A^T M) per column j: r0 = m0j + m1j + m2j, r1 = m1j - m2j - m3j (mij at position 4i + j).
  let m0 = v128.load(m);
  let m1 = v128.load(m + 4 * step);
  let m2 = v128.load(m + 8 * step);
  let m3 = v128.load(m + 12 * step);
  const r00 = i32x4.add(i32x4.add(m0, m1), m2), r10 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + step);
  m1 = v128.load(m + 5 * step);
  m2 = v128.load(m + 9 * step);
  m3 = v128.load(m + 13 * step);
  const r01 = i32x4.add(i32x4.add(m0, m1), m2), r11 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + 2 * step);
  m1 = v128.load(m + 6 * step);
  m2 = v128.load(m + 10 * step);
  m3 = v128.load(m + 14 * step);
  const r02 = i32x4.add(i32x4.add(m0, m1), m2), r12 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + 3 * step);
  m1 = v128.load(m + 7 * step);
  m2 = v128.load(m + 11 * step);
  m3 = v128.load(m + 15 * step);
  const r03 = i32x4.add(i32x4.add(m0, m1), m2), r13 = i32x4.sub(i32x4.sub(m1, m2), m3);
  // Column pass (. A), then / 4 (exact) and the bias.
  v128.store(out4, i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(r00, r01), r02), 2), bias));
  v128.store(out4, i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(r01, r02), r03), 2), bias), 16);
  v128.store(out4, i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(r10, r11), r12), 2), bias), 32);
  v128.store(out4, i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(r11, r12), r13), 2), bias), 48);
}
