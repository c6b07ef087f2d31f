// SIMD twin of ../ref/depthwise_conv_2d.ts for depth multiplier 1 (others use the twin).
// The input offset is folded into foldedBias on the host: sum w*(x+off) + b = sum w*x +
// (b + off*sum w), mod 2^32 like the reference. Each filter tap reads through a table: offsets
// from the window origin when the window lies inside the image, else per-window addresses that
// point taps outside the image at a row of input zero points, where w*x = -off*w cancels that
// tap's share of the fold, exactly as the reference skips the tap.
// Eight channels per step, and two output pixels per step (consecutive in raster order, so also
// vertical neighbours of a 1-wide output) when both windows lie inside the image (they share every
// weight load and table entry); two taps at a time are
// interleaved as i16 pairs and multiplied with the pair-interleaved filter by i32x4.dot_i16x8_s.
import { requant16, requantPair, REQUANT_RECORD_BYTES } from '../simd';
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

/** acc + dot of taps a, b (8 channels each, widened) with the pair-interleaved weights w (low or high half). */
// @ts-ignore: decorator
@inline
function dotLo(acc: v128, xa: v128, xb: v128, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), v128.load8x8_s(w)));
}

// @ts-ignore: decorator
@inline
function dotHi(acc: v128, xa: v128, xb: v128, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), v128.load8x8_s(w, 8)));
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
  const outOffsetV = i16x8.splat(<i16>load<i32>(p, DEPTHWISE_CONV_2D_OUTPUT_OFFSET));
  const actMinV = i8x16.splat(<i8>load<i32>(p, DEPTHWISE_CONV_2D_ACT_MIN));
  const actMaxV = i8x16.splat(<i8>load<i32>(p, DEPTHWISE_CONV_2D_ACT_MAX));
  const taps = filterH * filterW;
  const pairs = (taps + 1) >> 1;
  const pairStride = <usize>channelsPad << 1;
  const zeroRow = scratch;
  const rowBytes = <usize>(channelsPad + 16);
  // Two tables of one u32 per tap (an odd last tap has zero weights: any readable byte will do):
  // byte offsets of the taps from the window origin, for windows inside the image, and
  // absolute tap addresses, rewritten for each window that crosses the border.
  const tapOffsets = scratch + ((rowBytes + 15) & ~15);
  const tapAddresses = tapOffsets + (<usize>pairs << 3);
  memory.fill(zeroRow, <u8>(-inputOffset), rowBytes);
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
  const spanH = (filterH - 1) * dilationH;
  const spanW = (filterW - 1) * dilationW;
  const pixels = outH * outW;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW) * pixelBytes;
    // Pixel m = oy * outW + ox in raster order, advanced without divisions.
    let oy = 0;
    let ox = 0;
    for (let m = 0; m < pixels; m++) {
      const y0 = oy * strideH - padH;
      const x0 = ox * strideW - padW;
      const out = output + <usize>(b * pixels + m) * pixelBytes;
      const inside = y0 >= 0 && y0 + spanH < inH && x0 >= 0 && x0 + spanW < inW;
      let oy1 = oy;
      let ox1 = ox + 1;
      if (ox1 == outW) { ox1 = 0; oy1++; }
      const y1 = oy1 * strideH - padH;
      const x1 = ox1 * strideW - padW;
      if (inside && m + 1 < pixels && y1 >= 0 && y1 + spanH < inH && x1 >= 0 && x1 + spanW < inW) {
        // Two pixels, m and m + 1 (the next in raster order, also inside the image).
        const base = image + <usize>(y0 * inW + x0) * pixelBytes;
        const step = <usize>((y1 - y0) * inW + (x1 - x0)) * pixelBytes;
        for (let c = 0; c < channels; c += 8) {
          let lo0 = v128.load(bias + (<usize>c << 2));
          let hi0 = v128.load(bias + (<usize>c << 2), 16);
          let lo1 = lo0;
          let hi1 = hi0;
          let w = filter + (<usize>c << 1);
          let pair = tapOffsets;
          const end = tapOffsets + (<usize>pairs << 3);
          const at = base + <usize>c;
          do {
            const pa = at + <usize>load<u32>(pair);
            const pb = at + <usize>load<u32>(pair, 4);
            const xa0 = v128.load8x8_s(pa);
            const xb0 = v128.load8x8_s(pb);
            lo0 = dotLo(lo0, xa0, xb0, w);
            hi0 = dotHi(hi0, xa0, xb0, w);
            const xa1 = v128.load8x8_s(pa + step);
            const xb1 = v128.load8x8_s(pb + step);
            lo1 = dotLo(lo1, xa1, xb1, w);
            hi1 = dotHi(hi1, xa1, xb1, w);
            w += pairStride;
            pair += 8;
          } while (pair < end);
          const q = requant16(lo0, hi0, lo1, hi1, requant + <usize>c * REQUANT_RECORD_BYTES, outOffsetV, actMinV, actMaxV);
          if (c + 8 <= channels) {
            v128.store64_lane(out + <usize>c, q, 0);
            v128.store64_lane(out + pixelBytes + <usize>c, q, 1);
          } else {
            storePartial(out + <usize>c, q, channels - c);
            storePartial(out + pixelBytes + <usize>c, i64x2.shuffle(q, q, 1, 1), channels - c);
          }
        }
        m++;
        oy = oy1;
        ox = ox1 + 1;
        if (ox == outW) { ox = 0; oy++; }
        continue;
      }
      let base: usize = 0;
      let table = tapAddresses;
      if (inside) {
        base = image + <usize>(y0 * inW + x0) * pixelBytes;
        table = tapOffsets;
      } else {
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
      for (let c = 0; c < channels; c += 8) {
        let lo = v128.load(bias + (<usize>c << 2));
        let hi = v128.load(bias + (<usize>c << 2), 16);
        let w = filter + (<usize>c << 1);
        const at = base + <usize>c;
        for (let j = 0; j < pairs; j++) {
          const pair = table + (<usize>j << 3);
          const xa = v128.load8x8_s(at + <usize>load<u32>(pair));
          const xb = v128.load8x8_s(at + <usize>load<u32>(pair, 4));
          lo = dotLo(lo, xa, xb, w);
          hi = dotHi(hi, xa, xb, w);
          w += pairStride;
        }
        const table = requant + <usize>c * REQUANT_RECORD_BYTES;
        const h = requantPair(lo, table, hi, table + 4 * REQUANT_RECORD_BYTES, outOffsetV);
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
