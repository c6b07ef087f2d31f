#!/usr/bin/env node
/** The `edgerun` command: a thin layer over the public API (host/index.ts); one module per command in host/cli/. */
import { cmdBench } from './cli/bench.js';
import { cmdCompile } from './cli/compile.js';
import { cmdFlash } from './cli/flash.js';
import { cmdGateway } from './cli/gateway.js';
import { HELP, VERSION } from './cli/help.js';
import { cmdDemo } from './cli/demo.js';
import { cmdInspect } from './cli/inspect.js';
import { cmdKeygen } from './cli/keygen.js';
import { cmdOps } from './cli/ops.js';
import { cmdPack } from './cli/pack.js';
import { cmdPlan } from './cli/plan.js';
import { cmdRun } from './cli/run.js';
import { cmdStream } from './cli/stream.js';
import { cmdSynth } from './cli/synth.js';
import { cmdVerify } from './cli/verify.js';
import { EdgerunError, InputError } from './index.js';

const COMMANDS: Record<string, (argv: string[]) => void | Promise<void>> = {
  inspect: cmdInspect, run: cmdRun, bench: cmdBench, compile: cmdCompile, plan: cmdPlan, ops: cmdOps, synth: cmdSynth, stream: cmdStream, demo: cmdDemo,
  keygen: cmdKeygen, pack: cmdPack, verify: cmdVerify, gateway: cmdGateway, flash: cmdFlash,
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
    const fn = COMMANDS[command];
    if (!fn) throw new InputError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')}; see edgerun --help)`);
    await fn(rest);
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

process.exitCode = await main(process.argv.slice(2));
