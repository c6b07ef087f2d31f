// SIMD twin of ../ref/dsp.ts: the radix-2 FFT butterflies two at a time on interleaved complex
// f32 (one v128 = two complex values). Each lane computes the scalar twin's operations in the same
// order (t = b*w as br*wr - bi*wi and br*wi + bi*wr; a - t as a + (-t), which IEEE 754 defines
// as the same operation), so results are bit-identical. Every other step is the twin's (the
// run functions with simd = true; the scalar module never compiles this file's code).
import { envelopeRun, featuresRun, fftRun, rfftRun } from '../ref/dsp';

/** Stages h = 1, 2, ..., m/2 of the radix-2 DIT FFT on bit-reversed data (see ref fftStages). */
export function fftStagesSimd(data: usize, m: i32, tw: usize): void {
  // h = 1: [a, b] -> [a + b, a - b]
  const negHigh = i32x4(0, 0, 0x80000000, 0x80000000);
  for (let i = 0; i < m; i += 2) {
    const a = data + (<usize>i << 3);
    const v = v128.load(a);
    const lo = v128.shuffle<f32>(v, v, 0, 1, 0, 1);
    const hi = v128.xor(v128.shuffle<f32>(v, v, 2, 3, 2, 3), negHigh);
    v128.store(a, f32x4.add(lo, hi));
  }
  const negEven = i32x4(0x80000000, 0, 0x80000000, 0);
  for (let h = 2; h < m; h <<= 1) {
    const w0 = tw + (<usize>(h - 1) << 3);
    const span = <usize>h << 3;
    for (let g = 0; g < m; g += h << 1) {
      const base = data + (<usize>g << 3);
      for (let j = 0; j < h; j += 2) {
        const a = base + (<usize>j << 3);
        const b = a + span;
        const w = v128.load(w0 + (<usize>j << 3));
        const bv = v128.load(b);
        const br = v128.shuffle<f32>(bv, bv, 0, 0, 2, 2);
        const bi = v128.shuffle<f32>(bv, bv, 1, 1, 3, 3);
        const ws = v128.shuffle<f32>(w, w, 1, 0, 3, 2);
        // [br*wr + -(bi*wi), br*wi + bi*wr] per complex lane pair
        const t = f32x4.add(f32x4.mul(br, w), v128.xor(f32x4.mul(bi, ws), negEven));
        const av = v128.load(a);
        v128.store(a, f32x4.add(av, t));
        v128.store(b, f32x4.sub(av, t));
      }
    }
  }
}

export function dsp_fft(p: usize): i32 {
  return fftRun(p, true);
}

export function dsp_rfft(p: usize): i32 {
  return rfftRun(p, true);
}

export function dsp_envelope(p: usize): i32 {
  return envelopeRun(p, true);
}

export function dsp_features(p: usize): i32 {
  return featuresRun(p, true);
}
