/**
 * Every golden fixture (TensorFlow 2.21, BUILTIN_REF reference kernels) runs through the
 * interpreter with both kernel modules; outputs must match byte for byte.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../host/index.js';
import { join } from 'node:path';
import { allGoldenCases, asBytes, casePath, firstDifference, goldenCases, npyBytes, pendingGoldenCases, ROOT } from './helpers.js';

const cases = goldenCases();
const pending = pendingGoldenCases();
if (pending.size > 0) {
  const list = [...pending].sort((a, b) => a[0].localeCompare(b[0])).map(([op, n]) => `${op} (${n})`).join(', ');
  console.log(`  golden cases waiting for ops edgerun does not run yet: ${list}`);
}

test('the golden set covers every op in the issue with enough cases', () => {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'ADD', 'RESHAPE', 'SOFTMAX', 'QUANTIZE', 'DEQUANTIZE', 'NETWORK']) {
    // Counted over runnable cases only: every op the registry runs has golden data.
    assert.ok((counts.get(op) ?? 0) > 0, `no golden case for ${op}`);
  }
});

for (const kernels of ['simd', 'ref'] as const) {
  test(`all ${cases.length} golden cases are bit-exact (${kernels} kernels)`, () => {
    const failures: string[] = [];
    for (const c of cases) {
      const model = loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))), { kernels });
      const interpreter = model.createInterpreter();
      const steps = c.steps ?? 1;
      const file = (kind: string, i: number, step: number) => casePath(c, c.steps ? `${kind}_${i}.step${step}.npy` : `${kind}_${i}.npy`);
      for (let step = 0; step < steps; step++) {
        interpreter.inputs.forEach((v, i) => asBytes(v.data).set(npyBytes(file('input', i, step))));
        interpreter.invoke();
        interpreter.outputs.forEach((v, i) => {
          const at = firstDifference(asBytes(v.data), npyBytes(file('output', i, step)));
          if (at >= 0) failures.push(`${c.op}/${c.id} output ${i}${c.steps ? ` step ${step}` : ''}: first difference at byte ${at}`);
        });
      }
    }
    assert.equal(failures, [], `${failures.length} of ${cases.length} cases differ:\n${failures.slice(0, 20).join('\n')}`);
  });
}

test('the CONV_2D_3X3 cases run the Winograd tiles (SIMD module), and no case does on the scalar module', () => {
  const tiled = (kernels: 'simd' | 'ref') => cases.filter((c) => c.op === 'CONV_2D_3X3' &&
    loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))), { kernels }).prepared.layout.calls.some((k) => k.kernel === 'conv_2d_winograd')).length;
  assert.ok(tiled('simd') >= 12, `${tiled('simd')} of the CONV_2D_3X3 cases`);
  assert.is(tiled('ref'), 0);
});

test('stateful cases: state carries over between invocations and reset() restores it', () => {
  const stateful = cases.filter((c) => c.steps);
  assert.ok(stateful.length > 0, 'no multi-step golden case');
  for (const c of stateful) {
    const it = loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite')))).createInterpreter();
    const runStep = (step: number) => {
      it.inputs.forEach((v, i) => asBytes(v.data).set(npyBytes(casePath(c, `input_${i}.step${step}.npy`))));
      it.invoke();
      return it.outputs.map((v) => Uint8Array.from(asBytes(v.data)));
    };
    const expected0 = it.outputs.map((_, i) => npyBytes(casePath(c, `output_${i}.step0.npy`)));
    for (let step = 0; step < c.steps!; step++) runStep(step);
    // Without a reset the first input meets the carried-over state: the output must change.
    assert.ok(runStep(0).some((o, i) => firstDifference(o, expected0[i]) >= 0), `${c.id}: state did not carry over`);
    it.reset();
    runStep(0).forEach((o, i) => assert.is(firstDifference(o, expected0[i]), -1, `${c.id} output ${i} after reset()`));
  }
});

test('models the runtime must reject fail with the expected one-line error', () => {
  for (const c of allGoldenCases().filter((g) => g.expectError)) {
    try {
      loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))));
      assert.unreachable(`${c.id} loaded`);
    } catch (e) {
      assert.ok((e as Error).message.includes(c.expectError!), `${c.id}: ${(e as Error).message}`);
    }
  }
});

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
