/** `edgerun pack`: a compiled module into a signed bundle. */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { loadPrivateKey } from '../bundle/keys.js';
import { packBundle } from '../bundle/pack.js';
import { InputError, isWasm, loadCompiled } from '../index.js';
import { one, parseArgs } from './args.js';
import { intOption, parseExpiry } from '../gateway/options.js';
import { HELP } from './help.js';
import { readTensorFile } from './tensors.js';

/** `--version V`: the shared parser knows --version as a flag without a value (edgerun --version). */
function joinVersion(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--version' && i + 1 < argv.length && !argv[i + 1].startsWith('-')) out.push(`--version=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export function cmdPack(argv: string[]): void {
  const args = parseArgs(joinVersion(argv), ['--key', '--name', '--version', '--expires', '--input', '-o', '--output', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.pack);
  if (args.positional.length !== 1) throw new InputError('pack takes one MODEL.wasm argument (see edgerun pack --help)');
  const path = args.positional[0];
  const out = one(args, args.flags.has('-o') ? '-o' : '--output', '');
  if (!out) throw new InputError('pack needs -o BUNDLE');
  const keyList = one(args, '--key', '');
  if (!keyList) throw new InputError('pack needs --key KEY (a private key from edgerun keygen)');
  const name = one(args, '--name', '');
  if (!name) throw new InputError('pack needs --name NAME');
  const version = intOption(args, '--version', 1, Number.MAX_SAFE_INTEGER);
  if (version === undefined) throw new InputError('pack needs --version V (a whole number; gateways only install a greater one)');
  const now = new Date();
  const expires = parseExpiry(one(args, '--expires', '90d'), now);
  let wasm: Uint8Array;
  try {
    wasm = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!isWasm(wasm)) throw new InputError(`${path}: not a compiled module; pack takes the .wasm from edgerun compile`);
  const inputFiles = args.flags.get('--input');
  let selfTestInputs: Uint8Array[] | undefined;
  if (inputFiles) {
    const model = loadCompiled(wasm);
    if (inputFiles.length !== model.inputs.length) throw new InputError(`the module has ${model.inputs.length} inputs, got ${inputFiles.length} --input`);
    selfTestInputs = inputFiles.map((f, i) => readTensorFile(f, model.inputs[i]));
  }
  const keys = keyList.split(',').filter(Boolean).map(loadPrivateKey);
  const packed = packBundle(wasm, { keys, name, version, expires, created: now, selfTestInputs });
  const tmp = `${out}.edgerun-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, packed.bundle);
    renameSync(tmp, out);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new InputError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const m = packed.manifest;
  if (args.flags.has('--json')) {
    return void console.log(JSON.stringify({ bundle: out, bytes: packed.bundle.length, manifestSha256: packed.manifestSha256, keyIds: packed.keyIds, manifest: { ...m, selfTest: undefined } }));
  }
  console.log(`${out}: ${m.name} v${m.version}, ${packed.bundle.length} bytes (module ${m.module.size}, manifest ${packed.manifestBytes.length}), ` +
    `signed by ${packed.keyIds.map((k) => k.slice(0, 16)).join(', ')}`);
  console.log(`  needs ${m.memory.linearMemoryBytes} bytes (RAM ${m.memory.ramBytes} + ROM ${m.memory.romDataBytes}), ` +
    `features ${m.module.features.join(', ') || 'none (MVP)'}; expires ${m.expires ?? 'never'}; self-test: ${m.inputs.length} input(s), ${m.outputs.length} output(s)`);
}
