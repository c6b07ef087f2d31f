/**
 * The predictive-maintenance demo (`npm run demo`, `edgerun demo`): a healthy machine and one whose
 * bearing develops a fault to failure, both synthesized (host/pm/synth.ts) on a test machine the
 * models never saw, streamed as CSV through the DSP front-end and the three models of models/pm
 * (anomaly autoencoder, fault classifier, remaining-useful-life regressor) exactly as
 * `edgerun stream` does it. Returns what the report and the plot need.
 */
import { InputError } from '../errors.js';
import type { EdgerunModel } from '../index.js';
import { featureMemory, planFeatures } from './features.js';
import { pmMetaOf, type PmMeta } from './model_meta.js';
import { createScorer, type ScorerTiming } from './scorer.js';
import { CsvScorer, type StreamScore } from './stream.js';
import { severityAt } from './generator.js';
import { type Fault, splitMachines, synthesize, toCsv } from './synth.js';

export interface DemoModels {
  anomaly: EdgerunModel;
  classify: EdgerunModel;
  rul: EdgerunModel;
}

export interface DemoOptions {
  seed?: number;
  /** Test machine (default: the first test machine of the seed's fleet). */
  machine?: number;
  fault?: Extract<Fault, 'inner' | 'outer' | 'ball'>;
  /** Seconds from the first sign of the fault to failure (default 120). */
  lifeS?: number;
  /** Seconds of the healthy machine (default 60). */
  healthyS?: number;
}

export interface ModelFigures {
  path: string;
  task: string;
  /** Milliseconds per window: DSP features, then the model (quantize, invoke, score). */
  featuresMs: number;
  modelMs: number;
  ramBytes: number;
  romBytes: number;
  featureRamBytes: number;
  featureRomBytes: number;
  threshold: number;
}

export interface DemoSeries {
  t: number[];
  anomaly: StreamScore[];
  /** The classifier's latest score at each t (null before its first window). */
  classify: (StreamScore | null)[];
  /** The RUL model's latest score at each t (null while its context fills). */
  rul: (StreamScore | null)[];
  /** Severity and true remaining life at each t (degradation run only). */
  severity: number[];
  trueRulS: (number | null)[];
  /** The RUL model's own windows. */
  rulWindows: StreamScore[];
}

export interface DemoResult {
  seed: number;
  machine: number;
  /** Whether the models could have seen this machine in training (they train on 'train' machines only). */
  split: 'train' | 'test';
  fault: Fault;
  lifeS: number;
  initialSeverity: number;
  healthy: DemoSeries;
  faulty: DemoSeries;
  /** First window of the faulty run whose anomaly score exceeds the threshold, and from when it stays above. */
  firstCrossingT: number | null;
  sustainedFromT: number | null;
  healthyFalseAlarms: number;
  /** Class counts over the faulty run's windows flagged by the anomaly model. */
  diagnosis: { label: string; windows: number }[];
  rulRmseS: number | null;
  models: ModelFigures[];
  signalSeconds: number;
  elapsedS: number;
}

/** Within the RUL model's training range of initial severities (models/pm/metrics.json: 0.03-0.08). */
const INITIAL_SEVERITY = 0.05;

function pmMeta(model: EdgerunModel, task: string): PmMeta {
  const meta = pmMetaOf(model.prepared.model.metadata, `${task} model`);
  if (meta === null) throw new InputError(`the ${task} model has no edgerun.pm metadata`);
  if (meta.task !== task) throw new InputError(`the ${task} model's metadata says it is a ${meta.task} model`);
  return meta;
}

/** Streams one synthesized run through all three models; the rows are the anomaly model's windows. */
function streamRun(models: DemoModels, metas: Record<keyof DemoModels, PmMeta>, csv: Uint8Array, timings: Map<string, ScorerTiming>): Omit<DemoSeries, 'severity' | 'trueRulS'> {
  const out: Record<keyof DemoModels, StreamScore[]> = { anomaly: [], classify: [], rul: [] };
  for (const task of ['anomaly', 'classify', 'rul'] as const) {
    const scorer = createScorer(models[task].createInterpreter(), metas[task], { where: `${task} model` });
    const stream = new CsvScorer(scorer, { onScore: (s) => out[task].push(s) });
    for (let at = 0; at < csv.length; at += 1 << 20) stream.push(csv.subarray(at, at + (1 << 20)));
    stream.end();
    const total = timings.get(task) ?? { windows: 0, featuresMs: 0, modelMs: 0 };
    timings.set(task, { windows: total.windows + scorer.timing.windows, featuresMs: total.featuresMs + scorer.timing.featuresMs, modelMs: total.modelMs + scorer.timing.modelMs });
  }
  // Align the other models' windows with the anomaly model's: the latest score at or before t.
  const latest = (list: StreamScore[]) => {
    let k = -1;
    return (t: number) => {
      while (k + 1 < list.length && list[k + 1].t <= t + 1e-9) k++;
      return k >= 0 ? list[k] : null;
    };
  };
  const t = out.anomaly.map((s) => s.t);
  const classifyAt = latest(out.classify);
  const rulAt = latest(out.rul);
  return { t, anomaly: out.anomaly, classify: t.map(classifyAt), rul: t.map(rulAt), rulWindows: out.rul };
}

export function runDemo(models: DemoModels, paths: Record<keyof DemoModels, string>, options: DemoOptions = {}): DemoResult {
  const started = performance.now();
  const metas = { anomaly: pmMeta(models.anomaly, 'anomaly'), classify: pmMeta(models.classify, 'classify'), rul: pmMeta(models.rul, 'rul') };
  const rate = metas.anomaly.features.sampleRate;
  for (const task of ['classify', 'rul'] as const) {
    if (metas[task].features.sampleRate !== rate) throw new InputError(`the models disagree on the sample rate (${rate} vs ${metas[task].features.sampleRate} Hz)`);
  }
  const seed = options.seed ?? 1;
  const machine = options.machine ?? splitMachines(seed, 5).test[0];
  const fault = options.fault ?? 'outer';
  const lifeS = options.lifeS ?? 120;
  const healthyS = options.healthyS ?? 60;
  const timings = new Map<string, ScorerTiming>();
  const encode = (run: ReturnType<typeof synthesize>) => new TextEncoder().encode(toCsv(run));

  const healthyRun = synthesize({ seed, machine, run: 1, duration: healthyS, rate });
  const healthy = streamRun(models, metas, encode(healthyRun), timings);
  const faultyRun = synthesize({ seed, machine, run: 2, fault, severity: INITIAL_SEVERITY, degrade: lifeS, rate });
  const faulty = streamRun(models, metas, encode(faultyRun), timings);

  const firstCrossing = faulty.anomaly.find((s) => s.anomaly) ?? null;
  let sustainedFrom: number | null = null;
  for (let k = faulty.anomaly.length - 1; k >= 0 && faulty.anomaly[k].anomaly; k--) sustainedFrom = faulty.t[k];
  const counts = new Map<string, number>();
  faulty.anomaly.forEach((s, k) => {
    const label = faulty.classify[k]?.label;
    if (s.anomaly && label !== undefined) counts.set(label, (counts.get(label) ?? 0) + 1);
  });
  const faultySeries: DemoSeries = { ...faulty, severity: faulty.t.map((t) => severityAt({ severity: INITIAL_SEVERITY, lifeS }, t)), trueRulS: faulty.t.map((t) => lifeS - t) };
  const rulPairs = faulty.rulWindows.map((s) => [s.score, lifeS - s.t]);
  const rulRmseS = rulPairs.length ? Math.sqrt(rulPairs.reduce((a, [p, y]) => a + (p - y) ** 2, 0) / rulPairs.length) : null;

  const modelFigures: ModelFigures[] = (['anomaly', 'classify', 'rul'] as const).map((task) => {
    const timing = timings.get(task)!;
    const f = featureMemory(planFeatures(metas[task].features));
    return {
      path: paths[task], task,
      featuresMs: timing.featuresMs / Math.max(1, timing.windows),
      modelMs: timing.modelMs / Math.max(1, timing.windows),
      ramBytes: models[task].memory.ramBytes, romBytes: models[task].memory.romBytes,
      featureRamBytes: f.ramBytes, featureRomBytes: f.romBytes,
      threshold: metas[task].threshold,
    };
  });
  return {
    seed, machine, split: healthyRun.meta.machine.split, fault, lifeS, initialSeverity: INITIAL_SEVERITY,
    healthy: { ...healthy, severity: healthy.t.map(() => 0), trueRulS: healthy.t.map(() => null) },
    faulty: faultySeries,
    firstCrossingT: firstCrossing?.t ?? null,
    sustainedFromT: sustainedFrom,
    healthyFalseAlarms: healthy.anomaly.filter((s) => s.anomaly).length,
    diagnosis: [...counts].map(([label, windows]) => ({ label, windows })).sort((a, b) => b.windows - a.windows),
    rulRmseS,
    models: modelFigures,
    signalSeconds: healthyS + lifeS,
    elapsedS: (performance.now() - started) / 1000,
  };
}

/** The anomaly score over time for both runs, with the threshold and the first crossing: an SVG. */
export function renderDemoSvg(r: DemoResult): string {
  const W = 760, H = 360, left = 64, right = 20, top = 40, bottom = 48;
  const threshold = r.models[0].threshold;
  const healthyEnd = r.healthy.t.at(-1) ?? 0;
  // The healthy run first, then the faulty run, on one time axis.
  const points = [
    ...r.healthy.anomaly.map((s) => ({ t: s.t, score: s.score, faulty: false })),
    ...r.faulty.anomaly.map((s) => ({ t: healthyEnd + s.t, score: s.score, faulty: true })),
  ];
  const tMax = Math.max(1e-9, ...points.map((p) => p.t));
  const scores = points.map((p) => p.score).filter((s) => s > 0);
  // Log scale: reconstruction errors span decades between healthy and failing.
  const lo = Math.log10(Math.min(threshold, ...scores) / 2);
  const hi = Math.log10(Math.max(threshold, ...scores) * 2);
  const x = (t: number) => left + ((W - left - right) * t) / tMax;
  const y = (s: number) => top + (H - top - bottom) * (1 - (Math.log10(Math.max(s, 10 ** lo)) - lo) / (hi - lo));
  const path = (faulty: boolean) => points.filter((p) => p.faulty === faulty).map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.score).toFixed(1)}`).join(' ');
  const ticks: string[] = [];
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    ticks.push(`<line x1="${left}" x2="${W - right}" y1="${y(10 ** e).toFixed(1)}" y2="${y(10 ** e).toFixed(1)}" stroke="#eee"/><text x="${left - 6}" y="${(y(10 ** e) + 4).toFixed(1)}" text-anchor="end">1e${e}</text>`);
  }
  const step = tMax > 120 ? 30 : tMax > 40 ? 10 : 5;
  for (let t = 0; t <= tMax; t += step) ticks.push(`<text x="${x(t).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${t}</text>`);
  const crossing = r.firstCrossingT === null ? '' :
    `<line x1="${x(healthyEnd + r.firstCrossingT).toFixed(1)}" x2="${x(healthyEnd + r.firstCrossingT).toFixed(1)}" y1="${top}" y2="${H - bottom}" stroke="#d62728" stroke-dasharray="2 3"/>` +
    `<text x="${(x(healthyEnd + r.firstCrossingT) + 4).toFixed(1)}" y="${top + 12}" fill="#d62728">first alarm ${r.firstCrossingT.toFixed(1)} s into the fault run</text>`;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${left}" y="20" font-size="13">${esc(`Anomaly score, machine ${r.machine} (a ${r.split} machine): healthy ${healthyEnd.toFixed(0)} s, then a developing ${r.fault}-race fault to failure`)}</text>
${ticks.join('\n')}
<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/><line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>
<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">time, s</text>
<text x="16" y="${(top + H - bottom) / 2}" transform="rotate(-90 16 ${(top + H - bottom) / 2})" text-anchor="middle">reconstruction error (log)</text>
<line x1="${x(healthyEnd).toFixed(1)}" x2="${x(healthyEnd).toFixed(1)}" y1="${top}" y2="${H - bottom}" stroke="#999"/>
<text x="${((x(0) + x(healthyEnd)) / 2).toFixed(1)}" y="${H - bottom - 8}" text-anchor="middle" fill="#2ca02c">healthy</text>
<text x="${((x(healthyEnd) + x(tMax)) / 2).toFixed(1)}" y="${H - bottom - 8}" text-anchor="middle" fill="#1f77b4">${esc(`${r.fault}-race defect growing, failure at ${r.lifeS} s`)}</text>
<path d="${path(false)}" fill="none" stroke="#2ca02c" stroke-width="1.2"/>
<path d="${path(true)}" fill="none" stroke="#1f77b4" stroke-width="1.2"/>
<line x1="${left}" x2="${W - right}" y1="${y(threshold).toFixed(1)}" y2="${y(threshold).toFixed(1)}" stroke="#d62728"/>
<text x="${W - right - 4}" y="${(y(threshold) - 4).toFixed(1)}" text-anchor="end" fill="#d62728">threshold ${threshold.toPrecision(3)}</text>
${crossing}
</svg>
`;
}
