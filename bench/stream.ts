/**
 * Streaming throughput: seconds of 10 kHz sensor signal scored per second of one core, for each
 * predictive-maintenance model, in process (CSV bytes in memory -> parser -> DSP features -> model)
 * and end to end (`edgerun stream FILE` as a child process, Node's start-up included). The target
 * is >= 100x real time. Prints medians over runs and writes bench/results/stream.{md,json}.
 * Run: node dist/bench/stream.js [--seconds S] [--runs N] [--model PATH]... [--meta FILE] [--json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createScorer, CsvScorer, openModel, parsePmMeta, type PmMeta, pmMetaOfModel, synthesize, toCsv,
} from '../host/index.js';
import { scriptArgs, usageExit } from './args.js';
import { RESULTS_DIR, ROOT, shown } from './paths.js';
import { percentile } from './stats.js';

const HELP = `usage: node dist/bench/stream.js [--seconds S] [--runs N] [--model PATH]... [--meta FILE] [--json]

Scores S seconds (default 60) of synthesized 10 kHz sensor CSV (an outer-race fault developing)
with each model (default: models/pm/*.tflite), N times (default 5): in process and through the
edgerun stream command. Prints medians as multiples of real time; target >= 100x.`;

const median = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 0.5);
/** A per-window time, or - when the stream was too short for any window. */
const perWindow = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(3)} ms` : '-');

interface Row {
  model: string;
  task: string;
  windowSize: number;
  hop: number;
  windows: number;
  inProcessX: number;
  endToEndX: number;
  featuresMsPerWindow: number;
  modelMsPerWindow: number;
  parseShare: number;
}

function main(): void {
  const args = scriptArgs('bench/stream', HELP, {
    seconds: { type: 'string' }, runs: { type: 'string' }, model: { type: 'string', multiple: true }, meta: { type: 'string' }, json: { type: 'boolean' },
  });
  const seconds = Number(args.seconds ?? '60');
  const runs = Number(args.runs ?? '5');
  if (!(seconds > 0 && seconds <= 3600)) usageExit('bench/stream', `--seconds: ${args.seconds} (a number of seconds, 0 < S <= 3600)`);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100)) usageExit('bench/stream', `--runs: ${args.runs} (a whole number 1..100)`);
  const json = args.json ?? false;
  const given = args.model ?? [];
  const pmDir = join(ROOT, 'models/pm');
  const models = given.length > 0 ? given : existsSync(pmDir) ? readdirSync(pmDir).filter((f) => f.endsWith('.tflite')).sort().map((f) => join(pmDir, f)) : [];
  if (models.length === 0) throw new Error('no models: give --model PATH (with edgerun.pm metadata, or --meta FILE)');
  const metaOverride = args.meta !== undefined ? parsePmMeta(readFileSync(args.meta, 'utf8'), '--meta') : null;

  const rate = 10000;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`synthesizing ${seconds} s at ${rate} Hz ...`);
  const csv = Buffer.from(toCsv(synthesize({ fault: 'outer', degrade: seconds * 1.2, duration: seconds, rate, machine: 4 })));
  const tmp = mkdtempSync(join(tmpdir(), 'edgerun-stream-bench-'));
  const csvFile = join(tmp, 'run.csv');
  writeFileSync(csvFile, csv);
  const rows: Row[] = [];
  try {
    for (const path of models) {
      const model = openModel(path);
      const meta: PmMeta = metaOverride ?? pmMetaOfModel(model, path) ?? (() => { throw new Error(`${path}: no edgerun.pm metadata (use --meta)`); })();
      const inProcess: number[] = [];
      const parse: number[] = [];
      let features = 0;
      let inference = 0;
      let windows = 0;
      for (let r = 0; r < runs; r++) {
        const scorer = createScorer(model.createInterpreter(), meta);
        const stream = new CsvScorer(scorer, { onScore: () => {} });
        const t0 = performance.now();
        for (let at = 0; at < csv.length; at += 1 << 20) stream.push(csv.subarray(at, at + (1 << 20)));
        stream.end();
        const ms = performance.now() - t0;
        inProcess.push(ms);
        parse.push((ms - scorer.timing.featuresMs - scorer.timing.modelMs) / ms);
        features += scorer.timing.featuresMs;
        inference += scorer.timing.modelMs;
        windows = scorer.timing.windows;
      }
      const endToEnd: number[] = [];
      const metaArgs = metaOverride ? ['--meta', args.meta!] : [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        execFileSync(process.execPath, [join(ROOT, 'dist/host/cli.js'), 'stream', path, '--input', csvFile, '--quiet', ...metaArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
        endToEnd.push(performance.now() - t0);
      }
      const row: Row = {
        model: shown(path), task: meta.task, windowSize: meta.features.windowSize, hop: meta.features.hop, windows,
        inProcessX: seconds / (median(inProcess) / 1000),
        endToEndX: seconds / (median(endToEnd) / 1000),
        featuresMsPerWindow: features / runs / windows,
        modelMsPerWindow: inference / runs / windows,
        parseShare: median(parse),
      };
      rows.push(row);
      log(`${row.model}: ${row.inProcessX.toFixed(0)}x real time in process, ${row.endToEndX.toFixed(0)}x end to end`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const header = `Streaming throughput: ${seconds} s of ${rate} Hz CSV (6 columns, ${(csv.length / 1e6).toFixed(1)} MB), median of ${runs} runs, one core (target >= 100x real time)`;
  const table = [
    '| model | task | window / hop | windows | in process | end to end (CLI) | features / window | model / window | CSV parsing share |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.model} | ${r.task} | ${r.windowSize} / ${r.hop} | ${r.windows} | ${r.inProcessX.toFixed(0)}x | ${r.endToEndX.toFixed(0)}x | ${perWindow(r.featuresMsPerWindow)} | ${perWindow(r.modelMsPerWindow)} | ${(100 * r.parseShare).toFixed(0)} % |`),
  ].join('\n');
  const result = { seconds, rate, runs, csvBytes: csv.length, rows };
  writeFileSync(join(RESULTS_DIR, 'stream.json.tmp'), JSON.stringify(result, null, 2) + '\n');
  renameSync(join(RESULTS_DIR, 'stream.json.tmp'), join(RESULTS_DIR, 'stream.json'));
  writeFileSync(join(RESULTS_DIR, 'stream.md.tmp'), `${header}\n\n${table}\n`);
  renameSync(join(RESULTS_DIR, 'stream.md.tmp'), join(RESULTS_DIR, 'stream.md'));
  console.log(json ? JSON.stringify(result) : `${header}\n\n${table}`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench/stream: error: ${(e as Error).message.split('\n')[0]}\n`);
  process.exitCode = 2;
}
