/** `edgerun keygen`: an Ed25519 key pair for signing bundles. */
import { generateKey } from '../bundle/keys.js';
import { InputError } from '../index.js';
import { one, parseArgs } from './args.js';
import { HELP } from './help.js';

export function cmdKeygen(argv: string[]): void {
  const args = parseArgs(argv, ['--out', '--name', '--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.keygen);
  if (args.positional.length > 0) throw new InputError('keygen takes no arguments (see edgerun keygen --help)');
  const dir = one(args, '--out', '');
  if (!dir) throw new InputError('keygen needs --out DIR');
  const key = generateKey(dir, one(args, '--name', 'edgerun'));
  if (args.flags.has('--json')) return void console.log(JSON.stringify(key));
  console.log(`wrote ${key.privatePath} (private, mode 0600: keep it off gateways) and ${key.publicPath} (public: --trust on gateways)`);
  console.log(`key id ${key.id}`);
}
