// Mirrors tflite::reference_integer_ops::AveragePool and MaxPool (integer_ops/pooling.h), int8 NHWC.
import { clamp } from '../quant';
import {
  AVERAGE_POOL_2D_INPUT, AVERAGE_POOL_2D_OUTPUT, AVERAGE_POOL_2D_BATCHES, AVERAGE_POOL_2D_IN_H,
  AVERAGE_POOL_2D_IN_W, AVERAGE_POOL_2D_CHANNELS, AVERAGE_POOL_2D_OUT_H, AVERAGE_POOL_2D_OUT_W,
  AVERAGE_POOL_2D_FILTER_H, AVERAGE_POOL_2D_FILTER_W, AVERAGE_POOL_2D_STRIDE_H, AVERAGE_POOL_2D_STRIDE_W,
  AVERAGE_POOL_2D_PAD_H, AVERAGE_POOL_2D_PAD_W, AVERAGE_POOL_2D_ACT_MIN, AVERAGE_POOL_2D_ACT_MAX,
} from '../params';

// average_pool_2d and max_pool_2d share one block layout (host/abi/blocks.ts), so the
// AVERAGE_POOL_2D_* offsets serve both.
const AVG: i32 = 0;
const MAX: i32 = 1;

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
  const actMin = load<i32>(p, AVERAGE_POOL_2D_ACT_MIN);
  const actMax = load<i32>(p, AVERAGE_POOL_2D_ACT_MAX);

  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const inYOrigin = oy * strideH - padH;
      const fyStart = max(0, -inYOrigin);
      const fyEnd = min(filterH, inH - inYOrigin);
      for (let ox = 0; ox < outW; ox++) {
        const inXOrigin = ox * strideW - padW;
        const fxStart = max(0, -inXOrigin);
        const fxEnd = min(filterW, inW - inXOrigin);
        for (let c = 0; c < channels; c++) {
          let acc: i32 = kind == AVG ? 0 : -128;
          let count: i32 = 0;
          for (let fy = fyStart; fy < fyEnd; fy++) {
            for (let fx = fxStart; fx < fxEnd; fx++) {
              const v = <i32>load<i8>(input + <usize>(((b * inH + inYOrigin + fy) * inW + inXOrigin + fx) * channels + c));
              if (kind == AVG) acc += v;
              else if (v > acc) acc = v;
              count++;
            }
          }
          if (kind == AVG) {
            if (count == 0) return 1; // TFLite's AveragePool reports failure for an empty window.
            const half = count / 2;
            acc = acc > 0 ? (acc + half) / count : (acc - half) / count;
          }
          store<i8>(output + <usize>(((b * outH + oy) * outW + ox) * channels + c), <i8>clamp(acc, actMin, actMax));
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
