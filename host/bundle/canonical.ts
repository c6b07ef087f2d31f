/**
 * Canonical JSON, the manifest's encoding: what is signed is these exact bytes, and a verifier
 * accepts only bytes that re-encode to themselves, so one manifest has exactly one encoding.
 *
 * Rules: UTF-8; no whitespace; object keys sorted by UTF-16 code units (JavaScript's default
 * sort), no duplicates; strings as JSON.stringify writes them; numbers are safe integers only
 * (no fractions, exponents or -0); true, false, null; arrays as given.
 */
import { BundleError } from './errors.js';

/** Deeper nesting than any manifest has is refused before the recursion could exhaust the stack. */
const MAX_DEPTH = 32;

export function canonicalJson(value: unknown, path = '$', depth = 0): string {
  if (depth > MAX_DEPTH) throw new BundleError('format', `${path}: nested more than ${MAX_DEPTH} levels deep`);
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw new BundleError('format', `${path}: canonical JSON holds safe integers only, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`, depth + 1)}`).join(',')}}`;
  }
  throw new BundleError('format', `${path}: ${typeof value} has no canonical JSON encoding`);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** Parses bytes that must be canonical JSON; BundleError('format') otherwise. */
export function parseCanonical(bytes: Uint8Array, what: string): unknown {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (e) {
    throw new BundleError('format', `${what}: not UTF-8 JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (canonicalJson(value) !== text) throw new BundleError('format', `${what}: not canonical JSON (sorted keys, no whitespace, integers only)`);
  return value;
}
