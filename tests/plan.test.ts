import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../host/index.js';
import { ALIGN, type Lifetime, planArena } from '../host/plan/arena.js';
import { casePath, GOLDEN_DIR, goldenCases, rng } from './helpers.js';

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

test('random lifetimes: no two live buffers overlap; arena >= lower bound', () => {
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(r() * 30);
    const buffers: Lifetime[] = Array.from({ length: n }, (_, tensor) => {
      const first = Math.floor(r() * 20);
      return { tensor, bytes: 1 + Math.floor(r() * 5000), first, last: first + Math.floor(r() * 6) };
    });
    const plan = planArena(buffers);
    assertNoOverlap(buffers, plan.offsets, plan.arenaBytes, `trial ${trial}`);
    assert.ok(plan.arenaBytes >= plan.lowerBoundBytes);
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

test.run();
