/** `edgerun verify`: every check a gateway makes, on a bundle file. */
import { readBundleFile } from '../bundle/container.js';
import { engineFeatures } from '../bundle/features.js';
import { loadTrust } from '../bundle/keys.js';
import { BundleError } from '../bundle/errors.js';
import { selfTest, verifyBundle } from '../bundle/verify.js';
import { InputError } from '../index.js';
import { limitsOf, one, parseArgs, runtimeOf } from './args.js';
import { featuresOf } from '../gateway/options.js';
import { HELP } from './help.js';

export function cmdVerify(argv: string[]): void {
  const args = parseArgs(argv, ['--trust', '--name', '--memory-limit', '--features', '--runtime', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.verify);
  if (args.positional.length !== 1) throw new InputError('verify takes one BUNDLE argument (see edgerun verify --help)');
  const path = args.positional[0];
  const trustList = one(args, '--trust', '');
  if (!trustList) throw new InputError('verify needs --trust PUBKEY[,PUBKEY] (public keys from edgerun keygen)');
  const trust = loadTrust(trustList);
  const { memoryLimit } = limitsOf(args);
  const features = featuresOf(args) ?? engineFeatures();
  const name = args.flags.has('--name') ? one(args, '--name', '') : undefined;
  const verified = verifyBundle(readBundleFile(path), { trust, name });
  const m = verified.manifest;
  const missing = m.module.features.filter((f) => !features.includes(f));
  if (missing.length > 0) throw new BundleError('features', `module needs WebAssembly ${missing.join(', ')}, not among ${features.join(', ') || 'MVP only'}`);
  const test = selfTest(m, verified.module, { memoryLimit, runtime: runtimeOf(args), timeoutMs: 10_000 });
  if (args.flags.has('--json')) {
    return void console.log(JSON.stringify({
      ok: true, name: m.name, version: m.version, manifestSha256: verified.manifestSha256, keyId: verified.key.id,
      created: m.created, expires: m.expires, module: m.module, memory: m.memory, selfTestMs: test.ms,
    }));
  }
  console.log(`${path}: OK: ${m.name} v${m.version}, signed by trusted key ${verified.key.id.slice(0, 16)} (${verified.key.source})`);
  console.log(`  module ${m.module.size} bytes, sha256 ${m.module.sha256}, ${m.module.kernels} kernels, features ${m.module.features.join(', ') || 'none (MVP)'}`);
  console.log(`  needs ${m.memory.linearMemoryBytes} bytes (RAM ${m.memory.ramBytes} + ROM ${m.memory.romDataBytes})${memoryLimit !== undefined ? `, limit ${memoryLimit}` : ''}; ` +
    `created ${m.created}, expires ${m.expires ?? 'never'}; self-test passed (${test.ms.toFixed(1)} ms)`);
}
