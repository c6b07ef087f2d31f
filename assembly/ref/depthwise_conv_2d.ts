// Mirrors tflite::reference_integer_ops::DepthwiseConvPerChannel (integer_ops/depthwise_conv.h).
// The filter is in the pair-interleaved layout of host/abi/blocks.ts; the loop is TFLite's.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  DEPTHWISE_CONV_2D_INPUT, DEPTHWISE_CONV_2D_FILTER, DEPTHWISE_CONV_2D_BIAS, DEPTHWISE_CONV_2D_OUTPUT,
  DEPTHWISE_CONV_2D_MULTIPLIERS, DEPTHWISE_CONV_2D_SHIFTS, DEPTHWISE_CONV_2D_CHANNELS_PAD, DEPTHWISE_CONV_2D_BATCHES,
  DEPTHWISE_CONV_2D_IN_H, DEPTHWISE_CONV_2D_IN_W, DEPTHWISE_CONV_2D_IN_C,
  DEPTHWISE_CONV_2D_OUT_H, DEPTHWISE_CONV_2D_OUT_W, DEPTHWISE_CONV_2D_OUT_C,
  DEPTHWISE_CONV_2D_FILTER_H, DEPTHWISE_CONV_2D_FILTER_W, DEPTHWISE_CONV_2D_DEPTH_MULTIPLIER,
  DEPTHWISE_CONV_2D_STRIDE_H, DEPTHWISE_CONV_2D_STRIDE_W, DEPTHWISE_CONV_2D_DILATION_H,
  DEPTHWISE_CONV_2D_DILATION_W, DEPTHWISE_CONV_2D_PAD_H, DEPTHWISE_CONV_2D_PAD_W,
  DEPTHWISE_CONV_2D_INPUT_OFFSET, DEPTHWISE_CONV_2D_OUTPUT_OFFSET,
  DEPTHWISE_CONV_2D_ACT_MIN, DEPTHWISE_CONV_2D_ACT_MAX,
} from '../params';

export function depthwise_conv_2d_ref(p: usize): i32 {
  const input = load<usize>(p, DEPTHWISE_CONV_2D_INPUT);
  const filter = load<usize>(p, DEPTHWISE_CONV_2D_FILTER);
  const bias = load<usize>(p, DEPTHWISE_CONV_2D_BIAS);
  const output = load<usize>(p, DEPTHWISE_CONV_2D_OUTPUT);
  const multipliers = load<usize>(p, DEPTHWISE_CONV_2D_MULTIPLIERS);
  const shifts = load<usize>(p, DEPTHWISE_CONV_2D_SHIFTS);
  const channelsPad = load<i32>(p, DEPTHWISE_CONV_2D_CHANNELS_PAD);
  const batches = load<i32>(p, DEPTHWISE_CONV_2D_BATCHES);
  const inH = load<i32>(p, DEPTHWISE_CONV_2D_IN_H);
  const inW = load<i32>(p, DEPTHWISE_CONV_2D_IN_W);
  const inC = load<i32>(p, DEPTHWISE_CONV_2D_IN_C);
  const outH = load<i32>(p, DEPTHWISE_CONV_2D_OUT_H);
  const outW = load<i32>(p, DEPTHWISE_CONV_2D_OUT_W);
  const outC = load<i32>(p, DEPTHWISE_CONV_2D_OUT_C);
  const filterH = load<i32>(p, DEPTHWISE_CONV_2D_FILTER_H);
  const filterW = load<i32>(p, DEPTHWISE_CONV_2D_FILTER_W);
  const depthMultiplier = load<i32>(p, DEPTHWISE_CONV_2D_DEPTH_MULTIPLIER);
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
  if (outC != inC * depthMultiplier) return 1;

  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const inYOrigin = oy * strideH - padH;
      for (let ox = 0; ox < outW; ox++) {
        const inXOrigin = ox * strideW - padW;
        for (let ic = 0; ic < inC; ic++) {
          for (let m = 0; m < depthMultiplier; m++) {
            const oc = m + ic * depthMultiplier;
            let acc: i32 = 0;
            for (let fy = 0; fy < filterH; fy++) {
              const inY = inYOrigin + dilationH * fy;
              if (inY < 0 || inY >= inH) continue;
              for (let fx = 0; fx < filterW; fx++) {
                const inX = inXOrigin + dilationW * fx;
                if (inX < 0 || inX >= inW) continue;
                const iv = <i32>load<i8>(input + <usize>(((b * inH + inY) * inW + inX) * inC + ic));
                const t = fy * filterW + fx;
                const fv = <i32>load<i8>(filter + <usize>(((t >> 1) * channelsPad + oc) * 2 + (t & 1)));
                acc += fv * (iv + inputOffset);
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
  }
  return 0;
}
