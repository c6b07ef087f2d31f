/**
 * The bundle file: one length-prefixed container, little-endian, no padding.
 *
 *   offset  size  field
 *   0       8     magic "EDGERUNB"
 *   8       2     container version, 1
 *   10      2     signature count S, 1..MAX_SIGNATURES
 *   12      4     manifest length M, 1..MAX_MANIFEST_BYTES
 *   16      4     module length N, 8..limit (the receiver's cap)
 *   20      4     reserved, 0
 *   24      M     manifest: canonical JSON (manifest.ts), the signed bytes
 *   24+M    96*S  signatures: 32-byte key id (sha256 of the raw Ed25519 public key), then the
 *                 64-byte Ed25519 signature of the manifest bytes
 *   24+M+96S N    the compiled module (.wasm)
 *
 * The file is exactly 24 + M + 96*S + N bytes. Every length is checked against its cap and the
 * bytes present before anything is allocated or read by it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BundleError } from './errors.js';

export const BUNDLE_MAGIC = 'EDGERUNB';
export const CONTAINER_VERSION = 1;
export const HEADER_BYTES = 24;
export const SIGNATURE_BYTES = 96;
export const MAX_SIGNATURES = 8;
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Default cap on the module: 64 MiB. Receivers pass their own. */
export const DEFAULT_MAX_MODULE_BYTES = 64 << 20;

export interface Signature {
  /** sha256 of the signer's raw 32-byte Ed25519 public key, hex. */
  keyId: string;
  signature: Uint8Array;
}

export interface BundleHeader {
  signatureCount: number;
  manifestBytes: number;
  moduleBytes: number;
  /** The whole file's size, header included. */
  totalBytes: number;
}

export interface BundleParts {
  manifest: Uint8Array;
  signatures: Signature[];
  module: Uint8Array;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Reads and checks the 24-byte header: every length against its cap, before anything is read by it. */
export function readHeader(head: Uint8Array, maxModuleBytes = DEFAULT_MAX_MODULE_BYTES): BundleHeader {
  if (head.length < HEADER_BYTES) throw new BundleError('truncated', `bundle: ${head.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  if (new TextDecoder().decode(head.subarray(0, 8)) !== BUNDLE_MAGIC) throw new BundleError('format', 'bundle: no EDGERUNB magic: not an edgerun bundle (make one with edgerun pack)');
  const view = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
  const version = view.getUint16(8, true);
  if (version !== CONTAINER_VERSION) throw new BundleError('format', `bundle: container version ${version}, this edgerun reads version ${CONTAINER_VERSION}`);
  const signatureCount = view.getUint16(10, true);
  if (signatureCount < 1 || signatureCount > MAX_SIGNATURES) throw new BundleError('format', `bundle: ${signatureCount} signatures, expected 1..${MAX_SIGNATURES}`);
  const manifestBytes = view.getUint32(12, true);
  if (manifestBytes < 1) throw new BundleError('format', 'bundle: empty manifest');
  if (manifestBytes > MAX_MANIFEST_BYTES) throw new BundleError('too-large', `bundle: manifest of ${manifestBytes} bytes, the limit is ${MAX_MANIFEST_BYTES}`);
  const moduleBytes = view.getUint32(16, true);
  if (moduleBytes < 8) throw new BundleError('format', `bundle: module of ${moduleBytes} bytes is too short to be WebAssembly`);
  if (moduleBytes > maxModuleBytes) throw new BundleError('too-large', `bundle: module of ${moduleBytes} bytes, the limit is ${maxModuleBytes}`);
  if (view.getUint32(20, true) !== 0) throw new BundleError('format', 'bundle: reserved header field is not 0');
  return { signatureCount, manifestBytes, moduleBytes, totalBytes: HEADER_BYTES + manifestBytes + SIGNATURE_BYTES * signatureCount + moduleBytes };
}

export function encodeBundle(parts: BundleParts): Uint8Array {
  const { manifest, signatures, module } = parts;
  if (signatures.length < 1 || signatures.length > MAX_SIGNATURES) throw new BundleError('format', `bundle: ${signatures.length} signatures, expected 1..${MAX_SIGNATURES}`);
  if (manifest.length < 1 || manifest.length > MAX_MANIFEST_BYTES) throw new BundleError('too-large', `bundle: manifest of ${manifest.length} bytes, the limit is ${MAX_MANIFEST_BYTES}`);
  const out = new Uint8Array(HEADER_BYTES + manifest.length + SIGNATURE_BYTES * signatures.length + module.length);
  out.set(new TextEncoder().encode(BUNDLE_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, CONTAINER_VERSION, true);
  view.setUint16(10, signatures.length, true);
  view.setUint32(12, manifest.length, true);
  view.setUint32(16, module.length, true);
  let at = HEADER_BYTES;
  out.set(manifest, at);
  at += manifest.length;
  for (const s of signatures) {
    if (!/^[0-9a-f]{64}$/.test(s.keyId) || s.signature.length !== 64) throw new BundleError('format', 'bundle: a signature needs a 64-hex-digit key id and 64 signature bytes');
    out.set(Buffer.from(s.keyId, 'hex'), at);
    out.set(s.signature, at + 32);
    at += SIGNATURE_BYTES;
  }
  out.set(module, at);
  return out;
}

function splitBody(header: BundleHeader, body: Uint8Array): BundleParts {
  let at = 0;
  const manifest = body.subarray(at, at += header.manifestBytes);
  const signatures: Signature[] = [];
  for (let i = 0; i < header.signatureCount; i++, at += SIGNATURE_BYTES) {
    signatures.push({ keyId: hex(body.subarray(at, at + 32)), signature: body.subarray(at + 32, at + SIGNATURE_BYTES) });
  }
  return { manifest, signatures, module: body.subarray(at, at + header.moduleBytes) };
}

/** Splits a bundle held in memory. Views into `bytes`, no copies. */
export function decodeBundle(bytes: Uint8Array, maxModuleBytes = DEFAULT_MAX_MODULE_BYTES): BundleParts {
  const header = readHeader(bytes.subarray(0, HEADER_BYTES), maxModuleBytes);
  if (bytes.length < header.totalBytes) throw new BundleError('truncated', `bundle: ${bytes.length} bytes, its header says ${header.totalBytes}`);
  if (bytes.length > header.totalBytes) throw new BundleError('format', `bundle: ${bytes.length - header.totalBytes} bytes after its end (${header.totalBytes} bytes)`);
  return splitBody(header, bytes.subarray(HEADER_BYTES));
}

/** Reads a bundle file: the header first, then exactly the bytes it declares (checked against the
 *  file's size and the caps before the buffer is allocated). */
export function readBundleFile(path: string, maxModuleBytes = DEFAULT_MAX_MODULE_BYTES): BundleParts {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new BundleError('io', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(HEADER_BYTES, size));
    readFully(fd, head, 0);
    const header = readHeader(head, maxModuleBytes);
    if (size < header.totalBytes) throw new BundleError('truncated', `${path}: ${size} bytes, its header says ${header.totalBytes}`);
    if (size > header.totalBytes) throw new BundleError('format', `${path}: ${size - header.totalBytes} bytes after the bundle's end (${header.totalBytes} bytes)`);
    const body = new Uint8Array(header.totalBytes - HEADER_BYTES);
    readFully(fd, body, HEADER_BYTES);
    return splitBody(header, body);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new BundleError('truncated', `bundle: file ended after ${position + done} bytes`);
    done += n;
  }
}
