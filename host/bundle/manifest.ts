/**
 * The bundle manifest (format "edgerun.bundle/1"): what the signer vouches for. Encoded as
 * canonical JSON (canonical.ts); the detached signatures cover exactly those bytes.
 *
 *   name       the model's name on gateways: [a-z0-9][a-z0-9._-]{0,63}
 *   version    a whole number 1..2^53-1; gateways only install a version greater than theirs
 *   created    when it was packed, UTC "YYYY-MM-DDTHH:MM:SSZ"
 *   expires    UTC time after which no gateway installs it, or null (never)
 *   module     {sha256, size, kernels, features}: the module's hash and size in bytes, its kernel
 *              build, and the WebAssembly features its code uses (features.ts)
 *   source     {sha256, bytes}: the .tflite model it was compiled from
 *   memory     {linearMemoryBytes, ramBytes, romDataBytes, pages}: what the module needs
 *   inputs, outputs   [{name, shape, dtype, bytes}]
 *   selfTest   {inputs, outputs}: base64 tensors; the module run on `inputs` (after reset())
 *              gives exactly `outputs`, byte for byte
 */
import { canonicalJson, parseCanonical } from './canonical.js';
import { BundleError } from './errors.js';
import { parseFeatures, type WasmFeature } from './features.js';

export const BUNDLE_FORMAT = 'edgerun.bundle/1';
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ManifestTensor {
  name: string;
  shape: number[];
  dtype: string;
  bytes: number;
}

export interface ManifestMemory {
  linearMemoryBytes: number;
  ramBytes: number;
  romDataBytes: number;
  pages: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  name: string;
  version: number;
  created: string;
  expires: string | null;
  module: { sha256: string; size: number; kernels: 'simd' | 'ref'; features: WasmFeature[] };
  source: { sha256: string; bytes: number };
  memory: ManifestMemory;
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  selfTest: { inputs: string[]; outputs: string[] };
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function checkModelName(name: string, what = 'model name'): string {
  if (!MODEL_NAME.test(name)) throw new BundleError('format', `${what} ${JSON.stringify(name)}: lowercase letters, digits, . _ - (at most 64, starting with a letter or digit)`);
  return name;
}

/** A UTC time in the manifest's format, to the second. */
export function manifestTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class Check {
  fail(path: string, what: string): never {
    throw new BundleError('format', `manifest: ${path} ${what}`);
  }
  object(v: unknown, path: string, keys: string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    if (extra.length > 0) this.fail(path, `has unknown field ${JSON.stringify(extra[0])}`);
    for (const k of keys) if (!(k in o)) this.fail(`${path}.${k}`, 'is missing');
    return o;
  }
  int(v: unknown, path: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(path, `must be a whole number >= ${min}`);
    return v;
  }
  string(v: unknown, path: string, pattern?: RegExp): string {
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) this.fail(path, pattern ? `must match ${pattern}` : 'must be a string');
    return v;
  }
  array(v: unknown, path: string, max = 1024): unknown[] {
    if (!Array.isArray(v) || v.length > max) this.fail(path, `must be an array of at most ${max}`);
    return v;
  }
  tensor(v: unknown, path: string): void {
    const t = this.object(v, path, ['name', 'shape', 'dtype', 'bytes']);
    this.string(t.name, `${path}.name`);
    this.array(t.shape, `${path}.shape`, 8).forEach((d, i) => this.int(d, `${path}.shape[${i}]`));
    this.string(t.dtype, `${path}.dtype`, /^(int8|uint8|bool|int16|int32|float32|int64)$/);
    this.int(t.bytes, `${path}.bytes`);
  }
}

/** Checks a parsed manifest's schema; every failure is one BundleError('format') naming the field. */
export function checkManifest(value: unknown): BundleManifest {
  const c = new Check();
  const m = c.object(value, 'manifest', ['format', 'name', 'version', 'created', 'expires', 'module', 'source', 'memory', 'inputs', 'outputs', 'selfTest']);
  if (m.format !== BUNDLE_FORMAT) c.fail('format', `must be ${JSON.stringify(BUNDLE_FORMAT)}, got ${JSON.stringify(m.format)}`);
  checkModelName(c.string(m.name, 'name'), 'manifest: name');
  c.int(m.version, 'version', 1);
  c.string(m.created, 'created', TIME);
  if (m.expires !== null) c.string(m.expires, 'expires', TIME);
  const mod = c.object(m.module, 'module', ['sha256', 'size', 'kernels', 'features']);
  c.string(mod.sha256, 'module.sha256', SHA256);
  c.int(mod.size, 'module.size', 8);
  c.string(mod.kernels, 'module.kernels', /^(simd|ref)$/);
  const features = c.array(mod.features, 'module.features', 32).map((f, i) => c.string(f, `module.features[${i}]`));
  const known = parseFeatures(features, 'manifest: module.features');
  if (known.join() !== features.join()) c.fail('module.features', 'must be sorted, without duplicates');
  const src = c.object(m.source, 'source', ['sha256', 'bytes']);
  c.string(src.sha256, 'source.sha256', SHA256);
  c.int(src.bytes, 'source.bytes');
  const mem = c.object(m.memory, 'memory', ['linearMemoryBytes', 'ramBytes', 'romDataBytes', 'pages']);
  for (const k of ['linearMemoryBytes', 'ramBytes', 'romDataBytes', 'pages']) c.int(mem[k], `memory.${k}`);
  if ((mem.ramBytes as number) + (mem.romDataBytes as number) !== mem.linearMemoryBytes) c.fail('memory', 'must have linearMemoryBytes = ramBytes + romDataBytes');
  for (const side of ['inputs', 'outputs'] as const) {
    const list = c.array(m[side], side, 64);
    if (list.length === 0) c.fail(side, 'is empty');
    list.forEach((t, i) => c.tensor(t, `${side}[${i}]`));
  }
  const st = c.object(m.selfTest, 'selfTest', ['inputs', 'outputs']);
  for (const side of ['inputs', 'outputs'] as const) {
    const tensors = m[side] as ManifestTensor[];
    const list = c.array(st[side], `selfTest.${side}`, 64);
    if (list.length !== tensors.length) c.fail(`selfTest.${side}`, `must hold ${tensors.length} tensors, one per ${side.slice(0, -1)}`);
    list.forEach((b, i) => {
      const text = c.string(b, `selfTest.${side}[${i}]`);
      const bytes = Buffer.from(text, 'base64');
      if (bytes.toString('base64') !== text) c.fail(`selfTest.${side}[${i}]`, 'must be canonical base64 (padded, no line breaks)');
      if (bytes.length !== tensors[i].bytes) c.fail(`selfTest.${side}[${i}]`, `must decode to ${tensors[i].bytes} bytes`);
    });
  }
  return value as BundleManifest;
}

export function encodeManifest(manifest: BundleManifest): Uint8Array {
  checkManifest(JSON.parse(canonicalJson(manifest)));
  return new TextEncoder().encode(canonicalJson(manifest));
}

export function decodeManifest(bytes: Uint8Array): BundleManifest {
  return checkManifest(parseCanonical(bytes, 'manifest'));
}

/** The self-test tensors, decoded. */
export function selfTestVectors(m: BundleManifest): { inputs: Uint8Array[]; outputs: Uint8Array[] } {
  const decode = (b: string) => new Uint8Array(Buffer.from(b, 'base64'));
  return { inputs: m.selfTest.inputs.map(decode), outputs: m.selfTest.outputs.map(decode) };
}
