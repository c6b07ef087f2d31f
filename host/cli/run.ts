/** `edgerun run`. */
import { InputError, type ModelRunner, openModel } from '../index.js';
import { kernelsOption, limitsOf, modelPath, optimizeOption, parseArgs, runtimeOf, timeoutOf } from './args.js';
import { HELP } from './help.js';
import { checkInputCount, fillInputs, fmtShape, values, writeOutputs } from './tensors.js';

/** One line: the exact need, the limits and the pages the runtime caps memory at. */
export function memoryLine(interpreter: ModelRunner): string {
  const m = interpreter.linearMemory;
  const limits = [
    m.memoryLimit !== null ? `limit ${m.memoryLimit}` : '',
    m.ramLimit !== null ? `RAM limit ${m.ramLimit}` : '',
  ].filter(Boolean).join(', ');
  const pages = (n: number) => `${n} page${n === 1 ? '' : 's'}`;
  return `memory: needs ${m.linearMemoryBytes} bytes (RAM ${m.ramBytes} + ROM ${m.romDataBytes}), ${limits}; ` +
    `linear memory ${pages(m.pages)} of 64 KiB, maximum ${pages(m.maximumPages)}`;
}

export function cmdRun(argv: string[]): void {
  const args = parseArgs(argv, ['--input', '--output', '--runtime', '--kernels', '--optimize', '--json', '--memory-limit', '--ram-limit', '--timeout']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.run);
  const path = modelPath(args, 'run');
  const runtime = runtimeOf(args);
  const timeoutMs = timeoutOf(args);
  const limits = limitsOf(args);
  const inputs = args.flags.get('--input') ?? [];
  const outputs = args.flags.get('--output') ?? [];
  const model = openModel(path, { kernels: kernelsOption(args), optimize: optimizeOption(args) });
  checkInputCount(model.inputs, inputs);
  if (outputs.length > 0 && outputs.length !== model.outputs.length) {
    throw new InputError(`the model has ${model.outputs.length} output(s), got ${outputs.length} --output`);
  }
  const interpreter = model.createInterpreter({ ...limits, runtime, timeoutMs });
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

