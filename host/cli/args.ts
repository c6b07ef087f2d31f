/** Command-line argument parsing shared by the commands. */
import { InputError, type MemoryLimits, parseSize } from '../index.js';

export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

export const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h', '--version', '--profile']);

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

export function runtimeOf(args: Args): string {
  const runtime = one(args, '--runtime', 'v8');
  if (runtime !== 'v8') throw new InputError(`--runtime ${runtime} is not available (supported: v8)`);
  return runtime;
}

