#!/usr/bin/env node
/** The `edgerun` command: a thin layer over the public API (host/index.ts). */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import {
  EdgerunError, InputError, inspectModel, loadModel, type ModelReport, readNpy, supportedOps,
  type TensorInfo, type TensorView, writeNpy,
} from './index.js';

const VERSION = '0.1.0';

const HELP: Record<string, string> = {
  main: `edgerun ${VERSION}: run int8 TFLite models on WebAssembly, bit-exact with TFLite's reference kernels.

Usage: edgerun <command> [options]

Commands:
  inspect MODEL     ops, inputs, outputs and memory figures of a .tflite model
  run MODEL         run a model on input tensors (.npy or raw .bin)
  ops               list the supported TFLite ops

Run \`edgerun <command> --help\` for a command's options.
Exit codes: 0 success, 2 invalid usage or invalid input (model or data), 1 internal fault.`,
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
  --json          print {outputs: [{name, shape, dtype, data}], latencyMs}`,
  ops: `Usage: edgerun ops [--json]

Lists the TFLite builtin ops edgerun runs, with what each supports.`,
};

interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h', '--version']);

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

function cmdRun(argv: string[]): void {
  const args = parseArgs(argv, ['--input', '--output', '--runtime', '--kernels', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.run);
  const path = modelPath(args, 'run');
  const runtime = one(args, '--runtime', 'v8');
  if (runtime !== 'v8') throw new InputError(`--runtime ${runtime} is not available (supported: v8)`);
  const inputs = args.flags.get('--input') ?? [];
  const outputs = args.flags.get('--output') ?? [];
  const model = loadModel(path, { kernels: kernelsOf(args) });
  if (inputs.length !== model.inputs.length) {
    throw new InputError(`the model has ${model.inputs.length} input(s) (${model.inputs.map((t) => JSON.stringify(t.name)).join(', ')}), got ${inputs.length} --input`);
  }
  if (outputs.length > 0 && outputs.length !== model.outputs.length) {
    throw new InputError(`the model has ${model.outputs.length} output(s), got ${outputs.length} --output`);
  }
  const data = inputs.map((file, i) => readTensorFile(file, model.inputs[i]));
  const interpreter = model.createInterpreter();
  interpreter.inputs.forEach((v, i) => tensorBytesOf(v).set(data[i]));
  const t0 = performance.now();
  interpreter.invoke();
  const latencyMs = performance.now() - t0;
  if (outputs.length > 0) writeOutputs(outputs, interpreter.outputs);
  if (args.flags.has('--json')) {
    console.log(JSON.stringify({
      outputs: interpreter.outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype, data: values(o) })),
      latencyMs,
    }));
  } else if (outputs.length === 0) {
    for (const o of interpreter.outputs) console.log(`${JSON.stringify(o.name)} ${fmtShape(o.shape)} ${o.dtype}:\n${values(o).join(' ')}`);
  } else {
    console.log(`wrote ${outputs.join(', ')} (${latencyMs.toFixed(3)} ms)`);
  }
}

function cmdOps(argv: string[]): void {
  const args = parseArgs(argv, ['--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.ops);
  if (args.positional.length > 0) throw new InputError(`ops takes no arguments`);
  const ops = supportedOps();
  if (args.flags.has('--json')) console.log(JSON.stringify(ops));
  else console.log(ops.map((o) => `${o.name.padEnd(20)} ${o.summary}`).join('\n'));
}

const COMMANDS: Record<string, (argv: string[]) => void> = { inspect: cmdInspect, run: cmdRun, ops: cmdOps };

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
