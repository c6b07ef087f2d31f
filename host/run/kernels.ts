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

/**
 * Exports that run a SIMD kernel's calls faster on one runtime than the kernel itself (same param
 * block, same bytes out, same scalar twin). conv_2d_pairs' loop is shaped for V8; under wasmtime
 * it ran KWS 1.37x and ResNet-8 1.5x slower than the loop shape of conv_2d_pairs_unrolled, which
 * V8 runs 1.1-1.15x slower (assembly/kernels/conv_2d.ts pairsPass).
 */
export const RUNTIME_KERNELS: Record<string, Record<string, string>> = {
  wasmtime: { conv_2d_pairs: 'conv_2d_pairs_unrolled' },
};

/** The export that runs SIMD kernel `kernel` on `runtime` ('v8', 'wasmtime'). */
export function runtimeKernel(kernel: string, runtime: string): string {
  return RUNTIME_KERNELS[runtime]?.[kernel] ?? kernel;
}

/**
 * The export a planned call of `kernel` runs in the `flavor` module on `runtime`: in the SIMD
 * module its scalar twin (`<kernel>_ref`) when `twin`, else the runtime's build of the kernel.
 */
export function callExport(kernel: string, flavor: KernelFlavor, runtime: string, twin: boolean): string {
  if (flavor === 'ref') return kernel;
  return twin ? `${kernel}_ref` : runtimeKernel(kernel, runtime);
}

/**
 * What a failed kernel call means when the model's input data, not a bug, made it fail (TFLite
 * fails the same inputs): an explanation for an InputError, else null.
 */
export function inputFault(opName: string, status: number): string | null {
  if (opName === 'GATHER' && status === 1) return 'an index is out of range (TFLite: gather index out of bounds)';
  return null;
}
