// Mirrors tflite::reference_ops::AffineQuantize (float32 -> int8), Requantize (int8 -> int8)
// and Dequantize (int8 -> float32).
import { multiplyByQuantizedMultiplier, roundHalfAwayF32 } from '../quant';
import {
  QUANTIZE_F32_INPUT, QUANTIZE_F32_OUTPUT, QUANTIZE_F32_COUNT, QUANTIZE_F32_SCALE, QUANTIZE_F32_ZERO_POINT,
  REQUANTIZE_INPUT, REQUANTIZE_OUTPUT, REQUANTIZE_COUNT, REQUANTIZE_INPUT_ZERO_POINT,
  REQUANTIZE_OUTPUT_ZERO_POINT, REQUANTIZE_MULTIPLIER, REQUANTIZE_SHIFT,
  DEQUANTIZE_INPUT, DEQUANTIZE_OUTPUT, DEQUANTIZE_COUNT, DEQUANTIZE_SCALE, DEQUANTIZE_ZERO_POINT,
} from '../params';

export function quantize_f32(p: usize): i32 {
  const input = load<usize>(p, QUANTIZE_F32_INPUT);
  const output = load<usize>(p, QUANTIZE_F32_OUTPUT);
  const count = load<i32>(p, QUANTIZE_F32_COUNT);
  const scale = load<f32>(p, QUANTIZE_F32_SCALE);
  const zeroPoint = <f64>load<i32>(p, QUANTIZE_F32_ZERO_POINT);
  for (let i = 0; i < count; i++) {
    const v = load<f32>(input + (<usize>i << 2));
    // round(val / float(scale)) in f32, then + zero_point and clamp in f64, as the reference does.
    let q = <f64>roundHalfAwayF32(v / scale) + zeroPoint;
    q = q < -128 ? -128 : q > 127 ? 127 : q; // NaN stays NaN and truncates to 0 below
    store<i8>(output + <usize>i, <i8><i32>q);
  }
  return 0;
}

export function requantize(p: usize): i32 {
  const input = load<usize>(p, REQUANTIZE_INPUT);
  const output = load<usize>(p, REQUANTIZE_OUTPUT);
  const count = load<i32>(p, REQUANTIZE_COUNT);
  const inZp = load<i32>(p, REQUANTIZE_INPUT_ZERO_POINT);
  const outZp = load<i32>(p, REQUANTIZE_OUTPUT_ZERO_POINT);
  const multiplier = load<i32>(p, REQUANTIZE_MULTIPLIER);
  const shift = load<i32>(p, REQUANTIZE_SHIFT);
  for (let i = 0; i < count; i++) {
    const v = <i32>load<i8>(input + <usize>i) - inZp;
    const q = multiplyByQuantizedMultiplier(v, multiplier, shift) + outZp;
    store<i8>(output + <usize>i, <i8>(q < -128 ? -128 : q > 127 ? 127 : q));
  }
  return 0;
}

export function dequantize(p: usize): i32 {
  const input = load<usize>(p, DEQUANTIZE_INPUT);
  const output = load<usize>(p, DEQUANTIZE_OUTPUT);
  const count = load<i32>(p, DEQUANTIZE_COUNT);
  const scale = <f64>load<f32>(p, DEQUANTIZE_SCALE);
  const zeroPoint = load<i32>(p, DEQUANTIZE_ZERO_POINT);
  for (let i = 0; i < count; i++) {
    const v = <i32>load<i8>(input + <usize>i) - zeroPoint;
    store<f32>(output + (<usize>i << 2), <f32>(scale * <f64>v));
  }
  return 0;
}
