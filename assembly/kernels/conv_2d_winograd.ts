// CONV_2D with 3x3 filters, stride 1, no dilation, no groups, inC and outC multiples of 8, as
// Winograd F(2x2, 3x3) in exact integer arithmetic (the same sums as ../ref/conv_2d.ts, so the
// same bytes out). Each 2x2 output tile reads a 4x4 input window d; with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  H = [2 0 0; 1 1 1; 1 -1 1; 0 0 2] (2 x Lavin's G),
//   A^T = [1 1 1 0; 0 1 -1 -1],
// U = H g H^T (host/ops/conv_2d.ts, int16: |U| <= 9 * 128) and V = B^T d B (|V| <= 4 * 128), the tile's
// sums are A^T (sum over channels of U . V) A = 4 * sum w*x, exactly: 16 multiplies per (input,
// output) channel pair and tile instead of 36. Every intermediate is an i32 ring operation whose final value
// |4 * sum w*x| < 2^31 (the host's inC bound), so the shift by 2 is exact. Taps outside the image
// read the input zero point, and the input offset is folded into foldedBias, as in conv_2d.
import { offsetMagic, requant16, REQUANT_RECORD_BYTES } from '../simd';
import { borderWindow, inputTransform, tileSums } from './winograd_transforms';
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
  const magic = offsetMagic(load<i32>(p, CONV_2D_OUTPUT_OFFSET));
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

  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW) * inC;
    const outImage = output + <usize>(b * outH * outW * outC);
    for (let n = 0; n < tiles; n += TILES) {
      // Tiles past the last are the last again (computed and stored twice, same bytes).
      for (let t = 0; t < TILES; t++) {
        const tn = min(n + t, tiles - 1);
        transformWindow(scratch + <usize>t * vTile, plane, image, inH, inW, inC, (tn / tilesW) * 2 - padH, (tn % tilesW) * 2 - padW, window, zpRow);
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
          const q0 = requant16(v128.load(sums), v128.load(sums, 64), v128.load(sums, 16), v128.load(sums, 80), table, magic, actMin8, actMax8, true);
          const q1 = requant16(v128.load(sums, 32), v128.load(sums, 96), v128.load(sums, 48), v128.load(sums, 112), table, magic, actMin8, actMax8, true);
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
 * V of the tile whose 4x4 window starts at (y0, x0), to dst: read in place inside the image, else
 * through `window` with the input zero point (zpRow) outside it.
 */
// @ts-ignore: decorator
@inline
function transformWindow(dst: usize, plane: usize, image: usize, inH: i32, inW: i32, inC: usize, y0: i32, x0: i32,
  window: usize, zpRow: usize): void {
  if (y0 >= 0 && x0 >= 0 && y0 + 4 <= inH && x0 + 4 <= inW) {
    inputTransform(dst, plane, image + <usize>(y0 * inW + x0) * inC, <usize>inW * inC, inC);
  } else {
    borderWindow(window, image, inH, inW, inC, y0, x0, zpRow);
    inputTransform(dst, plane, window, inC << 2, inC);
  }
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
