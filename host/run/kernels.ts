/** The built kernel modules (npm run build): SIMD, and the scalar reference twins. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EdgerunError } from '../errors.js';

export type KernelFlavor = 'simd' | 'ref';

const cache = new Map<KernelFlavor, Uint8Array>();

export function kernelModulePath(flavor: KernelFlavor): string {
  return fileURLToPath(new URL(`../../../build/edgerun-${flavor}.wasm`, import.meta.url));
}

export function kernelModule(flavor: KernelFlavor): Uint8Array {
  let bytes = cache.get(flavor);
  if (!bytes) {
    const path = kernelModulePath(flavor);
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch {
      throw new EdgerunError(`kernel module ${path} is missing: run \`npm run build\``);
    }
    cache.set(flavor, bytes);
  }
  return bytes;
}
