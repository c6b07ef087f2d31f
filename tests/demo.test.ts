/** The predictive-maintenance demo: the bundled models catch and name a bearing fault on an unseen machine. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'edgerun-demo-'));

function edgerun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 }, (e, stdout, stderr) => {
      resolve({ code: e ? Number(e.code) : 0, stdout, stderr });
    });
  });
}

test('demo: no alarm on the healthy run, an alarm before failure, the right diagnosis, figures, SVG', async () => {
  const svg = join(tmp, 'score.svg');
  const [json, text, bad] = await Promise.all([
    edgerun('demo', '--life', '90', '--healthy', '20', '--fault', 'inner', '--svg', svg, '--json'),
    edgerun('demo', '--life', '60', '--healthy', '10', '--svg', join(tmp, 'text.svg')),
    edgerun('demo', '--fault', 'imbalance'),
  ]);
  assert.is(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout);
  assert.is(r.split, 'test');
  assert.is(r.fault, 'inner');
  assert.ok(r.healthyFalseAlarms <= Math.ceil(0.05 * r.healthy.t.length), `${r.healthyFalseAlarms} false alarms`);
  assert.ok(r.firstCrossingT !== null && r.firstCrossingT < r.lifeS, `first crossing ${r.firstCrossingT}`);
  assert.ok(r.sustainedFromT !== null && r.sustainedFromT < r.lifeS);
  assert.is(r.diagnosis[0].label, 'inner', JSON.stringify(r.diagnosis));
  assert.ok(r.rulRmseS > 0 && r.rulRmseS < 0.5 * r.lifeS, `RUL RMSE ${r.rulRmseS}`);
  assert.equal(r.models.map((m: { task: string }) => m.task), ['anomaly', 'classify', 'rul']);
  for (const m of r.models) assert.ok(m.featuresMs > 0 && m.modelMs > 0 && m.ramBytes > 0 && m.romBytes > m.ramBytes && m.featureRomBytes > 0, JSON.stringify(m));
  assert.is(r.faulty.t.length, r.faulty.score.length);
  assert.ok(r.faulty.score.at(-1) > r.models[0].threshold, 'failing machine scores above the threshold');
  const plot = readFileSync(svg, 'utf8');
  assert.match(plot, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
  assert.match(plot, /first alarm [\d.]+ s into the fault run/);
  assert.is((plot.match(/<path d="M/g) ?? []).length, 2);

  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^edgerun demo: predictive maintenance on synthesized sensors \(seed 1, machine \d+: a test machine, unseen in training\)\n/);
  assert.match(text.stdout, /\nHealthy machine, [\d.]+ s: \d+ of \d+ windows above the anomaly threshold/);
  assert.match(text.stdout, /anomaly score first crossed the threshold at t = [\d.]+ s \(severity [\d.]+, [\d.]+ s before failure\)/);
  assert.match(text.stdout, /diagnosis: outer \(\d+ % of the \d+ anomalous windows/);
  assert.match(text.stdout, /anomaly  models\/pm\/anomaly_ae\.tflite: features [\d.]+ ms \+ model [\d.]+ ms; RAM [\d,]+ \+ [\d,]+ B, ROM [\d,]+ \+ [\d,]+ B/);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, 'edgerun: error: --fault must be inner, outer or ball (a bearing fault), got "imbalance"\n');
});

test.run();
