/** Command-line argument parsing shared by the commands. */
import { getRuntime, InputError, MAX_TIMEOUT_MS, type MemoryLimits, OPTIMIZE_FOR, type OptimizeFor, parseSize, type Runtime, RUNTIME_NAMES } from '../index.js';

export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

export const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h', '--version', '--profile', '--quiet']);

export function parseArgs(argv: string[], allowed: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (!allowed.includes(name) && !['--help', '-h'].includes(name)) throw new InputError(`unknown option ${name} (see --help)`);
      let value = inline ?? '';
      if (!BOOLEAN_FLAGS.has(name) && inline === undefined) {
        if (i + 1 >= argv.length) throw new InputError(`option ${name} needs a value`);
        value = argv[++i];
      }
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

export function one(args: Args, name: string, fallback: string): string {
  const v = args.flags.get(name);
  if (!v) return fallback;
  if (v.length > 1) throw new InputError(`option ${name} given ${v.length} times`);
  return v[0];
}

export function kernelsOf(args: Args): 'simd' | 'ref' {
  const k = one(args, '--kernels', 'simd');
  if (k !== 'simd' && k !== 'ref') throw new InputError(`--kernels must be simd or ref, got ${k}`);
  return k;
}

/** --kernels when given, else undefined: a compiled module then runs the kernels it was built with. */
export function kernelsOption(args: Args): 'simd' | 'ref' | undefined {
  return args.flags.has('--kernels') ? kernelsOf(args) : undefined;
}

/** --optimize speed|size when given, else undefined (speed; a compiled module refuses the option). */
export function optimizeOption(args: Args): OptimizeFor | undefined {
  if (!args.flags.has('--optimize')) return undefined;
  const o = one(args, '--optimize', '') as OptimizeFor;
  if (!OPTIMIZE_FOR.includes(o)) throw new InputError(`--optimize must be speed or size, got ${o}`);
  return o;
}

export function modelPath(args: Args, command: string): string {
  if (args.positional.length !== 1) throw new InputError(`${command} takes one MODEL argument (see edgerun ${command} --help)`);
  return args.positional[0];
}

export function positiveInt(args: Args, name: string, fallback: number): number {
  const text = one(args, name, String(fallback));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1e7) throw new InputError(`${name} must be a whole number 0..10000000, got ${text}`);
  return n;
}

/** --memory-limit (one size) and --ram-limit. */
export function limitsOf(args: Args): MemoryLimits {
  const limits: MemoryLimits = {};
  if (args.flags.has('--memory-limit')) limits.memoryLimit = parseSize(one(args, '--memory-limit', ''), '--memory-limit');
  if (args.flags.has('--ram-limit')) limits.ramLimit = parseSize(one(args, '--ram-limit', ''), '--ram-limit');
  return limits;
}

/** --runtime NAME through the runtime registry (default v8). */
export function runtimeOf(args: Args): Runtime {
  const name = one(args, '--runtime', 'v8');
  if (!RUNTIME_NAMES.includes(name)) throw new InputError(`--runtime ${name}: unknown runtime (runtimes: ${RUNTIME_NAMES.join(', ')})`);
  return getRuntime(name);
}

/** --timeout MS: a whole number of milliseconds, 1..2^31-1; undefined when not given. */
export function timeoutOf(args: Args): number | undefined {
  if (!args.flags.has('--timeout')) return undefined;
  const text = one(args, '--timeout', '');
  const ms = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : NaN;
  if (!(ms <= MAX_TIMEOUT_MS)) throw new InputError(`--timeout must be a whole number of milliseconds 1..${MAX_TIMEOUT_MS}, got ${JSON.stringify(text)}`);
  return ms;
}

