/**
 * Byte sizes on the command line: a whole number of bytes, optionally with a unit.
 *   binary (IEC): KiB = 1024, MiB = 1024^2, GiB = 1024^3
 *   decimal (SI): KB = 1000, MB = 1000^2, GB = 1000^3
 *   B = 1
 * Strict: digits then an exact-case unit, nothing else (no signs, spaces, fractions, exponents,
 * leading zeros or lower-case units: "64kb" could mean kilobits, so it is refused, not guessed).
 */
import { InputError } from '../errors.js';

const UNITS: Record<string, number> = {
  B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3,
};

const SIZE = /^(0|[1-9][0-9]*)(B|KiB|MiB|GiB|KB|MB|GB)?$/;

/** Parses one size; `what` names the option or field in the error. Throws InputError. */
export function parseSize(text: string, what: string): number {
  const m = SIZE.exec(text);
  if (!m) {
    throw new InputError(`${what}: invalid size ${JSON.stringify(text)} (use bytes, or a whole number with KiB, MiB, GiB, KB, MB or GB, e.g. 256KiB)`);
  }
  const bytes = Number(m[1]) * UNITS[m[2] ?? 'B'];
  if (!Number.isSafeInteger(bytes)) throw new InputError(`${what}: size ${JSON.stringify(text)} is too large`);
  return bytes;
}

/** Parses a comma-separated list of sizes ("64KiB,128KiB"); empty items are errors. */
export function parseSizeList(text: string, what: string): number[] {
  return text.split(',').map((item) => parseSize(item, what));
}

/** Bytes with thousands separators, e.g. 55,376. */
export function formatBytes(bytes: number): string {
  return bytes.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A size in the largest binary unit that divides it exactly (65536 → "64KiB"); else bytes. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    if (bytes >= UNITS[unit] && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return `${bytes}B`;
}
