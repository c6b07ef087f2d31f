// Mirrors tflite::reference_ops::AffineQuantize (float32 -> int8 / int16), Requantize (between
// int8 and int16), Dequantize (int8 / int16 -> float32) and AddN on float32.
import { multiplyByQuantizedMultiplier, roundHalfAwayF32 } from '../quant';
import {
  QUANTIZE_F32_INPUT, QUANTIZE_F32_OUTPUT, QUANTIZE_F32_COUNT, QUANTIZE_F32_SCALE, QUANTIZE_F32_ZERO_POINT, QUANTIZE_F32_OUTPUT_BYTES,
  REQUANTIZE_INPUT, REQUANTIZE_OUTPUT, REQUANTIZE_COUNT, REQUANTIZE_INPUT_ZERO_POINT,
  REQUANTIZE_OUTPUT_ZERO_POINT, REQUANTIZE_MULTIPLIER, REQUANTIZE_SHIFT, REQUANTIZE_INPUT_BYTES, REQUANTIZE_OUTPUT_BYTES,
  DEQUANTIZE_INPUT, DEQUANTIZE_OUTPUT, DEQUANTIZE_COUNT, DEQUANTIZE_SCALE, DEQUANTIZE_ZERO_POINT, DEQUANTIZE_INPUT_BYTES,
  ADD_N_F32_INPUT1, ADD_N_F32_INPUT2, ADD_N_F32_OUTPUT, ADD_N_F32_COUNT, ADD_N_F32_FROM_ZERO,
} from '../params';

// @ts-ignore: decorator
@inline
function loadQ(base: usize, i: i32, bytes: i32): i32 {
  return bytes == 2 ? <i32>load<i16>(base + (<usize>i << 1)) : <i32>load<i8>(base + <usize>i);
}

// @ts-ignore: decorator
@inline
function storeQ(base: usize, i: i32, bytes: i32, v: i32): void {
  if (bytes == 2) store<i16>(base + (<usize>i << 1), <i16>v);
  else store<i8>(base + <usize>i, <i8>v);
}

export function quantize_f32(p: usize): i32 {
  const input = load<usize>(p, QUANTIZE_F32_INPUT);
  const output = load<usize>(p, QUANTIZE_F32_OUTPUT);
  const count = load<i32>(p, QUANTIZE_F32_COUNT);
  const scale = load<f32>(p, QUANTIZE_F32_SCALE);
  const zeroPoint = <f64>load<i32>(p, QUANTIZE_F32_ZERO_POINT);
  const bytes = load<i32>(p, QUANTIZE_F32_OUTPUT_BYTES);
  const qmin: f64 = bytes == 2 ? -32768 : -128;
  const qmax: f64 = bytes == 2 ? 32767 : 127;
  for (let i = 0; i < count; i++) {
    const v = load<f32>(input + (<usize>i << 2));
    // round(val / float(scale)) in f32, then + zero_point and clamp in f64, as the reference does.
    let q = <f64>roundHalfAwayF32(v / scale) + zeroPoint;
    q = q < qmin ? qmin : q > qmax ? qmax : q; // NaN stays NaN and truncates to 0 below
    storeQ(output, i, bytes, <i32>q);
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
  const inBytes = load<i32>(p, REQUANTIZE_INPUT_BYTES);
  const outBytes = load<i32>(p, REQUANTIZE_OUTPUT_BYTES);
  const qmin = outBytes == 2 ? -32768 : -128;
  const qmax = outBytes == 2 ? 32767 : 127;
  for (let i = 0; i < count; i++) {
    const v = loadQ(input, i, inBytes) - inZp;
    const q = multiplyByQuantizedMultiplier(v, multiplier, shift) + outZp;
    storeQ(output, i, outBytes, q < qmin ? qmin : q > qmax ? qmax : q);
  }
  return 0;
}

export function dequantize(p: usize): i32 {
  const input = load<usize>(p, DEQUANTIZE_INPUT);
  const output = load<usize>(p, DEQUANTIZE_OUTPUT);
  const count = load<i32>(p, DEQUANTIZE_COUNT);
  const scale = <f64>load<f32>(p, DEQUANTIZE_SCALE);
  const zeroPoint = load<i32>(p, DEQUANTIZE_ZERO_POINT);
  const bytes = load<i32>(p, DEQUANTIZE_INPUT_BYTES);
  for (let i = 0; i < count; i++) {
    const v = loadQ(input, i, bytes) - zeroPoint;
    store<f32>(output + (<usize>i << 2), <f32>(scale * <f64>v));
  }
  return 0;
}

export function add_n_f32(p: usize): i32 {
  const in1 = load<usize>(p, ADD_N_F32_INPUT1);
  const in2 = load<usize>(p, ADD_N_F32_INPUT2);
  const out = load<usize>(p, ADD_N_F32_OUTPUT);
  const count = load<i32>(p, ADD_N_F32_COUNT);
  const fromZero = load<i32>(p, ADD_N_F32_FROM_ZERO) != 0;
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 2;
    let x = load<f32>(in1 + o);
    if (fromZero) x = <f32>0 + x; // -0 becomes +0, as the reference's x = 0; x += ...
    store<f32>(out + o, x + load<f32>(in2 + o));
  }
  return 0;
}
