/** `edgerun demo` (`npm run demo`): predictive maintenance end to end, with a short report and an SVG plot. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, InputError, loadModel } from '../index.js';
import { type DemoResult, renderDemoSvg, runDemo } from '../pm/demo.js';
import { one, parseArgs } from './args.js';
import { HELP } from './help.js';

const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const FILES = { anomaly: 'anomaly_ae.tflite', classify: 'fault_cnn.tflite', rul: 'rul.tflite' } as const;

function whole(name: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < lo || n > hi) throw new InputError(`${name} must be a whole number ${lo}..${hi}, got ${JSON.stringify(text)}`);
  return n;
}

export function cmdDemo(argv: string[]): void {
  const args = parseArgs(argv, ['--models', '--seed', '--machine', '--fault', '--life', '--healthy', '--svg', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.demo);
  if (args.positional.length > 0) throw new InputError(`demo takes no arguments, got ${JSON.stringify(args.positional[0])} (see edgerun demo --help)`);
  const dir = one(args, '--models', join(PACKAGE_ROOT, 'models', 'pm'));
  const fault = one(args, '--fault', 'outer');
  if (fault !== 'inner' && fault !== 'outer' && fault !== 'ball') throw new InputError(`--fault must be inner, outer or ball (a bearing fault), got ${JSON.stringify(fault)}`);
  const options = {
    seed: whole('--seed', one(args, '--seed', '1'), 0, 0xffffffff),
    machine: args.flags.has('--machine') ? whole('--machine', one(args, '--machine', ''), 0, 999999) : undefined,
    fault: fault as 'inner' | 'outer' | 'ball',
    lifeS: whole('--life', one(args, '--life', '120'), 10, 3600),
    healthyS: whole('--healthy', one(args, '--healthy', '60'), 5, 3600),
  } as const;
  const paths = { anomaly: join(dir, FILES.anomaly), classify: join(dir, FILES.classify), rul: join(dir, FILES.rul) };
  const models = { anomaly: loadModel(paths.anomaly), classify: loadModel(paths.classify), rul: loadModel(paths.rul) };
  const result = runDemo(models, paths, options);
  const svgPath = one(args, '--svg', 'edgerun-demo.svg');
  mkdirSync(dirname(resolve(svgPath)), { recursive: true });
  writeFileSync(`${svgPath}.tmp`, renderDemoSvg(result));
  renameSync(`${svgPath}.tmp`, svgPath);
  if (args.flags.has('--json')) {
    const { healthy, faulty, ...summary } = result;
    console.log(JSON.stringify({ ...summary, svg: svgPath, faulty: { t: faulty.t, score: faulty.anomaly.map((s) => s.score), label: faulty.classify.map((s) => s?.label ?? null), rulS: faulty.rul.map((s) => s?.score ?? null) }, healthy: { t: healthy.t, score: healthy.anomaly.map((s) => s.score) } }));
    return;
  }
  console.log(report(result, svgPath));
}

const s1 = (x: number) => x.toFixed(1);

function report(r: DemoResult, svgPath: string): string {
  const [ae, cnn, rul] = r.models;
  const lines = [
    `edgerun demo: predictive maintenance on synthesized sensors (seed ${r.seed}, machine ${r.machine}: ${r.split === 'test' ? 'a test machine, unseen in training' : 'a TRAINING machine, seen by the models'})`,
    '',
    `Healthy machine, ${s1(r.healthy.t.length ? r.healthy.t.at(-1)! : 0)} s: ${r.healthyFalseAlarms} of ${r.healthy.anomaly.length} windows above the anomaly threshold (${ae.threshold.toPrecision(3)}).`,
    `Same machine, ${r.fault}-race bearing defect growing from severity ${r.initialSeverity} to failure at t = ${r.lifeS} s:`,
  ];
  if (r.firstCrossingT === null) {
    lines.push('  the anomaly score never crossed the threshold.');
  } else {
    const sev = r.faulty.severity[r.faulty.t.indexOf(r.firstCrossingT)];
    lines.push(`  anomaly score first crossed the threshold at t = ${s1(r.firstCrossingT)} s (severity ${sev.toFixed(2)}, ${s1(r.lifeS - r.firstCrossingT)} s before failure)` +
      (r.sustainedFromT !== null ? `; above it without a break from t = ${s1(r.sustainedFromT)} s` : ''));
  }
  const flagged = r.diagnosis.reduce((a, d) => a + d.windows, 0);
  if (flagged > 0) {
    const top = r.diagnosis[0];
    const rest = r.diagnosis.slice(1, 4).filter((d) => d.windows * 100 >= flagged).map((d) => `${d.label} ${((100 * d.windows) / flagged).toFixed(0)} %`).join(', ');
    lines.push(`  diagnosis: ${top.label} (${((100 * top.windows) / flagged).toFixed(0)} % of the ${flagged} anomalous windows${rest ? `; ${rest}` : ''})`);
  }
  const rulAt = (frac: number) => {
    const target = r.lifeS * frac;
    const w = r.faulty.rulWindows.reduce<(typeof r.faulty.rulWindows)[number] | null>((best, s) => (best === null || Math.abs(s.t - target) < Math.abs(best.t - target) ? s : best), null);
    return w ? `t = ${s1(w.t)} s: ${s1(w.score)} s (true ${s1(r.lifeS - w.t)} s)` : '';
  };
  if (r.rulRmseS !== null) lines.push(`  remaining useful life predicted at ${[0.5, 0.75, 0.9].map(rulAt).filter(Boolean).join('; ')}; RMSE over the run ${s1(r.rulRmseS)} s`);
  lines.push('', 'Per window, on V8 with the SIMD kernels (DSP features + model; RAM and ROM of the model, then of its feature front-end):');
  for (const m of [ae, cnn, rul]) {
    lines.push(`  ${m.task.padEnd(8)} ${m.path.replace(PACKAGE_ROOT + '/', '')}: features ${m.featuresMs.toFixed(3)} ms + model ${m.modelMs.toFixed(3)} ms; ` +
      `RAM ${formatBytes(m.ramBytes)} + ${formatBytes(m.featureRamBytes)} B, ROM ${formatBytes(m.romBytes)} + ${formatBytes(m.featureRomBytes)} B`);
  }
  lines.push('', `${s1(r.signalSeconds)} s of signal scored by three models in ${r.elapsedS.toFixed(1)} s. Plot of the anomaly score: ${svgPath}`);
  return lines.join('\n');
}
