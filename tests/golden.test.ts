/**
 * Every golden fixture (TensorFlow 2.21, BUILTIN_REF reference kernels) runs through the
 * interpreter with both kernel modules; outputs must match byte for byte.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../host/index.js';
import { join } from 'node:path';
import { asBytes, casePath, firstDifference, goldenCases, npyBytes, ROOT } from './helpers.js';

const cases = goldenCases();

test('the golden set covers every op in the issue with enough cases', () => {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'ADD', 'RESHAPE', 'SOFTMAX', 'QUANTIZE', 'DEQUANTIZE', 'NETWORK']) {
    assert.ok((counts.get(op) ?? 0) > 0, `no golden case for ${op}`);
  }
});

for (const kernels of ['simd', 'ref'] as const) {
  test(`all ${cases.length} golden cases are bit-exact (${kernels} kernels)`, () => {
    const failures: string[] = [];
    for (const c of cases) {
      const model = loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))), { kernels });
      const interpreter = model.createInterpreter();
      interpreter.inputs.forEach((v, i) => asBytes(v.data).set(npyBytes(casePath(c, `input_${i}.npy`))));
      interpreter.invoke();
      interpreter.outputs.forEach((v, i) => {
        const expected = npyBytes(casePath(c, `output_${i}.npy`));
        const at = firstDifference(asBytes(v.data), expected);
        if (at >= 0) failures.push(`${c.op}/${c.id} output ${i}: first difference at byte ${at}`);
      });
    }
    assert.equal(failures, [], `${failures.length} of ${cases.length} cases differ:\n${failures.slice(0, 20).join('\n')}`);
  });
}

test('benchmark networks (models/bench) are bit-exact with their reference outputs', () => {
  for (const name of ['kws_dscnn', 'vww_mobilenetv1_025', 'ic_resnet8', 'ad_autoencoder', 'ww_dscnn1d']) {
    const base = join(ROOT, 'models', 'bench', name);
    const it = loadModel(`${base}.tflite`).createInterpreter();
    asBytes(it.inputs[0].data).set(npyBytes(`${base}.input.npy`));
    it.invoke();
    assert.is(firstDifference(asBytes(it.outputs[0].data), npyBytes(`${base}.expected.npy`)), -1, name);
  }
});

test.run();
