/** Repository locations the suite reads and writes (this file runs as dist/bench/paths.js). */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const MANIFEST = join(ROOT, 'models/bench/manifest.json');
export const EXTRA_MODELS = join(ROOT, 'bench/models.json');
export const RESULTS_DIR = join(ROOT, 'bench/results');
export const BASELINE = join(RESULTS_DIR, 'baseline.json');
export const CEILING_SOURCE = join(ROOT, 'bench/ceiling/dot.as');
export const EDGERUN_WASM = join(ROOT, 'build/edgerun-simd.wasm');

/** A path as printed: relative to the repository when inside it. */
export function shown(path: string): string {
  return path.startsWith(ROOT + '/') ? path.slice(ROOT.length + 1) : path;
}
