/** `edgerun bench` (and memory-limit sweeps). */
import {
  benchmark, CompiledModel, type EdgerunModel, formatBytes, formatSize, InputError, Interpreter, memoryPages, openModel, parseSize,
  parseSizeList, profile, type Runtime, sweepMemoryLimits,
} from '../index.js';
import { kernelsOption, modelPath, optimizeOption, one, parseArgs, positiveInt, runtimeOf, timeoutOf } from './args.js';
import { HELP } from './help.js';
import { memoryLine } from './run.js';
import { checkInputCount, fillInputs } from './tensors.js';

export function cmdBench(argv: string[]): void {
  const args = parseArgs(argv, ['--input', '--iterations', '--warmup', '--profile', '--runtime', '--kernels', '--optimize', '--json', '--memory-limit', '--ram-limit', '--timeout']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.bench);
  const path = modelPath(args, 'bench');
  const runtime = runtimeOf(args);
  const timeoutMs = timeoutOf(args);
  const iterations = positiveInt(args, '--iterations', 200);
  const warmup = positiveInt(args, '--warmup', 20);
  if (iterations === 0) throw new InputError('--iterations must be at least 1');
  const caps = args.flags.has('--memory-limit') ? parseSizeList(one(args, '--memory-limit', ''), '--memory-limit') : [];
  const ramLimit = args.flags.has('--ram-limit') ? parseSize(one(args, '--ram-limit', ''), '--ram-limit') : undefined;
  if (caps.length > 1 && args.flags.has('--profile')) throw new InputError('--profile cannot be combined with a --memory-limit sweep');
  const files = args.flags.get('--input') ?? [];
  const model = openModel(path, { kernels: kernelsOption(args), optimize: optimizeOption(args) });
  if (model instanceof CompiledModel && args.flags.has('--profile')) {
    throw new InputError('--profile times each op, but a compiled module runs as one call: profile the .tflite model');
  }
  if (files.length > 0) checkInputCount(model.inputs, files);
  if (caps.length > 1) return benchSweep(path, model, caps, { ramLimit, files, iterations, warmup, json: args.flags.has('--json'), runtime, timeoutMs });
  const interpreter = model.createInterpreter({ memoryLimit: caps[0], ramLimit, runtime, timeoutMs });
  const limited = caps.length > 0 || ramLimit !== undefined;
  fillInputs(interpreter.inputs, files);
  const showProgress = process.stderr.isTTY && !args.flags.has('--json');
  const result = benchmark(interpreter, {
    iterations, warmup,
    onProgress: showProgress ? (done, total) => { if (done % 50 === 0 || done === total) process.stderr.write(`\r${done}/${total}`); } : undefined,
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  const ops = args.flags.has('--profile') && interpreter instanceof Interpreter ? profile(interpreter, Math.max(1, Math.min(iterations, 50))) : null;
  if (args.flags.has('--json')) {
    return void console.log(JSON.stringify({ ...result, ...(ops ? { profile: ops } : {}), ...(limited ? { memory: interpreter.linearMemory } : {}) }));
  }
  const ms = (x: number) => x.toFixed(4);
  console.log(`${path}: median ${ms(result.medianMs)} ms  p10 ${ms(result.p10Ms)}  p90 ${ms(result.p90Ms)}  ` +
    `(${iterations} iterations, ${warmup} warm-up, ${model instanceof CompiledModel ? 'compiled module, ' : ''}${model.kernels} kernels, ${runtime.name}${timeoutMs !== undefined ? `, timeout ${timeoutMs} ms` : ''})  ${(result.macs / 1e6).toFixed(2)} M MACs  ${result.gmacPerS.toFixed(2)} GMAC/s`);
  if (limited) console.log(memoryLine(interpreter));
  if (ops) {
    console.log('  op  name                 kernel               ms        MACs        GMAC/s  share');
    for (const o of ops) {
      console.log(`  ${String(o.opIndex).padStart(2)}  ${o.op.padEnd(20)} ${o.kernel.padEnd(20)} ${ms(o.ms).padStart(8)} ${String(o.macs).padStart(11)} ${(o.macs ? o.gmacPerS.toFixed(2) : '-').padStart(8)}  ${(o.share * 100).toFixed(1).padStart(5)}%`);
    }
  }
}

/** bench --memory-limit A,B,...: per cap, whether the model fits and its median latency. */
export function benchSweep(
  path: string, model: EdgerunModel | CompiledModel, caps: number[],
  o: { ramLimit?: number; files: string[]; iterations: number; warmup: number; json: boolean; runtime?: Runtime; timeoutMs?: number },
): void {
  const rows = sweepMemoryLimits(caps, model.memory.linearMemoryBytes, (memoryLimit) => {
    const interpreter = model.createInterpreter({ memoryLimit, ramLimit: o.ramLimit, runtime: o.runtime, timeoutMs: o.timeoutMs });
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

