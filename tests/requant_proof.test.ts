/**
 * Proven requantization (host/ops/requant_proof.ts): the step points it computes, the kernel's f32
 * arithmetic with the proven constants against TFLite's fixed point on every accumulator in reach
 * (as emulated here in JavaScript, which checks the proof's argument), and the kernels themselves
 * (the WebAssembly) on accumulators that sweep whole output ranges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { loadModel } from '../host/index.js';
import { activationRangeQuantized, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../host/ops/quant.js';
import { levelStart, type OutputStage, PROVEN_GROUP, type ProvenChannel, proveRequant } from '../host/ops/requant_proof.js';
import { BuiltinOperator, BuiltinOptionsType } from '../host/tflite/schema.js';
import { writeModel } from '../host/tflite/writer.js';
import { asBytes, rng } from './helpers.js';

const INT8 = 9;
const INT32 = 2;
const ROUNDING_MAGIC = 12582912;
const ROUNDING_MAGIC_BITS = 0x4b400000;

/** assembly/simd.ts's proven requantization of accumulator x, in f32 (Math.fround), clamped: the output byte as a signed value. */
function kernelOutput(x: number, p: ProvenChannel, stage: OutputStage): number {
  const at = Math.fround(x - p.centre);
  const t = Math.fround(Math.fround(at * p.scale32) + (p.signed && at < 0 ? -p.constant32 : p.constant32));
  const level = Math.fround(t + ROUNDING_MAGIC) - ROUNDING_MAGIC + ROUNDING_MAGIC_BITS - p.magic;
  return Math.min(Math.max(level, stage.actMin), stage.actMax);
}

function tfliteOutput(x: number, multiplier: number, shift: number, stage: OutputStage): number {
  return Math.min(Math.max(multiplyByQuantizedMultiplier(x, multiplier, shift) + stage.outputOffset, stage.actMin), stage.actMax);
}

test('levelStart: TFLite\'s level reaches k at the accumulator it names and not one below, for both signs and shifts -20..+2', () => {
  const r = rng(601);
  let checked = 0;
  for (let i = 0; i < 400; i++) {
    const multiplier = 2 ** 30 + Math.floor(r() * (2 ** 30 - 1));
    const shift = 2 - Math.floor(r() * 23);
    const start = levelStart(multiplier, shift);
    for (let k = -260; k <= 260; k += 1 + Math.floor(r() * 9)) {
      const x = start(k);
      if (x === null || Math.abs(x) >= 2 ** 31 - 1) continue;
      assert.ok(multiplyByQuantizedMultiplier(x, multiplier, shift) >= k && multiplyByQuantizedMultiplier(x - 1, multiplier, shift) < k,
        `m ${multiplier} shift ${shift} k ${k}: ${x}`);
      checked++;
    }
  }
  assert.ok(checked > 20000, `${checked} steps checked`);
});

test('proven constants: the kernel\'s f32 rounding equals TFLite on every accumulator in reach (centred and signed layers, exhaustive)', () => {
  const r = rng(602);
  let channels = 0;
  let proven = 0;
  let evaluated = 0;
  for (let g = 0; g < 8; g++) {
    // Fused ReLU6 at the zero point (centred), no activation (signed), and RELU_N1_TO_1's narrow range (signed).
    const kind = g % 3;
    const outScale = 0.02 + r() * 0.05;
    const zeroPoint = kind === 0 ? -128 : Math.floor(r() * 201) - 100;
    const [actMin, actMax] = activationRangeQuantized([3, 0, 2][kind], outScale, zeroPoint, 8);
    const stage = { outputOffset: zeroPoint, actMin, actMax };
    const multipliers = new Int32Array(PROVEN_GROUP);
    const shifts = new Int32Array(PROVEN_GROUP);
    const bounds = new Float64Array(PROVEN_GROUP);
    for (let c = 0; c < PROVEN_GROUP; c++) {
      const effective = 2 ** (-11 + r() * 6);
      ({ multiplier: multipliers[c], shift: shifts[c] } = quantizeMultiplier(effective));
      // Reach past the clamp on both sides, so the ends are checked too.
      bounds[c] = Math.floor((300 + r() * 100) / effective);
    }
    const result = proveRequant(multipliers, shifts, bounds, PROVEN_GROUP, stage);
    for (let c = 0; c < PROVEN_GROUP; c++) {
      channels++;
      const p = result[c];
      if (!p) continue;
      proven++;
      assert.is(p.signed, kind !== 0, `group ${g}: kind`);
      for (let x = -bounds[c]; x <= bounds[c]; x++) {
        const got = kernelOutput(x, p, stage);
        if (got !== tfliteOutput(x, multipliers[c], shifts[c], stage)) {
          assert.unreachable(`group ${g} channel ${c} (m ${multipliers[c]}, shift ${shifts[c]}, stage ${JSON.stringify(stage)}): accumulator ${x} gives ${got}`);
        }
      }
      evaluated += 2 * bounds[c] + 1;
    }
  }
  assert.ok(proven >= channels - 2 * PROVEN_GROUP, `${proven} of ${channels} channels proven`);
  assert.ok(evaluated > 5e6, `${evaluated} accumulators`);
});

test('proveRequant: groups of 8 all or nothing; channels past the last whole group and channels that cannot be proven keep the check', () => {
  const stage = { outputOffset: -128, actMin: -128, actMax: 127 };
  const { multiplier, shift } = quantizeMultiplier(0.004);
  const multipliers = new Int32Array(20).fill(multiplier);
  const shifts = new Int32Array(20).fill(shift);
  const bounds = new Float64Array(20).fill(100000);
  bounds[11] = 2 ** 31; // x - centre could wrap: not provable
  const result = proveRequant(multipliers, shifts, bounds, 20, stage);
  assert.equal(result.map((p) => (p ? 1 : 0)), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  multipliers[3] = 0; // a zero multiplier is never marked
  assert.equal(proveRequant(multipliers, shifts, bounds, 8, stage).filter(Boolean).length, 0);
});

/** Pixels of sweepModel: every pair of int8 values, and one more so that a depthwise layer also takes its single-window path. */
const SWEEP = 256 * 256 + 1;

/**
 * A 1x1 convolution (or a 2x1 depthwise one) whose SWEEP pixels hold every pair of int8 values
 * (a, b): with weights 127 and 1 each output channel's accumulator is 127 a + b + constants, every
 * integer of a 32,768-wide range once. Channel scales spread that range over roughly 50-300 output levels.
 */
function sweepModel(depthwise: boolean, channels: number, activation: number, outZp: number, r: () => number): Uint8Array {
  const pixels = SWEEP;
  const fScales = Array.from({ length: channels }, () => 0.04 + r() * 0.1);
  const inZp = Math.floor(r() * 256) - 128;
  const bias = Int32Array.from({ length: channels }, () => Math.floor((r() - 0.5) * 20000));
  const filter = depthwise
    ? Int8Array.from({ length: 2 * channels }, (_, i) => (i < channels ? 127 : 1)) // [1, 2, 1, C]: tap (0, 0) then (1, 0)
    : Int8Array.from({ length: 2 * channels }, (_, i) => (i % 2 === 0 ? 127 : 1)); // [C, 1, 1, 2]
  return writeModel({
    tensors: [
      { name: 'x', shape: depthwise ? [1, 2, pixels, channels] : [1, 1, pixels, 2], type: INT8, quantization: { scale: [0.05], zeroPoint: [inZp] } },
      { name: 'w', shape: depthwise ? [1, 2, 1, channels] : [channels, 1, 1, 2], type: INT8, data: filter,
        quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: depthwise ? 3 : 0 } },
      { name: 'b', shape: [channels], type: INT32, data: bias },
      { name: 'y', shape: [1, 1, pixels, channels], type: INT8, quantization: { scale: [0.8 + r() * 0.4], zeroPoint: [outZp] } },
    ],
    operators: [depthwise ? {
      builtinCode: BuiltinOperator.DEPTHWISE_CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.DepthwiseConv2DOptions,
      options: [{ field: 0, kind: 'int8', value: 1 }, { field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 },
        { field: 3, kind: 'int32', value: 1 }, { field: 4, kind: 'int8', value: activation }],
    } : {
      builtinCode: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.Conv2DOptions,
      options: [{ field: 0, kind: 'int8', value: 1 }, { field: 1, kind: 'int32', value: 1 }, { field: 2, kind: 'int32', value: 1 },
        { field: 3, kind: 'int8', value: activation }],
    }],
    inputs: [0],
    outputs: [3],
  });
}

test('proven records in the kernels: SIMD equals scalar on accumulators that sweep whole output ranges (1x1 and depthwise, centred and signed)', () => {
  const r = rng(603);
  let provenGroups = 0;
  let groups = 0;
  for (let i = 0; i < 8; i++) {
    const depthwise = i % 2 === 1;
    const relu = i % 4 < 2; // ReLU at the zero point: centred records; none: signed
    const channels = [8, 16, 24, 13][Math.floor(i / 2)];
    const model = sweepModel(depthwise, channels, relu ? 1 : 0, relu ? -128 : Math.floor(r() * 101) - 50, r);
    const input = new Uint8Array(depthwise ? 2 * SWEEP * channels : 2 * SWEEP);
    for (let p = 0; p < SWEEP; p++) {
      const a = (p >> 8) & 255;
      const b = p & 255;
      if (depthwise) {
        input.fill(a, p * channels, (p + 1) * channels);
        input.fill(b, (SWEEP + p) * channels, (SWEEP + p + 1) * channels);
      } else {
        input[2 * p] = a;
        input[2 * p + 1] = b;
      }
    }
    const outputs = (['simd', 'ref'] as const).map((kernels) => {
      const m = loadModel(model, { kernels });
      if (kernels === 'simd') {
        const { image, calls } = m.prepared.layout;
        assert.equal(calls.map((c) => c.scalar), [false], `case ${i}: SIMD path`);
        const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
        assert.is(calls[0].kernel, depthwise ? 'depthwise_conv_2d' : channels % 8 === 0 ? 'conv_2d_pairs' : 'conv_2d', `case ${i}: kernel`);
        const table = view.getUint32(calls[0].block + BLOCKS[calls[0].kernel as 'conv_2d' | 'conv_2d_pairs' | 'depthwise_conv_2d'].offsets.requant, true);
        for (let g = 0; g + 8 <= channels; g += 8) {
          groups++;
          const mark = view.getFloat64(table + (g / 4) * 96 + 32, true); // host/ops/common.ts requantTable
          if (mark < 0) provenGroups++;
          if (mark < 0) assert.is(mark, relu ? -1 : -2, `case ${i}: group ${g / 8} mark`);
        }
      }
      const it = m.createInterpreter();
      asBytes(it.inputs[0].data).set(input);
      it.invoke();
      return asBytes(it.outputs[0].data).slice();
    });
    assert.ok(Buffer.compare(outputs[0], outputs[1]) === 0, `case ${i}: ${depthwise ? 'depthwise' : '1x1'} ${channels} channels, ${relu ? 'ReLU' : 'no activation'}`);
    assert.ok(new Set(outputs[1]).size > 50, `case ${i}: ${new Set(outputs[1]).size} output levels`);
  }
  assert.ok(provenGroups >= groups - 1, `${provenGroups} of ${groups} groups proven`);
});

test.run();
