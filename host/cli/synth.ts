/** `edgerun synth`: sensor data of a rotating machine from the physics model in host/pm, as CSV. */
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { InputError } from '../index.js';
import { createSynth, CSV_HEADER, csvBytes, type Fault, type Synth, type SynthMeta, type SynthOptions } from '../pm/synth.js';
import { type Args, one, parseArgs } from './args.js';
import { HELP } from './help.js';

/** Runs this long (samples) show progress on stderr when it is a terminal. */
const PROGRESS_SAMPLES = 2_000_000;

/** A number option: digits with an optional fraction (whole: digits only), or undefined when not given. */
function numberOf(args: Args, name: string, whole = false): number | undefined {
  if (!args.flags.has(name)) return undefined;
  const text = one(args, name, '');
  if (!(whole ? /^[0-9]+$/ : /^[0-9]+(\.[0-9]+)?$/).test(text)) {
    throw new InputError(`${name} must be ${whole ? 'a whole number' : 'a number'}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function optionsOf(args: Args): SynthOptions {
  return {
    seed: numberOf(args, '--seed', true),
    machine: numberOf(args, '--machine', true),
    run: numberOf(args, '--run', true),
    fault: args.flags.has('--fault') ? (one(args, '--fault', '') as Fault) : undefined,
    severity: numberOf(args, '--severity'),
    duration: numberOf(args, '--duration'),
    rate: numberOf(args, '--rate', true),
    degrade: numberOf(args, '--degrade'),
    window: numberOf(args, '--window', true),
  };
}

/** Where the CSV goes: stdout (with backpressure; stops quietly when the reader goes away) or a temporary file renamed at the end. */
interface Sink {
  /** Writes bytes; false once the reader has gone (EPIPE). */
  write(bytes: Uint8Array): Promise<boolean>;
  /** Staged files: [temporary, final] pairs, renamed on success. */
  staged: [string, string][];
  close(): void;
}

function stdoutSink(): Sink {
  let failure: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { failure ??= e; });
  return {
    staged: [],
    close() {},
    write: (bytes) => new Promise((resolve, reject) => {
      process.stdout.write(bytes, (e) => {
        failure ??= e ?? undefined;
        if (!failure) resolve(true);
        else if (failure.code === 'EPIPE') resolve(false);
        else reject(cannotWrite('stdout', failure));
      });
    }),
  };
}

function cannotWrite(file: string, e: unknown): InputError {
  return new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
}

function fileSink(file: string): Sink {
  const tmp = `${file}.edgerun-${process.pid}.tmp`;
  let fd: number;
  try { fd = openSync(tmp, 'w'); } catch (e) { throw cannotWrite(file, e); }
  return {
    staged: [[tmp, file]],
    close: () => closeSync(fd),
    write: async (bytes) => {
      try {
        for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
      } catch (e) {
        throw cannotWrite(file, e);
      }
      return true;
    },
  };
}

/** Generates the run into the sink, one second of samples at a time, with progress on a terminal; false if the reader went away. */
async function generate(synth: Synth, sink: Sink): Promise<boolean> {
  const { samples, rate, durationS } = synth.meta;
  const progress = process.stderr.isTTY && samples >= PROGRESS_SAMPLES;
  let shown = 0;
  if (!(await sink.write(new TextEncoder().encode(`${CSV_HEADER}\n`)))) return false;
  for (let block = synth.next(); block; block = synth.next()) {
    if (!(await sink.write(csvBytes(block, rate)))) return false;
    if (progress && performance.now() - shown > 250) {
      shown = performance.now();
      const done = block.start + block.ax.length;
      process.stderr.write(`\rsynth: ${Math.floor((100 * done) / samples)}% (${(done / rate).toFixed(0)} of ${durationS} s)`);
    }
  }
  if (progress) process.stderr.write(`\rsynth: 100% (${durationS} of ${durationS} s)\n`);
  return true;
}

/** Writes the CSV (and the labels), renaming the staged files only once everything is written; false if the reader went away. */
async function writeRun(synth: Synth, sink: Sink, labels: string | undefined): Promise<boolean> {
  try {
    const complete = await generate(synth, sink).finally(() => sink.close());
    if (!complete) return false;
    if (labels !== undefined) {
      const tmp = `${labels}.edgerun-${process.pid}.tmp`;
      sink.staged.push([tmp, labels]);
      try { writeFileSync(tmp, `${JSON.stringify(synth.meta)}\n`); } catch (e) { throw cannotWrite(labels, e); }
    }
    for (const [tmp, file] of sink.staged) try { renameSync(tmp, file); } catch (e) { throw cannotWrite(file, e); }
    return true;
  } catch (e) {
    for (const [tmp] of sink.staged) try { unlinkSync(tmp); } catch { /* never written or already renamed */ }
    throw e;
  }
}

function summary(meta: SynthMeta, out: string, labels: string | undefined): string {
  const f = meta.frequencies;
  const m = meta.machine;
  const fault = meta.fault === 'healthy' ? 'healthy' : meta.degradation
    ? `${meta.fault}, degrading from severity ${meta.severity} to failure at ${meta.degradation.lifeS} s`
    : `${meta.fault}, severity ${meta.severity}`;
  return `wrote ${out}: ${meta.samples} rows (${meta.durationS} s at ${meta.rate} Hz), machine ${m.id} (${m.split}), ${fault}\n` +
    `shaft ${f.shaftHz} Hz, line ${f.lineHz} Hz; bearing BPFO ${f.bpfo} Hz, BPFI ${f.bpfi} Hz, BSF ${f.bsf} Hz, FTF ${f.ftf} Hz` +
    (labels ? `\nlabels: ${labels}` : '');
}

export async function cmdSynth(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['--seed', '--machine', '--run', '--fault', '--severity', '--duration', '--rate', '--degrade', '--window', '--out', '--labels', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.synth);
  if (args.positional.length > 0) throw new InputError(`synth takes no positional arguments, got ${JSON.stringify(args.positional[0])} (see edgerun synth --help)`);
  const synth = createSynth(optionsOf(args));
  const out = args.flags.has('--out') ? one(args, '--out', '') : undefined;
  const labels = args.flags.has('--labels') ? one(args, '--labels', '') : undefined;
  const json = args.flags.has('--json');
  if (json && out === undefined) throw new InputError('--json prints the labels on stdout: write the CSV with --out FILE');
  if (out !== undefined && out === labels) throw new InputError('--out and --labels must be different files');
  const sink = out === undefined ? stdoutSink() : fileSink(out);
  if (!(await writeRun(synth, sink, labels))) return;
  if (json) console.log(JSON.stringify(synth.meta));
  else if (out !== undefined) console.log(summary(synth.meta, out, labels));
}
