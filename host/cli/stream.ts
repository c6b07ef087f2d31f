/** `edgerun stream`: CSV samples in, one JSON line per scored window out. */
import { createReadStream, writeSync } from 'node:fs';
import { readRegularFile } from '../files.js';
import { isDecimal } from '../pm/stream.js';
import {
  createScorer, CsvScorer, type FeatureSpec, InputError, openModel, parsePmMeta, type PmMeta, pmMetaOfModel, type StreamScore,
  type StreamStats, withOverrides,
} from '../index.js';
import { kernelsOption, limitsOf, modelPath, one, optimizeOption, parseArgs, runtimeOf, timeoutOf } from './args.js';
import { HELP } from './help.js';

const round = (x: number, digits: number) => Number(x.toPrecision(digits));

/** JSON text inline ({...}) or a path to a JSON file. */
function jsonArgument(name: string, text: string): unknown {
  let source = text;
  if (!text.trimStart().startsWith('{')) {
    try {
      source = new TextDecoder().decode(readRegularFile(text, 16 * 1024 * 1024));
    } catch (e) {
      throw new InputError(`${name} ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (e) {
    throw new InputError(`${name}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

function wholeArg(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InputError(`${name} must be a whole number of samples >= 1, got ${JSON.stringify(text)}`);
  return n;
}

/** Writes JSON lines in batches, synchronously (nothing written is lost when a later row fails). */
class LineWriter {
  private pending = '';
  closed = false;

  add(line: string): void {
    this.pending += line;
    if (this.pending.length > 65536) this.flush();
  }

  flush(): void {
    if (this.pending === '' || this.closed) return;
    const bytes = Buffer.from(this.pending);
    this.pending = '';
    for (let at = 0; at < bytes.length;) {
      try {
        at += writeSync(1, bytes, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          this.closed = true; // the reader went away (e.g. \`| head\`): stop quietly
          return;
        }
        if (code !== 'EAGAIN') throw new InputError(`standard output: cannot write (${code ?? (e as Error).message})`);
        Atomics.wait(PAUSE, 0, 0, 1); // a non-blocking pipe is full: wait for the reader
      }
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export async function cmdStream(argv: string[]): Promise<void> {
  const args = parseArgs(argv, [
    '--input', '--window', '--hop', '--features', '--meta', '--threshold', '--runtime', '--kernels', '--optimize', '--memory-limit', '--ram-limit', '--timeout', '--quiet',
  ]);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.stream);
  const path = modelPath(args, 'stream');
  if (!args.flags.has('--input')) throw new InputError('stream needs --input FILE (CSV), or --input - for standard input');
  const inputPath = one(args, '--input', '-');
  const runtime = runtimeOf(args);
  const kernels = kernelsOption(args);
  const model = openModel(path, { kernels, optimize: optimizeOption(args) });

  let meta: PmMeta | null = args.flags.has('--meta')
    ? parsePmMeta(jsonArgument('--meta', one(args, '--meta', '')), '--meta')
    : pmMetaOfModel(model, path);
  if (meta === null) throw new InputError(`${path} has no edgerun.pm metadata (columns, features, normalization, threshold): give them with --meta FILE`);
  const overrides: { features?: Partial<FeatureSpec>; window?: number; hop?: number; threshold?: number } = {};
  if (args.flags.has('--features')) {
    const spec = jsonArgument('--features', one(args, '--features', ''));
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new InputError('--features must be a JSON object (a feature spec)');
    overrides.features = spec as Partial<FeatureSpec>;
  }
  if (args.flags.has('--window')) overrides.window = wholeArg('--window', one(args, '--window', ''));
  if (args.flags.has('--hop')) overrides.hop = wholeArg('--hop', one(args, '--hop', ''));
  if (args.flags.has('--threshold')) {
    const text = one(args, '--threshold', '');
    // A decimal number as CSV fields are (no hex or other spellings); the metadata check takes it from there.
    if (!isDecimal(text.trim())) throw new InputError(`--threshold must be a decimal number, got ${JSON.stringify(text)}`);
    overrides.threshold = Number(text);
  }
  meta = withOverrides(meta, overrides, path);

  const runner = model.createInterpreter({ ...limitsOf(args), runtime, timeoutMs: timeoutOf(args) });
  const scorer = createScorer(runner, meta, { kernels: kernels ?? runner.kernels, runtime, where: path });
  const out = new LineWriter();
  const csv = new CsvScorer(scorer, {
    onScore: (s: StreamScore) => out.add(`{"t":${s.t},"score":${round(s.score, 6)},"label":${JSON.stringify(s.label)},"anomaly":${s.anomaly}}\n`),
  });
  const quiet = args.flags.has('--quiet');
  const progress = process.stderr.isTTY && !quiet;
  const t0 = performance.now();
  let shown = t0;
  const source = inputPath === '-' ? process.stdin : createReadStream(inputPath, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      csv.push(chunk);
      out.flush();
      if (out.closed) break;
      if (progress && performance.now() - shown > 500) {
        shown = performance.now();
        process.stderr.write(`\rstream: ${csv.stats.rows.toLocaleString('en-US')} rows, ${csv.stats.windows} windows, ${csv.stats.anomalies} anomalous`);
      }
    }
    if (!out.closed) csv.end();
  } catch (e) {
    out.flush();
    if (progress) process.stderr.write('\n');
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new InputError(`${inputPath}: cannot read (${code})`);
    throw e;
  } finally {
    if ('destroy' in source && source !== process.stdin) source.destroy();
  }
  out.flush();
  if (progress) process.stderr.write('\n');
  if (!quiet) process.stderr.write(`${summary(csv.stats, scorer.timing, (performance.now() - t0) / 1000, meta)}\n`);
}

function summary(stats: StreamStats, timing: { windows: number; featuresMs: number; modelMs: number }, elapsedS: number, meta: PmMeta): string {
  const signalS = stats.rows / meta.features.sampleRate;
  const per = (ms: number) => (timing.windows ? (ms / timing.windows).toFixed(3) : '-');
  const first = stats.firstAnomalyT === null ? '' : `, first at t = ${round(stats.firstAnomalyT, 6)} s`;
  return `stream: ${stats.windows} windows from ${+signalS.toFixed(3)} s of signal (${stats.rows.toLocaleString('en-US')} rows) in ${elapsedS.toFixed(2)} s, ` +
    `${(signalS / elapsedS).toFixed(0)}x real time; ${stats.anomalies} anomalous${first} (threshold ${round(meta.threshold, 6)}); ` +
    `per window: features ${per(timing.featuresMs)} ms, model ${per(timing.modelMs)} ms`;
}
