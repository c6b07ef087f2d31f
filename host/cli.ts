#!/usr/bin/env node
/** The `edgerun` command: a thin layer over the public API (host/index.ts); one module per command in host/cli/. */
import { HELP, VERSION } from './cli/help.js';
import { BundleError } from './bundle/errors.js';
import { EdgerunError, InputError } from './index.js';

type Command = (argv: string[]) => void | Promise<void>;
/** Each command's module loads only when it runs: start-up stays cheap whatever the others import. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: async () => (await import('./cli/inspect.js')).cmdInspect,
  run: async () => (await import('./cli/run.js')).cmdRun,
  bench: async () => (await import('./cli/bench.js')).cmdBench,
  compile: async () => (await import('./cli/compile.js')).cmdCompile,
  plan: async () => (await import('./cli/plan.js')).cmdPlan,
  ops: async () => (await import('./cli/ops.js')).cmdOps,
  synth: async () => (await import('./cli/synth.js')).cmdSynth,
  stream: async () => (await import('./cli/stream.js')).cmdStream,
  demo: async () => (await import('./cli/demo.js')).cmdDemo,
  keygen: async () => (await import('./cli/keygen.js')).cmdKeygen,
  pack: async () => (await import('./cli/pack.js')).cmdPack,
  verify: async () => (await import('./cli/verify.js')).cmdVerify,
  gateway: async () => (await import('./cli/gateway.js')).cmdGateway,
  flash: async () => (await import('./cli/flash.js')).cmdFlash,
};

export async function main(argv: string[]): Promise<number> {
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
    const load = COMMANDS[command];
    if (!load) throw new InputError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')}; see edgerun --help)`);
    await (await load())(rest);
    return 0;
  } catch (e) {
    if (e instanceof EdgerunError) {
      // A refused bundle's line ends with its reason code (host/bundle/errors.ts), as the gateway reports it.
      const reason = e instanceof BundleError ? ` [${e.reason}]` : '';
      process.stderr.write(`edgerun: error: ${e.message}${reason}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`edgerun: internal error: ${message.split('\n')[0]}\n`);
    if (process.env.EDGERUN_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
