// SIMD twins of ../ref/pooling.ts: sixteen channels per step over the window's valid taps.
// Max: i8x16.max_s. Average: i32 lane sums, then TFLite's rounding division
// (acc + count/2) / count (acc > 0) or (acc - count/2) / count, truncating: done in f64,
// which is exact here (|numerator| < 2^24, and a non-integer quotient is at least 1/count
// away from an integer, far more than f64's rounding error).
import { average_pool_2d as averagePoolRef, max_pool_2d as maxPoolRef } from '../ref/pooling';
import {
  AVERAGE_POOL_2D_INPUT, AVERAGE_POOL_2D_OUTPUT, AVERAGE_POOL_2D_BATCHES, AVERAGE_POOL_2D_IN_H,
  AVERAGE_POOL_2D_IN_W, AVERAGE_POOL_2D_CHANNELS, AVERAGE_POOL_2D_OUT_H, AVERAGE_POOL_2D_OUT_W,
  AVERAGE_POOL_2D_FILTER_H, AVERAGE_POOL_2D_FILTER_W, AVERAGE_POOL_2D_STRIDE_H, AVERAGE_POOL_2D_STRIDE_W,
  AVERAGE_POOL_2D_PAD_H, AVERAGE_POOL_2D_PAD_W, AVERAGE_POOL_2D_ACT_MIN, AVERAGE_POOL_2D_ACT_MAX,
} from '../params';

const AVG: i32 = 0;
const MAX: i32 = 1;

/** TFLite's rounding average of four i32 sums over `count` taps, as i32 lanes. */
// @ts-ignore: decorator
@inline
function average4(sum: v128, count: f64): v128 {
  const half = i32x4.splat(<i32>count >> 1);
  const negative = i32x4.lt_s(sum, i32x4.splat(1)); // acc <= 0 takes (acc - half)
  const numerator = v128.bitselect(i32x4.sub(sum, half), i32x4.add(sum, half), negative);
  const d = f64x2.splat(count);
  const lo = f64x2.trunc(f64x2.div(f64x2.convert_low_i32x4_s(numerator), d));
  const hi = f64x2.trunc(f64x2.div(f64x2.convert_low_i32x4_s(i32x4.shuffle(numerator, numerator, 2, 3, 2, 3)), d));
  return i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5);
}

// @ts-ignore: decorator
@inline
function pool(p: usize, kind: i32): i32 {
  const input = load<usize>(p, AVERAGE_POOL_2D_INPUT);
  const output = load<usize>(p, AVERAGE_POOL_2D_OUTPUT);
  const batches = load<i32>(p, AVERAGE_POOL_2D_BATCHES);
  const inH = load<i32>(p, AVERAGE_POOL_2D_IN_H);
  const inW = load<i32>(p, AVERAGE_POOL_2D_IN_W);
  const channels = load<i32>(p, AVERAGE_POOL_2D_CHANNELS);
  const outH = load<i32>(p, AVERAGE_POOL_2D_OUT_H);
  const outW = load<i32>(p, AVERAGE_POOL_2D_OUT_W);
  const filterH = load<i32>(p, AVERAGE_POOL_2D_FILTER_H);
  const filterW = load<i32>(p, AVERAGE_POOL_2D_FILTER_W);
  const strideH = load<i32>(p, AVERAGE_POOL_2D_STRIDE_H);
  const strideW = load<i32>(p, AVERAGE_POOL_2D_STRIDE_W);
  const padH = load<i32>(p, AVERAGE_POOL_2D_PAD_H);
  const padW = load<i32>(p, AVERAGE_POOL_2D_PAD_W);
  const actMin = i8x16.splat(<i8>load<i32>(p, AVERAGE_POOL_2D_ACT_MIN));
  const actMax = i8x16.splat(<i8>load<i32>(p, AVERAGE_POOL_2D_ACT_MAX));
  if (channels < 16 || filterH * filterW > 65536) return kind == AVG ? averagePoolRef(p) : maxPoolRef(p);
  const pixelBytes = <usize>channels;

  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * strideH - padH;
      const fyStart = max(0, -y0);
      const fyEnd = min(filterH, inH - y0);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * strideW - padW;
        const fxStart = max(0, -x0);
        const fxEnd = min(filterW, inW - x0);
        const count = (fyEnd - fyStart) * (fxEnd - fxStart);
        if (count <= 0) return 1; // TFLite's AveragePool fails on an empty window
        const out = output + <usize>(((b * outH + oy) * outW + ox) * channels);
        // Sixteen channels per step; the last step is moved back to end at the last channel
        // (recomputing a few channels, same bytes).
        for (let c0 = 0; c0 < channels; c0 += 16) {
          const c = <usize>min(c0, channels - 16);
          let mx = i8x16.splat(-128);
          let s0 = i32x4.splat(0);
          let s1 = i32x4.splat(0);
          let s2 = i32x4.splat(0);
          let s3 = i32x4.splat(0);
          for (let fy = fyStart; fy < fyEnd; fy++) {
            const row = input + <usize>((b * inH + y0 + fy) * inW + x0) * pixelBytes + c;
            for (let fx = fxStart; fx < fxEnd; fx++) {
              const v = v128.load(row + <usize>fx * pixelBytes);
              if (kind == MAX) {
                mx = i8x16.max_s(mx, v);
              } else {
                const lo = i16x8.extend_low_i8x16_s(v);
                const hi = i16x8.extend_high_i8x16_s(v);
                s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(lo));
                s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(lo));
                s2 = i32x4.add(s2, i32x4.extend_low_i16x8_s(hi));
                s3 = i32x4.add(s3, i32x4.extend_high_i16x8_s(hi));
              }
            }
          }
          if (kind == AVG) {
            const n = <f64>count;
            mx = i8x16.narrow_i16x8_s(
              i16x8.narrow_i32x4_s(average4(s0, n), average4(s1, n)),
              i16x8.narrow_i32x4_s(average4(s2, n), average4(s3, n)));
          }
          v128.store(out + c, i8x16.min_s(i8x16.max_s(mx, actMin), actMax));
        }
      }
    }
  }
  return 0;
}

export function average_pool_2d(p: usize): i32 {
  return pool(p, AVG);
}

export function max_pool_2d(p: usize): i32 {
  return pool(p, MAX);
}
