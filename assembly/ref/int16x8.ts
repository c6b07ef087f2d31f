// The 16x8 quantization mode (int16 activations, int8 weights), 1:1 with TFLite's reference loops:
// reference_integer_ops::FullyConnected(PerChannel) and ConvPerChannel instantiated for int16 data.
// The accumulator is int64 with an int64 bias (MultiplyByQuantizedMultiplier's int64 overload), or
// a wrapping int32 with an int32 bias (the int32 overload). Zero points are 0 throughout.
import { clamp, f64ToI32, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplier64, roundHalfAway } from '../quant';
import {
  FULLY_CONNECTED_16X8_INPUT, FULLY_CONNECTED_16X8_FILTER, FULLY_CONNECTED_16X8_BIAS, FULLY_CONNECTED_16X8_OUTPUT,
  FULLY_CONNECTED_16X8_MULTIPLIERS, FULLY_CONNECTED_16X8_SHIFTS, FULLY_CONNECTED_16X8_SCALES, FULLY_CONNECTED_16X8_BIAS_BYTES,
  FULLY_CONNECTED_16X8_BATCHES, FULLY_CONNECTED_16X8_ACCUM_DEPTH, FULLY_CONNECTED_16X8_OUT_DEPTH,
  FULLY_CONNECTED_16X8_ACT_MIN, FULLY_CONNECTED_16X8_ACT_MAX, FULLY_CONNECTED_16X8_REQUANT_MODE,
  CONV_2D_16X8_INPUT, CONV_2D_16X8_FILTER, CONV_2D_16X8_BIAS, CONV_2D_16X8_OUTPUT, CONV_2D_16X8_MULTIPLIERS, CONV_2D_16X8_SHIFTS,
  CONV_2D_16X8_BIAS_BYTES, CONV_2D_16X8_BATCHES, CONV_2D_16X8_IN_H, CONV_2D_16X8_IN_W, CONV_2D_16X8_IN_C,
  CONV_2D_16X8_OUT_H, CONV_2D_16X8_OUT_W, CONV_2D_16X8_OUT_C, CONV_2D_16X8_FILTER_H, CONV_2D_16X8_FILTER_W,
  CONV_2D_16X8_FILTER_IN_C, CONV_2D_16X8_STRIDE_H, CONV_2D_16X8_STRIDE_W, CONV_2D_16X8_DILATION_H,
  CONV_2D_16X8_DILATION_W, CONV_2D_16X8_PAD_H, CONV_2D_16X8_PAD_W, CONV_2D_16X8_ACT_MIN, CONV_2D_16X8_ACT_MAX,
} from '../params';

/** Accumulator plus bias, requantized by the overload TFLite picks from the bias type. */
// @ts-ignore: decorator
@inline
function requant16x8(acc: i64, bias: usize, biasBytes: i32, c: i32, multipliers: usize, shifts: usize): i32 {
  const m = load<i32>(multipliers + (<usize>c << 2));
  const s = load<i32>(shifts + (<usize>c << 2));
  if (biasBytes == 4) {
    const acc32 = <i32>acc + load<i32>(bias + (<usize>c << 2));
    return multiplyByQuantizedMultiplier(acc32, m, s);
  }
  return multiplyByQuantizedMultiplier64(bias ? acc + load<i64>(bias + (<usize>c << 3)) : acc, m, s);
}

export function fully_connected_16x8(p: usize): i32 {
  const input = load<usize>(p, FULLY_CONNECTED_16X8_INPUT);
  const filter = load<usize>(p, FULLY_CONNECTED_16X8_FILTER);
  const bias = load<usize>(p, FULLY_CONNECTED_16X8_BIAS);
  const output = load<usize>(p, FULLY_CONNECTED_16X8_OUTPUT);
  const multipliers = load<usize>(p, FULLY_CONNECTED_16X8_MULTIPLIERS);
  const shifts = load<usize>(p, FULLY_CONNECTED_16X8_SHIFTS);
  const scales = load<usize>(p, FULLY_CONNECTED_16X8_SCALES);
  const biasBytes = bias ? load<i32>(p, FULLY_CONNECTED_16X8_BIAS_BYTES) : 8;
  const batches = load<i32>(p, FULLY_CONNECTED_16X8_BATCHES);
  const accumDepth = load<i32>(p, FULLY_CONNECTED_16X8_ACCUM_DEPTH);
  const outDepth = load<i32>(p, FULLY_CONNECTED_16X8_OUT_DEPTH);
  const actMin = load<i32>(p, FULLY_CONNECTED_16X8_ACT_MIN);
  const actMax = load<i32>(p, FULLY_CONNECTED_16X8_ACT_MAX);
  const requantInDouble = load<i32>(p, FULLY_CONNECTED_16X8_REQUANT_MODE) == 1;
  for (let b = 0; b < batches; b++) {
    const inRow = input + (<usize>(b * accumDepth) << 1);
    for (let oc = 0; oc < outDepth; oc++) {
      const fRow = filter + <usize>(oc * accumDepth);
      let acc: i64 = 0;
      for (let d = 0; d < accumDepth; d++) {
        acc += <i64>(<i32>load<i8>(fRow + <usize>d) * <i32>load<i16>(inRow + (<usize>d << 1)));
      }
      let scaled: i32;
      if (requantInDouble) {
        const total = biasBytes == 4
          ? <f64>(<i32>acc + load<i32>(bias + (<usize>oc << 2)))
          : <f64>(bias ? acc + load<i64>(bias + (<usize>oc << 3)) : acc);
        scaled = f64ToI32(roundHalfAway(total * load<f64>(scales + (<usize>oc << 3))));
      } else {
        scaled = requant16x8(acc, bias, biasBytes, oc, multipliers, shifts);
      }
      store<i16>(output + (<usize>(b * outDepth + oc) << 1), <i16>clamp(scaled, actMin, actMax));
    }
  }
  return 0;
}

export function conv_2d_16x8(p: usize): i32 {
  const input = load<usize>(p, CONV_2D_16X8_INPUT);
  const filter = load<usize>(p, CONV_2D_16X8_FILTER);
  const bias = load<usize>(p, CONV_2D_16X8_BIAS);
  const output = load<usize>(p, CONV_2D_16X8_OUTPUT);
  const multipliers = load<usize>(p, CONV_2D_16X8_MULTIPLIERS);
  const shifts = load<usize>(p, CONV_2D_16X8_SHIFTS);
  const biasBytes = bias ? load<i32>(p, CONV_2D_16X8_BIAS_BYTES) : 8;
  const batches = load<i32>(p, CONV_2D_16X8_BATCHES);
  const inH = load<i32>(p, CONV_2D_16X8_IN_H);
  const inW = load<i32>(p, CONV_2D_16X8_IN_W);
  const inC = load<i32>(p, CONV_2D_16X8_IN_C);
  const outH = load<i32>(p, CONV_2D_16X8_OUT_H);
  const outW = load<i32>(p, CONV_2D_16X8_OUT_W);
  const outC = load<i32>(p, CONV_2D_16X8_OUT_C);
  const filterH = load<i32>(p, CONV_2D_16X8_FILTER_H);
  const filterW = load<i32>(p, CONV_2D_16X8_FILTER_W);
  const filterInC = load<i32>(p, CONV_2D_16X8_FILTER_IN_C);
  const strideH = load<i32>(p, CONV_2D_16X8_STRIDE_H);
  const strideW = load<i32>(p, CONV_2D_16X8_STRIDE_W);
  const dilationH = load<i32>(p, CONV_2D_16X8_DILATION_H);
  const dilationW = load<i32>(p, CONV_2D_16X8_DILATION_W);
  const padH = load<i32>(p, CONV_2D_16X8_PAD_H);
  const padW = load<i32>(p, CONV_2D_16X8_PAD_W);
  const actMin = load<i32>(p, CONV_2D_16X8_ACT_MIN);
  const actMax = load<i32>(p, CONV_2D_16X8_ACT_MAX);
  const filtersPerGroup = outC / (inC / filterInC);
  let o = output;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const inY0 = oy * strideH - padH;
      for (let ox = 0; ox < outW; ox++) {
        const inX0 = ox * strideW - padW;
        for (let oc = 0; oc < outC; oc++) {
          const channel0 = (oc / filtersPerGroup) * filterInC;
          let acc: i64 = 0;
          for (let fy = 0; fy < filterH; fy++) {
            const iy = inY0 + dilationH * fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < filterW; fx++) {
              const ix = inX0 + dilationW * fx;
              if (ix < 0 || ix >= inW) continue;
              const pixel = input + (<usize>(((b * inH + iy) * inW + ix) * inC + channel0) << 1);
              const taps = filter + <usize>(((oc * filterH + fy) * filterW + fx) * filterInC);
              for (let ic = 0; ic < filterInC; ic++) {
                acc += <i64>(<i32>load<i8>(taps + <usize>ic) * <i32>load<i16>(pixel + (<usize>ic << 1)));
              }
            }
          }
          store<i16>(o, <i16>clamp(requant16x8(acc, bias, biasBytes, oc, multipliers, shifts), actMin, actMax));
          o += 2;
        }
      }
    }
  }
  return 0;
}
