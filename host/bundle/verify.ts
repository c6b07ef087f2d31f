/**
 * Verifying a bundle, in an order that touches untrusted bytes as little as possible: first a
 * signature by a trusted key over the exact manifest bytes, then the manifest (canonical JSON,
 * schema), then the module against the manifest's size, sha256 and features, then the policy
 * (name, expiry). Self-testing the module is a separate step (selfTest) because it runs it.
 */
import { createHash } from 'node:crypto';
import { CompiledModel, type CompiledInterpreter } from '../run/compiled.js';
import { EdgerunError } from '../errors.js';
import type { Runtime } from '../run/runtimes/runtime.js';
import type { BundleParts } from './container.js';
import { BundleError } from './errors.js';
import { moduleFeatures } from './features.js';
import { type PublicKey, verifyBytes } from './keys.js';
import { type BundleManifest, decodeManifest, manifestTime, selfTestVectors } from './manifest.js';

export interface VerifyOptions {
  /** Keys whose signature is accepted. */
  trust: PublicKey[];
  /** The time expiry is checked against (default: now); null skips the expiry check. */
  now?: Date | null;
  /** The model name the receiver expects (the NAME in PUT /models/NAME). */
  name?: string;
}

export interface VerifiedBundle {
  manifest: BundleManifest;
  manifestBytes: Uint8Array;
  /** sha256 of the manifest bytes: names this exact bundle content (rollouts use it). */
  manifestSha256: string;
  /** The trusted key whose signature verified. */
  key: PublicKey;
  module: Uint8Array;
  /** The expiry has passed (only when options.now is null; otherwise that is a refusal). */
  expired: boolean;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const short = (id: string) => id.slice(0, 16);

export function verifyBundle(parts: BundleParts, options: VerifyOptions): VerifiedBundle {
  const key = checkSignatures(parts, options.trust);
  const manifest = decodeManifest(parts.manifest);
  const { module } = parts;
  if (module.length !== manifest.module.size) throw new BundleError('hash', `module: ${module.length} bytes, the manifest says ${manifest.module.size}: the module was altered`);
  const sha = sha256Hex(module);
  if (sha !== manifest.module.sha256) throw new BundleError('hash', `module: sha256 ${sha.slice(0, 16)}…, the manifest says ${manifest.module.sha256.slice(0, 16)}…: the module was altered`);
  const features = moduleFeatures(module).join(',');
  if (features !== manifest.module.features.join(',')) {
    throw new BundleError('module', `module: uses WebAssembly features [${features}], the manifest declares [${manifest.module.features.join(',')}]`);
  }
  if (options.name !== undefined && manifest.name !== options.name) {
    throw new BundleError('name', `bundle: it is model ${JSON.stringify(manifest.name)}, not ${JSON.stringify(options.name)}`);
  }
  const expired = manifest.expires !== null && (options.now ?? new Date()).getTime() > Date.parse(manifest.expires);
  if (expired && options.now !== null) {
    throw new BundleError('expired', `bundle: ${manifest.name} v${manifest.version} expired at ${manifest.expires} (now ${manifestTime(options.now ?? new Date())}); pack it again with a later --expires`);
  }
  return { manifest, manifestBytes: parts.manifest, manifestSha256: sha256Hex(parts.manifest), key, module, expired };
}

function checkSignatures(parts: BundleParts, trust: PublicKey[]): PublicKey {
  const trusted = parts.signatures.map((s) => ({ s, key: trust.find((k) => k.id === s.keyId) })).filter((x) => x.key !== undefined);
  if (trusted.length === 0) {
    const ids = parts.signatures.map((s) => short(s.keyId)).join(', ');
    throw new BundleError('unknown-key', `bundle: signed by key ${ids}, which is not trusted (trusted: ${trust.map((k) => short(k.id)).join(', ') || 'none'})`);
  }
  for (const { s, key } of trusted) if (verifyBytes(key!.key, parts.manifest, s.signature)) return key!;
  throw new BundleError('signature', `bundle: the signature by trusted key ${short(trusted[0].key!.id)} does not verify: the manifest was altered after signing`);
}

export interface SelfTestOptions {
  /** Cap on the module's linear memory (bytes): the gateway's --memory-limit. */
  memoryLimit?: number;
  runtime?: Runtime;
  /** Stop the self-test's inference after this many milliseconds. */
  timeoutMs?: number;
}

export interface SelfTestResult {
  interpreter: CompiledInterpreter;
  model: CompiledModel;
  /** Load + instantiate + one inference. */
  ms: number;
}

/** Checks the manifest's memory need against the limit (before anything is written or run). */
export function checkMemory(manifest: BundleManifest, memoryLimit: number | undefined): void {
  const m = manifest.memory;
  if (memoryLimit !== undefined && m.linearMemoryBytes > memoryLimit) {
    throw new BundleError('memory', `module: needs ${m.linearMemoryBytes} bytes (RAM ${m.ramBytes} + ROM ${m.romDataBytes}), the memory limit is ${memoryLimit}`);
  }
}

/** Loads the module, checks it against its manifest, runs the self-test vector under the limits,
 *  and returns the instance (reset, ready to serve). BundleError('module' | 'memory' | 'self-test'). */
export function selfTest(manifest: BundleManifest, module: Uint8Array, options: SelfTestOptions = {}): SelfTestResult {
  const t0 = performance.now();
  checkMemory(manifest, options.memoryLimit);
  let model: CompiledModel;
  try {
    model = new CompiledModel(module);
  } catch (e) {
    throw new BundleError('module', (e as Error).message);
  }
  checkAgainstMeta(manifest, model);
  let interpreter: CompiledInterpreter;
  try {
    interpreter = model.createInterpreter({ memoryLimit: options.memoryLimit, runtime: options.runtime, timeoutMs: options.timeoutMs });
  } catch (e) {
    if (e instanceof EdgerunError && e.exitCode === 3) throw new BundleError('memory', e.message);
    throw new BundleError('module', `module: cannot instantiate (${(e as Error).message.split('\n')[0]})`);
  }
  const vectors = selfTestVectors(manifest);
  try {
    interpreter.reset();
    vectors.inputs.forEach((bytes, i) => viewBytes(interpreter.inputs[i].data).set(bytes));
    interpreter.invoke();
  } catch (e) {
    throw new BundleError('self-test', `self-test: ${(e as Error).message.split('\n')[0]}`);
  }
  vectors.outputs.forEach((expected, i) => {
    const got = viewBytes(interpreter.outputs[i].data);
    const at = expected.findIndex((b, j) => b !== got[j]);
    if (at >= 0) {
      throw new BundleError('self-test', `self-test: output ${i} (${JSON.stringify(manifest.outputs[i].name)}) differs from the manifest at byte ${at} (expected ${expected[at]}, got ${got[at]})`);
    }
  });
  interpreter.reset();
  return { interpreter, model, ms: performance.now() - t0 };
}

function checkAgainstMeta(manifest: BundleManifest, model: CompiledModel): void {
  const meta = model.meta;
  const mm = meta.memory;
  const m = manifest.memory;
  if (mm.linearMemoryBytes !== m.linearMemoryBytes || mm.ramBytes !== m.ramBytes || mm.romDataBytes !== m.romDataBytes || mm.pages !== m.pages) {
    throw new BundleError('module', `module: its edgerun.meta memory (${mm.linearMemoryBytes} bytes, ${mm.pages} pages) differs from the manifest's (${m.linearMemoryBytes} bytes, ${m.pages} pages)`);
  }
  if (meta.kernels !== manifest.module.kernels) throw new BundleError('module', `module: ${meta.kernels} kernels, the manifest says ${manifest.module.kernels}`);
  for (const side of ['inputs', 'outputs'] as const) {
    const a = meta[side].map(ioOf);
    const b = manifest[side].map(ioOf);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new BundleError('module', `module: its ${side} ${JSON.stringify(a)} differ from the manifest's ${JSON.stringify(b)}`);
  }
}

export const ioOf = (t: { name: string; shape: number[]; dtype: string; bytes: number }) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype, bytes: t.bytes });

export function viewBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
