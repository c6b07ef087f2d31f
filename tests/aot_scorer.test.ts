/** createScorer over a compiled module with the pm front-end: the same scores as over the interpreter. */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModel, createScorer, CsvScorer, getRuntime, listRuntimes, loadCompiled, loadModel, pmMetaOfModel, type StreamScore, synthesize, toCsv, withOverrides } from '../host/index.js';
import { ROOT } from './helpers.js';

const FIXTURE = join(ROOT, 'tests', 'fixtures', 'pm', 'ad_autoencoder_pm.tflite');
const PM = pmMetaOfModel(loadModel(FIXTURE))!;
const csv = new TextEncoder().encode(toCsv(synthesize({ fault: 'outer', severity: 0.8, duration: 1, rate: 10000, machine: 5 })));

/** Scores of the CSV, and how many windows went through the runner's own front-end. */
function scores(runner: Parameters<typeof createScorer>[0], meta = PM): { list: StreamScore[]; pushes: number } {
  let pushes = 0;
  const fe = runner.frontEnd;
  if (fe) {
    const push = fe.push;
    Object.assign(fe, { push: (s?: ArrayLike<number>) => (pushes++, push(s)) });
  }
  const scorer = createScorer(runner, meta);
  const list: StreamScore[] = [];
  const s = new CsvScorer(scorer, { onScore: (x) => list.push(x) });
  s.push(csv);
  s.end();
  return { list, pushes };
}

test('scores through the module\'s front-end equal the host path\'s exactly (v8, wasmtime)', async () => {
  const host = scores(loadModel(FIXTURE).createInterpreter()).list;
  assert.ok(host.length >= 15);
  const compiled = loadCompiled((await compileModel(FIXTURE)).wasm);
  for (const r of listRuntimes().filter((x) => x.available)) {
    const got = scores(compiled.createInterpreter({ runtime: getRuntime(r.name) }));
    assert.equal(got.list, host, r.name);
    assert.is(got.pushes, host.length, 'every window through the module');
  }
  // An override of the window falls back to the host path: still the interpreter's scores.
  const meta = withOverrides(PM, { window: 512 }, 'test');
  const fallback = scores(compiled.createInterpreter(), meta);
  assert.is(fallback.pushes, 0);
  assert.equal(fallback.list, scores(loadModel(FIXTURE).createInterpreter(), meta).list);
});

test.run();
