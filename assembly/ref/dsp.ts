// DSP front-end on float32 (predictive maintenance features): window, complex and real FFT,
// power spectrum, sparse filter banks, time-domain statistics, envelope spectrum, and the
// per-window feature entry point. Layouts and numeric contracts: host/abi/blocks.ts (dsp_*).
//
// Numeric contract: every f32 operation is a plain IEEE single operation in a fixed order (wasm
// has no fused multiply-add), sums of many terms are f64. The SIMD twin (../kernels/dsp.ts) only
// replaces the FFT butterflies, computing the same operations per lane: results are bit-identical.
// Radix-2 decimation in time with twiddles rounded from f64: against numpy (tests/dsp.test.ts)
// the error of 256..8192-point FFTs stays below 1.2e-7 of the spectrum's peak magnitude.
import { fftStagesSimd } from '../kernels/dsp';
import {
  DSP_WINDOW_INPUT, DSP_WINDOW_WINDOW, DSP_WINDOW_OUTPUT, DSP_WINDOW_COUNT, DSP_WINDOW_INPUT_STRIDE, DSP_WINDOW_REMOVE_MEAN,
  DSP_FFT_DATA, DSP_FFT_TWIDDLES, DSP_FFT_SIZE, DSP_FFT_TWIDDLE_SIZE, DSP_FFT_INVERSE,
  DSP_RFFT_INPUT, DSP_RFFT_OUTPUT, DSP_RFFT_TWIDDLES, DSP_RFFT_SIZE, DSP_RFFT_TWIDDLE_SIZE,
  DSP_POWER_INPUT, DSP_POWER_OUTPUT, DSP_POWER_BINS, DSP_POWER_MAGNITUDE, DSP_POWER_SCALE,
  DSP_FILTERBANK_INPUT, DSP_FILTERBANK_OUTPUT, DSP_FILTERBANK_ROWS, DSP_FILTERBANK_WEIGHTS, DSP_FILTERBANK_INPUT_COUNT,
  DSP_FILTERBANK_BANDS, DSP_FILTERBANK_LOG, DSP_FILTERBANK_FLOOR,
  DSP_STATS_INPUT, DSP_STATS_OUTPUT, DSP_STATS_COUNT, DSP_STATS_INPUT_STRIDE,
  DSP_ENVELOPE_SPECTRUM, DSP_ENVELOPE_OUTPUT, DSP_ENVELOPE_TWIDDLES, DSP_ENVELOPE_SCRATCH, DSP_ENVELOPE_SIZE,
  DSP_ENVELOPE_ENVELOPE_SIZE, DSP_ENVELOPE_BAND_LOW, DSP_ENVELOPE_BAND_HIGH, DSP_ENVELOPE_OUT_BINS, DSP_ENVELOPE_TWIDDLE_SIZE,
  DSP_ENVELOPE_SCALE,
  DSP_FEATURES_INPUT, DSP_FEATURES_OUTPUT, DSP_FEATURES_WINDOW, DSP_FEATURES_TWIDDLES, DSP_FEATURES_BAND_ROWS,
  DSP_FEATURES_BAND_WEIGHTS, DSP_FEATURES_ENVELOPE_ROWS, DSP_FEATURES_ENVELOPE_WEIGHTS, DSP_FEATURES_SCRATCH, DSP_FEATURES_SIZE,
  DSP_FEATURES_CHANNELS, DSP_FEATURES_FEATURES, DSP_FEATURES_BANDS, DSP_FEATURES_ENVELOPE_SIZE, DSP_FEATURES_ENVELOPE_LOW,
  DSP_FEATURES_ENVELOPE_HIGH, DSP_FEATURES_ENVELOPE_BANDS, DSP_FEATURES_TWIDDLE_SIZE, DSP_FEATURES_LOG,
  DSP_FEATURES_POWER_SCALE, DSP_FEATURES_ENVELOPE_SCALE, DSP_FEATURES_LOG_FLOOR,
} from '../params';

export const FEATURE_STATS: i32 = 1;
export const FEATURE_BANDS: i32 = 2;
export const FEATURE_ENVELOPE: i32 = 4;
export const STATS_COUNT: i32 = 5;

// @ts-ignore: decorator
@inline
function isPow2(n: i32): bool {
  return n > 0 && (n & (n - 1)) == 0;
}

/** Bit-reversal permutation of m complex values (8 bytes each). */
function bitReverse(data: usize, m: i32): void {
  let j = 0;
  for (let i = 0; i < m - 1; i++) {
    if (i < j) {
      const a = data + (<usize>i << 3);
      const b = data + (<usize>j << 3);
      const t = load<u64>(a);
      store<u64>(a, load<u64>(b));
      store<u64>(b, t);
    }
    let k = m >> 1;
    while (k <= j) {
      j -= k;
      k >>= 1;
    }
    j += k;
  }
}

/** Radix-2 stages after the bit reversal: h = 1 (no twiddle), then h = 2, 4, ..., m/2. */
function fftStages(data: usize, m: i32, tw: usize): void {
  for (let i = 0; i < m; i += 2) {
    const a = data + (<usize>i << 3);
    const ar = load<f32>(a), ai = load<f32>(a, 4), br = load<f32>(a, 8), bi = load<f32>(a, 12);
    store<f32>(a, ar + br);
    store<f32>(a, ai + bi, 4);
    store<f32>(a, ar - br, 8);
    store<f32>(a, ai - bi, 12);
  }
  for (let h = 2; h < m; h <<= 1) {
    const w0 = tw + (<usize>(h - 1) << 3);
    const span = <usize>h << 3;
    for (let g = 0; g < m; g += h << 1) {
      const base = data + (<usize>g << 3);
      for (let j = 0; j < h; j++) {
        const a = base + (<usize>j << 3);
        const b = a + span;
        const w = w0 + (<usize>j << 3);
        const wr = load<f32>(w), wi = load<f32>(w, 4);
        const br = load<f32>(b), bi = load<f32>(b, 4);
        const tr = br * wr - bi * wi;
        const ti = br * wi + bi * wr;
        const ar = load<f32>(a), ai = load<f32>(a, 4);
        store<f32>(a, ar + tr);
        store<f32>(a, ai + ti, 4);
        store<f32>(b, ar - tr);
        store<f32>(b, ai - ti, 4);
      }
    }
  }
}

/** Forward complex FFT of m points in place (m a power of two; the table holds size >= m). */
export function fft(data: usize, m: i32, tw: usize, simd: bool): void {
  if (m < 2) return;
  bitReverse(data, m);
  if (ASC_FEATURE_SIMD && simd) fftStagesSimd(data, m, tw);
  else fftStages(data, m, tw);
}

/**
 * Real FFT of n reals at data, in place, to n/2 + 1 complex bins (n + 2 floats): the n reals as
 * n/2 complex z, Z = FFT(z), then X_k = E_k + W^k O_k and X_{N-k} = conj(E_k - W^k O_k) with
 * E_k = (Z_k + conj Z_{N-k}) / 2, O_k = -i (Z_k - conj Z_{N-k}) / 2, W = exp(-2 pi i / n), N = n/2.
 */
export function rfft(data: usize, n: i32, tw: usize, simd: bool): void {
  const half = n >> 1;
  fft(data, half, tw, simd);
  const z0r = load<f32>(data), z0i = load<f32>(data, 4);
  store<f32>(data, z0r + z0i);
  store<f32>(data, 0, 4);
  const last = data + (<usize>half << 3);
  store<f32>(last, z0r - z0i);
  store<f32>(last, 0, 4);
  const w0 = tw + (<usize>(half - 1) << 3);
  for (let k = 1; k <= half >> 1; k++) {
    const pk = data + (<usize>k << 3);
    const pn = data + (<usize>(half - k) << 3);
    const zkr = load<f32>(pk), zki = load<f32>(pk, 4), znr = load<f32>(pn), zni = load<f32>(pn, 4);
    const er: f32 = (zkr + znr) * 0.5, ei: f32 = (zki - zni) * 0.5;
    const or: f32 = (zki + zni) * 0.5, oi: f32 = (znr - zkr) * 0.5;
    const w = w0 + (<usize>k << 3);
    const wr = load<f32>(w), wi = load<f32>(w, 4);
    const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
    store<f32>(pn, er - tr);
    store<f32>(pn, ti - ei, 4);
    store<f32>(pk, er + tr);
    store<f32>(pk, ei + ti, 4);
  }
}

/** The dsp_window transform (see host/abi/blocks.ts). */
export function windowInto(input: usize, stride: i32, count: i32, mean: f64, window: usize, output: usize): void {
  for (let i = 0; i < count; i++) {
    const d = <f32>(<f64>load<f32>(input + (<usize>(i * stride) << 2)) - mean);
    store<f32>(output + (<usize>i << 2), window ? d * load<f32>(window + (<usize>i << 2)) : d);
  }
}

export function meanOf(input: usize, stride: i32, count: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < count; i++) sum += <f64>load<f32>(input + (<usize>(i * stride) << 2));
  return count > 0 ? sum / <f64>count : 0;
}

/** [mean, rms, peak, crest, kurtosis] of the strided values, given their mean. */
export function statsInto(input: usize, stride: i32, count: i32, mean: f64, output: usize): void {
  let m2: f64 = 0, m4: f64 = 0, peak: f64 = 0;
  for (let i = 0; i < count; i++) {
    const d = <f64>load<f32>(input + (<usize>(i * stride) << 2)) - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
    const a = Math.abs(d);
    if (a > peak) peak = a;
  }
  m2 /= <f64>count;
  m4 /= <f64>count;
  const rms = Math.sqrt(m2);
  store<f32>(output, <f32>mean);
  store<f32>(output, <f32>rms, 4);
  store<f32>(output, <f32>peak, 8);
  store<f32>(output, rms > 0 ? <f32>(peak / rms) : 0, 12);
  store<f32>(output, m2 > 0 ? <f32>(m4 / (m2 * m2)) : 0, 16);
}

/** |X_k|^2 * scale or |X_k| * scale for k < bins, in place allowed. */
export function powerInto(input: usize, bins: i32, magnitude: bool, scale: f32, output: usize): void {
  for (let k = 0; k < bins; k++) {
    const re = load<f32>(input + (<usize>k << 3)), im = load<f32>(input + (<usize>k << 3), 4);
    const p = re * re + im * im;
    store<f32>(output + (<usize>k << 2), (magnitude ? Mathf.sqrt(p) : p) * scale);
  }
}

/** Whether every (firstBin, count) row lies inside [0, inputCount). */
export function rowsValid(rows: usize, bands: i32, inputCount: i32): bool {
  for (let b = 0; b < bands; b++) {
    const first = load<i32>(rows + (<usize>b << 3)), count = load<i32>(rows + (<usize>b << 3), 4);
    if (first < 0 || count < 0 || count > inputCount - first) return false;
  }
  return true;
}

export function filterbankInto(input: usize, rows: usize, weights: usize, bands: i32, log: bool, floor: f32, output: usize): void {
  let w = weights;
  for (let b = 0; b < bands; b++) {
    const x = input + (<usize>load<i32>(rows + (<usize>b << 3)) << 2);
    const count = load<i32>(rows + (<usize>b << 3), 4);
    let sum: f64 = 0;
    for (let j = 0; j < count; j++) sum += <f64>load<f32>(w + (<usize>j << 2)) * <f64>load<f32>(x + (<usize>j << 2));
    w += <usize>count << 2;
    store<f32>(output + (<usize>b << 2), log ? <f32>Math.log(Math.max(sum, <f64>floor)) : <f32>sum);
  }
}

export function envelopeValid(n: i32, m: i32, lo: i32, hi: i32, twiddleSize: i32): bool {
  return isPow2(m) && m >= 4 && m <= n && m <= twiddleSize && lo >= 1 && lo <= hi && hi < n >> 1 && hi - lo < m;
}

/** dsp_envelope up to the magnitudes: leaves scale * |E_k|, k <= m/2, at scratch (2m floats). */
export function envelopeInto(spectrum: usize, n: i32, m: i32, lo: i32, hi: i32, tw: usize, scale: f32, scratch: usize, simd: bool): void {
  memory.fill(scratch, 0, <usize>m << 3);
  for (let j = 0; j <= hi - lo; j++) {
    const x = spectrum + (<usize>(lo + j) << 3);
    const s = scratch + (<usize>j << 3);
    store<f32>(s, load<f32>(x));
    store<f32>(s, -load<f32>(x, 4), 4); // conjugate: |FFT(conj X)_s| = |sum X_j exp(+2 pi i j s / m)|
  }
  fft(scratch, m, tw, simd);
  const gain: f32 = 2 / <f32>n;
  let sum: f64 = 0;
  for (let s = 0; s < m; s++) {
    const re = load<f32>(scratch + (<usize>s << 3)), im = load<f32>(scratch + (<usize>s << 3), 4);
    const e = Mathf.sqrt(re * re + im * im) * gain;
    store<f32>(scratch + (<usize>s << 2), e);
    sum += <f64>e;
  }
  const mean = <f32>(sum / <f64>m);
  for (let s = 0; s < m; s++) store<f32>(scratch + (<usize>s << 2), load<f32>(scratch + (<usize>s << 2)) - mean);
  rfft(scratch, m, tw, simd);
  powerInto(scratch, (m >> 1) + 1, true, scale, scratch);
}

// ---- kernel exports (the SIMD module's twins in ../kernels/dsp.ts pass simd = true) ----

export function dsp_window(p: usize): i32 {
  const input = load<usize>(p, DSP_WINDOW_INPUT);
  const stride = load<i32>(p, DSP_WINDOW_INPUT_STRIDE);
  const count = load<i32>(p, DSP_WINDOW_COUNT);
  if (count < 0 || stride < 1) return 1;
  const mean = load<i32>(p, DSP_WINDOW_REMOVE_MEAN) ? meanOf(input, stride, count) : 0;
  windowInto(input, stride, count, mean, load<usize>(p, DSP_WINDOW_WINDOW), load<usize>(p, DSP_WINDOW_OUTPUT));
  return 0;
}

export function fftRun(p: usize, simd: bool): i32 {
  const data = load<usize>(p, DSP_FFT_DATA);
  const m = load<i32>(p, DSP_FFT_SIZE);
  const twiddleSize = load<i32>(p, DSP_FFT_TWIDDLE_SIZE);
  if (!isPow2(m) || !isPow2(twiddleSize) || m > twiddleSize) return 1;
  const inverse = load<i32>(p, DSP_FFT_INVERSE) != 0;
  // inverse: x = conj(FFT(conj X)) / m (the 1/m is exact: a power of two)
  if (inverse) for (let i = 0; i < m; i++) store<f32>(data + (<usize>i << 3), -load<f32>(data + (<usize>i << 3), 4), 4);
  fft(data, m, load<usize>(p, DSP_FFT_TWIDDLES), simd);
  if (inverse) {
    const s: f32 = 1 / <f32>m;
    for (let i = 0; i < m; i++) {
      const a = data + (<usize>i << 3);
      store<f32>(a, load<f32>(a) * s);
      store<f32>(a, -load<f32>(a, 4) * s, 4);
    }
  }
  return 0;
}

export function rfftRun(p: usize, simd: bool): i32 {
  const input = load<usize>(p, DSP_RFFT_INPUT);
  const output = load<usize>(p, DSP_RFFT_OUTPUT);
  const n = load<i32>(p, DSP_RFFT_SIZE);
  const twiddleSize = load<i32>(p, DSP_RFFT_TWIDDLE_SIZE);
  if (!isPow2(n) || n < 4 || !isPow2(twiddleSize) || n > twiddleSize) return 1;
  if (input != output) memory.copy(output, input, <usize>n << 2);
  rfft(output, n, load<usize>(p, DSP_RFFT_TWIDDLES), simd);
  return 0;
}

export function dsp_power(p: usize): i32 {
  const bins = load<i32>(p, DSP_POWER_BINS);
  if (bins < 0) return 1;
  powerInto(load<usize>(p, DSP_POWER_INPUT), bins, load<i32>(p, DSP_POWER_MAGNITUDE) != 0, load<f32>(p, DSP_POWER_SCALE), load<usize>(p, DSP_POWER_OUTPUT));
  return 0;
}

export function dsp_filterbank(p: usize): i32 {
  const rows = load<usize>(p, DSP_FILTERBANK_ROWS);
  const bands = load<i32>(p, DSP_FILTERBANK_BANDS);
  if (bands < 0 || !rowsValid(rows, bands, load<i32>(p, DSP_FILTERBANK_INPUT_COUNT))) return 1;
  filterbankInto(
    load<usize>(p, DSP_FILTERBANK_INPUT), rows, load<usize>(p, DSP_FILTERBANK_WEIGHTS), bands,
    load<i32>(p, DSP_FILTERBANK_LOG) != 0, load<f32>(p, DSP_FILTERBANK_FLOOR), load<usize>(p, DSP_FILTERBANK_OUTPUT),
  );
  return 0;
}

export function dsp_stats(p: usize): i32 {
  const input = load<usize>(p, DSP_STATS_INPUT);
  const stride = load<i32>(p, DSP_STATS_INPUT_STRIDE);
  const count = load<i32>(p, DSP_STATS_COUNT);
  if (count < 1 || stride < 1) return 1;
  statsInto(input, stride, count, meanOf(input, stride, count), load<usize>(p, DSP_STATS_OUTPUT));
  return 0;
}

export function envelopeRun(p: usize, simd: bool): i32 {
  const n = load<i32>(p, DSP_ENVELOPE_SIZE);
  const m = load<i32>(p, DSP_ENVELOPE_ENVELOPE_SIZE);
  const outBins = load<i32>(p, DSP_ENVELOPE_OUT_BINS);
  const twiddleSize = load<i32>(p, DSP_ENVELOPE_TWIDDLE_SIZE);
  if (!isPow2(n) || !isPow2(twiddleSize) || outBins < 0 || outBins > (m >> 1) + 1) return 1;
  if (!envelopeValid(n, m, load<i32>(p, DSP_ENVELOPE_BAND_LOW), load<i32>(p, DSP_ENVELOPE_BAND_HIGH), twiddleSize)) return 1;
  const scratch = load<usize>(p, DSP_ENVELOPE_SCRATCH);
  envelopeInto(
    load<usize>(p, DSP_ENVELOPE_SPECTRUM), n, m, load<i32>(p, DSP_ENVELOPE_BAND_LOW), load<i32>(p, DSP_ENVELOPE_BAND_HIGH),
    load<usize>(p, DSP_ENVELOPE_TWIDDLES), load<f32>(p, DSP_ENVELOPE_SCALE), scratch, simd,
  );
  memory.copy(load<usize>(p, DSP_ENVELOPE_OUTPUT), scratch, <usize>outBins << 2);
  return 0;
}

export function featuresRun(p: usize, simd: bool): i32 {
  const n = load<i32>(p, DSP_FEATURES_SIZE);
  const channels = load<i32>(p, DSP_FEATURES_CHANNELS);
  const features = load<i32>(p, DSP_FEATURES_FEATURES);
  const bands = features & FEATURE_BANDS ? load<i32>(p, DSP_FEATURES_BANDS) : 0;
  const envBands = features & FEATURE_ENVELOPE ? load<i32>(p, DSP_FEATURES_ENVELOPE_BANDS) : 0;
  const m = load<i32>(p, DSP_FEATURES_ENVELOPE_SIZE);
  const lo = load<i32>(p, DSP_FEATURES_ENVELOPE_LOW), hi = load<i32>(p, DSP_FEATURES_ENVELOPE_HIGH);
  const twiddleSize = load<i32>(p, DSP_FEATURES_TWIDDLE_SIZE);
  const bandRows = load<usize>(p, DSP_FEATURES_BAND_ROWS), envRows = load<usize>(p, DSP_FEATURES_ENVELOPE_ROWS);
  if (!isPow2(n) || n < 4 || !isPow2(twiddleSize) || n > twiddleSize || channels < 1 || bands < 0 || envBands < 0) return 1;
  if (!rowsValid(bandRows, bands, (n >> 1) + 1)) return 1;
  if (features & FEATURE_ENVELOPE && (!envelopeValid(n, m, lo, hi, twiddleSize) || !rowsValid(envRows, envBands, (m >> 1) + 1))) return 1;
  const input = load<usize>(p, DSP_FEATURES_INPUT);
  const window = load<usize>(p, DSP_FEATURES_WINDOW);
  const tw = load<usize>(p, DSP_FEATURES_TWIDDLES);
  const spectrum = load<usize>(p, DSP_FEATURES_SCRATCH);
  const envelope = spectrum + (<usize>(n + 4) << 2);
  const log = load<i32>(p, DSP_FEATURES_LOG) != 0;
  const floor = load<f32>(p, DSP_FEATURES_LOG_FLOOR);
  let out = load<usize>(p, DSP_FEATURES_OUTPUT);
  for (let c = 0; c < channels; c++) {
    const x = input + (<usize>c << 2);
    const mean = meanOf(x, channels, n);
    if (features & FEATURE_STATS) {
      statsInto(x, channels, n, mean, out);
      out += <usize>STATS_COUNT << 2;
    }
    if (!(features & (FEATURE_BANDS | FEATURE_ENVELOPE))) continue;
    windowInto(x, channels, n, mean, window, spectrum);
    rfft(spectrum, n, tw, simd);
    // the envelope reads the complex spectrum, which the power spectrum then overwrites
    if (features & FEATURE_ENVELOPE) envelopeInto(spectrum, n, m, lo, hi, tw, load<f32>(p, DSP_FEATURES_ENVELOPE_SCALE), envelope, simd);
    if (features & FEATURE_BANDS) {
      powerInto(spectrum, (n >> 1) + 1, false, load<f32>(p, DSP_FEATURES_POWER_SCALE), spectrum);
      filterbankInto(spectrum, bandRows, load<usize>(p, DSP_FEATURES_BAND_WEIGHTS), bands, log, floor, out);
      out += <usize>bands << 2;
    }
    if (features & FEATURE_ENVELOPE) {
      filterbankInto(envelope, envRows, load<usize>(p, DSP_FEATURES_ENVELOPE_WEIGHTS), envBands, log, floor, out);
      out += <usize>envBands << 2;
    }
  }
  return 0;
}

export function dsp_fft_ref(p: usize): i32 {
  return fftRun(p, false);
}

export function dsp_rfft_ref(p: usize): i32 {
  return rfftRun(p, false);
}

export function dsp_envelope_ref(p: usize): i32 {
  return envelopeRun(p, false);
}

export function dsp_features_ref(p: usize): i32 {
  return featuresRun(p, false);
}
