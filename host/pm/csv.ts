/** CSV of sensor samples: `timestamp,ax,ay,az,current,temperature`, one row per sample, fixed decimals, ASCII. */
import { InputError } from '../errors.js';
import type { Channels } from './generator.js';

export const CSV_HEADER = 'timestamp,ax,ay,az,current,temperature';

/** A run of consecutive samples: `start` is the index of the first; every channel has the block's length. */
export interface SensorBlock extends Channels {
  start: number;
}

/** Decimals of ax/ay/az (g: 10 µg steps), current (A) and temperature (°C). */
const ACCEL_DIGITS = 5;
const CURRENT_DIGITS = 4;
const TEMPERATURE_DIGITS = 3;
/** Values must be below this in magnitude: at most 9 integer digits, so a row (timestamp ≤ 16 bytes, five values ≤ 16, commas, newline) fits ROW_BYTES. */
const MAX_VALUE = 1e9;
const ROW_BYTES = 16 + 5 * 17;
/** Rows per chunk of text in csvRows. */
const CHUNK_ROWS = 65536;

/** Timestamp decimals for rate ≥ 2 Hz: the fewest that write i / rate exactly (4 at 10 kHz, 6 at 8 kHz), at most 9 (ns). */
function timestampDecimals(rate: number): number {
  for (let d = 1; d < 9; d++) if (10 ** d % rate === 0) return d;
  return 9;
}

/** Writes the digits of a non-negative integer v at buf[pos..], at least `width` of them (zero-padded); returns the end. */
function putDigits(buf: Uint8Array, pos: number, v: number, width: number): number {
  let len = 1;
  for (let q = v; q >= 10; q = Math.floor(q / 10)) len++;
  const end = pos + Math.max(len, width);
  for (let p = end - 1; p >= pos; p--) {
    const q = Math.floor(v / 10);
    buf[p] = 48 + v - 10 * q;
    v = q;
  }
  return end;
}

/** Writes v with `digits` decimals (scale = 10^digits), rounded half away from zero, never "-0.000"; returns the end. */
function putFixed(buf: Uint8Array, pos: number, v: number, scale: number, digits: number): number {
  if (!(Math.abs(v) < MAX_VALUE)) throw new InputError(`cannot write ${v} to CSV (values must be finite and below ${MAX_VALUE} in magnitude)`);
  const n = Math.round(Math.abs(v) * scale);
  if (v < 0 && n !== 0) buf[pos++] = 45; // '-'
  const int = Math.floor(n / scale);
  pos = putDigits(buf, pos, int, 1);
  buf[pos++] = 46; // '.'
  return putDigits(buf, pos, n - int * scale, digits);
}

/** The block's rows as ASCII bytes, each ending in "\n". Timestamps are seconds from the run's first sample, i / rate, exact to the last decimal written. */
export function csvBytes(block: SensorBlock, rate: number): Uint8Array {
  const digits = timestampDecimals(rate);
  const tScale = 10 ** digits;
  const a = 10 ** ACCEL_DIGITS;
  const c = 10 ** CURRENT_DIGITS;
  const t = 10 ** TEMPERATURE_DIGITS;
  const { ax, ay, az, current, temperature } = block;
  const buf = new Uint8Array(ax.length * ROW_BYTES);
  let pos = 0;
  for (let k = 0; k < ax.length; k++) {
    const i = block.start + k;
    const seconds = Math.floor(i / rate);
    pos = putDigits(buf, pos, seconds, 1);
    buf[pos++] = 46;
    // Fraction of a second in units of 10^-digits, from integers only: exact for any run length.
    pos = putDigits(buf, pos, Math.round(((i - seconds * rate) * tScale) / rate), digits);
    buf[pos++] = 44; // ','
    pos = putFixed(buf, pos, ax[k], a, ACCEL_DIGITS);
    buf[pos++] = 44;
    pos = putFixed(buf, pos, ay[k], a, ACCEL_DIGITS);
    buf[pos++] = 44;
    pos = putFixed(buf, pos, az[k], a, ACCEL_DIGITS);
    buf[pos++] = 44;
    pos = putFixed(buf, pos, current[k], c, CURRENT_DIGITS);
    buf[pos++] = 44;
    pos = putFixed(buf, pos, temperature[k], t, TEMPERATURE_DIGITS);
    buf[pos++] = 10; // '\n'
  }
  return buf.subarray(0, pos);
}

/** The block's rows as text (see csvBytes). */
export function csvRows(block: SensorBlock, rate: number): string {
  const decoder = new TextDecoder();
  let text = '';
  for (let k = 0; k < block.ax.length; k += CHUNK_ROWS) {
    const part = (c: Float32Array) => c.subarray(k, k + CHUNK_ROWS);
    const { ax, ay, az, current, temperature } = block;
    text += decoder.decode(csvBytes({
      start: block.start + k, ax: part(ax), ay: part(ay), az: part(az), current: part(current), temperature: part(temperature),
    }, rate));
  }
  return text;
}
