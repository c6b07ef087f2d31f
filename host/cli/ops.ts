/** `edgerun ops`. */
import { InputError, supportedOps } from '../index.js';
import { parseArgs } from './args.js';
import { HELP } from './help.js';

export function cmdOps(argv: string[]): void {
  const args = parseArgs(argv, ['--json']);
  if (args.flags.has('--help') || args.flags.has('-h')) return void console.log(HELP.ops);
  if (args.positional.length > 0) throw new InputError(`ops takes no arguments`);
  const ops = supportedOps();
  if (args.flags.has('--json')) console.log(JSON.stringify(ops));
  else console.log(ops.map((o) => `${o.name.padEnd(20)} ${o.summary}`).join('\n'));
}

