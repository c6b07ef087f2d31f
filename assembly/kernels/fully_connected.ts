// SIMD twin of ../ref/fully_connected.ts (same param block, same results bit for bit).
// Dot products in 16-byte steps: i16x8.extmul of int8 lanes, i32x4.extadd_pairwise into
// four i32 partial sums; input/filter offsets folded in algebraically:
//   sum (f + fo)(x + xo) = sum f*x + xo*sum f + fo*sum x + n*fo*xo  (all mod 2^32, like the reference).
import { clamp, f64ToI32, multiplyByQuantizedMultiplier, roundHalfAway } from '../quant';
import {
  FULLY_CONNECTED_INPUT, FULLY_CONNECTED_FILTER, FULLY_CONNECTED_BIAS, FULLY_CONNECTED_OUTPUT,
  FULLY_CONNECTED_MULTIPLIERS, FULLY_CONNECTED_SHIFTS, FULLY_CONNECTED_SCALES, FULLY_CONNECTED_FILTER_ROW_SUMS,
  FULLY_CONNECTED_BATCHES, FULLY_CONNECTED_ACCUM_DEPTH, FULLY_CONNECTED_OUT_DEPTH,
  FULLY_CONNECTED_INPUT_OFFSET, FULLY_CONNECTED_FILTER_OFFSET, FULLY_CONNECTED_OUTPUT_OFFSET,
  FULLY_CONNECTED_ACT_MIN, FULLY_CONNECTED_ACT_MAX, FULLY_CONNECTED_REQUANT_MODE,
} from '../params';

/** sum_d x[d] * f[d] over int8 vectors, wrapping in i32 like the reference accumulator. */
// @ts-ignore: decorator
@inline
function dot(x: usize, f: usize, n: i32): i32 {
  let acc = i32x4.splat(0);
  let d = 0;
  for (; d + 16 <= n; d += 16) {
    const xv = v128.load(x + <usize>d);
    const fv = v128.load(f + <usize>d);
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(xv, fv)));
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(xv, fv)));
  }
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; d < n; d++) s += <i32>load<i8>(x + <usize>d) * <i32>load<i8>(f + <usize>d);
  return s;
}

/** sum_d x[d] over int8. */
// @ts-ignore: decorator
@inline
function sum(x: usize, n: i32): i32 {
  let acc = i32x4.splat(0);
  let d = 0;
  for (; d + 16 <= n; d += 16) {
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(x + <usize>d))));
  }
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; d < n; d++) s += <i32>load<i8>(x + <usize>d);
  return s;
}

export function fully_connected(p: usize): i32 {
  const input = load<usize>(p, FULLY_CONNECTED_INPUT);
  const filter = load<usize>(p, FULLY_CONNECTED_FILTER);
  const bias = load<usize>(p, FULLY_CONNECTED_BIAS);
  const output = load<usize>(p, FULLY_CONNECTED_OUTPUT);
  const multipliers = load<usize>(p, FULLY_CONNECTED_MULTIPLIERS);
  const shifts = load<usize>(p, FULLY_CONNECTED_SHIFTS);
  const scales = load<usize>(p, FULLY_CONNECTED_SCALES);
  const rowSums = load<usize>(p, FULLY_CONNECTED_FILTER_ROW_SUMS);
  const batches = load<i32>(p, FULLY_CONNECTED_BATCHES);
  const accumDepth = load<i32>(p, FULLY_CONNECTED_ACCUM_DEPTH);
  const outDepth = load<i32>(p, FULLY_CONNECTED_OUT_DEPTH);
  const inputOffset = load<i32>(p, FULLY_CONNECTED_INPUT_OFFSET);
  const filterOffset = load<i32>(p, FULLY_CONNECTED_FILTER_OFFSET);
  const outputOffset = load<i32>(p, FULLY_CONNECTED_OUTPUT_OFFSET);
  const actMin = load<i32>(p, FULLY_CONNECTED_ACT_MIN);
  const actMax = load<i32>(p, FULLY_CONNECTED_ACT_MAX);
  const requantInFloat = load<i32>(p, FULLY_CONNECTED_REQUANT_MODE) == 1;
  const offsetProduct = accumDepth * filterOffset * inputOffset;

  for (let b = 0; b < batches; b++) {
    const inRow = input + <usize>(b * accumDepth);
    const rowTerm = filterOffset * sum(inRow, accumDepth) + offsetProduct;
    for (let oc = 0; oc < outDepth; oc++) {
      const fRow = filter + <usize>(oc * accumDepth);
      let acc = dot(inRow, fRow, accumDepth) + inputOffset * load<i32>(rowSums + (<usize>oc << 2)) + rowTerm;
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
