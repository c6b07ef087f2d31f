// SIMD twin of ../ref/depthwise_conv_2d.ts for depth multiplier 1 (others use the twin).
// The input offset is folded into foldedBias on the host: sum w*(x+off) + b = sum w*x +
// (b + off*sum w), mod 2^32 like the reference. Each filter tap reads through a table: offsets
// from the window origin when the window lies inside the image, else absolute addresses that
// point taps outside the image at a row of input zero points, where w*x = -off*w cancels that
// tap's share of the fold, exactly as the reference skips the tap.
// Windows are visited so that those that clip alike follow each other (the columns whose windows
// fit horizontally row by row, then each other column top to bottom): a border window that clips
// like the one before only shifts the previous window's addresses.
// Eight channels per step, and two output pixels per step when two successive windows lie
// inside the image (they share every weight load and table entry); two taps at a time are
// interleaved as i16 pairs and multiplied with the pair-interleaved filter by i32x4.dot_i16x8_s.
import { offsetMagic, requant16, requantPair, REQUANT_RECORD_BYTES } from '../simd';
import {
  DEPTHWISE_CONV_2D_INPUT, DEPTHWISE_CONV_2D_FILTER, DEPTHWISE_CONV_2D_OUTPUT,
  DEPTHWISE_CONV_2D_REQUANT, DEPTHWISE_CONV_2D_SCRATCH, DEPTHWISE_CONV_2D_FOLDED_BIAS, DEPTHWISE_CONV_2D_CHANNELS_PAD, DEPTHWISE_CONV_2D_BATCHES,
  DEPTHWISE_CONV_2D_IN_H, DEPTHWISE_CONV_2D_IN_W, DEPTHWISE_CONV_2D_IN_C,
  DEPTHWISE_CONV_2D_OUT_H, DEPTHWISE_CONV_2D_OUT_W,
  DEPTHWISE_CONV_2D_FILTER_H, DEPTHWISE_CONV_2D_FILTER_W,
  DEPTHWISE_CONV_2D_STRIDE_H, DEPTHWISE_CONV_2D_STRIDE_W, DEPTHWISE_CONV_2D_DILATION_H,
  DEPTHWISE_CONV_2D_DILATION_W, DEPTHWISE_CONV_2D_PAD_H, DEPTHWISE_CONV_2D_PAD_W,
  DEPTHWISE_CONV_2D_INPUT_OFFSET, DEPTHWISE_CONV_2D_OUTPUT_OFFSET,
  DEPTHWISE_CONV_2D_ACT_MIN, DEPTHWISE_CONV_2D_ACT_MAX,
} from '../params';

// Address-table header: no clipping on that axis; nothing written yet (no window origin is this).
const CLIP_NONE: i32 = i32.MAX_VALUE;
const CLIP_EMPTY: i32 = i32.MAX_VALUE - 1;

/**
 * The window after (oy, ox), packed as oy << 32 | ox: output columns [colsA, colsB) in raster order
 * first, then the columns outside that range one at a time, top to bottom.
 */
// @ts-ignore: decorator
@inline
function nextWindow(oy: i32, ox: i32, outH: i32, colsA: i32, colsB: i32): i64 {
  if (ox >= colsA && ox < colsB) {
    ox++;
    if (ox == colsB) {
      ox = colsA;
      oy++;
      if (oy == outH) {
        oy = 0;
        ox = colsA > 0 ? 0 : colsB;
      }
    }
  } else {
    oy++;
    if (oy == outH) {
      oy = 0;
      ox++;
      if (ox == colsA) ox = colsB;
    }
  }
  return (<i64>oy << 32) | <i64><u32>ox;
}

/** Stores the first n (< 8) bytes of q. */
// @ts-ignore: decorator
@inline
function storePartial(out: usize, q: v128, n: i32): void {
  if (n > 0) store<i8>(out, i8x16.extract_lane_s(q, 0));
  if (n > 1) store<i8>(out, i8x16.extract_lane_s(q, 1), 1);
  if (n > 2) store<i8>(out, i8x16.extract_lane_s(q, 2), 2);
  if (n > 3) store<i8>(out, i8x16.extract_lane_s(q, 3), 3);
  if (n > 4) store<i8>(out, i8x16.extract_lane_s(q, 4), 4);
  if (n > 5) store<i8>(out, i8x16.extract_lane_s(q, 5), 5);
  if (n > 6) store<i8>(out, i8x16.extract_lane_s(q, 6), 6);
}

/** acc + dot of taps a, b (8 channels each, widened) with the low or high half of the pair-interleaved weights w (widened). */
// @ts-ignore: decorator
@inline
function dotLo(acc: v128, xa: v128, xb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), w));
}

// @ts-ignore: decorator
@inline
function dotHi(acc: v128, xa: v128, xb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), w));
}

export function depthwise_conv_2d(p: usize): i32 {
  const input = load<usize>(p, DEPTHWISE_CONV_2D_INPUT);
  const filter = load<usize>(p, DEPTHWISE_CONV_2D_FILTER);
  const bias = load<usize>(p, DEPTHWISE_CONV_2D_FOLDED_BIAS);
  const output = load<usize>(p, DEPTHWISE_CONV_2D_OUTPUT);
  const requant = load<usize>(p, DEPTHWISE_CONV_2D_REQUANT);
  const scratch = load<usize>(p, DEPTHWISE_CONV_2D_SCRATCH);
  const channelsPad = load<i32>(p, DEPTHWISE_CONV_2D_CHANNELS_PAD);
  const batches = load<i32>(p, DEPTHWISE_CONV_2D_BATCHES);
  const inH = load<i32>(p, DEPTHWISE_CONV_2D_IN_H);
  const inW = load<i32>(p, DEPTHWISE_CONV_2D_IN_W);
  const channels = load<i32>(p, DEPTHWISE_CONV_2D_IN_C);
  const outH = load<i32>(p, DEPTHWISE_CONV_2D_OUT_H);
  const outW = load<i32>(p, DEPTHWISE_CONV_2D_OUT_W);
  const filterH = load<i32>(p, DEPTHWISE_CONV_2D_FILTER_H);
  const filterW = load<i32>(p, DEPTHWISE_CONV_2D_FILTER_W);
  const strideH = load<i32>(p, DEPTHWISE_CONV_2D_STRIDE_H);
  const strideW = load<i32>(p, DEPTHWISE_CONV_2D_STRIDE_W);
  const dilationH = load<i32>(p, DEPTHWISE_CONV_2D_DILATION_H);
  const dilationW = load<i32>(p, DEPTHWISE_CONV_2D_DILATION_W);
  const padH = load<i32>(p, DEPTHWISE_CONV_2D_PAD_H);
  const padW = load<i32>(p, DEPTHWISE_CONV_2D_PAD_W);
  const inputOffset = load<i32>(p, DEPTHWISE_CONV_2D_INPUT_OFFSET);
  const magic = offsetMagic(load<i32>(p, DEPTHWISE_CONV_2D_OUTPUT_OFFSET));
  const actMinV = i8x16.splat(<i8>load<i32>(p, DEPTHWISE_CONV_2D_ACT_MIN));
  const actMaxV = i8x16.splat(<i8>load<i32>(p, DEPTHWISE_CONV_2D_ACT_MAX));
  const taps = filterH * filterW;
  const pairs = (taps + 1) >> 1;
  const pairStride = <usize>channelsPad << 1;
  const tableBytes = <usize>pairs << 3;
  // Scratch (alignUp(channelsPad + 16) + 16 * pairs bytes, sized on the host): a row of input zero
  // points; two tables of one u32 per tap (an odd last tap has zero weights: any readable byte
  // will do): byte offsets of the taps from the window origin, for windows inside the image, and
  // absolute tap addresses for a window that crosses the border, after a header: the clipping the
  // addresses were made for (y0 or x0 where that side is clipped, else CLIP_NONE) and their window
  // origin. A window that clips like the last one moves the in-image addresses by the difference
  // of origins; any other is written out.
  const zeroRow = scratch;
  const tapOffsets = scratch + <usize>channelsPad;
  const header = tapOffsets + tableBytes;
  const tapAddresses = header + 16;
  memory.fill(zeroRow, <u8>(-inputOffset), <usize>channelsPad);
  store<i32>(header, CLIP_EMPTY);
  const pixelBytes = <usize>channels;
  for (let fy = 0; fy < filterH; fy++) {
    for (let fx = 0; fx < filterW; fx++) {
      store<u32>(tapOffsets + (<usize>(fy * filterW + fx) << 2), <u32>(<usize>(fy * dilationH * inW + fx * dilationW) * pixelBytes));
    }
  }
  if (taps & 1) {
    store<u32>(tapOffsets + (<usize>taps << 2), 0);
    store<u32>(tapAddresses + (<usize>taps << 2), <u32>zeroRow);
  }
  // Window origins y0 (x0) with the whole window inside the image: 0 <= y0 < originsY (as u32).
  const originsY = <u32>max(inH - (filterH - 1) * dilationH, 0);
  const originsX = <u32>max(inW - (filterW - 1) * dilationW, 0);
  // Output columns [colsA, colsB) have windows inside the image horizontally.
  let colsA = 0;
  while (colsA < outW && colsA * strideW < padW) colsA++;
  let colsB = colsA;
  while (colsB < outW && <u32>(colsB * strideW - padW) < originsX) colsB++;
  const pixels = outH * outW;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW) * pixelBytes;
    const outImage = output + <usize>(b * pixels) * pixelBytes;
    // Windows in the order of nextWindow: columns [colsA, colsB) row by row, then the other
    // columns one by one, so windows that clip alike follow each other.
    let oy = 0;
    let ox = colsA < colsB ? colsA : 0;
    for (let m = 0; m < pixels; m++) {
      const y0 = oy * strideH - padH;
      const x0 = ox * strideW - padW;
      const out = outImage + <usize>(oy * outW + ox) * pixelBytes;
      const inside = <u32>x0 < originsX && <u32>y0 < originsY;
      let oy1 = oy;
      let ox1 = ox + 1;
      if (ox1 > colsB || ox1 <= colsA) {
        const next = nextWindow(oy, ox, outH, colsA, colsB);
        oy1 = <i32>(next >> 32);
        ox1 = <i32>next;
      } else if (ox1 == colsB) {
        ox1 = colsA;
        if (++oy1 == outH) { oy1 = 0; ox1 = colsA > 0 ? 0 : colsB; }
      }
      const y1 = oy1 * strideH - padH;
      const x1 = ox1 * strideW - padW;
      let base = image + <usize>(y0 * inW + x0) * pixelBytes;
      if (inside && m + 1 < pixels && <u32>y1 < originsY && <u32>x1 < originsX) {
        // Two windows inside the image, this and the next.
        const step = <usize>((y1 - y0) * inW + (x1 - x0)) * pixelBytes;
        const out1 = outImage + <usize>(oy1 * outW + ox1) * pixelBytes;
        for (let c = 0; c < channels; c += 8) {
          let lo0 = v128.load(bias + (<usize>c << 2));
          let hi0 = v128.load(bias + (<usize>c << 2), 16);
          let lo1 = lo0;
          let hi1 = hi0;
          let w = filter + (<usize>c << 1);
          let pair = tapOffsets;
          const end = tapOffsets + tableBytes;
          const at = base + <usize>c;
          do {
            const pa = at + <usize>load<u32>(pair);
            const pb = at + <usize>load<u32>(pair, 4);
            const wLo = v128.load8x8_s(w);
            const wHi = v128.load8x8_s(w, 8);
            const xa0 = v128.load8x8_s(pa);
            const xb0 = v128.load8x8_s(pb);
            lo0 = dotLo(lo0, xa0, xb0, wLo);
            hi0 = dotHi(hi0, xa0, xb0, wHi);
            const xa1 = v128.load8x8_s(pa + step);
            const xb1 = v128.load8x8_s(pb + step);
            lo1 = dotLo(lo1, xa1, xb1, wLo);
            hi1 = dotHi(hi1, xa1, xb1, wHi);
            w += pairStride;
            pair += 8;
          } while (pair < end);
          const q = requant16(lo0, hi0, lo1, hi1, requant + <usize>c * REQUANT_RECORD_BYTES, magic, actMinV, actMaxV);
          if (c + 8 <= channels) {
            v128.store64_lane(out + <usize>c, q, 0);
            v128.store64_lane(out1 + <usize>c, q, 1);
          } else {
            storePartial(out + <usize>c, q, channels - c);
            storePartial(out1 + <usize>c, i64x2.shuffle(q, q, 1, 1), channels - c);
          }
        }
        m++;
        oy = oy1;
        ox = ox1 + 1;
        if (ox == colsB) {
          // (Both windows were inside, so in the middle columns.)
          ox = colsA;
          if (++oy == outH) { oy = 0; ox = colsA > 0 ? 0 : colsB; }
        }
        continue;
      }
      let table = tapOffsets;
      if (!inside) {
        const clipY = <u32>y0 < originsY ? CLIP_NONE : y0;
        const clipX = <u32>x0 < originsX ? CLIP_NONE : x0;
        if (load<i32>(header) == clipY && load<i32>(header, 4) == clipX) {
          const delta = i32x4.splat(<i32>(base - load<usize>(header, 8)));
          const zeroRowV = i32x4.splat(<i32>zeroRow);
          for (let e = tapAddresses; e < tapAddresses + tableBytes; e += 8) {
            const v = v128.load64_zero(e);
            v128.store64_lane(e, v128.bitselect(v, i32x4.add(v, delta), i32x4.eq(v, zeroRowV)), 0);
          }
        } else {
          store<i32>(header, clipY);
          store<i32>(header, clipX, 4);
          let tp = tapAddresses;
          for (let fy = 0; fy < filterH; fy++) {
            const y = y0 + fy * dilationH;
            for (let fx = 0; fx < filterW; fx++) {
              const x = x0 + fx * dilationW;
              const inside = y >= 0 && y < inH && x >= 0 && x < inW;
              store<u32>(tp, <u32>(inside ? image + <usize>(y * inW + x) * pixelBytes : zeroRow));
              tp += 4;
            }
          }
        }
        store<usize>(header, base, 8);
        base = 0;
        table = tapAddresses;
      }
      for (let c = 0; c < channels; c += 8) {
        let lo = v128.load(bias + (<usize>c << 2));
        let hi = v128.load(bias + (<usize>c << 2), 16);
        let w = filter + (<usize>c << 1);
        const at = base + <usize>c;
        for (let j = 0; j < pairs; j++) {
          const pair = table + (<usize>j << 3);
          const xa = v128.load8x8_s(at + <usize>load<u32>(pair));
          const xb = v128.load8x8_s(at + <usize>load<u32>(pair, 4));
          lo = dotLo(lo, xa, xb, v128.load8x8_s(w));
          hi = dotHi(hi, xa, xb, v128.load8x8_s(w, 8));
          w += pairStride;
        }
        const table = requant + <usize>c * REQUANT_RECORD_BYTES;
        const h = requantPair(lo, table, hi, table + 4 * REQUANT_RECORD_BYTES, magic);
        const q = i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), actMinV), actMaxV);
        if (c + 8 <= channels) v128.store64_lane(out + <usize>c, q, 0);
        else storePartial(out + <usize>c, q, channels - c);
      }
      oy = oy1;
      ox = ox1;
    }
  }
  return 0;
}
