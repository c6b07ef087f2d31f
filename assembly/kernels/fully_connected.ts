// SIMD twin of ../ref/fully_connected.ts: same param block, same bytes out.
// Four output rows per loaded input vector (the row widened once, sign-extending 8-byte weight
// loads, i32x4.dot_i16x8_s);
// offsets folded algebraically, all mod 2^32 like the reference accumulator:
//   sum (f + fo)(x + xo) + b = sum f*x + [b + xo*sum f + n*fo*xo] + fo*sum x
// where the bracket is foldedBias (host) and fo*sum x is per input row (fo is 0 for int8
// per-channel weights). Requantization is vectorized in both modes (simd.ts).
import { clamp, f64ToI32, multiplyByQuantizedMultiplier, roundHalfAway } from '../quant';
import { hsum4, narrowClamp4, requant4, REQUANT_F64_RECORD_BYTES, scaleRound4 } from '../simd';
import {
  FULLY_CONNECTED_INPUT, FULLY_CONNECTED_FILTER, FULLY_CONNECTED_OUTPUT,
  FULLY_CONNECTED_MULTIPLIERS, FULLY_CONNECTED_SHIFTS, FULLY_CONNECTED_SCALES, FULLY_CONNECTED_FOLDED_BIAS,
  FULLY_CONNECTED_REQUANT, FULLY_CONNECTED_SCRATCH, FULLY_CONNECTED_BATCHES, FULLY_CONNECTED_ACCUM_DEPTH, FULLY_CONNECTED_K_PAD,
  FULLY_CONNECTED_OUT_DEPTH, FULLY_CONNECTED_FILTER_OFFSET, FULLY_CONNECTED_OUTPUT_OFFSET,
  FULLY_CONNECTED_ACT_MIN, FULLY_CONNECTED_ACT_MAX, FULLY_CONNECTED_REQUANT_MODE,
} from '../params';

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
  const batches = load<i32>(p, FULLY_CONNECTED_BATCHES);
  for (let b = 0; b < batches; b++) fcBatch(p, b);
  return 0;
}

/** One input row. Written for Cranelift (wasmtime) as much as for TurboFan, which needed neither:
 *  - few values live across the dot loop (x64 has ~13 free GPRs): the requantization pointers and
 *    mode are re-read from the param block after it, and the constants live in v128 registers;
 *    the previous shape had Cranelift reload spilled values from the stack 8 times per iteration;
 *  - one advancing weight pointer for all four rows (interleaved in 8-tap runs), and the next
 *    block starts where this one ended: no row-stride multiples (kPad * 3) in the loop, which
 *    Cranelift's instruction selection merged back into the loop's address arithmetic (an imul
 *    per iteration).
 *  ~15 % faster on wasmtime (the interleaving another 6 % on the autoencoder), the same on V8.
 *  kPad >= 8 (accumDepth > 0, checked by prepare). */
// @ts-ignore: decorator
@inline
function fcBatch(p: usize, b: i32): void {
  const accumDepth = load<i32>(p, FULLY_CONNECTED_ACCUM_DEPTH);
  const kPad = <usize>load<i32>(p, FULLY_CONNECTED_K_PAD);
  const outDepth = load<i32>(p, FULLY_CONNECTED_OUT_DEPTH);
  const filterOffset = load<i32>(p, FULLY_CONNECTED_FILTER_OFFSET);
  const x = load<usize>(p, FULLY_CONNECTED_INPUT) + <usize>(b * accumDepth);
  const out = load<usize>(p, FULLY_CONNECTED_OUTPUT) + <usize>(b * outDepth);
  const rowTerm = i32x4.splat(filterOffset == 0 ? 0 : filterOffset * sum(x, accumDepth));
  const outOffsetV = i32x4.splat(load<i32>(p, FULLY_CONNECTED_OUTPUT_OFFSET));
  const actMinV = i32x4.splat(load<i32>(p, FULLY_CONNECTED_ACT_MIN));
  const actMaxV = i32x4.splat(load<i32>(p, FULLY_CONNECTED_ACT_MAX));
  // The row widened to i16 once (reading up to 7 bytes past it: those weights are zero), not once
  // per four outputs: the dot loop then loads its taps without a sign extension (the autoencoder
  // -6 % on V8, -3.5 % on wasmtime).
  const xw = load<usize>(p, FULLY_CONNECTED_SCRATCH);
  for (let i: usize = 0; i < kPad; i += 8) v128.store(xw + (i << 1), v128.load8x8_s(x + i));
  const end = xw + (kPad << 1);
  let w = load<usize>(p, FULLY_CONNECTED_FILTER);
  for (let c = 0; c < outDepth; c += 4) {
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    let xp = xw;
    do {
      const xv = v128.load(xp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 8)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 16)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 24)));
      xp += 16;
      w += 32; // rows c..c+3 interleaved in 8-tap runs: ends at the next block's first run
    } while (xp < end);
    requantBlock(p, c, outDepth, out, hsum4(a0, a1, a2, a3), rowTerm, outOffsetV, actMinV, actMaxV);
  }
}

/** Bias, requantization, clamp and store of outputs c..c+3 (fewer at the end of the row). */
// @ts-ignore: decorator
@inline
function requantBlock(
  p: usize, c: i32, outDepth: i32, out: usize, dots: v128, rowTerm: v128, outOffsetV: v128, actMinV: v128, actMaxV: v128,
): void {
  const acc = i32x4.add(i32x4.add(dots, v128.load(load<usize>(p, FULLY_CONNECTED_FOLDED_BIAS) + (<usize>c << 2))), rowTerm);
  const requantInFloat = load<i32>(p, FULLY_CONNECTED_REQUANT_MODE) == 1;
  if (c + 4 <= outDepth) {
    const scaled = requantInFloat
      ? scaleRound4(acc, load<usize>(p, FULLY_CONNECTED_SCALES) + (<usize>c << 3))
      : requant4(acc, load<usize>(p, FULLY_CONNECTED_REQUANT) + <usize>c * REQUANT_F64_RECORD_BYTES);
    v128.store32_lane(out + <usize>c, narrowClamp4(scaled, outOffsetV, actMinV, actMaxV), 0);
  } else {
    const outputOffset = load<i32>(p, FULLY_CONNECTED_OUTPUT_OFFSET);
    const actMin = load<i32>(p, FULLY_CONNECTED_ACT_MIN);
    const actMax = load<i32>(p, FULLY_CONNECTED_ACT_MAX);
    const scales = load<usize>(p, FULLY_CONNECTED_SCALES);
    const multipliers = load<usize>(p, FULLY_CONNECTED_MULTIPLIERS);
    const shifts = load<usize>(p, FULLY_CONNECTED_SHIFTS);
    for (let j = 0; j < outDepth - c; j++) {
      // Partial last block: lane j of acc, through the scalar twin's arithmetic.
      const lane = j == 0 ? i32x4.extract_lane(acc, 0) : j == 1 ? i32x4.extract_lane(acc, 1) : i32x4.extract_lane(acc, 2);
      const o = <usize>(c + j);
      const scaled = requantInFloat
        ? f64ToI32(roundHalfAway(<f64>lane * load<f64>(scales + (o << 3))))
        : multiplyByQuantizedMultiplier(lane, load<i32>(multipliers + (o << 2)), load<i32>(shifts + (o << 2)));
      store<i8>(out + o, <i8>clamp(scaled + outputOffset, actMin, actMax));
    }
  }
}
