/**
 * Signed bundles: canonical JSON, the container's bounds, keys, pack/verify, and each attack a
 * receiver must refuse (tampered module, tampered manifest, wrong key, expiry, wrong name), the
 * WebAssembly feature scan, the self-test, and the keygen/pack/verify commands.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, parseCanonical } from '../host/bundle/canonical.js';
import { decodeBundle, encodeBundle, HEADER_BYTES, readBundleFile, readHeader } from '../host/bundle/container.js';
import { BundleError } from '../host/bundle/errors.js';
import { moduleFeatures } from '../host/bundle/features.js';
import { loadPublicKey } from '../host/bundle/keys.js';
import { decodeManifest, selfTestVectors } from '../host/bundle/manifest.js';
import { signBundle } from '../host/bundle/pack.js';
import { selfTest, verifyBundle } from '../host/bundle/verify.js';
import { CLI, kwsModules, makeKey, pack, tempDir } from './gateway_helpers.js';

const dir = tempDir('bundle');
const key = makeKey(dir, 'signer');
const other = makeKey(dir, 'other');
const trust = [loadPublicKey(key.pubPath)];

function refused(fn: () => unknown, reason: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, BundleError, (e as Error).message);
    assert.is((e as BundleError).reason, reason, (e as Error).message);
    assert.not.match((e as Error).message, /\n/);
    if (pattern) assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a refusal (${reason})`);
}

function edgerun(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('canonical JSON: sorted keys, no whitespace, integers only; non-canonical bytes refused', () => {
  assert.is(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: -3, y: '\u00e9' } }), '{"a":[true,null,"x"],"b":1,"c":{"y":"é","z":-3}}');
  for (const bad of [1.5, NaN, -0, 2 ** 53]) assert.throws(() => canonicalJson({ x: bad }), /safe integers/);
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(parseCanonical(enc('{"a":1,"b":2}'), 'm'), { a: 1, b: 2 });
  for (const text of ['{"b":2,"a":1}', '{"a": 1}', '{"a":1.0}', '{"a":1e0}', '{"a":"\\u0041"}']) {
    refused(() => parseCanonical(enc(text), 'manifest'), 'format', /not canonical/);
  }
  refused(() => parseCanonical(new Uint8Array([0x7b, 0xff, 0x7d]), 'manifest'), 'format', /UTF-8/);
});

test('pack then verify: the manifest describes the module; the self-test passes', async () => {
  const { simd } = await kwsModules();
  const packed = pack(simd, key, 7);
  const v = verifyBundle(decodeBundle(packed.bundle), { trust, name: 'kws' });
  const m = v.manifest;
  assert.is(m.version, 7);
  assert.is(m.module.size, simd.length);
  assert.equal(m.module.features, ['bulk-memory', 'nontrapping-fptoint', 'simd128']);
  assert.equal(m.memory, { linearMemoryBytes: 63392, ramBytes: 16544, romDataBytes: 46848, pages: 1 });
  assert.equal(m.inputs, [{ name: 'x', shape: [1, 49, 10, 1], dtype: 'int8', bytes: 490 }]);
  assert.is(v.key.id, trust[0].id);
  assert.ok(m.expires && Date.parse(m.expires) > Date.now());
  const r = selfTest(m, v.module, { memoryLimit: 64 * 1024 });
  assert.is(r.interpreter.linearMemory.pages, 1);
  // the same module, packed again, gets the same self-test vector (seeded by its sha256)
  assert.equal(pack(simd, key, 8).manifest.selfTest, m.selfTest);
});

test('container: every length is checked before it is used', async () => {
  const { simd } = await kwsModules();
  const b = pack(simd, key, 1).bundle;
  refused(() => decodeBundle(b.subarray(0, 10)), 'truncated');
  refused(() => decodeBundle(b.subarray(0, b.length - 1)), 'truncated', /header says/);
  refused(() => decodeBundle(new Uint8Array([...b, 0])), 'format', /after its end/);
  const bad = (at: number, value: number, bytes = 4) => {
    const c = b.slice();
    const view = new DataView(c.buffer);
    if (bytes === 4) view.setUint32(at, value, true); else view.setUint16(at, value, true);
    return c;
  };
  refused(() => decodeBundle(bad(12, 0xffffffff)), 'too-large', /manifest of 4294967295 bytes/);
  refused(() => decodeBundle(bad(16, 0xfffffff0)), 'too-large', /module of/);
  refused(() => decodeBundle(bad(16, simd.length), 1000), 'too-large', /limit is 1000/);
  refused(() => decodeBundle(bad(10, 0, 2)), 'format', /0 signatures/);
  refused(() => decodeBundle(bad(10, 9, 2)), 'format', /9 signatures/);
  refused(() => decodeBundle(bad(8, 2, 2)), 'format', /container version 2/);
  refused(() => decodeBundle(bad(20, 1)), 'format', /reserved/);
  refused(() => readHeader(new TextEncoder().encode('NOTABUNDLE-AT-ALL-HEADER')), 'format', /magic/);
  // a file: the header is read first, the body only when the file holds exactly what it declares
  const file = join(dir, 'cut.erb');
  writeFileSync(file, b.subarray(0, HEADER_BYTES + 5));
  refused(() => readBundleFile(file), 'truncated', /header says/);
  writeFileSync(file, b);
  assert.equal(readBundleFile(file).module, simd);
});

test('tampered module: refused (hash), whatever byte changes', async () => {
  const { simd } = await kwsModules();
  const b = pack(simd, key, 1).bundle;
  const moduleStart = b.length - simd.length;
  for (const at of [moduleStart, moduleStart + 100, b.length - 1]) {
    const t = b.slice();
    t[at] ^= 0x01;
    refused(() => verifyBundle(decodeBundle(t), { trust }), 'hash', /module was altered/);
  }
});

test('tampered manifest: refused (signature); a re-encoded manifest too', async () => {
  const { simd } = await kwsModules();
  const packed = pack(simd, key, 1);
  const b = packed.bundle;
  // version 1 -> 9 in place: still canonical JSON, same length, signature no longer matches
  const text = new TextDecoder().decode(packed.manifestBytes);
  const at = HEADER_BYTES + text.indexOf('"version":1') + '"version":'.length;
  const t = b.slice();
  t[at] = '9'.charCodeAt(0);
  refused(() => verifyBundle(decodeBundle(t), { trust }), 'signature', /manifest was altered/);
  // the signature bytes themselves
  const s = b.slice();
  s[HEADER_BYTES + packed.manifestBytes.length + 40] ^= 0x80;
  refused(() => verifyBundle(decodeBundle(s), { trust }), 'signature');
});

test('wrong key: refused (unknown-key); a second, trusted signature is enough', async () => {
  const { simd } = await kwsModules();
  const byOther = pack(simd, other, 1).bundle;
  refused(() => verifyBundle(decodeBundle(byOther), { trust }), 'unknown-key', /not trusted/);
  // a bundle claiming a trusted key id with another key's signature: the signature fails
  const parts = decodeBundle(byOther);
  const forged = encodeBundle({ ...parts, signatures: [{ keyId: trust[0].id, signature: parts.signatures[0].signature }] });
  refused(() => verifyBundle(decodeBundle(forged), { trust }), 'signature');
  const both = signBundle(decodeManifest(parts.manifest), parts.module, [other.privateKey, key.privateKey]).bundle;
  assert.is(verifyBundle(decodeBundle(both), { trust }).key.id, trust[0].id);
});

test('expired bundle: refused (expired); the name must match', async () => {
  const { simd } = await kwsModules();
  const created = new Date(Date.now() - 10 * 86_400_000);
  const old = pack(simd, key, 1, { created, expires: new Date(created.getTime() + 86_400_000) }).bundle;
  refused(() => verifyBundle(decodeBundle(old), { trust }), 'expired', /expired at/);
  assert.ok(verifyBundle(decodeBundle(old), { trust, now: null }).expired);
  assert.ok(verifyBundle(decodeBundle(old), { trust, now: new Date(created.getTime() + 1000) }));
  const fresh = pack(simd, key, 1).bundle;
  refused(() => verifyBundle(decodeBundle(fresh), { trust, name: 'vibration' }), 'name', /"kws", not "vibration"/);
});

test('a module that fails its self-test is refused (self-test); a memory limit below its need (memory)', async () => {
  const { simd } = await kwsModules();
  const good = pack(simd, key, 1);
  const wrong = structuredClone(good.manifest);
  const expected = selfTestVectors(wrong).outputs[0];
  expected[3] ^= 1;
  wrong.selfTest.outputs[0] = Buffer.from(expected).toString('base64');
  const v = verifyBundle(decodeBundle(signBundle(wrong, simd, [key.privateKey]).bundle), { trust });
  refused(() => selfTest(v.manifest, v.module), 'self-test', /output 0 \("Identity"\) differs from the manifest at byte 3/);
  refused(() => selfTest(good.manifest, simd, { memoryLimit: 63391 }), 'memory', /needs 63392 bytes/);
  assert.ok(selfTest(good.manifest, simd, { memoryLimit: 63392 }));
});

test('feature scan: exact per instruction; hand-made modules', async () => {
  const { simd, ref } = await kwsModules();
  assert.equal(moduleFeatures(simd), ['bulk-memory', 'nontrapping-fptoint', 'simd128']);
  assert.equal(moduleFeatures(ref), ['bulk-memory', 'nontrapping-fptoint']);
  const mod = (body: number[], type = [0x60, 0x00, 0x00]) => new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, type.length + 1, 0x01, ...type, 0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 4, 0x01, body.length + 2, 0x00, ...body, 0x0b,
  ]);
  assert.equal(moduleFeatures(mod([0x01])), []);
  assert.equal(moduleFeatures(mod([0x41, 0x05, 0xc0, 0x1a])), ['sign-ext']);
  assert.equal(moduleFeatures(mod([0xfd, 0x0c, ...new Array(16).fill(0), 0x1a])), ['simd128']);
  assert.equal(moduleFeatures(mod([0x12, 0x00])), ['tail-call']);
  assert.equal(moduleFeatures(mod([0x41, 0x00, 0x41, 0x00], [0x60, 0x00, 0x02, 0x7f, 0x7f])), ['multivalue']);
  for (const m of [mod([0x01]), mod([0x41, 0x05, 0xc0, 0x1a]), mod([0x12, 0x00])]) assert.ok(WebAssembly.validate(m));
  refused(() => moduleFeatures(mod([0xff])), 'format', /unknown opcode 0xff/);
  refused(() => moduleFeatures(mod([0x44, 0x00])), 'format', /unexpected end/);
});

test('CLI: keygen, pack, verify; exit codes and one-line errors', async () => {
  const { simd } = await kwsModules();
  const wasm = join(dir, 'kws.wasm');
  writeFileSync(wasm, simd);
  const kdir = join(dir, 'keys');
  const g = edgerun('keygen', '--out', kdir, '--json');
  assert.is(g.code, 0, g.stderr);
  const gen = JSON.parse(g.stdout) as { privatePath: string; publicPath: string; id: string };
  assert.is(statSync(gen.privatePath).mode & 0o777, 0o600);
  assert.match(gen.id, /^[0-9a-f]{64}$/);
  const again = edgerun('keygen', '--out', kdir);
  assert.is(again.code, 2);
  assert.match(again.stderr, /^edgerun: error: .*exists; keygen never overwrites a key/);
  const out = join(dir, 'kws.erb');
  const p = edgerun('pack', wasm, '--key', gen.privatePath, '--name', 'kws', '--version', '3', '--expires', '30d', '-o', out, '--json');
  assert.is(p.code, 0, p.stderr);
  const packed = JSON.parse(p.stdout) as { manifest: { version: number; name: string }; keyIds: string[] };
  assert.is(packed.manifest.version, 3);
  assert.equal(packed.keyIds, [gen.id]);
  const v = edgerun('verify', out, '--trust', gen.publicPath, '--json');
  assert.is(v.code, 0, v.stderr);
  assert.is(JSON.parse(v.stdout).version, 3);
  const human = edgerun('verify', out, '--trust', gen.publicPath, '--memory-limit', '64KiB');
  assert.match(human.stdout, /OK: kws v3, signed by trusted key/);
  const expectError = (r: { code: number | null; stderr: string }, code: number, pattern: RegExp) => {
    assert.is(r.code, code, r.stderr);
    assert.match(r.stderr, /^edgerun: error: [^\n]+\n$/);
    assert.match(r.stderr, pattern);
  };
  expectError(edgerun('verify', out, '--trust', other.pubPath), 2, /not trusted .*\[unknown-key\]$/m);
  expectError(edgerun('verify', out, '--trust', gen.publicPath, '--memory-limit', '32KiB'), 3, /needs 63392 bytes.*\[memory\]$/m);
  expectError(edgerun('verify', out, '--trust', gen.publicPath, '--features', 'mvp'), 2, /needs WebAssembly bulk-memory, nontrapping-fptoint, simd128.*\[features\]$/m);
  expectError(edgerun('verify', out, '--trust', gen.publicPath, '--name', 'other'), 2, /not "other".*\[name\]$/m);
  const tampered = readFileSync(out);
  tampered[tampered.length - 10] ^= 1;
  writeFileSync(out, tampered);
  expectError(edgerun('verify', out, '--trust', gen.publicPath), 2, /module was altered.*\[hash\]$/m);
  expectError(edgerun('pack', wasm, '--key', gen.privatePath, '--name', 'Bad Name', '--version', '1', '-o', out), 2, /model name/);
  expectError(edgerun('pack', wasm, '--key', gen.privatePath, '--name', 'kws', '--version', '0', '-o', out), 2, /--version must be/);
  expectError(edgerun('pack', wasm, '--key', gen.publicPath, '--name', 'kws', '--version', '1', '-o', out), 2, /not a PEM private key/);
  expectError(edgerun('pack', wasm, '--key', gen.privatePath, '--name', 'kws', '--version', '1', '--expires', 'soon', '-o', out), 2, /--expires "soon"/);
  for (const cmd of ['keygen', 'pack', 'verify', 'gateway', 'flash']) {
    const h = edgerun(cmd, '--help');
    assert.is(h.code, 0);
    assert.match(h.stdout, new RegExp(`^Usage: edgerun ${cmd}`));
    assert.match(h.stdout, /--json/);
  }
});

test.run();
