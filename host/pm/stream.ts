/**
 * Streaming scores: CSV samples in (a header naming the columns, then one row per sample), one
 * scored window every `hop` samples out. Rows are parsed straight from bytes; a malformed row stops
 * the stream with `line N: ...` (InputError), after every score before it has been delivered.
 */
import { InputError } from '../errors.js';
import type { Scorer, WindowScore } from './scorer.js';

export interface StreamScore extends WindowScore {
  /** Time of the window's last sample: its timestamp, or sample index / sampleRate without one. */
  t: number;
}

export interface StreamStats {
  rows: number;
  windows: number;
  anomalies: number;
  firstAnomalyT: number | null;
  /** Seconds of signal read (rows / sampleRate). */
  signalS: number;
}

/** Tolerance on the sample rate the timestamps imply, relative to the feature spec's. */
const RATE_TOLERANCE = 0.01;
/** Longest row accepted, bytes: a file without newlines must not grow a buffer without bound. */
const MAX_LINE_BYTES = 64 * 1024;

const CR = 13, LF = 10, COMMA = 44, MINUS = 45, PLUS = 43, DOT = 46, ZERO = 48, NINE = 57;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where the last parseField stopped: the comma that ends the field, or the line's end. */
let fieldEnd = 0;

/**
 * The field that starts at `start` and ends at the next comma or `end`; sets fieldEnd. Plain
 * decimals (sign, up to 15 digits, a point) are read in the same pass that finds the comma and
 * converted as digits / 10^k, exact and correctly rounded as both are exact doubles; anything else
 * goes through Number(). Returns NaN for an empty or non-numeric field.
 */
function parseField(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = i < end ? bytes[i] : COMMA;
  let negative = false;
  if (c === MINUS || c === PLUS) {
    negative = c === MINUS;
    c = ++i < end ? bytes[i] : COMMA;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (;;) {
    if (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === DOT && fraction < 0) {
      fraction = 0;
    } else {
      break;
    }
    c = ++i < end ? bytes[i] : COMMA;
  }
  if (c === COMMA && digits > 0 && digits <= 15) {
    fieldEnd = i;
    const v = fraction > 0 ? mantissa / POW10[fraction] : mantissa;
    return negative ? -v : v;
  }
  while (i < end && bytes[i] !== COMMA) i++;
  fieldEnd = i;
  let text = '';
  for (let k = start; k < i; k++) text += String.fromCharCode(bytes[k]);
  text = text.replace(/^[ \t]+|[ \t]+$/g, '');
  return DECIMAL.test(text) ? Number(text) : NaN;
}

/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** A decimal number as CSV writes one: sign, digits, point, exponent (no hex, no Infinity). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether `text` is one decimal number (DECIMAL), as CSV fields and --threshold must be. */
export const isDecimal = (text: string): boolean => DECIMAL.test(text);

/** bytes[start, end) as one decimal number; NaN if it is not one (or holds a comma). */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  const v = parseField(bytes, start, end);
  return fieldEnd === end ? v : NaN;
}

export interface CsvScorerOptions {
  /** Called with each window's score, in order. */
  onScore: (score: StreamScore) => void;
}

/** Feeds CSV bytes chunk by chunk into windows, and windows into a scorer. */
export class CsvScorer {
  readonly stats: StreamStats = { rows: 0, windows: 0, anomalies: 0, firstAnomalyT: null, signalS: 0 };
  private line = 0;
  private carry: Uint8Array = new Uint8Array(0);
  private header: string[] | null = null;
  private readonly channels: number;
  private readonly windowSize: number;
  private readonly hop: number;
  private readonly rate: number;
  /** Field index of each channel's column, and of the timestamp (-1: none). */
  private columnOf: Int32Array = new Int32Array(0);
  private timestampColumn = -1;
  private fields: Float64Array = new Float64Array(0);
  private readonly window: Float32Array;
  /** The timestamp of each row in the window (when the CSV has them). */
  private readonly times: Float64Array;
  private filled = 0;
  /** Samples still to drop before the next window starts (hop > windowSize). */
  private skip = 0;
  private lastT = NaN;

  constructor(private readonly scorer: Scorer, private readonly options: CsvScorerOptions) {
    const { features, columns } = scorer.meta;
    this.channels = columns.length;
    this.windowSize = features.windowSize;
    this.hop = features.hop;
    this.rate = features.sampleRate;
    this.window = new Float32Array(this.windowSize * this.channels);
    this.times = new Float64Array(this.windowSize);
  }

  /** Parses every complete line of `chunk` (a partial last line waits for the next chunk). */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    let start = 0;
    for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, start)) {
      // The same limit however the input arrives in chunks (a file, a pipe).
      if (i - start > MAX_LINE_BYTES) throw new InputError(`line ${this.line + 1}: longer than ${MAX_LINE_BYTES} bytes (is this CSV?)`);
      this.lineOf(bytes, start, i > start && bytes[i - 1] === CR ? i - 1 : i);
      start = i + 1;
    }
    if (bytes.length - start > MAX_LINE_BYTES) throw new InputError(`line ${this.line + 1}: longer than ${MAX_LINE_BYTES} bytes (is this CSV?)`);
    this.carry = bytes.slice(start);
  }

  /** The last line, if it has no newline; then checks the input was not empty. */
  end(): StreamStats {
    if (this.carry.length > 0) {
      const n = this.carry.length;
      this.lineOf(this.carry, 0, this.carry[n - 1] === CR ? n - 1 : n);
      this.carry = new Uint8Array(0);
    }
    if (this.header === null) throw new InputError('line 1: no CSV header (the input is empty)');
    if (this.stats.rows === 0) throw new InputError(`line ${this.line + 1}: no samples after the header`);
    this.stats.signalS = this.stats.rows / this.rate;
    return this.stats;
  }

  private lineOf(bytes: Uint8Array, start: number, end: number): void {
    this.line++;
    if (this.header === null) return this.headerOf(bytes, start, end);
    if (end === start) throw new InputError(`line ${this.line}: an empty row, the header has ${this.fields.length} fields`);
    const fields = this.fields;
    const count = fields.length;
    let i = start;
    for (let field = 0; ; field++) {
      if (field === count) throw new InputError(`line ${this.line}: more than the header's ${count} fields`);
      const v = parseField(bytes, i, end);
      // Samples go through float32: a value beyond its range would become Infinity there.
      if (!Number.isFinite(v) || Math.abs(v) > F32_MAX) {
        const text = new TextDecoder().decode(bytes.subarray(i, fieldEnd)).slice(0, 40);
        throw new InputError(`line ${this.line}: ${this.header[field]} is ${text === '' ? 'empty' : JSON.stringify(text)}, not a finite number${Number.isFinite(v) ? ' within float32' : ''}`);
      }
      i = fieldEnd;
      fields[field] = v;
      if (i >= end) {
        if (field + 1 < count) throw new InputError(`line ${this.line}: ${field + 1} fields, the header has ${count}`);
        break;
      }
      i++;
    }
    this.sample();
  }

  private headerOf(bytes: Uint8Array, start: number, end: number): void {
    if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    const names = new TextDecoder().decode(bytes.subarray(start, end)).split(',').map((s) => s.trim());
    const { columns } = this.scorer.meta;
    if (names.some((n) => n === '')) throw new InputError(`line ${this.line}: the CSV header has an empty column name (expected names such as timestamp,${columns.join(',')})`);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new InputError(`line ${this.line}: column ${JSON.stringify(dup)} appears twice in the header`);
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) throw new InputError(`line ${this.line}: the header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the model reads (header: ${JSON.stringify(names.join(',').slice(0, 80))})`);
    this.header = names;
    this.columnOf = Int32Array.from(columns, (c) => names.indexOf(c));
    this.timestampColumn = names.indexOf('timestamp');
    this.fields = new Float64Array(names.length);
  }

  private sample(): void {
    const { fields, channels } = this;
    const stats = this.stats;
    stats.rows++;
    let t: number;
    if (this.timestampColumn >= 0) {
      t = fields[this.timestampColumn];
      if (t <= this.lastT) throw new InputError(`line ${this.line}: timestamp ${t} does not increase (previous ${this.lastT})`);
      this.lastT = t;
    } else {
      t = (stats.rows - 1) / this.rate;
    }
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    const at = this.filled * channels;
    for (let c = 0; c < channels; c++) this.window[at + c] = fields[this.columnOf[c]];
    this.times[this.filled] = t;
    if (++this.filled < this.windowSize) return;

    if (this.timestampColumn >= 0) this.checkRate();
    const result = this.scorer.push(this.window);
    if (this.hop >= this.windowSize) {
      this.filled = 0;
      this.skip = this.hop - this.windowSize;
    } else {
      this.window.copyWithin(0, this.hop * channels);
      this.times.copyWithin(0, this.hop);
      this.filled -= this.hop;
    }
    if (result === null) return;
    stats.windows++;
    if (result.anomaly) {
      stats.anomalies++;
      if (stats.firstAnomalyT === null) stats.firstAnomalyT = t;
    }
    stats.signalS = stats.rows / this.rate;
    this.options.onScore({ t, ...result });
  }

  /** Each window's timestamps must imply the feature spec's sample rate (within 1 %): a rate that
   *  changes, or a gap, would be scored as if the samples were evenly spaced. */
  private checkRate(): void {
    const rate = (this.windowSize - 1) / (this.times[this.windowSize - 1] - this.times[0]);
    if (Math.abs(rate - this.rate) > RATE_TOLERANCE * this.rate) {
      throw new InputError(`line ${this.line}: the timestamps of the window ending here give ${rate.toPrecision(6)} samples/s; the model's features expect ${this.rate} (resample the data, or split it at gaps)`);
    }
  }
}
