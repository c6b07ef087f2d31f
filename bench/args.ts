/** Command-line flags of `npm run bench` (bench/suite.ts) and the other bench scripts. */
import { parseArgs as parseFlags } from 'node:util';

export class UsageError extends Error {}

export interface SuiteArgs {
  /** Timed iterations per engine per round; null = sized per engine from its warm-up speed (blockMs). */
  iterations: number | null;
  rounds: number;
  only: string[];
  json: boolean;
  peers: boolean;
  updateBaseline: boolean;
  help: boolean;
}

export const DEFAULTS = {
  rounds: 12,
  /** Auto-sized blocks: each engine's block of a round takes about this long. */
  blockMs: 700,
  /** Each engine runs this long (and at least 20 times) before any timing. */
  warmupMs: 500,
} as const;

export const HELP = `usage: npm run bench -- [options]      (or: node dist/bench/suite.js [options])

Benchmarks edgerun (V8, SIMD128 kernels) against LiteRT.js and tfjs-tflite (TFLite + XNNPACK on
WebAssembly, 1 thread, SIMD128) on the networks of models/bench/manifest.json plus those listed in
bench/models.json, on identical model bytes and inputs. edgerun's outputs must equal the TFLite
reference outputs byte for byte; the peers' differing output elements are counted (XNNPACK: ±1).
Engines are warmed up, then timed in alternating blocks (each round runs every engine once, in a
rotated order), so machine noise hits all of them alike; medians are over all samples. Each
sample is one inference: input bytes in, invoke, output bytes out. The ratio is edgerun's median
over the faster peer's; the paired ratio is the median over rounds of the two engines' block
medians in the same round, which a slow spell of a shared machine moves less.
Also measures a SIMD128 int8 dot-product ceiling (GMAC/s, p90 of its timings) on this machine,
before and after the networks, and keeps the faster.

options:
  --iterations N     timed inferences per engine per round (default: sized per engine and
                     model so that each block takes ~${DEFAULTS.blockMs} ms)
  --rounds N         alternating measurement rounds (default ${DEFAULTS.rounds})
  --only NAME        run only this model (repeatable)
  --no-peers         time edgerun only
  --json             print the result object (JSON) on stdout instead of the table
                     (with npm, use \`npm run -s bench -- --json\` to keep npm's banner off stdout)
  --update-baseline  write these edgerun medians to bench/results/baseline.json
  --help             this text

Writes bench/results/latest.json, latest.md and latest.svg; prints each edgerun median's change
against bench/results/baseline.json. Progress goes to stderr.
Exit status: 0 ok; 1 an edgerun output is not bit-exact or a model failed; 2 bad usage or setup.`;

function positiveInt(flag: string, value: string | undefined): number {
  if (value === undefined || !/^[1-9]\d*$/.test(value)) {
    throw new UsageError(`${flag} needs a positive integer, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return Number(value);
}

export function parseArgs(argv: readonly string[]): SuiteArgs {
  const args: SuiteArgs = {
    iterations: null, rounds: DEFAULTS.rounds, only: [], json: false, peers: true, updateBaseline: false, help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=')
      ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)]
      : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--iterations': args.iterations = positiveInt(flag, value()); break;
      case '--rounds': args.rounds = positiveInt(flag, value()); break;
      case '--only': {
        const name = value();
        if (!name || name.startsWith('--')) throw new UsageError('--only needs a model name');
        args.only.push(name);
        break;
      }
      case '--json': args.json = true; break;
      case '--no-peers': args.peers = false; break;
      case '--update-baseline': args.updateBaseline = true; break;
      case '--help': case '-h': args.help = true; break;
      default: throw new UsageError(`unknown argument ${JSON.stringify(argv[i])} (see --help)`);
    }
    if (inline !== undefined && !['--iterations', '--rounds', '--only'].includes(flag)) {
      throw new UsageError(`${flag} takes no value`);
    }
  }
  return args;
}

/**
 * Flags of a bench script by node:util parseArgs (strict: an unknown flag or a missing value is a
 * one-line error, exit 2); --help prints `help` and exits 0.
 */
export function scriptArgs<T extends Record<string, { type: 'boolean' | 'string'; multiple?: boolean }>>(name: string, help: string, options: T) {
  try {
    const { values } = parseFlags({ options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }) as
      { values: Record<string, string | boolean | undefined> };
    if (values.help) {
      console.log(help);
      process.exit(0);
    }
    return values as { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string };
  } catch (e) {
    return usageExit(name, (e as Error).message);
  }
}

/** Prints `name: error: message` (one line) and exits 2. */
export function usageExit(name: string, message: string): never {
  console.error(`${name}: error: ${message.split('\n')[0]}`);
  process.exit(2);
}
