/**
 * The gateway agent in-process, over real HTTP: installs into A/B slots, anti-rollback (downgrade,
 * replay), every refusal with the previous version still serving, truncated and oversized uploads,
 * a failing self-test, concurrent flashes of one model, restart, inference, `edgerun flash --gateway`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeBundle } from '../host/bundle/container.js';
import { keyId, loadPublicKey, publicKeyOf, signBytes } from '../host/bundle/keys.js';
import { selfTestVectors } from '../host/bundle/manifest.js';
import { packBundle, signBundle } from '../host/bundle/pack.js';
import { GatewayAgent, type GatewayOptions } from '../host/gateway/agent.js';
import { startHttp } from '../host/gateway/http.js';
import { readNpy } from '../host/index.js';
import { ROOT } from './helpers.js';
import { CLI, kwsModules, makeKey, pack, spawnAgent, tempDir } from './gateway_helpers.js';

const dir = tempDir('gateway');
const key = makeKey(dir, 'signer');
const other = makeKey(dir, 'other');
const trust = [loadPublicKey(key.pubPath)];
const INPUT = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy'))), 'input').data;
const EXPECTED = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy'))), 'expected').data;

interface Running { agent: GatewayAgent; server: Server; url: string; close(): Promise<void> }

async function run(name: string, options: Partial<GatewayOptions> = {}): Promise<Running> {
  const agent = GatewayAgent.open({ stateDir: join(dir, name), trust, memoryLimit: 256 * 1024, ...options });
  const { server, url } = await startHttp(agent, { host: '127.0.0.1', port: 0, maxUploads: 16 });
  return {
    agent, server, url,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { agent.close(); resolve(); }); }),
  };
}

async function put(url: string, name: string, body: Uint8Array): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/models/${name}`, { method: 'PUT', body: body as Uint8Array<ArrayBuffer> });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

async function served(url: string): Promise<{ version: number | null; slot: string | null; previousVersion: number | null }> {
  const m = (await (await fetch(`${url}/models/kws`)).json()) as { version?: number; slot?: string; previousVersion: number | null };
  return { version: m.version ?? null, slot: m.slot ?? null, previousVersion: m.previousVersion };
}

async function inferRaw(url: string): Promise<Uint8Array> {
  const res = await fetch(`${url}/models/kws/infer`, { method: 'POST', body: INPUT as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } });
  assert.is(res.status, 200);
  return new Uint8Array(await res.arrayBuffer());
}

/** Sends the headers and part of the body, then drops the connection. */
function abortedUpload(url: string, body: Uint8Array, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${url}/models/kws`, { method: 'PUT', headers: { 'content-length': body.length } });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(body.subarray(0, sent), () => setTimeout(() => { req.destroy(); setTimeout(resolve, 50); }, 20));
  });
}

/** Waits (up to 5 s) until the agent has removed every partial upload. */
async function incomingEmpty(path: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (readdirSync(path).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(readdirSync(path), []);
}

/** A chunked upload (no Content-Length): `head`, then zeros up to n bytes. */
function chunkedUpload(url: string, head: Uint8Array, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/models/kws`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    const chunk = new Uint8Array(4096);
    req.write(head);
    let sent = head.length;
    const pump = () => {
      while (sent < n) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('install, current, upgrade into the other slot; inference raw and JSON equals TFLite', async () => {
  const { simd, ref } = await kwsModules();
  const g = await run('basic');
  try {
    const v1 = pack(simd, key, 1).bundle;
    let r = await put(g.url, 'kws', v1);
    assert.is(r.status, 201, JSON.stringify(r.body));
    assert.is(r.body.result, 'installed');
    assert.is(r.body.slot, 'a');
    r = await put(g.url, 'kws', v1);
    assert.is(r.status, 200);
    assert.is(r.body.result, 'current');
    assert.equal(await inferRaw(g.url), EXPECTED);
    r = await put(g.url, 'kws', pack(ref, key, 2).bundle);
    assert.is(r.status, 201);
    assert.equal({ slot: r.body.slot, previousVersion: r.body.previousVersion }, { slot: 'b', previousVersion: 1 });
    assert.equal(await served(g.url), { version: 2, slot: 'b', previousVersion: 1 });
    assert.equal(await inferRaw(g.url), EXPECTED);
    const res = await fetch(`${g.url}/models/kws/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: Array.from(new Int8Array(INPUT.buffer, INPUT.byteOffset, INPUT.length)) }) });
    const json = await res.json() as { version: number; outputs: { data: number[]; values: number[] }[] };
    assert.is(json.version, 2);
    assert.equal(json.outputs[0].data, Array.from(new Int8Array(EXPECTED.buffer, EXPECTED.byteOffset, EXPECTED.length)));
    assert.is(json.outputs[0].values.length, 12);
    const models = await (await fetch(`${g.url}/models`)).json() as { models: { memory: { ramBytes: number; romBytes: number } }[] };
    assert.is(models.models[0].memory.ramBytes, 16176); // the scalar-kernel build (no scratch to widen 1x1 pixels)
    assert.ok(models.models[0].memory.romBytes > 39200);
    const health = await (await fetch(`${g.url}/health`)).json() as { status: string; counters: { installed: number } };
    assert.is(health.status, 'ok');
    assert.is(health.counters.installed, 2);
    // bad inference requests
    assert.is((await fetch(`${g.url}/models/kws/infer`, { method: 'POST', body: new Uint8Array(1000) })).status, 413);
    assert.is((await fetch(`${g.url}/models/kws/infer`, { method: 'POST', body: new Uint8Array(489) })).status, 400);
    assert.is((await fetch(`${g.url}/models/kws/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":[200]}' })).status, 400);
    assert.is((await fetch(`${g.url}/models/none/infer`, { method: 'POST', body: INPUT as Uint8Array<ArrayBuffer> })).status, 404);
    assert.is((await fetch(`${g.url}/models/kws/infer`)).status, 405);
  } finally {
    await g.close();
  }
});

test('refusals leave the previous version serving: downgrade, replay, exists, tampered, wrong key, expired, name, memory, features', async () => {
  const { simd, ref } = await kwsModules();
  const g = await run('refusals');
  try {
    const v1 = pack(simd, key, 1).bundle;
    const v2 = pack(ref, key, 2).bundle;
    assert.is((await put(g.url, 'kws', v1)).status, 201);
    assert.is((await put(g.url, 'kws', v2)).status, 201);
    const generation = g.agent.generation;
    const expect = async (body: Uint8Array, status: number, reason: string, name = 'kws') => {
      const r = await put(g.url, name, body);
      assert.is(r.status, status, JSON.stringify(r.body));
      assert.is(r.body.reason, reason, JSON.stringify(r.body));
      assert.equal(await served(g.url), { version: 2, slot: 'b', previousVersion: 1 });
      assert.is(g.agent.generation, generation);
    };
    await expect(v1, 409, 'downgrade'); // replay of an old bundle
    assert.is((await put(g.url, 'kws', v2)).body.result, 'current'); // replay of the installed one: harmless
    await expect(pack(simd, key, 2, { created: new Date(Date.now() - 5000) }).bundle, 409, 'exists');
    const v3 = pack(simd, key, 3).bundle;
    const tamperedModule = v3.slice();
    tamperedModule[tamperedModule.length - 7] ^= 4;
    await expect(tamperedModule, 422, 'hash');
    const tamperedManifest = v3.slice();
    tamperedManifest[40] ^= 1;
    await expect(tamperedManifest, 403, 'signature');
    await expect(pack(simd, other, 3).bundle, 403, 'unknown-key');
    const created = new Date(Date.now() - 3 * 86_400_000);
    await expect(pack(simd, key, 3, { created, expires: new Date(created.getTime() + 86_400_000) }).bundle, 403, 'expired');
    await expect(v3, 409, 'name', 'other');
    await expect(new TextEncoder().encode('not a bundle, just text.'), 400, 'format');
    await expect(v3.subarray(0, 100), 400, 'truncated');
    assert.equal(readdirSync(join(dir, 'refusals', 'incoming')), []);
    assert.is((await put(g.url, 'kws', v3)).status, 201);
  } finally {
    await g.close();
  }
  const small = await run('small', { memoryLimit: 48 * 1024 });
  const mvp = await run('mvp', { features: [] });
  try {
    let r = await put(small.url, 'kws', pack(simd, key, 1).bundle);
    assert.equal([r.status, r.body.reason], [422, 'memory']);
    assert.match(r.body.error as string, /needs 63392 bytes \(RAM 16544 \+ ROM 46848\), the memory limit is 49152/);
    r = await put(mvp.url, 'kws', pack(ref, key, 1).bundle);
    assert.equal([r.status, r.body.reason], [422, 'features']);
    assert.match(r.body.error as string, /needs WebAssembly bulk-memory, nontrapping-fptoint/);
    assert.equal(readdirSync(join(dir, 'small', 'models')), []);
  } finally {
    await small.close();
    await mvp.close();
  }
});

test('a module that fails its self-test is refused; the previous version keeps serving', async () => {
  const { simd } = await kwsModules();
  const g = await run('selftest');
  try {
    assert.is((await put(g.url, 'kws', pack(simd, key, 1).bundle)).status, 201);
    assert.is((await put(g.url, 'kws', pack(simd, key, 2).bundle)).status, 201);
    const bad = structuredClone(pack(simd, key, 3).manifest);
    const out = selfTestVectors(bad).outputs[0];
    out[0] ^= 0x10;
    bad.selfTest.outputs[0] = Buffer.from(out).toString('base64');
    const r = await put(g.url, 'kws', signBundle(bad, simd, [key.privateKey]).bundle);
    assert.is(r.status, 422);
    assert.is(r.body.reason, 'self-test');
    assert.match(r.body.error as string, /differs from the manifest at byte 0/);
    // v2 still serves; slot a, which held v1, now holds the refused bundle: no previous version
    assert.equal(await served(g.url), { version: 2, slot: 'b', previousVersion: null });
    assert.equal(await inferRaw(g.url), EXPECTED);
    assert.is(JSON.parse(readFileSync(join(dir, 'selftest', 'state.json'), 'utf8')).state.models.kws.active, 'b');
  } finally {
    await g.close();
  }
});

test('truncated and oversized uploads are refused; nothing is left behind', async () => {
  const { simd } = await kwsModules();
  const g = await run('uploads', { maxModuleBytes: 70_000 });
  try {
    const v1 = pack(simd, key, 1).bundle;
    assert.is((await put(g.url, 'kws', v1)).status, 201);
    const v2 = pack(simd, key, 2).bundle;
    for (const sent of [10, 24, 5000, v2.length - 1]) await abortedUpload(g.url, v2, sent);
    assert.equal(await served(g.url), { version: 1, slot: 'a', previousVersion: null });
    await incomingEmpty(join(dir, 'uploads', 'incoming')); // the server notices the dropped connections
    // Content-Length over the cap: refused before reading the body
    let res = await fetch(`${g.url}/models/kws`, { method: 'PUT', body: new Uint8Array(2_000_000) });
    assert.is(res.status, 413);
    // the header declares a module over the cap: refused as soon as the header arrives, with or
    // without a Content-Length
    const big = v2.slice();
    new DataView(big.buffer).setUint32(16, 80_000, true);
    assert.is(await chunkedUpload(g.url, big.subarray(0, 24), 200_000), 413);
    res = await fetch(`${g.url}/models/kws`, { method: 'PUT', body: big });
    assert.is(res.status, 413);
    assert.match((await res.json() as { error: string }).error, /module of 80000 bytes, the limit is 70000/);
    const health = await (await fetch(`${g.url}/health`)).json() as { counters: { refused: number } };
    assert.ok(health.counters.refused >= 4);
    assert.equal(readdirSync(join(dir, 'uploads', 'incoming')), []);
    assert.is((await put(g.url, 'kws', v2)).status, 201);
  } finally {
    await g.close();
  }
});

test('concurrent flashes of one model resolve to one winner', async () => {
  const { simd } = await kwsModules();
  const g = await run('concurrent');
  try {
    // eight different bundles of version 1 at once: one installs, seven find the version taken
    const bundles = Array.from({ length: 8 }, (_, i) => pack(simd, key, 1, { created: new Date(Date.now() - i * 1000) }));
    const results = await Promise.all(bundles.map((b) => put(g.url, 'kws', b.bundle)));
    const winners = results.filter((r) => r.status === 201);
    assert.is(winners.length, 1, JSON.stringify(results.map((r) => r.body.result)));
    assert.equal(results.filter((r) => r.status === 409).map((r) => r.body.reason), new Array(7).fill('exists'));
    const state = JSON.parse(readFileSync(join(dir, 'concurrent', 'state.json'), 'utf8')).state;
    assert.is(state.models.kws.slots.a.manifestSha256, winners[0].body.manifestSha256);
    // the same bundle six times at once: one install, five "current"
    const same = pack(simd, key, 2).bundle;
    const again = await Promise.all(Array.from({ length: 6 }, () => put(g.url, 'kws', same)));
    assert.equal(again.map((r) => r.body.result).sort(), ['current', 'current', 'current', 'current', 'current', 'installed']);
    // versions 3..6 at once: installs run one at a time in arrival order; the highest ends up active
    const mixed = await Promise.all([3, 4, 5, 6].map((v) => put(g.url, 'kws', pack(simd, key, v).bundle)));
    assert.ok(mixed.every((r) => r.status === 201 || r.body.reason === 'downgrade'));
    assert.is((await served(g.url)).version, 6);
    assert.is(g.agent.generation, 1 + 1 + mixed.filter((r) => r.status === 201).length);
    // two models at once: their commits are serialized, neither is lost
    const names = ['kws-a', 'kws-b', 'kws-c'];
    const installs = await Promise.all(names.flatMap((name) => [1, 2].map((v) => put(g.url, name, packBundle(simd, { keys: [key.privateKey], name, version: v, expires: null }).bundle))));
    assert.ok(installs.every((r) => r.status === 201 || r.body.reason === 'downgrade'), JSON.stringify(installs.map((r) => r.body)));
    const disk = JSON.parse(readFileSync(join(dir, 'concurrent', 'state.json'), 'utf8')).state;
    assert.equal(Object.keys(disk.models).sort(), ['kws', ...names]);
    for (const name of names) assert.is(disk.models[name].highestVersion, 2);
  } finally {
    await g.close();
  }
});

test('restart recovers the committed version; a second agent on the same state is refused', async () => {
  const { simd, ref } = await kwsModules();
  const first = await run('restart');
  await put(first.url, 'kws', pack(simd, key, 1).bundle);
  await put(first.url, 'kws', pack(ref, key, 2).bundle);
  assert.throws(() => GatewayAgent.open({ stateDir: join(dir, 'restart'), trust }), /in use by the gateway agent with pid/);
  await first.close();
  const events: string[] = [];
  const g = await run('restart', { onEvent: (e) => events.push(JSON.stringify(e)) });
  try {
    assert.equal(await served(g.url), { version: 2, slot: 'b', previousVersion: 1 });
    assert.match(events[0], /"event":"recovered","name":"kws","version":2,"slot":"b","fallback":false/);
    assert.equal(await inferRaw(g.url), EXPECTED);
    assert.is((await put(g.url, 'kws', pack(simd, key, 2, { created: new Date(Date.now() - 9000) }).bundle)).body.reason, 'exists');
  } finally {
    await g.close();
  }
  // the active slot damaged on disk: the agent falls back to the other recorded version and says so
  const slotB = join(dir, 'restart', 'models', 'kws', 'b.bundle');
  const bytes = readFileSync(slotB);
  bytes[bytes.length - 3] ^= 1;
  writeFileSync(slotB, bytes);
  const fallback: string[] = [];
  const h = await run('restart', { onEvent: (e) => fallback.push(JSON.stringify(e)) });
  try {
    assert.match(fallback[0], /"version":1,"slot":"a","fallback":true/);
    const health = await (await fetch(`${h.url}/health`)).json() as { models: { version: number }[] };
    assert.is(health.models[0].version, 1);
    // anti-rollback still holds at the recorded highest version
    assert.is((await put(h.url, 'kws', pack(simd, key, 2, { created: new Date(Date.now() - 20_000) }).bundle)).body.reason, 'exists');
  } finally {
    await h.close();
  }
  // a trust list without the signer: nothing verifies, the model is reported unavailable
  const u = await run('restart', { trust: [loadPublicKey(other.pubPath)] });
  try {
    const health = await (await fetch(`${u.url}/health`)).json() as { status: string };
    assert.is(health.status, 'degraded');
    assert.is((await fetch(`${u.url}/models/kws/infer`, { method: 'POST', body: INPUT as Uint8Array<ArrayBuffer> })).status, 404);
  } finally {
    await u.close();
  }
});

test('edgerun flash --gateway: per-gateway results, exit 5 past --max-failures', async () => {
  const { simd } = await kwsModules();
  const a = await run('flash-a');
  const b = await run('flash-b', { memoryLimit: 32 * 1024 });
  try {
    const file = join(dir, 'flash.erb');
    writeFileSync(file, pack(simd, key, 1).bundle);
    // asynchronously: the gateways answer from this process
    const flash = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'flash', file, ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
    let r = await flash('--gateway', a.url, '--json');
    assert.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { gateways: { outcome: string }[]; failed: number };
    assert.equal(report.gateways.map((x) => x.outcome), ['installed']);
    r = await flash('--gateway', `${b.url},${a.url}`);
    assert.is(r.status, 5);
    assert.match(r.stdout, /refused\s+memory: module: needs 63392 bytes/);
    assert.match(r.stderr, /^edgerun: error: rollout stopped: 1 of 2 gateways failed, more than --max-failures 0%\n$/);
    r = await flash('--gateway', `${b.url},${a.url}`, '--max-failures', '50%');
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /current\s+v1/);
    assert.match(r.stdout, /1 of 2 gateway\(s\) run it, 1 failed/);
  } finally {
    await a.close();
    await b.close();
  }
});

/** Sends raw bytes over one connection; resolves with everything the agent answers. */
function rawHttp(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (d) => { answer += d.toString(); });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('bad requests get a JSON 4xx: nested JSON, a malformed path, malformed HTTP, a signed manifest nested too deep', async () => {
  const { simd } = await kwsModules();
  const g = await run('badrequests');
  try {
    assert.is((await put(g.url, 'kws', pack(simd, key, 1).bundle)).status, 201);
    const deep = `{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await fetch(`${g.url}/models/kws/infer`, { method: 'POST', body: deep, headers: { 'content-type': 'application/json' } });
    assert.is(res.status, 400);
    assert.equal(await res.json(), { error: 'inputs[0][0]: an array is not a int8 (-128..127)' });
    const path = await fetch(`${g.url}/models/%E0%A4%A`);
    assert.is(path.status, 400);
    assert.match(((await path.json()) as { error: string }).error, /is not a valid path/);
    const malformed = await rawHttp(g.url, 'PUT /models/kws HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    assert.match(malformed, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*content-type: application\/json[\s\S]*\r\n\r\n\{"error":"malformed or incomplete HTTP request \(HPE_INVALID_CONTENT_LENGTH\)"\}\n$/);
    // A trusted key signed a manifest 200,000 arrays deep: refused as malformed, counted, v1 serving.
    const manifest = new TextEncoder().encode(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    const signature = { keyId: keyId(publicKeyOf(key.privateKey)), signature: signBytes(key.privateKey, manifest) };
    const r = await put(g.url, 'kws', encodeBundle({ manifest, signatures: [signature], module: simd }));
    assert.is(r.status, 400);
    assert.is(r.body.reason, 'format');
    assert.match(r.body.error as string, /nested more than 32 levels deep$/);
    assert.is(g.agent.counters.refused, 1);
    assert.equal(await inferRaw(g.url), EXPECTED);
  } finally {
    await g.close();
  }
});

test('disk errors are refusals with reason io; a slot never replaced keeps its version as the fallback', async () => {
  // Permissions bind only an unprivileged process: as root the agent runs as nobody.
  const nobody = process.getuid?.() === 0 ? 65534 : undefined;
  const state = join(dir, 'diskerrors');
  mkdirSync(state);
  if (nobody !== undefined) {
    chmodSync(dir, 0o755);
    chownSync(state, nobody, nobody);
  }
  const { simd } = await kwsModules();
  const g = await spawnAgent(['--state', state, '--trust', key.pubPath], 10_000, nobody);
  try {
    for (const v of [1, 2]) assert.is((await put(g.url, 'kws', pack(simd, key, v).bundle)).status, 201);
    const slots = join(state, 'models', 'kws');
    chmodSync(slots, 0o555); // slot a (v1) cannot be replaced
    let r = await put(g.url, 'kws', pack(simd, key, 3).bundle);
    assert.is(r.status, 500);
    assert.is(r.body.reason, 'io');
    assert.equal(await served(g.url), { version: 2, slot: 'b', previousVersion: 1 });
    chmodSync(slots, 0o755);
    const incoming = join(state, 'incoming');
    chmodSync(incoming, 0o555); // uploads cannot be received
    r = await put(g.url, 'kws', pack(simd, key, 3).bundle);
    assert.is(r.status, 500);
    assert.is(r.body.reason, 'io');
    assert.match(r.body.error as string, /^open .*incoming.*EACCES$/);
    chmodSync(incoming, 0o755);
    const health = await (await fetch(`${g.url}/health`)).json() as { counters: { refused: number } };
    assert.is(health.counters.refused, 2);
    r = await put(g.url, 'kws', pack(simd, key, 3).bundle);
    assert.is(r.status, 201);
    assert.is(r.body.previousVersion, 2);
  } finally {
    await g.stop();
  }
});

test.run();
