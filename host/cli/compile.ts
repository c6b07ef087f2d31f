/** `edgerun compile`: a .tflite model into one standalone .wasm. */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { compileModel, InputError } from '../index.js';
import { kernelsOf, modelPath, one, optimizeOption, parseArgs } from './args.js';
import { HELP } from './help.js';

/** Writes to a temporary file first, then renames: a failure never leaves a partial module. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.edgerun-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function cmdCompile(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['-o', '--output', '--kernels', '--optimize', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.compile);
  const path = modelPath(args, 'compile');
  if (args.flags.has('-o') && args.flags.has('--output')) throw new InputError('give the output once: -o or --output');
  const out = one(args, args.flags.has('-o') ? '-o' : '--output', '');
  if (!out) throw new InputError('compile needs -o OUT.wasm (see edgerun compile --help)');
  const compiled = await compileModel(path, { kernels: kernelsOf(args), optimize: optimizeOption(args) });
  writeAtomically(out, compiled.wasm);
  const { bytes, codeBytes, dataBytes, ramBytes, romBytes } = compiled;
  if (args.flags.has('--json')) return void console.log(JSON.stringify({ bytes, codeBytes, dataBytes, ramBytes, romBytes }));
  const { meta } = compiled;
  const twins = meta.scalarKernels.length > 0 ? ` (scalar twin: ${meta.scalarKernels.join(', ')})` : '';
  console.log(`${out}: ${bytes} bytes = code ${codeBytes} + data ${dataBytes}; ${meta.calls.length} kernel calls, ` +
    `${meta.kernels} kernels${twins}`);
  console.log(`  RAM ${ramBytes}  ROM ${romBytes} (data ${meta.memory.romDataBytes} + code ${codeBytes})  ` +
    `linear memory ${meta.memory.linearMemoryBytes} bytes in ${meta.memory.pages} page${meta.memory.pages === 1 ? '' : 's'} of 64 KiB`);
}
