// Mirrors tflite::reference_integer_ops::TransposeConv (integer_ops/transpose_conv.h), int8.
// The same code serves both modules.
import { clamp, multiplyByQuantizedMultiplier } from '../quant';
import {
  TRANSPOSE_CONV_INPUT, TRANSPOSE_CONV_FILTER, TRANSPOSE_CONV_BIAS, TRANSPOSE_CONV_OUTPUT, TRANSPOSE_CONV_MULTIPLIERS,
  TRANSPOSE_CONV_SHIFTS, TRANSPOSE_CONV_SCRATCH, TRANSPOSE_CONV_BATCHES, TRANSPOSE_CONV_IN_H, TRANSPOSE_CONV_IN_W,
  TRANSPOSE_CONV_IN_C, TRANSPOSE_CONV_OUT_H, TRANSPOSE_CONV_OUT_W, TRANSPOSE_CONV_OUT_C, TRANSPOSE_CONV_FILTER_H,
  TRANSPOSE_CONV_FILTER_W, TRANSPOSE_CONV_STRIDE_H, TRANSPOSE_CONV_STRIDE_W, TRANSPOSE_CONV_PAD_H, TRANSPOSE_CONV_PAD_W,
  TRANSPOSE_CONV_INPUT_OFFSET, TRANSPOSE_CONV_OUTPUT_OFFSET, TRANSPOSE_CONV_ACT_MIN, TRANSPOSE_CONV_ACT_MAX,
} from '../params';

export function transpose_conv(p: usize): i32 {
  const input = load<usize>(p, TRANSPOSE_CONV_INPUT);
  const filter = load<usize>(p, TRANSPOSE_CONV_FILTER);
  const bias = load<usize>(p, TRANSPOSE_CONV_BIAS);
  const output = load<usize>(p, TRANSPOSE_CONV_OUTPUT);
  const multipliers = load<usize>(p, TRANSPOSE_CONV_MULTIPLIERS);
  const shifts = load<usize>(p, TRANSPOSE_CONV_SHIFTS);
  const scratch = load<usize>(p, TRANSPOSE_CONV_SCRATCH);
  const batches = load<i32>(p, TRANSPOSE_CONV_BATCHES);
  const inH = load<i32>(p, TRANSPOSE_CONV_IN_H);
  const inW = load<i32>(p, TRANSPOSE_CONV_IN_W);
  const inC = load<i32>(p, TRANSPOSE_CONV_IN_C);
  const outH = load<i32>(p, TRANSPOSE_CONV_OUT_H);
  const outW = load<i32>(p, TRANSPOSE_CONV_OUT_W);
  const outC = load<i32>(p, TRANSPOSE_CONV_OUT_C);
  const filterH = load<i32>(p, TRANSPOSE_CONV_FILTER_H);
  const filterW = load<i32>(p, TRANSPOSE_CONV_FILTER_W);
  const strideH = load<i32>(p, TRANSPOSE_CONV_STRIDE_H);
  const strideW = load<i32>(p, TRANSPOSE_CONV_STRIDE_W);
  const padH = load<i32>(p, TRANSPOSE_CONV_PAD_H);
  const padW = load<i32>(p, TRANSPOSE_CONV_PAD_W);
  const inputOffset = load<i32>(p, TRANSPOSE_CONV_INPUT_OFFSET);
  const outputOffset = load<i32>(p, TRANSPOSE_CONV_OUTPUT_OFFSET);
  const actMin = load<i32>(p, TRANSPOSE_CONV_ACT_MIN);
  const actMax = load<i32>(p, TRANSPOSE_CONV_ACT_MAX);
  const total = batches * outH * outW * outC;
  memory.fill(scratch, 0, <usize>total << 2);

  for (let b = 0; b < batches; b++) {
    for (let iy = 0; iy < inH; iy++) {
      for (let ix = 0; ix < inW; ix++) {
        for (let ic = 0; ic < inC; ic++) {
          const x = <i32>load<i8>(input + <usize>(((b * inH + iy) * inW + ix) * inC + ic)) + inputOffset;
          const oxOrigin = ix * strideW - padW;
          const oyOrigin = iy * strideH - padH;
          for (let fy = 0; fy < filterH; fy++) {
            const oy = oyOrigin + fy;
            if (oy < 0 || oy >= outH) continue;
            for (let fx = 0; fx < filterW; fx++) {
              const ox = oxOrigin + fx;
              if (ox < 0 || ox >= outW) continue;
              const acc = scratch + (<usize>(((b * outH + oy) * outW + ox) * outC) << 2);
              for (let oc = 0; oc < outC; oc++) {
                const w = <i32>load<i8>(filter + <usize>(((oc * filterH + fy) * filterW + fx) * inC + ic));
                const at = acc + (<usize>oc << 2);
                store<i32>(at, load<i32>(at) + x * w);
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < total; i++) {
    const oc = i % outC;
    let acc = load<i32>(scratch + (<usize>i << 2));
    if (bias) acc += load<i32>(bias + (<usize>oc << 2));
    acc = multiplyByQuantizedMultiplier(acc, load<i32>(multipliers + (<usize>oc << 2)), load<i32>(shifts + (<usize>oc << 2)));
    store<i8>(output + <usize>i, <i8>clamp(acc + outputOffset, actMin, actMax));
  }
  return 0;
}
