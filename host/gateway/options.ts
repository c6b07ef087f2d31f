/** Options shared by the bundle and gateway commands. */
import { parseFeatures, WASM_FEATURES, type WasmFeature } from '../bundle/features.js';
import { InputError } from '../index.js';
import { type Args, one } from '../cli/args.js';

/** --expires: an ISO date (2026-06-30) or time (2026-06-30T12:00:00Z), a duration from now
 *  (90d, 12h, 3600s), or never. */
export function parseExpiry(text: string, now: Date): Date | null {
  if (text === 'never') return null;
  const duration = /^([1-9][0-9]{0,6})(d|h|s)$/.exec(text);
  if (duration) return new Date(now.getTime() + Number(duration[1]) * { d: 86_400_000, h: 3_600_000, s: 1000 }[duration[2] as 'd' | 'h' | 's']);
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z)?$/.test(text)) {
    const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new InputError(`--expires ${JSON.stringify(text)}: use a UTC date (2026-06-30), time (2026-06-30T12:00:00Z), a duration (90d, 12h, 3600s) or never`);
}

/** --features LIST: the WebAssembly features a gateway offers ("mvp" for none). */
export function featuresOf(args: Args): WasmFeature[] | undefined {
  if (!args.flags.has('--features')) return undefined;
  const text = one(args, '--features', '');
  if (text === 'mvp') return [];
  try {
    return parseFeatures(text.split(',').map((s) => s.trim()).filter(Boolean), '--features');
  } catch {
    throw new InputError(`--features ${JSON.stringify(text)}: a comma-separated list of ${WASM_FEATURES.join(', ')}, or mvp`);
  }
}

/** A whole number option in a range. */
export function intOption(args: Args, name: string, min: number, max: number): number | undefined {
  if (!args.flags.has(name)) return undefined;
  const text = one(args, name, '');
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new InputError(`${name} must be a whole number ${min}..${max}, got ${JSON.stringify(text)}`);
  return n;
}
