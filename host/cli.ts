#!/usr/bin/env node
/** The `edgerun` command: a thin layer over the public API (host/index.ts). */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import {
  benchmark, type EdgerunModel, EdgerunError, formatBytes, formatSize, InputError, inspectModel, type Interpreter, loadModel,
  type MemoryLimits, memoryPages, type ModelReport, parseSize, parseSizeList, planReport, profile, readNpy, renderPlanSvg,
  renderPlanText, supportedOps, sweepMemoryLimits, type TensorInfo, type TensorView, writeNpy,
} from './index.js';

const VERSION = '0.1.0';

const HELP: Record<string, string> = {
  main: `edgerun ${VERSION}: run int8 TFLite models on WebAssembly, bit-exact with TFLite's reference kernels.

Usage: edgerun <command> [options]

Commands:
  inspect MODEL     ops, inputs, outputs and memory figures of a .tflite model
  run MODEL         run a model on input tensors (.npy or raw .bin)
  bench MODEL       latency: median, p10, p90 per inference; --profile for a per-op table;
                    --memory-limit A,B,C sweeps memory caps
  plan MODEL        the activation arena as a timeline (op x offset), with totals; --svg FILE
  ops               list the supported TFLite ops

Run \`edgerun <command> --help\` for a command's options.
Exit codes: 0 success, 2 invalid usage or invalid input (model or data), 3 the model does not fit
a --memory-limit / --ram-limit, 1 internal fault.`,
  inspect: `Usage: edgerun inspect MODEL [--json] [--kernels simd|ref]

Prints the model's ops in execution order, its inputs and outputs (name, shape, dtype, scale,
zero point), ops edgerun does not support, and memory figures (bytes):
  arena (activations), weights, params (param blocks + per-channel quantization), code (kernel module),
  RAM (writable at run time) and ROM (constant: weights + params + code).
  --json      one JSON object: {ops, inputs, outputs, unsupported, memory}
  --kernels   which kernel module the code figure counts (default simd)`,
  run: `Usage: edgerun run MODEL --input FILE [--input FILE ...] [--output FILE ...] [options]

Runs the model once. One --input per model input, in input order: .npy (dtype and shape must
match the tensor) or .bin (raw little-endian bytes, exactly the tensor's size).
  --output FILE   one per model output, in order; .npy or .bin by extension (default: print them)
  --runtime v8    WebAssembly runtime (v8 is the only one so far)
  --kernels K     simd (default) or ref (scalar reference twins)
  --json          print {outputs: [{name, shape, dtype, data}], latencyMs, memory}; memory is
                  {linearMemoryBytes, ramBytes, romDataBytes, memoryLimit, ramLimit, pages, maximumPages}

Memory limits (SIZE: bytes, or a whole number with KiB/MiB/GiB (1024-based) or KB/MB/GB
(1000-based), e.g. 262144, 256KiB, 1MB):
  --memory-limit SIZE  cap on the module's whole linear memory: ROM data (weights, param blocks)
                       + RAM (arena). Checked exactly, in bytes; over it: exit 3 with
                       "needs N bytes (RAM R + ROM W), limit is M". Under it, the model runs in a
                       memory of ceil(N / 64 KiB) pages (at least 1) whose maximum is the limit
                       rounded down to whole 64 KiB pages (never below the pages the need takes),
                       so the runtime itself refuses to grow past the cap.
  --ram-limit SIZE     cap on the writable part alone (RAM, for MCU SRAM budgets); over it:
                       exit 3 with "needs R bytes of RAM, limit is M".
With a limit, the exact need and the pages are printed before the outputs.`,
  bench: `Usage: edgerun bench MODEL [--input FILE ...] [--iterations N] [--warmup N] [--profile] [options]

Times inferences of the model. Inputs default to seeded random data of the right dtype and shape.
  --iterations N  timed inferences (default 200)
  --warmup N      untimed inferences first (default 20)
  --profile       per-op table: median time, MACs, GMAC/s, share of total
  --runtime v8    WebAssembly runtime
  --kernels K     simd (default) or ref
  --json          print {medianMs, p10Ms, p90Ms, minMs, iterations, warmup, macs, gmacPerS[, profile]
                  [, memory]} (memory as in run --json, with a limit)

Memory limits (SIZE: bytes, or a whole number with KiB/MiB/GiB (1024-based) or KB/MB/GB
(1000-based), e.g. 262144, 256KiB, 1MB):
  --memory-limit SIZE  cap on the module's whole linear memory: ROM data (weights, param blocks)
                       + RAM (arena). Checked exactly, in bytes; over it: exit 3 with
                       "needs N bytes (RAM R + ROM W), limit is M". Under it, the model runs in a
                       memory of ceil(N / 64 KiB) pages (at least 1) whose maximum is the limit
                       rounded down to whole 64 KiB pages (never below the pages the need takes),
                       so the runtime itself refuses to grow past the cap.
  --ram-limit SIZE     cap on the writable part alone (RAM, for MCU SRAM budgets); over it:
                       exit 3 with "needs R bytes of RAM, limit is M".

Sweep: --memory-limit SIZE,SIZE,... (two or more) benchmarks under each cap in turn and prints,
per cap, whether the model fits and, when it fits, the median latency; exit 0 either way.
--ram-limit applies to every cap. --json prints [{limitBytes, fits, neededBytes, medianMs?}].`,
  plan: `Usage: edgerun plan MODEL [--svg FILE] [--json]

Shows how the activation arena is planned. First the totals: arena, lower bound (the most bytes
live at once: no plan can be smaller), RAM, ROM data. Then a timeline with one column per op
(execution step) and one row per range of arena offsets (scaled to at most 28 rows; offset 0 at
the bottom), each cell marked with the letter of the buffer holding those bytes at that op ("."
is free; a cell lists several letters when small buffers share it). Then one line per buffer:
letter, tensor index, bytes, offset, first..last op, name. Per-call workspace is named
"scratch (op K)"; tensors aliasing a buffer (RESHAPE, in-place outputs) share its line.
  --svg FILE  also write the picture to FILE (must end in .svg): x = op index, y = offset, one
              rectangle per buffer labelled with its tensor index, dashed line at the lower bound
  --json      print {arenaBytes, lowerBoundBytes, ramBytes, romDataBytes,
              buffers: [{tensor, name, bytes, offset, first, last}]} (first/last: op indices)
              instead of the timeline`,
  ops: `Usage: edgerun ops [--json]

Lists the TFLite builtin ops edgerun runs, with what each supports.`,
};

interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h', '--version', '--profile']);

function parseArgs(argv: string[], allowed: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (!allowed.includes(name) && !['--help', '-h'].includes(name)) throw new InputError(`unknown option ${name} (see --help)`);
      let value = inline ?? '';
      if (!BOOLEAN_FLAGS.has(name) && inline === undefined) {
        if (i + 1 >= argv.length) throw new InputError(`option ${name} needs a value`);
        value = argv[++i];
      }
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

function one(args: Args, name: string, fallback: string): string {
  const v = args.flags.get(name);
  if (!v) return fallback;
  if (v.length > 1) throw new InputError(`option ${name} given ${v.length} times`);
  return v[0];
}

function kernelsOf(args: Args): 'simd' | 'ref' {
  const k = one(args, '--kernels', 'simd');
  if (k !== 'simd' && k !== 'ref') throw new InputError(`--kernels must be simd or ref, got ${k}`);
  return k;
}

function modelPath(args: Args, command: string): string {
  if (args.positional.length !== 1) throw new InputError(`${command} takes one MODEL argument (see edgerun ${command} --help)`);
  return args.positional[0];
}

const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

function tensorLine(t: TensorInfo): string {
  const q = t.scale ? `  scale ${t.scale}  zero point ${t.zeroPoint}` : '';
  return `  ${JSON.stringify(t.name)}  ${fmtShape(t.shape)}  ${t.dtype}${q}`;
}

function printReport(path: string, r: ModelReport): void {
  const lines = [`${path}`, `ops (${r.ops.length}):`];
  r.ops.forEach((op, i) => lines.push(`  ${String(i).padStart(3)}  ${op}`));
  lines.push('inputs:', ...r.inputs.map(tensorLine), 'outputs:', ...r.outputs.map(tensorLine));
  if (r.unsupported.length > 0) {
    lines.push(`unsupported ops: ${r.unsupported.map((u) => `${u.op} (op ${u.index})`).join(', ')}`);
  }
  if (r.memory) {
    const m = r.memory;
    lines.push('memory (bytes):',
      `  arena ${m.arenaBytes} (lower bound ${m.lowerBoundBytes})  weights ${m.weightsBytes}  params ${m.paramsBytes}  code ${m.codeBytes}`,
      `  RAM ${m.ramBytes}  ROM ${m.romBytes}`);
  } else {
    lines.push('memory: not computed (the model has unsupported ops)');
  }
  console.log(lines.join('\n'));
}

function cmdInspect(argv: string[]): void {
  const args = parseArgs(argv, ['--json', '--kernels']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.inspect);
  const path = modelPath(args, 'inspect');
  const report = inspectModel(path, { kernels: kernelsOf(args) });
  if (args.flags.has('--json')) console.log(JSON.stringify(report));
  else printReport(path, report);
}

function readTensorFile(file: string, t: TensorInfo): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ext = extname(file).toLowerCase();
  const label = `input ${JSON.stringify(t.name)}`;
  if (ext === '.npy') {
    const a = readNpy(bytes, file);
    if (a.dtype !== t.dtype) throw new InputError(`${file}: dtype ${a.dtype}, but ${label} is ${t.dtype}`);
    if (a.shape.length !== t.shape.length || a.shape.some((d, i) => d !== t.shape[i])) {
      throw new InputError(`${file}: shape ${fmtShape(a.shape)}, but ${label} has shape ${fmtShape(t.shape)}`);
    }
    return a.data;
  }
  if (ext === '.bin') {
    if (bytes.length !== t.bytes) throw new InputError(`${file}: ${bytes.length} bytes, but ${label} (${fmtShape(t.shape)} ${t.dtype}) needs ${t.bytes}`);
    return bytes;
  }
  throw new InputError(`${file}: unknown tensor file type ${ext || '(none)'}; use .npy or .bin`);
}

function tensorBytesOf(v: TensorView): Uint8Array {
  return new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

/** Writes every output to a temporary file first, then renames: a failure never leaves a partial file. */
function writeOutputs(files: string[], outputs: TensorView[]): void {
  const staged: [string, string][] = [];
  try {
    files.forEach((file, i) => {
      const o = outputs[i];
      const ext = extname(file).toLowerCase();
      if (ext !== '.npy' && ext !== '.bin') throw new InputError(`${file}: unknown tensor file type ${ext || '(none)'}; use .npy or .bin`);
      const bytes = ext === '.npy' ? writeNpy(o.dtype, o.shape, tensorBytesOf(o)) : tensorBytesOf(o).slice();
      const tmp = `${file}.edgerun-${process.pid}.tmp`;
      try {
        writeFileSync(tmp, bytes);
      } catch (e) {
        throw new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      staged.push([tmp, file]);
    });
    for (const [tmp, file] of staged) renameSync(tmp, file);
  } catch (e) {
    for (const [tmp] of staged) {
      try { unlinkSync(tmp); } catch { /* already renamed or gone */ }
    }
    throw e;
  }
}

function values(v: TensorView): (number | string)[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));
}

function checkInputCount(tensors: TensorInfo[], files: string[]): void {
  if (files.length !== tensors.length) {
    throw new InputError(`the model has ${tensors.length} input(s) (${tensors.map((t) => JSON.stringify(t.name)).join(', ')}), got ${files.length} --input`);
  }
}

/** Copies each file into its input view; with no files, seeded random data of the right dtype. */
function fillInputs(views: TensorView[], files: string[]): void {
  const data = files.map((file, i) => readTensorFile(file, views[i]));
  views.forEach((v, i) => {
    if (files.length > 0) return void tensorBytesOf(v).set(data[i]);
    let s = 0x9e3779b9 + i;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    if (v.data instanceof Float32Array) v.data.forEach((_, k, a) => { a[k] = next() * 2 - 1; });
    else tensorBytesOf(v).forEach((_, k, a) => { a[k] = Math.floor(next() * 256); });
  });
}

function positiveInt(args: Args, name: string, fallback: number): number {
  const text = one(args, name, String(fallback));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1e7) throw new InputError(`${name} must be a whole number 0..10000000, got ${text}`);
  return n;
}

/** --memory-limit (one size) and --ram-limit. */
function limitsOf(args: Args): MemoryLimits {
  const limits: MemoryLimits = {};
  if (args.flags.has('--memory-limit')) limits.memoryLimit = parseSize(one(args, '--memory-limit', ''), '--memory-limit');
  if (args.flags.has('--ram-limit')) limits.ramLimit = parseSize(one(args, '--ram-limit', ''), '--ram-limit');
  return limits;
}

/** One line: the exact need, the limits and the pages the runtime caps memory at. */
function memoryLine(interpreter: Interpreter): string {
  const m = interpreter.linearMemory;
  const limits = [
    m.memoryLimit !== null ? `limit ${m.memoryLimit}` : '',
    m.ramLimit !== null ? `RAM limit ${m.ramLimit}` : '',
  ].filter(Boolean).join(', ');
  const pages = (n: number) => `${n} page${n === 1 ? '' : 's'}`;
  return `memory: needs ${m.linearMemoryBytes} bytes (RAM ${m.ramBytes} + ROM ${m.romDataBytes}), ${limits}; ` +
    `linear memory ${pages(m.pages)} of 64 KiB, maximum ${pages(m.maximumPages)}`;
}

function runtimeOf(args: Args): string {
  const runtime = one(args, '--runtime', 'v8');
  if (runtime !== 'v8') throw new InputError(`--runtime ${runtime} is not available (supported: v8)`);
  return runtime;
}

function cmdBench(argv: string[]): void {
  const args = parseArgs(argv, ['--input', '--iterations', '--warmup', '--profile', '--runtime', '--kernels', '--json', '--memory-limit', '--ram-limit']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.bench);
  const path = modelPath(args, 'bench');
  const runtime = runtimeOf(args);
  const iterations = positiveInt(args, '--iterations', 200);
  const warmup = positiveInt(args, '--warmup', 20);
  if (iterations === 0) throw new InputError('--iterations must be at least 1');
  const caps = args.flags.has('--memory-limit') ? parseSizeList(one(args, '--memory-limit', ''), '--memory-limit') : [];
  const ramLimit = args.flags.has('--ram-limit') ? parseSize(one(args, '--ram-limit', ''), '--ram-limit') : undefined;
  if (caps.length > 1 && args.flags.has('--profile')) throw new InputError('--profile cannot be combined with a --memory-limit sweep');
  const files = args.flags.get('--input') ?? [];
  const model = loadModel(path, { kernels: kernelsOf(args) });
  if (files.length > 0) checkInputCount(model.inputs, files);
  if (caps.length > 1) return benchSweep(path, model, caps, { ramLimit, files, iterations, warmup, json: args.flags.has('--json') });
  const interpreter = model.createInterpreter({ memoryLimit: caps[0], ramLimit });
  const limited = caps.length > 0 || ramLimit !== undefined;
  fillInputs(interpreter.inputs, files);
  const showProgress = process.stderr.isTTY && !args.flags.has('--json');
  const result = benchmark(interpreter, {
    iterations, warmup,
    onProgress: showProgress ? (done, total) => { if (done % 50 === 0 || done === total) process.stderr.write(`\r${done}/${total}`); } : undefined,
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  const ops = args.flags.has('--profile') ? profile(interpreter, Math.max(1, Math.min(iterations, 50))) : null;
  if (args.flags.has('--json')) {
    return void console.log(JSON.stringify({ ...result, ...(ops ? { profile: ops } : {}), ...(limited ? { memory: interpreter.linearMemory } : {}) }));
  }
  const ms = (x: number) => x.toFixed(4);
  console.log(`${path}: median ${ms(result.medianMs)} ms  p10 ${ms(result.p10Ms)}  p90 ${ms(result.p90Ms)}  ` +
    `(${iterations} iterations, ${warmup} warm-up, ${model.kernels} kernels, ${runtime})  ${(result.macs / 1e6).toFixed(2)} M MACs  ${result.gmacPerS.toFixed(2)} GMAC/s`);
  if (limited) console.log(memoryLine(interpreter));
  if (ops) {
    console.log('  op  name                 kernel               ms        MACs        GMAC/s  share');
    for (const o of ops) {
      console.log(`  ${String(o.opIndex).padStart(2)}  ${o.op.padEnd(20)} ${o.kernel.padEnd(20)} ${ms(o.ms).padStart(8)} ${String(o.macs).padStart(11)} ${(o.macs ? o.gmacPerS.toFixed(2) : '-').padStart(8)}  ${(o.share * 100).toFixed(1).padStart(5)}%`);
    }
  }
}

/** bench --memory-limit A,B,...: per cap, whether the model fits and its median latency. */
function benchSweep(
  path: string, model: EdgerunModel, caps: number[],
  o: { ramLimit?: number; files: string[]; iterations: number; warmup: number; json: boolean },
): void {
  const rows = sweepMemoryLimits(caps, model.memory.linearMemoryBytes, (memoryLimit) => {
    const interpreter = model.createInterpreter({ memoryLimit, ramLimit: o.ramLimit });
    fillInputs(interpreter.inputs, o.files);
    return interpreter;
  }, { iterations: o.iterations, warmup: o.warmup });
  if (o.json) return void console.log(JSON.stringify(rows));
  const m = model.memory;
  const ram = o.ramLimit !== undefined ? `, RAM limit ${o.ramLimit}` : '';
  console.log(`${path}: needs ${m.linearMemoryBytes} bytes (RAM ${m.ramBytes} + ROM ${m.romDataBytes})${ram}; ` +
    `${o.iterations} iterations, ${o.warmup} warm-up per cap`);
  console.log('       limit         bytes  fits  pages (max)  median ms');
  for (const r of rows) {
    const p = r.fits ? memoryPages(m, { memoryLimit: r.limitBytes, ramLimit: o.ramLimit }) : null;
    const pages = p ? `${p.initial} (${p.maximum})` : '-';
    console.log(`  ${formatSize(r.limitBytes).padStart(10)} ${formatBytes(r.limitBytes).padStart(13)}  ${(r.fits ? 'yes' : 'no').padEnd(4)}  ${pages.padStart(11)}  ${r.medianMs !== undefined ? r.medianMs.toFixed(4).padStart(9) : '        -'}`);
  }
}

function cmdRun(argv: string[]): void {
  const args = parseArgs(argv, ['--input', '--output', '--runtime', '--kernels', '--json', '--memory-limit', '--ram-limit']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.run);
  const path = modelPath(args, 'run');
  runtimeOf(args);
  const limits = limitsOf(args);
  const inputs = args.flags.get('--input') ?? [];
  const outputs = args.flags.get('--output') ?? [];
  const model = loadModel(path, { kernels: kernelsOf(args) });
  checkInputCount(model.inputs, inputs);
  if (outputs.length > 0 && outputs.length !== model.outputs.length) {
    throw new InputError(`the model has ${model.outputs.length} output(s), got ${outputs.length} --output`);
  }
  const interpreter = model.createInterpreter(limits);
  fillInputs(interpreter.inputs, inputs);
  const t0 = performance.now();
  interpreter.invoke();
  const latencyMs = performance.now() - t0;
  if (outputs.length > 0) writeOutputs(outputs, interpreter.outputs);
  if (args.flags.has('--json')) {
    console.log(JSON.stringify({
      outputs: interpreter.outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype, data: values(o) })),
      latencyMs,
      memory: interpreter.linearMemory,
    }));
    return;
  }
  if (limits.memoryLimit !== undefined || limits.ramLimit !== undefined) console.log(memoryLine(interpreter));
  if (outputs.length === 0) {
    for (const o of interpreter.outputs) console.log(`${JSON.stringify(o.name)} ${fmtShape(o.shape)} ${o.dtype}:\n${values(o).join(' ')}`);
  } else {
    console.log(`wrote ${outputs.join(', ')} (${latencyMs.toFixed(3)} ms)`);
  }
}

/** Writes a file through a temporary file and a rename: never a half-written FILE. */
function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.edgerun-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never written or already renamed */ }
    throw new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function cmdPlan(argv: string[]): void {
  const args = parseArgs(argv, ['--svg', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.plan);
  const path = modelPath(args, 'plan');
  const svg = args.flags.has('--svg') ? one(args, '--svg', '') : undefined;
  if (svg !== undefined && extname(svg).toLowerCase() !== '.svg') throw new InputError(`--svg ${svg}: the file name must end in .svg`);
  const model = loadModel(path);
  const report = planReport(model);
  if (svg !== undefined) writeFileAtomic(svg, renderPlanSvg(report, model.ops, path));
  if (args.flags.has('--json')) return void console.log(JSON.stringify(report));
  console.log(renderPlanText(report, model.ops, path));
  if (svg !== undefined) console.log(`\nwrote ${svg}`);
}

function cmdOps(argv: string[]): void {
  const args = parseArgs(argv, ['--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.ops);
  if (args.positional.length > 0) throw new InputError(`ops takes no arguments`);
  const ops = supportedOps();
  if (args.flags.has('--json')) console.log(JSON.stringify(ops));
  else console.log(ops.map((o) => `${o.name.padEnd(20)} ${o.summary}`).join('\n'));
}

const COMMANDS: Record<string, (argv: string[]) => void> = { inspect: cmdInspect, run: cmdRun, bench: cmdBench, plan: cmdPlan, ops: cmdOps };

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(rest[0] && HELP[rest[0]] ? HELP[rest[0]] : HELP.main);
      return 0;
    }
    if (command === '--version') {
      console.log(VERSION);
      return 0;
    }
    const fn = COMMANDS[command];
    if (!fn) throw new InputError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')}; see edgerun --help)`);
    fn(rest);
    return 0;
  } catch (e) {
    if (e instanceof EdgerunError) {
      process.stderr.write(`edgerun: error: ${e.message}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`edgerun: internal error: ${message.split('\n')[0]}\n`);
    if (process.env.EDGERUN_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
