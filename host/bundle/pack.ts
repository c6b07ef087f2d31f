/** Making bundles: the manifest from a compiled module (self-test vector computed by running it),
 *  signed with Ed25519, in the container. */
import type { KeyObject } from 'node:crypto';
import { CompiledModel } from '../run/compiled.js';
import { InputError } from '../errors.js';
import { encodeBundle } from './container.js';
import { BundleError } from './errors.js';
import { moduleFeatures } from './features.js';
import { keyId, publicKeyOf, signBytes } from './keys.js';
import { BUNDLE_FORMAT, type BundleManifest, checkModelName, encodeManifest, manifestTime } from './manifest.js';
import { ioOf, sha256Hex, viewBytes } from './verify.js';

export interface PackOptions {
  /** Signing keys (Ed25519): one signature each. */
  keys: KeyObject[];
  name: string;
  version: number;
  /** null: never expires. */
  expires: Date | null;
  /** Default: now. */
  created?: Date;
  /** The self-test's inputs, one per model input (exact byte size). Default: seeded random data
   *  derived from the module's sha256 (the same module always gets the same vector). */
  selfTestInputs?: Uint8Array[];
}

export interface PackedBundle {
  bundle: Uint8Array;
  manifest: BundleManifest;
  manifestBytes: Uint8Array;
  manifestSha256: string;
  keyIds: string[];
}

export function packBundle(wasm: Uint8Array, options: PackOptions): PackedBundle {
  checkModelName(options.name);
  if (!Number.isSafeInteger(options.version) || options.version < 1) throw new InputError(`version must be a whole number >= 1, got ${options.version}`);
  const created = options.created ?? new Date();
  if (options.expires !== null && options.expires.getTime() <= created.getTime()) throw new InputError(`expiry ${manifestTime(options.expires)} is not after the creation time ${manifestTime(created)}`);
  const model = new CompiledModel(wasm);
  const sha = sha256Hex(wasm);
  const inputs = options.selfTestInputs ?? model.inputs.map((t, i) => seededTensor(`${sha}/${i}`, t.dtype, t.bytes));
  if (inputs.length !== model.inputs.length) throw new InputError(`the module has ${model.inputs.length} inputs, ${inputs.length} self-test inputs given`);
  inputs.forEach((b, i) => {
    const t = model.inputs[i];
    if (b.length !== t.bytes) throw new InputError(`self-test input ${i} (${JSON.stringify(t.name)}): ${b.length} bytes, the tensor needs ${t.bytes}`);
  });
  const m = model.meta.memory;
  const interpreter = model.createInterpreter({ memoryLimit: m.linearMemoryBytes });
  interpreter.reset();
  inputs.forEach((b, i) => viewBytes(interpreter.inputs[i].data).set(b));
  interpreter.invoke();
  const outputs = interpreter.outputs.map((o) => viewBytes(o.data).slice());
  const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    name: options.name,
    version: options.version,
    created: manifestTime(created),
    expires: options.expires === null ? null : manifestTime(options.expires),
    module: { sha256: sha, size: wasm.length, kernels: model.kernels, features: moduleFeatures(wasm) },
    source: { sha256: model.meta.model.sha256, bytes: model.meta.model.bytes },
    memory: { linearMemoryBytes: m.linearMemoryBytes, ramBytes: m.ramBytes, romDataBytes: m.romDataBytes, pages: m.pages },
    inputs: model.inputs.map(ioOf),
    outputs: model.outputs.map(ioOf),
    selfTest: { inputs: inputs.map(b64), outputs: outputs.map(b64) },
  };
  return signBundle(manifest, wasm, options.keys);
}

/** Signs a manifest (any manifest: packBundle builds a correct one) and writes the container. */
export function signBundle(manifest: BundleManifest, module: Uint8Array, keys: KeyObject[]): PackedBundle {
  if (keys.length === 0) throw new BundleError('format', 'a bundle needs at least one signing key');
  const manifestBytes = encodeManifest(manifest);
  const signatures = keys.map((k) => ({ keyId: keyId(publicKeyOf(k)), signature: signBytes(k, manifestBytes) }));
  return {
    bundle: encodeBundle({ manifest: manifestBytes, signatures, module }),
    manifest, manifestBytes, manifestSha256: sha256Hex(manifestBytes), keyIds: signatures.map((s) => s.keyId),
  };
}

/** Deterministic test data of a dtype: bytes from sha256 in counter mode; float32 in [-1, 1). */
function seededTensor(seed: string, dtype: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let block = 0, at = 0; at < bytes; block++, at += 32) {
    const digest = Buffer.from(sha256Hex(new TextEncoder().encode(`${seed}/${block}`)), 'hex');
    out.set(digest.subarray(0, Math.min(32, bytes - at)), at);
  }
  if (dtype === 'float32') {
    const view = new DataView(out.buffer);
    for (let i = 0; i + 4 <= bytes; i += 4) view.setFloat32(i, view.getUint32(i, true) / 2 ** 31 - 1, true);
  } else if (dtype === 'bool') {
    for (let i = 0; i < bytes; i++) out[i] &= 1;
  }
  return out;
}
