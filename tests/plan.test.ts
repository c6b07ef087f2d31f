import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, ModelError } from '../host/index.js';
import { BuiltinOperator, BuiltinOptionsType } from '../host/tflite/schema.js';
import { writeModel } from '../host/tflite/writer.js';
import { ALIGN, type Lifetime, planArena } from '../host/plan/arena.js';
import { asBytes, casePath, GOLDEN_DIR, goldenCases, ROOT, rng } from './helpers.js';
import { join } from 'node:path';

function assertNoOverlap(buffers: Lifetime[], offsets: Map<number, number>, arenaBytes: number, what: string): void {
  for (const b of buffers) {
    const o = offsets.get(b.tensor)!;
    assert.ok(o % ALIGN === 0, `${what}: tensor ${b.tensor} offset ${o} not aligned`);
    assert.ok(o + b.bytes <= arenaBytes, `${what}: tensor ${b.tensor} ends past the arena`);
  }
  for (let i = 0; i < buffers.length; i++) {
    for (let j = i + 1; j < buffers.length; j++) {
      const a = buffers[i];
      const b = buffers[j];
      if (a.first > b.last || b.first > a.last) continue;
      const oa = offsets.get(a.tensor)!;
      const ob = offsets.get(b.tensor)!;
      const disjoint = oa + a.bytes <= ob || ob + b.bytes <= oa;
      assert.ok(disjoint, `${what}: live tensors ${a.tensor} and ${b.tensor} overlap`);
    }
  }
}

/** n buffers live from a step in [0, firstSteps) for up to maxSpan more steps, of bytes(). */
function randomLifetimes(r: () => number, n: number, firstSteps: number, maxSpan: number, bytes: () => number): Lifetime[] {
  return Array.from({ length: n }, (_, tensor) => {
    const first = Math.floor(r() * firstSteps);
    return { tensor, bytes: bytes(), first, last: first + Math.floor(r() * (maxSpan + 1)) };
  });
}

test('random lifetimes: no two live buffers overlap; arena >= lower bound', () => {
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const buffers = randomLifetimes(r, 1 + Math.floor(r() * 30), 20, 5, () => 1 + Math.floor(r() * 5000));
    const plan = planArena(buffers);
    assertNoOverlap(buffers, plan.offsets, plan.arenaBytes, `trial ${trial}`);
    assert.ok(plan.arenaBytes >= plan.lowerBoundBytes);
  }
});

/** The smallest arena of any plan, by trying every aligned offset below the best found so far. */
function optimalArena(buffers: Lifetime[]): number {
  const sizes = buffers.map((b) => Math.ceil(b.bytes / ALIGN) * ALIGN);
  let best = sizes.reduce((a, b) => a + b, 0);
  const offsets: number[] = [];
  const visit = (i: number, top: number) => {
    if (i === buffers.length) { best = Math.min(best, top); return; }
    for (let o = 0; o + sizes[i] < best; o += ALIGN) {
      const clash = offsets.some((p, j) => buffers[j].first <= buffers[i].last && buffers[i].first <= buffers[j].last &&
        o < p + sizes[j] && p < o + sizes[i]);
      if (clash) continue;
      offsets.push(o);
      visit(i + 1, Math.max(top, o + sizes[i]));
      offsets.pop();
    }
  };
  visit(0, 0);
  return best;
}

test('small random lifetimes: the arena is the smallest possible (every offset tried)', () => {
  const r = rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const buffers = randomLifetimes(r, 2 + Math.floor(r() * 5), 4, 2, () => ALIGN * (1 + Math.floor(r() * 6)));
    const plan = planArena(buffers);
    assertNoOverlap(buffers, plan.offsets, plan.arenaBytes, `trial ${trial}`);
    assert.is(plan.arenaBytes, optimalArena(buffers), `trial ${trial}: ${JSON.stringify(buffers)}`);
  }
});

test('every golden model: planned tensors never overlap while live, and the plan is deterministic', () => {
  if (!existsSync(GOLDEN_DIR)) return;
  for (const c of goldenCases()) {
    const bytes = new Uint8Array(readFileSync(casePath(c, 'model.tflite')));
    const a = loadModel(bytes).prepared.layout;
    const b = loadModel(bytes).prepared.layout;
    assert.equal([...a.arena.offsets], [...b.arena.offsets], `${c.id}: plan not deterministic`);
    assert.ok(a.arena.arenaBytes >= a.arena.lowerBoundBytes);
    assertNoOverlap(a.arena.buffers, a.arena.offsets, a.arena.arenaBytes, c.id);
  }
});

const BENCH = ['kws_dscnn', 'vww_mobilenetv1_025', 'ic_resnet8', 'ad_autoencoder', 'ww_dscnn1d'];
const PM = ['anomaly_ae', 'fault_cnn', 'rul'];

test('benchmark networks and sensor models: the arena is the lower bound (MobileNetV1-0.25 96x96 for size: 55,296 B)', () => {
  const paths = [...BENCH.map((m) => join(ROOT, 'models', 'bench', `${m}.tflite`)), ...PM.map((m) => join(ROOT, 'models', 'pm', `${m}.tflite`))];
  for (const path of paths) {
    for (const optimize of ['speed', 'size'] as const) {
      const { arena } = loadModel(path, { optimize }).prepared.layout;
      assert.is(arena.arenaBytes, arena.lowerBoundBytes, `${path} (${optimize})`);
      if (path.includes('vww_mobilenetv1_025') && optimize === 'size') assert.ok(arena.arenaBytes <= 55296);
    }
  }
});

test('RESHAPE costs nothing: no kernel call, the output aliases the input', () => {
  const c = goldenCases().find((g) => g.op === 'RESHAPE' && g.ops.length === 1)!;
  const m = loadModel(new Uint8Array(readFileSync(casePath(c, 'model.tflite'))));
  const op = m.prepared.model.operators[0];
  assert.is(m.prepared.layout.calls.length, 0);
  assert.is(m.prepared.layout.tensorAddress.get(op.outputs[0]), m.prepared.layout.tensorAddress.get(op.inputs[0]));
});

test('ADD runs in place when an input dies there (ResNet-8 residual adds)', () => {
  const m = loadModel(join(ROOT, 'models', 'bench', 'ic_resnet8.tflite'));
  const { tensorAddress } = m.prepared.layout;
  const adds = m.prepared.model.operators.filter((o) => o.opName === 'ADD');
  assert.ok(adds.length > 0);
  for (const op of adds) assert.ok(op.inputs.some((t) => tensorAddress.get(t) === tensorAddress.get(op.outputs[0])), `ADD ${op.index}`);
});

/** x[1,8] -> FC -> y1 -> FC -> y2, optionally with a TFLM offline plan. */
function chain(plan: number[] | null): Uint8Array {
  const q = { scale: [0.05], zeroPoint: [3] };
  const w = { scale: [0.01], zeroPoint: [0] };
  const weights = Int8Array.from({ length: 64 }, (_, i) => ((i * 37) % 255) - 127);
  const fc = (input: number, filter: number, output: number) => ({
    builtinCode: BuiltinOperator.FULLY_CONNECTED, inputs: [input, filter, -1], outputs: [output],
    optionsType: BuiltinOptionsType.FullyConnectedOptions, options: [],
  });
  return writeModel({
    tensors: [
      { name: 'x', shape: [1, 8], type: 9, quantization: q },
      { name: 'w1', shape: [8, 8], type: 9, data: weights, quantization: w },
      { name: 'y1', shape: [1, 8], type: 9, quantization: q },
      { name: 'w2', shape: [8, 8], type: 9, data: weights, quantization: w },
      { name: 'y2', shape: [1, 8], type: 9, quantization: q },
    ],
    operators: [fc(0, 1, 2), fc(2, 3, 4)],
    inputs: [0],
    outputs: [4],
    metadata: plan ? [{ name: 'OfflineMemoryAllocation', data: new Uint8Array(Int32Array.from(plan).buffer) }] : [],
  });
}

test('TFLM offline plans (OfflineMemoryAllocation) are honoured and checked', () => {
  const run = (bytes: Uint8Array) => {
    const m = loadModel(bytes);
    const it = m.createInterpreter();
    asBytes(it.inputs[0].data).set(Uint8Array.from({ length: 8 }, (_, i) => i * 29));
    it.invoke();
    return { m, out: Array.from(asBytes(it.outputs[0].data)) };
  };
  const online = run(chain(null));
  // x and y2 never live together, so both may sit at offset 0; y1 at 64.
  const offline = run(chain([1, 0, 5, 0, -1, 64, -1, 0]));
  const { tensorAddress, arenaStart } = offline.m.prepared.layout;
  assert.equal([0, 2, 4].map((t) => tensorAddress.get(t)! - arenaStart), [0, 64, 0]);
  assert.equal(offline.out, online.out);
  const rejects = (plan: number[], pattern: RegExp) => {
    try {
      loadModel(chain(plan));
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, ModelError);
      assert.match((e as Error).message, pattern);
    }
  };
  rejects([1, 0, 5, 0, -1, 0, -1, 64], /tensors 0 and 2 overlap while both live/);
  rejects([1, 0, 4, 0, -1, 64, -1], /plans 4 tensors, the model has 5/);
  rejects([2, 0, 5, 0, -1, 64, -1, 0], /version 2/);
  rejects([1, 0, 5, -7, -1, 64, -1, 0], /offset -7 is negative/);
});

test.run();
