// SIMD twin of ../ref/depthwise_conv_2d.ts for depth multiplier 1 (others use the twin):
// eight channels per step, (x + inputOffset) and w widened to i16 (|product| <= 255*128 fits),
// i32x4.extmul into two i32x4 accumulators; only taps inside the image are visited, exactly
// the reference's skip. Requantization is vectorized (simd.ts requant4); the channel tail is scalar.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import { depthwise_conv_2d_ref } from '../ref/depthwise_conv_2d';
import { narrowClamp4, requant4 } from '../simd';
import {
  DEPTHWISE_CONV_2D_INPUT, DEPTHWISE_CONV_2D_FILTER, DEPTHWISE_CONV_2D_BIAS, DEPTHWISE_CONV_2D_OUTPUT,
  DEPTHWISE_CONV_2D_MULTIPLIERS, DEPTHWISE_CONV_2D_SHIFTS, DEPTHWISE_CONV_2D_REQUANT, DEPTHWISE_CONV_2D_BATCHES,
  DEPTHWISE_CONV_2D_IN_H, DEPTHWISE_CONV_2D_IN_W, DEPTHWISE_CONV_2D_IN_C,
  DEPTHWISE_CONV_2D_OUT_H, DEPTHWISE_CONV_2D_OUT_W,
  DEPTHWISE_CONV_2D_FILTER_H, DEPTHWISE_CONV_2D_FILTER_W, DEPTHWISE_CONV_2D_DEPTH_MULTIPLIER,
  DEPTHWISE_CONV_2D_STRIDE_H, DEPTHWISE_CONV_2D_STRIDE_W, DEPTHWISE_CONV_2D_DILATION_H,
  DEPTHWISE_CONV_2D_DILATION_W, DEPTHWISE_CONV_2D_PAD_H, DEPTHWISE_CONV_2D_PAD_W,
  DEPTHWISE_CONV_2D_INPUT_OFFSET, DEPTHWISE_CONV_2D_OUTPUT_OFFSET,
  DEPTHWISE_CONV_2D_ACT_MIN, DEPTHWISE_CONV_2D_ACT_MAX,
} from '../params';

// @ts-ignore: decorator
@inline
function finish(out: usize, acc: i32, c: i32, bias: usize, multipliers: usize, shifts: usize, outputOffset: i32, actMin: i32, actMax: i32): void {
  const o = <usize>c << 2;
  if (bias) acc += load<i32>(bias + o);
  const v = multiplyByQuantizedMultiplier(acc, load<i32>(multipliers + o), load<i32>(shifts + o)) + outputOffset;
  store<i8>(out + <usize>c, <i8>clamp(v, actMin, actMax));
}

export function depthwise_conv_2d(p: usize): i32 {
  if (load<i32>(p, DEPTHWISE_CONV_2D_DEPTH_MULTIPLIER) != 1) return depthwise_conv_2d_ref(p);
  const input = load<usize>(p, DEPTHWISE_CONV_2D_INPUT);
  const filter = load<usize>(p, DEPTHWISE_CONV_2D_FILTER);
  const bias = load<usize>(p, DEPTHWISE_CONV_2D_BIAS);
  const output = load<usize>(p, DEPTHWISE_CONV_2D_OUTPUT);
  const multipliers = load<usize>(p, DEPTHWISE_CONV_2D_MULTIPLIERS);
  const shifts = load<usize>(p, DEPTHWISE_CONV_2D_SHIFTS);
  const requant = load<usize>(p, DEPTHWISE_CONV_2D_REQUANT);
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
  const outputOffset = load<i32>(p, DEPTHWISE_CONV_2D_OUTPUT_OFFSET);
  const actMin = load<i32>(p, DEPTHWISE_CONV_2D_ACT_MIN);
  const actMax = load<i32>(p, DEPTHWISE_CONV_2D_ACT_MAX);
  const offset = i16x8.splat(<i16>inputOffset);
  const outOffsetV = i32x4.splat(outputOffset);
  const actMinV = i32x4.splat(actMin);
  const actMaxV = i32x4.splat(actMax);
  const vecChannels = channels & ~7;
  const rowBytes = <usize>channels;

  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW * channels);
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * strideH - padH;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * strideW - padW;
        const out = output + <usize>(((b * outH + oy) * outW + ox) * channels);
        for (let c = 0; c < vecChannels; c += 8) {
          let lo = i32x4.splat(0);
          let hi = i32x4.splat(0);
          for (let fy = 0; fy < filterH; fy++) {
            const y = y0 + fy * dilationH;
            if (y < 0 || y >= inH) continue;
            for (let fx = 0; fx < filterW; fx++) {
              const x = x0 + fx * dilationW;
              if (x < 0 || x >= inW) continue;
              const xi = i16x8.add(v128.load8x8_s(image + <usize>(y * inW + x) * rowBytes + <usize>c), offset);
              const wi = v128.load8x8_s(filter + <usize>(fy * filterW + fx) * rowBytes + <usize>c);
              lo = i32x4.add(lo, i32x4.extmul_low_i16x8_s(xi, wi));
              hi = i32x4.add(hi, i32x4.extmul_high_i16x8_s(xi, wi));
            }
          }
          if (bias) {
            lo = i32x4.add(lo, v128.load(bias + (<usize>c << 2)));
            hi = i32x4.add(hi, v128.load(bias + (<usize>c << 2), 16));
          }
          const table = requant + (<usize>c >> 2) * 48;
          const qlo = narrowClamp4(requant4(lo, table), outOffsetV, actMinV, actMaxV);
          const qhi = narrowClamp4(requant4(hi, table + 48), outOffsetV, actMinV, actMaxV);
          v128.store32_lane(out + <usize>c, qlo, 0);
          v128.store32_lane(out + <usize>c + 4, qhi, 0);
        }
        for (let c = vecChannels; c < channels; c++) {
          let acc: i32 = 0;
          for (let fy = 0; fy < filterH; fy++) {
            const y = y0 + fy * dilationH;
            if (y < 0 || y >= inH) continue;
            for (let fx = 0; fx < filterW; fx++) {
              const x = x0 + fx * dilationW;
              if (x < 0 || x >= inW) continue;
              const xv = <i32>load<i8>(image + <usize>(y * inW + x) * rowBytes + <usize>c);
              acc += <i32>load<i8>(filter + <usize>(fy * filterW + fx) * rowBytes + <usize>c) * (xv + inputOffset);
            }
          }
          finish(out, acc, c, bias, multipliers, shifts, outputOffset, actMin, actMax);
        }
      }
    }
  }
  return 0;
}
