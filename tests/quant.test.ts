import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { activationRangeQuantized, frexp, outputSize, paddingBefore, quantizeMultiplier, softmaxScaling } from '../host/ops/quant.js';

test('frexp splits like std::frexp', () => {
  assert.equal(frexp(1), [0.5, 1]);
  assert.equal(frexp(0.75), [0.75, 0]);
  assert.equal(frexp(3), [0.75, 2]);
  assert.equal(frexp(2 ** -1074), [0.5, -1073]);
});

test('QuantizeMultiplier matches TFLite on known values', () => {
  // Values checked against tflite::QuantizeMultiplier.
  assert.equal(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.equal(quantizeMultiplier(0.5), { multiplier: 1073741824, shift: 0 });
  assert.equal(quantizeMultiplier(1), { multiplier: 1073741824, shift: 1 });
  assert.equal(quantizeMultiplier(0.25), { multiplier: 1073741824, shift: -1 });
  // q rounds up to 2^31: halve and bump the exponent.
  assert.equal(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1073741824, shift: 1 });
  // below 2^-32 the shift would be < -31: flushed to zero.
  assert.equal(quantizeMultiplier(2 ** -40), { multiplier: 0, shift: 0 });
});

test('activation ranges for int8 outputs', () => {
  assert.equal(activationRangeQuantized(0, 0.1, 3), [-128, 127]);
  assert.equal(activationRangeQuantized(1, 0.1, -128), [-128, 127]);
  assert.equal(activationRangeQuantized(3, 6 / 255, -128), [-128, 127]);
  assert.equal(activationRangeQuantized(3, 0.1, -10), [-10, 50]);
  assert.equal(activationRangeQuantized(2, 0.1, 0), [-10, 10]);
});

test('SAME and VALID output sizes and padding (padding.h)', () => {
  assert.is(outputSize(0, 7, 3, 2, 1), 4);
  assert.is(outputSize(1, 7, 3, 2, 1), 3);
  assert.is(outputSize(1, 7, 3, 1, 3), 1);
  assert.is(paddingBefore(2, 1, 7, 3, 4), 1);
  assert.is(paddingBefore(1, 1, 5, 4, 5), 1);
});

test('softmax scaling: multiplier, shift and diff_min for beta 1, scale 1/16', () => {
  const s = softmaxScaling(1, 1 / 16, 5);
  // beta * scale * 2^26 = 2^22 -> q 0.5, exponent 23
  assert.equal(s, { multiplier: 1073741824, leftShift: 23, diffMin: -Math.floor(31 * 2 ** 26 / 2 ** 23) });
});

test.run();
