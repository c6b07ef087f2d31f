// CONV_2D with 3x3 filters, stride 1, no dilation, no groups, inC and outC multiples of 8, as
// Winograd F(2x2, 3x3) in exact integer arithmetic (the same sums as ../ref/conv_2d.ts, so the
// same bytes out). Each 2x2 output tile reads a 4x4 input window d; with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  H = [2 0 0; 1 1 1; 1 -1 1; 0 0 2] (2 x Lavin's G),
//   A^T = [1 1 1 0; 0 1 -1 -1],
// U = H g H^T (host/ops/conv_2d.ts, int16: |U| <= 9 * 128) and V = B^T d B (|V| <= 4 * 128), the tile's
// sums are A^T (sum over channels of U . V) A = 4 * sum w*x, exactly: 16 multiplies per channel
// pair and tile instead of 36. Every intermediate is an i32 ring operation whose final value
// |4 * sum w*x| < 2^31 (the host's inC bound), so the shift by 2 is exact. Taps outside the image
// read the input zero point, and the input offset is folded into foldedBias, as in conv_2d.
import { requant16, REQUANT_RECORD_BYTES } from '../simd';
import {
  CONV_2D_INPUT, CONV_2D_FILTER, CONV_2D_OUTPUT, CONV_2D_FOLDED_BIAS, CONV_2D_SCRATCH, CONV_2D_REQUANT,
  CONV_2D_BATCHES, CONV_2D_IN_H, CONV_2D_IN_W, CONV_2D_IN_C, CONV_2D_OUT_H, CONV_2D_OUT_W, CONV_2D_OUT_C,
  CONV_2D_PAD_H, CONV_2D_PAD_W, CONV_2D_INPUT_OFFSET, CONV_2D_OUTPUT_OFFSET, CONV_2D_ACT_MIN, CONV_2D_ACT_MAX,
} from '../params';

/** Tiles per pass: every loaded filter vector serves four tiles. */
const TILES = 4;
/** Bytes of one position's products for one tile and eight channels (M, i32). */
const M_TILE_BYTES: usize = 32;
/** Bytes of one position's products for the pass's tiles. */
const M_POSITION_BYTES: usize = <usize>TILES * M_TILE_BYTES;

/**
 * V = B^T d B of one tile for all input channels, d's rows rowStride apart and its pixels inC
 * bytes apart; position xi = 4i + j goes to dst + xi * plane, as inC i16.
 */
function inputTransform(dst: usize, plane: usize, src: usize, rowStride: usize, inC: usize): void {
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
function borderWindow(dst: usize, image: usize, inH: i32, inW: i32, inC: usize, y0: i32, x0: i32, zpRow: usize): void {
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
function tileSums(m: usize, step: usize, bias: v128, out4: usize): void {
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

export function conv_2d_winograd(p: usize): i32 {
  const input = load<usize>(p, CONV_2D_INPUT);
  const filter = load<usize>(p, CONV_2D_FILTER);
  const output = load<usize>(p, CONV_2D_OUTPUT);
  const foldedBias = load<usize>(p, CONV_2D_FOLDED_BIAS);
  const scratch = load<usize>(p, CONV_2D_SCRATCH);
  const requant = load<usize>(p, CONV_2D_REQUANT);
  const batches = load<i32>(p, CONV_2D_BATCHES);
  const inH = load<i32>(p, CONV_2D_IN_H);
  const inW = load<i32>(p, CONV_2D_IN_W);
  const inC = <usize>load<i32>(p, CONV_2D_IN_C);
  const outH = load<i32>(p, CONV_2D_OUT_H);
  const outW = load<i32>(p, CONV_2D_OUT_W);
  const outC = load<i32>(p, CONV_2D_OUT_C);
  const padH = load<i32>(p, CONV_2D_PAD_H);
  const padW = load<i32>(p, CONV_2D_PAD_W);
  const outOffset16 = i16x8.splat(<i16>load<i32>(p, CONV_2D_OUTPUT_OFFSET));
  const actMin8 = i8x16.splat(<i8>load<i32>(p, CONV_2D_ACT_MIN));
  const actMax8 = i8x16.splat(<i8>load<i32>(p, CONV_2D_ACT_MAX));

  // Scratch (host/abi/blocks.ts): V [16 positions][4 tiles][inC] i16, M [16][4 tiles][8] i32,
  // a window of 16 * inC bytes, 128 bytes of tile sums, inC bytes of the input zero point.
  const vTile = inC << 1;
  const plane = vTile * TILES;
  const mBase = scratch + 16 * plane;
  const window = mBase + 16 * M_POSITION_BYTES;
  const sums = window + 16 * inC;
  const zpRow = sums + 128;
  memory.fill(zpRow, <u8>(-load<i32>(p, CONV_2D_INPUT_OFFSET)), inC);
  const pairBytes = inC << 4; // one position's filter for eight channels: inC/2 records of 32 bytes
  const tilesW = (outW + 1) >> 1;
  const tiles = ((outH + 1) >> 1) * tilesW;
  const rowStride = <usize>inW * inC;

  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW) * inC;
    const outImage = output + <usize>(b * outH * outW * outC);
    for (let n = 0; n < tiles; n += TILES) {
      // Tiles past the last are the last again (computed and stored twice, same bytes).
      for (let t = 0; t < TILES; t++) {
        const tn = min(n + t, tiles - 1);
        const y0 = (tn / tilesW) * 2 - padH;
        const x0 = (tn % tilesW) * 2 - padW;
        const dst = scratch + <usize>t * vTile;
        if (y0 >= 0 && x0 >= 0 && y0 + 4 <= inH && x0 + 4 <= inW) {
          inputTransform(dst, plane, image + <usize>(y0 * inW + x0) * inC, rowStride, inC);
        } else {
          borderWindow(window, image, inH, inW, inC, y0, x0, zpRow);
          inputTransform(dst, plane, window, inC << 2, inC);
        }
      }
      for (let c = 0; c < outC; c += 8) {
        const u = filter + <usize>(c >> 3) * 16 * pairBytes;
        tileProducts(scratch, plane, vTile, u, pairBytes, mBase);
        const biasA = v128.load(foldedBias + (<usize>c << 2));
        const biasB = v128.load(foldedBias + (<usize>c << 2), 16);
        const table = requant + <usize>c * REQUANT_RECORD_BYTES;
        for (let t = 0; t < TILES; t++) {
          const tn = min(n + t, tiles - 1);
          const oy = (tn / tilesW) * 2;
          const ox = (tn % tilesW) * 2;
          const m = mBase + <usize>t * M_TILE_BYTES;
          tileSums(m, M_POSITION_BYTES, biasA, sums);
          tileSums(m + 16, M_POSITION_BYTES, biasB, sums + 64);
          // Pixel (oy, ox) and (oy, ox + 1), then the row below: channels c..c+3 from the first four sums, c+4..c+7 from the next.
          const q0 = requant16(v128.load(sums), v128.load(sums, 64), v128.load(sums, 16), v128.load(sums, 80), table, outOffset16, actMin8, actMax8);
          const q1 = requant16(v128.load(sums, 32), v128.load(sums, 96), v128.load(sums, 48), v128.load(sums, 112), table, outOffset16, actMin8, actMax8);
          const out = outImage + <usize>(oy * outW + ox) * outC + c;
          const right = ox + 1 < outW;
          v128.store64_lane(out, q0, 0);
          if (right) v128.store64_lane(out + outC, q0, 1);
          if (oy + 1 < outH) {
            const below = out + <usize>(outW * outC);
            v128.store64_lane(below, q1, 0);
            if (right) v128.store64_lane(below + outC, q1, 1);
          }
        }
      }
    }
  }
  return 0;
}

/**
 * M[xi][t] = sum over input channels of U[xi] . V[xi][t] for eight output channels, all 16
 * positions of four tiles. u: the eight channels' filter, position by position (pairBytes each),
 * records of two input channels: [oc 0..7][ic 0..1] i16, so one i32x4.dot_i16x8_s of a broadcast
 * V pair adds both channels' share to four outputs.
 */
function tileProducts(v: usize, plane: usize, vTile: usize, u: usize, pairBytes: usize, m: usize): void {
  for (let xi = 0; xi < 16; xi++) {
    let x0 = v + <usize>xi * plane;
    let x1 = x0 + vTile;
    let x2 = x1 + vTile;
    let x3 = x2 + vTile;
    let a0 = i32x4.splat(0), b0 = i32x4.splat(0), a1 = i32x4.splat(0), b1 = i32x4.splat(0);
    let a2 = i32x4.splat(0), b2 = i32x4.splat(0), a3 = i32x4.splat(0), b3 = i32x4.splat(0);
    const w = u + <usize>xi * pairBytes;
    const wEnd = w + pairBytes;
    for (let wk = w; wk < wEnd; wk += 32) {
      const wa = v128.load(wk);
      const wb = v128.load(wk, 16);
      let x = v128.load32_splat(x0);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, wa));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x, wb));
      x = v128.load32_splat(x1);
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, wa));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x, wb));
      x = v128.load32_splat(x2);
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x, wa));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x, wb));
      x = v128.load32_splat(x3);
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x, wa));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x, wb));
      x0 += 4;
      x1 += 4;
      x2 += 4;
      x3 += 4;
    }
    const at = m + <usize>xi * M_POSITION_BYTES;
    v128.store(at, a0);
    v128.store(at, b0, 16);
    v128.store(at, a1, 32);
    v128.store(at, b1, 48);
    v128.store(at, a2, 64);
    v128.store(at, b2, 80);
    v128.store(at, a3, 96);
    v128.store(at, b3, 112);
  }
}
