// SIMD twin of ../ref/conv_2d.ts: same param block, same bytes out.
// Each output pixel's receptive field is a K-byte patch (the input row itself for 1x1 filters,
// else an im2col copy into scratch with padded taps set to the input zero point, so that
// (x + inputOffset) = 0 there, exactly as the reference skips them). Four output channels are
// computed for two pixels per loaded weight vector (sign-extending 8-byte loads +
// i32x4.dot_i16x8_s); the input offset is
// folded into foldedBias on the host: sum w*(x+off) + b = sum w*x + (b + off*sum w), mod 2^32.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import { hsum4, offsetMagic, requant16, requantPair, REQUANT_RECORD_BYTES } from '../simd';
import {
  CONV_2D_INPUT, CONV_2D_FILTER, CONV_2D_OUTPUT, CONV_2D_MULTIPLIERS, CONV_2D_SHIFTS, CONV_2D_FOLDED_BIAS,
  CONV_2D_SCRATCH, CONV_2D_REQUANT, CONV_2D_BATCHES, CONV_2D_IN_H, CONV_2D_IN_W, CONV_2D_IN_C, CONV_2D_OUT_H, CONV_2D_OUT_W,
  CONV_2D_OUT_C, CONV_2D_FILTER_H, CONV_2D_FILTER_W, CONV_2D_K_PAD, CONV_2D_STRIDE_H,
  CONV_2D_STRIDE_W, CONV_2D_DILATION_H, CONV_2D_DILATION_W, CONV_2D_PAD_H, CONV_2D_PAD_W,
  CONV_2D_INPUT_OFFSET, CONV_2D_OUTPUT_OFFSET, CONV_2D_ACT_MIN, CONV_2D_ACT_MAX,
} from '../params';

/**
 * Copies n bytes in 16-byte steps, or with `wide` widens them to n i16 in 8-tap steps. May write up
 * to 15 bytes past the run's end in dst (into the patch after it, which is written later, or the
 * 16 spare scratch bytes) and read up to 15 past src + n.
 */
// @ts-ignore: decorator
@inline
function copyRun(dst: usize, src: usize, n: usize, wide: bool): void {
  if (wide) {
    for (let i: usize = 0; i < n; i += 8) v128.store(dst + (i << 1), v128.load8x8_s(src + i));
  } else {
    for (let i: usize = 0; i < n; i += 16) v128.store(dst + i, v128.load(src + i));
  }
}

/** Fills n taps (bytes, or i16 with `wide`) with `value` (i8x16 or i16x8 splat), in 16-byte stores. */
// @ts-ignore: decorator
@inline
function fillRun(dst: usize, value: v128, n: usize, wide: bool): void {
  const bytes = n << <usize>wide;
  for (let i: usize = 0; i < bytes; i += 16) v128.store(dst + i, value);
}

/**
 * Writes the patch of the output pixel whose window starts at (y0, x0) to dst, in the filter's
 * [fy][fx][c] order, as bytes or (wide) as i16; taps outside the image get the input zero point
 * (padValue, splat to the tap width). With dilationW 1, each filter row is one contiguous run:
 * zero points, image bytes, zero points.
 */
// @ts-ignore: decorator
@inline
function im2col(dst: usize, image: usize, inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32,
  y0: i32, x0: i32, dilationH: i32, dilationW: i32, padValue: v128, wide: bool): void {
  const tapBytes = <usize>inC;
  const rowTaps = <usize>(filterW * inC);
  const w = <usize>wide;
  for (let fy = 0; fy < filterH; fy++) {
    const y = y0 + fy * dilationH;
    if (y < 0 || y >= inH) {
      fillRun(dst, padValue, rowTaps, wide);
    } else if (dilationW == 1) {
      const start = max(0, -x0);
      const end = min(filterW, inW - x0);
      if (start >= end) {
        fillRun(dst, padValue, rowTaps, wide);
      } else {
        if (start > 0) fillRun(dst, padValue, <usize>start * tapBytes, wide);
        copyRun(dst + ((<usize>start * tapBytes) << w), image + <usize>((y * inW + x0 + start) * inC), <usize>(end - start) * tapBytes, wide);
        if (end < filterW) fillRun(dst + ((<usize>end * tapBytes) << w), padValue, <usize>(filterW - end) * tapBytes, wide);
      }
    } else {
      for (let fx = 0; fx < filterW; fx++) {
        const x = x0 + fx * dilationW;
        const tap = dst + ((<usize>fx * tapBytes) << w);
        if (x < 0 || x >= inW) fillRun(tap, padValue, tapBytes, wide);
        else copyRun(tap, image + <usize>((y * inW + x) * inC), tapBytes, wide);
      }
    }
    dst += rowTaps << w;
  }
}

/**
 * im2col's patch for the window at (y0, x0); a window inside the image (dilationW 1) is copied
 * row by row here, without the padding checks.
 */
// @ts-ignore: decorator
@inline
function patch(dst: usize, image: usize, inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32,
  y0: i32, x0: i32, dilationH: i32, dilationW: i32, padValue: v128, wide: bool, rows3x9: bool): void {
  if (dilationW == 1 && y0 >= 0 && x0 >= 0 && y0 + (filterH - 1) * dilationH < inH && x0 + filterW <= inW) {
    const rowTaps = <usize>(filterW * inC);
    const rowStep = <usize>(dilationH * inW * inC);
    let src = image + <usize>((y0 * inW + x0) * inC);
    if (rows3x9 && wide && rowTaps == 9 && filterH == 3) return patch3x9(dst, src, rowStep);
    for (let fy = 0; fy < filterH; fy++) {
      if (wide && rowTaps <= 8) v128.store(dst, v128.load8x8_s(src));
      else if (!wide && rowTaps <= 16) v128.store(dst, v128.load(src));
      else copyRun(dst, src, rowTaps, wide);
      dst += rowTaps << <usize>wide;
      src += rowStep;
    }
  } else if (wide) {
    paddedPatchWide(dst, image, inH, inW, inC, filterH, filterW, y0, x0, dilationH, dilationW, padValue);
  } else {
    paddedPatch(dst, image, inH, inW, inC, filterH, filterW, y0, x0, dilationH, dilationW, padValue);
  }
}

/**
 * The widened patch of three rows of 9 taps (a 3x3 filter over 3 channels, the usual first
 * layer): assembled in registers and stored in aligned 16-byte runs (64 bytes: up to 10 past the
 * patch, into the next one or the spare bytes), so that every tap pair the loop loads comes from
 * one store. Rows written one by one (odd lengths) made pairs straddle two stores, which the
 * CPU cannot forward: this layer ran 1.14x longer. Reads up to 7 bytes past the last row.
 * Inlined in V8's build only (called out of line it cost more than it saves; the wasmtime build,
 * which compiled modules link, keeps the code small).
 */
// @ts-ignore: decorator
@inline
function patch3x9(dst: usize, src: usize, rowStep: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + rowStep);
  const r2 = v128.load(src + 2 * rowStep);
  const a = i8x16.shuffle(r0, r1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22);
  const b = i8x16.shuffle(r1, r2, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24, 24, 24, 24);
  v128.store(dst, i16x8.extend_low_i8x16_s(a));
  v128.store(dst, i16x8.extend_high_i8x16_s(a), 16);
  v128.store(dst, i16x8.extend_low_i8x16_s(b), 32);
  v128.store(dst, i16x8.extend_high_i8x16_s(b), 48);
}

/**
 * The filter window at (y0, x0) as one row of taps: for a 1x1 filter (never padded) the pixel
 * itself, or with `wide` its taps widened at `slot`; else its patch built at `slot`.
 */
// @ts-ignore: decorator
@inline
function windowTaps(slot: usize, pointwise: bool, image: usize, inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32,
  y0: i32, x0: i32, dilationH: i32, dilationW: i32, padValue: v128, wide: bool, rows3x9: bool): usize {
  if (pointwise) {
    const pixel = image + <usize>((y0 * inW + x0) * inC);
    if (!wide) return pixel;
    copyRun(slot, pixel, <usize>inC, true);
    return slot;
  }
  patch(slot, image, inH, inW, inC, filterH, filterW, y0, x0, dilationH, dilationW, padValue, wide, rows3x9);
  return slot;
}

/** im2col out of line: only windows over the border take it. */
function paddedPatch(dst: usize, image: usize, inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32,
  y0: i32, x0: i32, dilationH: i32, dilationW: i32, padValue: v128): void {
  im2col(dst, image, inH, inW, inC, filterH, filterW, y0, x0, dilationH, dilationW, padValue, false);
}

/** paddedPatch's i16 patch. */
function paddedPatchWide(dst: usize, image: usize, inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32,
  y0: i32, x0: i32, dilationH: i32, dilationW: i32, padValue: v128): void {
  im2col(dst, image, inH, inW, inC, filterH, filterW, y0, x0, dilationH, dilationW, padValue, true);
}

// @ts-ignore: decorator
@inline
function requantStore(out: usize, acc: i32, c: i32, multipliers: usize, shifts: usize, outputOffset: i32, actMin: i32, actMax: i32): void {
  const o = <usize>c << 2;
  const v = multiplyByQuantizedMultiplier(acc, load<i32>(multipliers + o), load<i32>(shifts + o)) + outputOffset;
  store<i8>(out + <usize>c, <i8>clamp(v, actMin, actMax));
}

/**
 * Requantizes and stores output channels c..c+3 of two pixels (accumulators a, b). A full block
 * narrows both pixels together; the saturating narrow to i16 before the output offset is exact:
 * a value outside i16 stays outside [actMin, actMax] after adding an offset in [-128, 127].
 */
// @ts-ignore: decorator
@inline
function finishBlock(out0: usize, out1: usize, a: v128, b: v128, c: i32, outC: i32, fullBlocks: i32, requant: usize, multipliers: usize,
  shifts: usize, outputOffset: i32, actMin: i32, actMax: i32, magic: v128, actMin8: v128, actMax8: v128): void {
  if (c < fullBlocks) {
    const table = requant + <usize>c * REQUANT_RECORD_BYTES;
    const h = requantPair(a, table, b, table, magic);
    const q = i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), actMin8), actMax8);
    v128.store32_lane(out0 + <usize>c, q, 0);
    v128.store32_lane(out1 + <usize>c, q, 1);
    return;
  }
  finishPartial(out0, a, c, outC, multipliers, shifts, outputOffset, actMin, actMax);
  finishPartial(out1, b, c, outC, multipliers, shifts, outputOffset, actMin, actMax);
}

/** Output channels c..outC-1 (fewer than 4) of one pixel, in scalar arithmetic. */
// @ts-ignore: decorator
@inline
function finishPartial(out: usize, acc: v128, c: i32, outC: i32, multipliers: usize, shifts: usize, outputOffset: i32, actMin: i32, actMax: i32): void {
  requantStore(out, i32x4.extract_lane(acc, 0), c, multipliers, shifts, outputOffset, actMin, actMax);
  if (c + 1 < outC) requantStore(out, i32x4.extract_lane(acc, 1), c + 1, multipliers, shifts, outputOffset, actMin, actMax);
  if (c + 2 < outC) requantStore(out, i32x4.extract_lane(acc, 2), c + 2, multipliers, shifts, outputOffset, actMin, actMax);
}

export function conv_2d(p: usize): i32 {
  const inC = load<i32>(p, CONV_2D_IN_C);
  const input = load<usize>(p, CONV_2D_INPUT);
  const filter = load<usize>(p, CONV_2D_FILTER);
  const output = load<usize>(p, CONV_2D_OUTPUT);
  const multipliers = load<usize>(p, CONV_2D_MULTIPLIERS);
  const shifts = load<usize>(p, CONV_2D_SHIFTS);
  const foldedBias = load<usize>(p, CONV_2D_FOLDED_BIAS);
  const scratch = load<usize>(p, CONV_2D_SCRATCH);
  const requant = load<usize>(p, CONV_2D_REQUANT);
  const batches = load<i32>(p, CONV_2D_BATCHES);
  const inH = load<i32>(p, CONV_2D_IN_H);
  const inW = load<i32>(p, CONV_2D_IN_W);
  const outH = load<i32>(p, CONV_2D_OUT_H);
  const outW = load<i32>(p, CONV_2D_OUT_W);
  const outC = load<i32>(p, CONV_2D_OUT_C);
  const filterH = load<i32>(p, CONV_2D_FILTER_H);
  const filterW = load<i32>(p, CONV_2D_FILTER_W);
  const kPad = <usize>load<i32>(p, CONV_2D_K_PAD);
  const strideH = load<i32>(p, CONV_2D_STRIDE_H);
  const strideW = load<i32>(p, CONV_2D_STRIDE_W);
  const dilationH = load<i32>(p, CONV_2D_DILATION_H);
  const dilationW = load<i32>(p, CONV_2D_DILATION_W);
  const padH = load<i32>(p, CONV_2D_PAD_H);
  const padW = load<i32>(p, CONV_2D_PAD_W);
  const padValue = i8x16.splat(<i8>(-load<i32>(p, CONV_2D_INPUT_OFFSET)));
  const outputOffset = load<i32>(p, CONV_2D_OUTPUT_OFFSET);
  const actMin = load<i32>(p, CONV_2D_ACT_MIN);
  const actMax = load<i32>(p, CONV_2D_ACT_MAX);
  const pointwise = filterH == 1 && filterW == 1; // 1x1 filters never have padding
  const magic = offsetMagic(outputOffset);
  const actMin8 = i8x16.splat(<i8>actMin);
  const actMax8 = i8x16.splat(<i8>actMax);
  const fullBlocks = outC & ~3;

  const pixels = outH * outW;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW * inC);
    // Two output pixels per pass share every loaded weight vector; an odd last pixel is
    // computed twice and stored twice (same bytes).
    for (let n = 0; n < pixels; n += 2) {
      const n1 = n + 1 < pixels ? n + 1 : n;
      const oy0 = n / outW;
      const ox0 = n % outW;
      const oy1 = n1 / outW;
      const ox1 = n1 % outW;
      const patch0 = windowTaps(scratch, pointwise, image, inH, inW, inC, filterH, filterW, oy0 * strideH - padH, ox0 * strideW - padW, dilationH, dilationW, padValue, false, false);
      const patch1 = windowTaps(scratch + kPad, pointwise, image, inH, inW, inC, filterH, filterW, oy1 * strideH - padH, ox1 * strideW - padW, dilationH, dilationW, padValue, false, false);
      const out0 = output + <usize>((b * pixels + n) * outC);
      const out1 = output + <usize>((b * pixels + n1) * outC);
      for (let c = 0; c < outC; c += 4) {
        const r0 = filter + <usize>c * kPad;
        const r1 = r0 + kPad;
        const r2 = r1 + kPad;
        const r3 = r2 + kPad;
        let a0 = i32x4.splat(0);
        let a1 = i32x4.splat(0);
        let a2 = i32x4.splat(0);
        let a3 = i32x4.splat(0);
        let b0 = i32x4.splat(0);
        let b1 = i32x4.splat(0);
        let b2 = i32x4.splat(0);
        let b3 = i32x4.splat(0);
        for (let k: usize = 0; k < kPad; k += 8) {
          const x0 = v128.load8x8_s(patch0 + k);
          const x1 = v128.load8x8_s(patch1 + k);
          let w = v128.load8x8_s(r0 + k);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, w));
          b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x1, w));
          w = v128.load8x8_s(r1 + k);
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x0, w));
          b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x1, w));
          w = v128.load8x8_s(r2 + k);
          a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x0, w));
          b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x1, w));
          w = v128.load8x8_s(r3 + k);
          a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x0, w));
          b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x1, w));
        }
        const bias = v128.load(foldedBias + (<usize>c << 2));
        finishBlock(out0, out1, i32x4.add(hsum4(a0, a1, a2, a3), bias), i32x4.add(hsum4(b0, b1, b2, b3), bias), c, outC, fullBlocks,
          requant, multipliers, shifts, outputOffset, actMin, actMax, magic, actMin8, actMax8);
      }
    }
  }
  return 0;
}

/** The two tap pairs at `at` (bytes, or i16 with `wide`) as i16 in lanes 0-3. */
// @ts-ignore: decorator
@inline
function twoPairs(at: usize, wide: bool): v128 {
  return wide ? v128.load64_zero(at) : v128.load8x8_s(at);
}

/** Tap pair j (0 or 1) of x (taps as i16x8) in every i32 lane. */
// @ts-ignore: decorator
@inline
function pairOf(x: v128, j: i32): v128 {
  return j == 0 ? i32x4.shuffle(x, x, 0, 0, 0, 0) : i32x4.shuffle(x, x, 1, 1, 1, 1);
}

/** Requantizes channels c..c+7 of two pixels (a0, a1: channels c..c+3; b0, b1: c+4..c+7) and stores eight bytes each. */
// @ts-ignore: decorator
@inline
function finishPairs(out0: usize, out1: usize, a0: v128, b0: v128, a1: v128, b1: v128, table: usize,
  magic: v128, actMin8: v128, actMax8: v128): void {
  const q = requant16(a0, b0, a1, b1, table, magic, actMin8, actMax8);
  v128.store64_lane(out0, q, 0);
  v128.store64_lane(out1, q, 1);
}

/**
 * All output channels of four pixels whose taps start at p0..p3 (bytes, or i16 with `wide`),
 * eight channels per step of the loop over tap pairs.
 */
// @ts-ignore: decorator
@inline
function pairsPass(p0: usize, p1: usize, p2: usize, p3: usize, out0: usize, out1: usize, out2: usize, out3: usize,
  filter: usize, foldedBias: usize, requant: usize, outC: i32, kPad: usize, magic: v128, actMin8: v128, actMax8: v128, wide: bool,
  unrolled: bool, pointwise: bool): void {
  for (let c = 0; c < outC; c += 8) {
    const w = filter + <usize>c * kPad;
    const biasA = v128.load(foldedBias + (<usize>c << 2));
    const biasB = v128.load(foldedBias + (<usize>c << 2), 16);
    let a0 = biasA;
    let b0 = biasB;
    let a1 = biasA;
    let b1 = biasB;
    let a2 = biasA;
    let b2 = biasB;
    let a3 = biasA;
    let b3 = biasB;
    // Taps from k to kPad meet zero weights. The tap pointers are stepped (not p0 + k: V8
    // recomputed such addresses from their operands in the loop).
    const pairBytes: usize = wide ? 4 : 2;
    let x0 = p0;
    let x1 = p1;
    let x2 = p2;
    let x3 = p3;
    const wEnd = w + (kPad << 3);
    if (unrolled) {
      // Two tap pairs per step from one load per pixel, each pair moved to every lane by a
      // shuffle: Cranelift's code for this (it spills accumulators however the loop is written)
      // beats the broadcasting loop below, V8's does not. An 8-byte load of bytes reads up to 4
      // bytes past the pair it needs (at most kPad + 4 into a pixel or patch).
      for (let wk = w; wk < wEnd; wk += 32) {
        const v0 = twoPairs(x0, wide);
        const v1 = twoPairs(x1, wide);
        const v2 = twoPairs(x2, wide);
        const v3 = twoPairs(x3, wide);
        let wa = v128.load8x8_s(wk, 0);
        let wb = v128.load8x8_s(wk, 8);
        let x = pairOf(v0, 0);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, wa));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v1, 0);
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, wa));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v2, 0);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x, wa));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v3, 0);
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x, wa));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x, wb));
        wa = v128.load8x8_s(wk, 16);
        wb = v128.load8x8_s(wk, 24);
        x = pairOf(v0, 1);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, wa));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v1, 1);
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, wa));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v2, 1);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x, wa));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x, wb));
        x = pairOf(v3, 1);
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x, wa));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x, wb));
        x0 += pairBytes << 1;
        x1 += pairBytes << 1;
        x2 += pairBytes << 1;
        x3 += pairBytes << 1;
      }
    } else {
      // One tap pair per step (i16: the taps are always widened for this loop), broadcast to
      // every lane: V8 hoists every load of a step above its arithmetic, and this keeps its
      // eight accumulators in registers, where 8-byte loads and lane shuffles spilled three.
      for (let wk = w; wk < wEnd; wk += 16) {
        const wa = v128.load8x8_s(wk, 0);
        const wb = v128.load8x8_s(wk, 8);
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
        x0 += pairBytes;
        x1 += pairBytes;
        x2 += pairBytes;
        x3 += pairBytes;
      }
    }
    const table = requant + <usize>c * REQUANT_RECORD_BYTES;
    if (pointwise) {
      finishPairs(out0 + <usize>c, out1 + <usize>c, a0, b0, a1, b1, table, magic, actMin8, actMax8);
      finishPairs(out2 + <usize>c, out3 + <usize>c, a2, b2, a3, b3, table, magic, actMin8, actMax8);
      continue;
    }
    // Patches: pixels 0 and 1, then 2 and 3, through one copy of the requantization (module
    // size; long rows make its share small, unlike in 1x1 convolutions with few input channels).
    let outA = out0 + <usize>c;
    let outB = out1 + <usize>c;
    for (let half = 0; half < 2; half++) {
      finishPairs(outA, outB, a0, b0, a1, b1, table, magic, actMin8, actMax8);
      outA = out2 + <usize>c;
      outB = out3 + <usize>c;
      a0 = a2;
      b0 = b2;
      a1 = a3;
      b1 = b3;
    }
  }
}

/**
 * Channels in lanes (filter layout of host/abi/blocks.ts conv_2d_pairs): four output pixels x
 * eight channels per pass; each step broadcasts a tap pair of a pixel to all lanes and one
 * i32x4.dot_i16x8_s adds that pair's share to four channels, so no horizontal sums. The last
 * pixels of a ragged end are computed and stored again (same bytes). Taps are read widened to
 * i16 in scratch (im2col patches; on V8 also 1x1 pixels). Input offset folded as in conv_2d.
 */
export function conv_2d_pairs(p: usize): i32 {
  if (load<i32>(p, CONV_2D_FILTER_H) != 1 || load<i32>(p, CONV_2D_FILTER_W) != 1) pairsPatches(p);
  else if (load<usize>(p, CONV_2D_SCRATCH) != 0) pairsPointwise(p);
  else pairsPointwiseUnrolled(p); // no scratch to widen pixels in (host/ops/conv_2d.ts widenPixels)
  return 0;
}

/**
 * conv_2d_pairs with two tap pairs per loop step (see pairsPass): the same block, layout, arithmetic
 * and bytes out (the same scalar twin), for wasmtime (host/run/kernels.ts runtimeKernel).
 */
export function conv_2d_pairs_unrolled(p: usize): i32 {
  if (load<i32>(p, CONV_2D_FILTER_H) == 1 && load<i32>(p, CONV_2D_FILTER_W) == 1) pairsPointwiseUnrolled(p);
  else pairsPatchesUnrolled(p);
  return 0;
}

/** conv_2d_pairs for 1x1 filters (not inlined: a function per case keeps `pointwise` a constant in each). */
function pairsPointwise(p: usize): void {
  pairsKernel(p, true, false);
}

/** conv_2d_pairs for other filters. */
function pairsPatches(p: usize): void {
  pairsKernel(p, false, false);
}

function pairsPointwiseUnrolled(p: usize): void {
  pairsKernel(p, true, true);
}

function pairsPatchesUnrolled(p: usize): void {
  pairsKernel(p, false, true);
}

// @ts-ignore: decorator
@inline
function pairsKernel(p: usize, pointwise: bool, unrolled: bool): void {
  const input = load<usize>(p, CONV_2D_INPUT);
  const filter = load<usize>(p, CONV_2D_FILTER);
  const output = load<usize>(p, CONV_2D_OUTPUT);
  const foldedBias = load<usize>(p, CONV_2D_FOLDED_BIAS);
  const scratch = load<usize>(p, CONV_2D_SCRATCH);
  const requant = load<usize>(p, CONV_2D_REQUANT);
  const batches = load<i32>(p, CONV_2D_BATCHES);
  const inH = load<i32>(p, CONV_2D_IN_H);
  const inW = load<i32>(p, CONV_2D_IN_W);
  const inC = load<i32>(p, CONV_2D_IN_C);
  const outH = load<i32>(p, CONV_2D_OUT_H);
  const outW = load<i32>(p, CONV_2D_OUT_W);
  const outC = load<i32>(p, CONV_2D_OUT_C);
  const filterH = load<i32>(p, CONV_2D_FILTER_H);
  const filterW = load<i32>(p, CONV_2D_FILTER_W);
  const kPad = <usize>load<i32>(p, CONV_2D_K_PAD);
  const strideH = load<i32>(p, CONV_2D_STRIDE_H);
  const strideW = load<i32>(p, CONV_2D_STRIDE_W);
  const dilationH = load<i32>(p, CONV_2D_DILATION_H);
  const dilationW = load<i32>(p, CONV_2D_DILATION_W);
  const padH = load<i32>(p, CONV_2D_PAD_H);
  const padW = load<i32>(p, CONV_2D_PAD_W);
  const padValue = i16x8.splat(<i16>(-load<i32>(p, CONV_2D_INPUT_OFFSET)));
  const magic = offsetMagic(load<i32>(p, CONV_2D_OUTPUT_OFFSET));
  const actMin8 = i8x16.splat(<i8>load<i32>(p, CONV_2D_ACT_MIN));
  const actMax8 = i8x16.splat(<i8>load<i32>(p, CONV_2D_ACT_MAX));

  // Taps widened to i16 in scratch (patches as they are built, 1x1 pixels copied) for V8's
  // loop: one broadcast per tap pair instead of a broadcast and a sign extension, for every
  // eight output channels. The unrolled loop loads bytes as cheaply as i16.
  const wide = !pointwise || !unrolled;
  const pixels = outH * outW;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW * inC);
    const outImage = output + <usize>(b * pixels * outC);
    // Pixels n..n+3 at (y0, x0)..(y3, x3), row-major; past the last pixel, the last again.
    let y0 = 0;
    let x0 = 0;
    for (let n = 0; n < pixels; n += 4) {
      let y1 = y0;
      let x1 = x0 + 1;
      if (x1 == outW) { x1 = 0; y1++; }
      let y2 = y1;
      let x2 = x1 + 1;
      if (x2 == outW) { x2 = 0; y2++; }
      let y3 = y2;
      let x3 = x2 + 1;
      if (x3 == outW) { x3 = 0; y3++; }
      if (n + 1 >= pixels) { y1 = y0; x1 = x0; }
      if (n + 2 >= pixels) { y2 = y1; x2 = x1; }
      if (n + 3 >= pixels) { y3 = y2; x3 = x2; }
      const n0 = n;
      const n1 = min(n + 1, pixels - 1);
      const n2 = min(n + 2, pixels - 1);
      const n3 = min(n + 3, pixels - 1);
      const slot = kPad << 1;
      const p0 = windowTaps(scratch, pointwise, image, inH, inW, inC, filterH, filterW, y0 * strideH - padH, x0 * strideW - padW, dilationH, dilationW, padValue, wide, !unrolled);
      const p1 = windowTaps(scratch + slot, pointwise, image, inH, inW, inC, filterH, filterW, y1 * strideH - padH, x1 * strideW - padW, dilationH, dilationW, padValue, wide, !unrolled);
      const p2 = windowTaps(scratch + 2 * slot, pointwise, image, inH, inW, inC, filterH, filterW, y2 * strideH - padH, x2 * strideW - padW, dilationH, dilationW, padValue, wide, !unrolled);
      const p3 = windowTaps(scratch + 3 * slot, pointwise, image, inH, inW, inC, filterH, filterW, y3 * strideH - padH, x3 * strideW - padW, dilationH, dilationW, padValue, wide, !unrolled);
      y0 = y3;
      x0 = x3 + 1;
      if (x0 == outW) { x0 = 0; y0++; }
      const out0 = outImage + <usize>(n0 * outC);
      const out1 = outImage + <usize>(n1 * outC);
      const out2 = outImage + <usize>(n2 * outC);
      const out3 = outImage + <usize>(n3 * outC);
      pairsPass(p0, p1, p2, p3, out0, out1, out2, out3, filter, foldedBias, requant, outC, kPad, magic, actMin8, actMax8, wide, unrolled, pointwise);
    }
  }
}
