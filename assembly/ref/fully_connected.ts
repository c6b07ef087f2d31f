// Mirrors tflite::reference_integer_ops::FullyConnected / FullyConnectedPerChannel
// (integer_ops/fully_connected.h): both the fixed-point requantization and the
// float-scale overloads ("requant in float", used by TFLite's reference path since 2.20).
// Filter rows are interleaved four at a time in 8-tap runs (host/abi/blocks.ts); the loop is TFLite's.
import { clamp, f64ToI32, multiplyByQuantizedMultiplier, roundHalfAway } from '../quant';
import {
  FULLY_CONNECTED_INPUT, FULLY_CONNECTED_FILTER, FULLY_CONNECTED_BIAS, FULLY_CONNECTED_OUTPUT,
  FULLY_CONNECTED_MULTIPLIERS, FULLY_CONNECTED_SHIFTS, FULLY_CONNECTED_SCALES,
  FULLY_CONNECTED_BATCHES, FULLY_CONNECTED_ACCUM_DEPTH, FULLY_CONNECTED_K_PAD, FULLY_CONNECTED_OUT_DEPTH,
  FULLY_CONNECTED_INPUT_OFFSET, FULLY_CONNECTED_FILTER_OFFSET, FULLY_CONNECTED_OUTPUT_OFFSET,
  FULLY_CONNECTED_ACT_MIN, FULLY_CONNECTED_ACT_MAX, FULLY_CONNECTED_REQUANT_MODE,
} from '../params';

export function fully_connected_ref(p: usize): i32 {
  const input = load<usize>(p, FULLY_CONNECTED_INPUT);
  const filter = load<usize>(p, FULLY_CONNECTED_FILTER);
  const bias = load<usize>(p, FULLY_CONNECTED_BIAS);
  const output = load<usize>(p, FULLY_CONNECTED_OUTPUT);
  const multipliers = load<usize>(p, FULLY_CONNECTED_MULTIPLIERS);
  const shifts = load<usize>(p, FULLY_CONNECTED_SHIFTS);
  const scales = load<usize>(p, FULLY_CONNECTED_SCALES);
  const batches = load<i32>(p, FULLY_CONNECTED_BATCHES);
  const accumDepth = load<i32>(p, FULLY_CONNECTED_ACCUM_DEPTH);
  const kPad = load<i32>(p, FULLY_CONNECTED_K_PAD);
  const outDepth = load<i32>(p, FULLY_CONNECTED_OUT_DEPTH);
  const inputOffset = load<i32>(p, FULLY_CONNECTED_INPUT_OFFSET);
  const filterOffset = load<i32>(p, FULLY_CONNECTED_FILTER_OFFSET);
  const outputOffset = load<i32>(p, FULLY_CONNECTED_OUTPUT_OFFSET);
  const actMin = load<i32>(p, FULLY_CONNECTED_ACT_MIN);
  const actMax = load<i32>(p, FULLY_CONNECTED_ACT_MAX);
  const requantInFloat = load<i32>(p, FULLY_CONNECTED_REQUANT_MODE) == 1;

  for (let b = 0; b < batches; b++) {
    const inRow = input + <usize>(b * accumDepth);
    for (let oc = 0; oc < outDepth; oc++) {
      const fBlock = filter + <usize>((oc >> 2) * (kPad << 2) + (oc & 3) * 8);
      let acc: i32 = 0;
      for (let d = 0; d < accumDepth; d++) {
        const iv = <i32>load<i8>(inRow + <usize>d);
        const fv = <i32>load<i8>(fBlock + <usize>((d >> 3) * 32 + (d & 7)));
        acc += (fv + filterOffset) * (iv + inputOffset);
      }
      if (bias) acc += load<i32>(bias + (<usize>oc << 2));
      let scaled: i32;
      if (requantInFloat) {
        scaled = f64ToI32(roundHalfAway(<f64>acc * load<f64>(scales + (<usize>oc << 3))));
      } else {
        scaled = multiplyByQuantizedMultiplier(acc, load<i32>(multipliers + (<usize>oc << 2)), load<i32>(shifts + (<usize>oc << 2)));
      }
      scaled += outputOffset;
      store<i8>(output + <usize>(b * outDepth + oc), <i8>clamp(scaled, actMin, actMax));
    }
  }
  return 0;
}
