// Mirrors tflite::reference_integer_ops::ConvPerChannel (integer_ops/conv.h), int8 in/out, int32 bias.
// The filter is in conv_2d's packed rows (stride kPad), conv_2d_pairs' pair-interleaved layout or
// conv_2d_winograd's transformed one (host/abi/blocks.ts); the loop is TFLite's.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  CONV_2D_INPUT, CONV_2D_FILTER, CONV_2D_BIAS, CONV_2D_OUTPUT, CONV_2D_MULTIPLIERS, CONV_2D_SHIFTS,
  CONV_2D_BATCHES, CONV_2D_IN_H, CONV_2D_IN_W, CONV_2D_IN_C, CONV_2D_OUT_H, CONV_2D_OUT_W, CONV_2D_OUT_C,
  CONV_2D_FILTER_H, CONV_2D_FILTER_W, CONV_2D_FILTER_IN_C, CONV_2D_K_PAD, CONV_2D_STRIDE_H, CONV_2D_STRIDE_W,
  CONV_2D_DILATION_H, CONV_2D_DILATION_W, CONV_2D_PAD_H, CONV_2D_PAD_W,
  CONV_2D_INPUT_OFFSET, CONV_2D_OUTPUT_OFFSET, CONV_2D_ACT_MIN, CONV_2D_ACT_MAX,
} from '../params';

const ROWS = 0;
const PAIRS = 1;
const WINOGRAD = 2;

export function conv_2d_ref(p: usize): i32 {
  return conv(p, ROWS);
}

export function conv_2d_pairs_ref(p: usize): i32 {
  return conv(p, PAIRS);
}

export function conv_2d_winograd_ref(p: usize): i32 {
  return conv(p, WINOGRAD);
}

/** filter[oc][fy][fx][ic] (k = (fy * filterW + fx) * inC + ic, inC = filterInC) in `layout`. */
// @ts-ignore: decorator
@inline
function filterTap(filter: usize, oc: i32, k: i32, fy: i32, fx: i32, ic: i32, inC: i32, kPad: i32, layout: i32): i32 {
  if (layout == ROWS) return load<i8>(filter + <usize>(oc * kPad + k));
  if (layout == PAIRS) return load<i8>(filter + <usize>(((oc >> 3) * (kPad >> 1) + (k >> 1)) * 16 + (oc & 7) * 2 + (k & 1)));
  return winogradTap(filter, oc, fy, fx, ic, inC);
}

/**
 * g[fy][fx] of filter (oc, ic) from its U = H g H^T (conv_2d_winograd): L H = 2I for
 * L = [1 0 0 0; 0 1 -1 0; 0 0 0 1], so g = L U L^T / 4.
 */
function winogradTap(filter: usize, oc: i32, fy: i32, fx: i32, ic: i32, inC: i32): i32 {
  const record = filter + <usize>((((oc >> 3) * 16) * (inC >> 1) + (ic >> 1)) * 32 + (oc & 7) * 4 + (ic & 1) * 2);
  const positionBytes = <usize>(inC >> 1) * 32;
  let sum = 0;
  for (let a = 0; a < 4; a++) {
    const la = lCoefficient(fy, a);
    if (la == 0) continue;
    for (let b = 0; b < 4; b++) {
      const lb = lCoefficient(fx, b);
      if (lb != 0) sum += la * lb * <i32>load<i16>(record + <usize>(a * 4 + b) * positionBytes);
    }
  }
  return sum >> 2;
}

/** L[i][a] of winogradTap. */
function lCoefficient(i: i32, a: i32): i32 {
  if (i == 0) return a == 0 ? 1 : 0;
  if (i == 1) return a == 1 ? 1 : a == 2 ? -1 : 0;
  return a == 3 ? 1 : 0;
}

// @ts-ignore: decorator
@inline
function conv(p: usize, layout: i32): i32 {
  const input = load<usize>(p, CONV_2D_INPUT);
  const filter = load<usize>(p, CONV_2D_FILTER);
  const bias = load<usize>(p, CONV_2D_BIAS);
  const output = load<usize>(p, CONV_2D_OUTPUT);
  const multipliers = load<usize>(p, CONV_2D_MULTIPLIERS);
  const shifts = load<usize>(p, CONV_2D_SHIFTS);
  const batches = load<i32>(p, CONV_2D_BATCHES);
  const inH = load<i32>(p, CONV_2D_IN_H);
  const inW = load<i32>(p, CONV_2D_IN_W);
  const inC = load<i32>(p, CONV_2D_IN_C);
  const outH = load<i32>(p, CONV_2D_OUT_H);
  const outW = load<i32>(p, CONV_2D_OUT_W);
  const outC = load<i32>(p, CONV_2D_OUT_C);
  const filterH = load<i32>(p, CONV_2D_FILTER_H);
  const filterW = load<i32>(p, CONV_2D_FILTER_W);
  const filterInC = load<i32>(p, CONV_2D_FILTER_IN_C);
  const kPad = load<i32>(p, CONV_2D_K_PAD);
  const strideH = load<i32>(p, CONV_2D_STRIDE_H);
  const strideW = load<i32>(p, CONV_2D_STRIDE_W);
  const dilationH = load<i32>(p, CONV_2D_DILATION_H);
  const dilationW = load<i32>(p, CONV_2D_DILATION_W);
  const padH = load<i32>(p, CONV_2D_PAD_H);
  const padW = load<i32>(p, CONV_2D_PAD_W);
  const inputOffset = load<i32>(p, CONV_2D_INPUT_OFFSET);
  const outputOffset = load<i32>(p, CONV_2D_OUTPUT_OFFSET);
  const actMin = load<i32>(p, CONV_2D_ACT_MIN);
  const actMax = load<i32>(p, CONV_2D_ACT_MAX);
  if (filterInC <= 0 || inC % filterInC != 0) return 1;
  const groups = inC / filterInC;
  if (outC % groups != 0) return 1;
  const filtersPerGroup = outC / groups;

  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const inYOrigin = oy * strideH - padH;
      for (let ox = 0; ox < outW; ox++) {
        const inXOrigin = ox * strideW - padW;
        for (let oc = 0; oc < outC; oc++) {
          const group = oc / filtersPerGroup;
          let acc: i32 = 0;
          for (let fy = 0; fy < filterH; fy++) {
            const inY = inYOrigin + dilationH * fy;
            if (inY < 0 || inY >= inH) continue;
            for (let fx = 0; fx < filterW; fx++) {
              const inX = inXOrigin + dilationW * fx;
              if (inX < 0 || inX >= inW) continue;
              const inBase = input + <usize>(((b * inH + inY) * inW + inX) * inC + group * filterInC);
              const k0 = (fy * filterW + fx) * filterInC;
              for (let ic = 0; ic < filterInC; ic++) {
                const iv = <i32>load<i8>(inBase + <usize>ic);
                const fv = filterTap(filter, oc, k0 + ic, fy, fx, ic, filterInC, kPad, layout);
                acc += fv * (iv + inputOffset);
              }
            }
          }
          if (bias) acc += load<i32>(bias + (<usize>oc << 2));
          acc = multiplyByQuantizedMultiplier(acc, load<i32>(multipliers + (<usize>oc << 2)), load<i32>(shifts + (<usize>oc << 2)));
          acc += outputOffset;
          store<i8>(output + <usize>(((b * outH + oy) * outW + ox) * outC + oc), <i8>clamp(acc, actMin, actMax));
        }
      }
    }
  }
  return 0;
}
