// Predictive maintenance: one feature vector normalized, quantized and pushed into the model's
// input context (edgerun.pm metadata; layout and contract: host/abi/blocks.ts pm_quantize).
//
// Numeric contract: bit-identical to the host path (host/pm/scorer.ts), which computes in JS
// doubles v = (f - mean[i]) / std[i] / scale, q = Math.sign(v) * Math.round(Math.abs(v)) + zp,
// clamped, stored through an Int8Array. Here the same f64 operations run in the same order
// (wasm has no fused multiply-add), Math.round(a >= 0) is floor(a) + (a - floor(a) >= 0.5) (the
// difference is exact), and NaN stores 0 as an Int8Array does.
import {
  PM_QUANTIZE_FEATURES, PM_QUANTIZE_MEAN, PM_QUANTIZE_STD, PM_QUANTIZE_SCALE, PM_QUANTIZE_HISTORY, PM_QUANTIZE_INPUT,
  PM_QUANTIZE_FILLED, PM_QUANTIZE_COUNT, PM_QUANTIZE_CONTEXT, PM_QUANTIZE_ZERO_POINT,
} from '../params';

/** TFLite's quantization of a real as the host computes it: round half away from zero, + zp, clamp. */
// @ts-ignore: decorator
@inline
function quantizeOne(v: f64, zeroPoint: f64): i32 {
  const a = Math.abs(v);
  let r = Math.floor(a);
  if (a - r >= 0.5) r += 1;
  const q = (v < 0 ? -r : r) + zeroPoint;
  if (q != q) return 0;
  return q < -128 ? -128 : q > 127 ? 127 : <i32>q;
}

export function pm_quantize(p: usize): i32 {
  const count = load<i32>(p, PM_QUANTIZE_COUNT);
  const context = load<i32>(p, PM_QUANTIZE_CONTEXT);
  const filledAt = load<usize>(p, PM_QUANTIZE_FILLED);
  let filled = load<i32>(filledAt);
  if (count < 1 || context < 1 || filled < 0 || filled > context) return 2;
  const history = load<usize>(p, PM_QUANTIZE_HISTORY);
  if (filled == context) {
    memory.copy(history, history + <usize>count, <usize>(context - 1) * <usize>count);
    filled--;
  }
  const features = load<usize>(p, PM_QUANTIZE_FEATURES);
  const mean = load<usize>(p, PM_QUANTIZE_MEAN);
  const std = load<usize>(p, PM_QUANTIZE_STD);
  const scale = load<f64>(load<usize>(p, PM_QUANTIZE_SCALE));
  const zeroPoint = <f64>load<i32>(p, PM_QUANTIZE_ZERO_POINT);
  const out = history + <usize>filled * <usize>count;
  for (let i = 0; i < count; i++) {
    const f = <f64>load<f32>(features + (<usize>i << 2));
    const v = (f - load<f64>(mean + (<usize>i << 3))) / load<f64>(std + (<usize>i << 3)) / scale;
    store<i8>(out + <usize>i, <i8>quantizeOne(v, zeroPoint));
  }
  filled++;
  store<i32>(filledAt, filled);
  if (filled < context) return 1;
  memory.copy(load<usize>(p, PM_QUANTIZE_INPUT), history, <usize>context * <usize>count);
  return 0;
}
