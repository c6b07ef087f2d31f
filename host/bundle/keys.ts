/**
 * Ed25519 keys (node:crypto). Private keys are PKCS#8 PEM files (mode 0600), public keys SPKI PEM.
 * A key's id is the sha256 of its raw 32-byte public key, in hex: bundles name their signer by it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';

export interface PublicKey {
  id: string;
  key: KeyObject;
  /** Where it came from (a file path), for messages. */
  source: string;
}

/** The raw 32-byte public key: the last 32 bytes of Ed25519's 44-byte SPKI DER. */
function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex');
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function loadPrivateKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readKeyFile(path, 'private key'));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`private key ${path}: not a PEM private key (make one with edgerun keygen)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`private key ${path}: a ${key.asymmetricKeyType} key; bundles are signed with Ed25519 (edgerun keygen)`);
  return key;
}

export function loadPublicKey(path: string): PublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(readKeyFile(path, 'public key'));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`public key ${path}: not a PEM public key (edgerun keygen writes one, NAME.pub)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`public key ${path}: a ${key.asymmetricKeyType} key; bundles are signed with Ed25519`);
  return { id: keyId(key), key, source: path };
}

/** --trust FILE[,FILE...]: the keys a receiver accepts. */
export function loadTrust(list: string): PublicKey[] {
  const paths = list.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length === 0) throw new InputError('--trust needs at least one public key file');
  const keys = paths.map(loadPublicKey);
  return keys.filter((k, i) => keys.findIndex((o) => o.id === k.id) === i);
}

export function signBytes(privateKey: KeyObject, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, bytes, privateKey));
}

export function verifyBytes(publicKey: KeyObject, bytes: Uint8Array, signature: Uint8Array): boolean {
  return verify(null, bytes, publicKey, signature);
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

export interface GeneratedKey {
  privatePath: string;
  publicPath: string;
  id: string;
}

/** Writes a new key pair DIR/NAME.key (0600) and DIR/NAME.pub. Never overwrites an existing key. */
export function generateKey(dir: string, name = 'edgerun'): GeneratedKey {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new InputError(`key name ${JSON.stringify(name)}: letters, digits, . _ - only (at most 64)`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new InputError(`${dir}: cannot create (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  writeNew(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  writeNew(publicPath, publicKey.export({ format: 'pem', type: 'spki' }) as string, 0o644);
  return { privatePath, publicPath, id: keyId(publicKey) };
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InputError(`${path} exists; keygen never overwrites a key (choose another --out or --name)`);
    throw new InputError(`${path}: cannot write (${code ?? (e as Error).message})`);
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
