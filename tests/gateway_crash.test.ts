/**
 * kill -9 at random instants of an install, then restart: the agent (a child process, the real
 * `edgerun gateway` command) must come back serving a verified version, the one before the install
 * or the new one, never anything else; an acknowledged install is never lost; the state file, the
 * active slot and the served model agree; no temporary file survives the restart.
 *
 * EDGERUN_KILL_SWEEP=N sets the number of injections (default 100).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBundleFile } from '../host/bundle/container.js';
import { loadPublicKey } from '../host/bundle/keys.js';
import { verifyBundle } from '../host/bundle/verify.js';
import { readNpy } from '../host/index.js';
import { ROOT, rng } from './helpers.js';
import { type AgentProcess, kwsModules, makeKey, pack, sleep, spawnAgent, tempDir } from './gateway_helpers.js';

const INJECTIONS = Number(process.env.EDGERUN_KILL_SWEEP ?? 100);
const dir = tempDir('crash');
const state = join(dir, 'state');
const key = makeKey(dir, 'signer');
const trust = [loadPublicKey(key.pubPath)];
const INPUT = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy'))), 'input').data;
const EXPECTED = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy'))), 'expected').data;

/** Starts a PUT; resolves with the status when a response arrives, null when the connection dies. */
function startPut(url: string, body: Uint8Array): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(`${url}/models/kws`, { method: 'PUT', headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? null));
      res.once('error', () => resolve(null));
    });
    req.once('error', () => resolve(null));
    req.end(body);
  });
}

/** What a restarted agent serves, checked against the disk: state.json, the active slot's file. */
async function checkConsistent(agent: AgentProcess, manifestOf: Map<number, string>): Promise<number> {
  const models = await (await fetch(`${agent.url}/models`)).json() as { models: { name: string; available: boolean; version: number; slot: string; manifestSha256: string }[] };
  assert.is(models.models.length, 1);
  const m = models.models[0];
  assert.ok(m.available, JSON.stringify(m));
  assert.is(m.manifestSha256, manifestOf.get(m.version));
  const disk = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).state;
  const record = disk.models.kws;
  assert.is(record.active, m.slot);
  assert.is(record.highestVersion, m.version);
  assert.is(record.slots[m.slot].manifestSha256, m.manifestSha256);
  const verified = verifyBundle(readBundleFile(join(state, 'models', 'kws', `${m.slot}.bundle`)), { trust, now: null });
  assert.is(verified.manifestSha256, m.manifestSha256);
  assert.equal(readdirSync(join(state, 'incoming')), []);
  assert.equal(readdirSync(join(state, 'models', 'kws')).filter((f) => f.includes('.tmp')), []);
  assert.equal(readdirSync(state).filter((f) => f.includes('.tmp')), []);
  const res = await fetch(`${agent.url}/models/kws/infer`, { method: 'POST', body: INPUT as Uint8Array<ArrayBuffer> });
  assert.is(res.status, 200);
  assert.equal(new Uint8Array(await res.arrayBuffer()), EXPECTED);
  return m.version;
}

test(`kill -9 at ${INJECTIONS} random instants during installs: every restart serves a verified version`, async () => {
  const { simd, ref } = await kwsModules();
  const manifestOf = new Map<number, string>();
  const bundle = (v: number) => {
    const p = pack(v % 2 ? simd : ref, key, v);
    manifestOf.set(v, p.manifestSha256);
    return p.bundle;
  };
  const random = rng(9);
  const args = ['--state', state, '--trust', key.pubPath, '--memory-limit', '128KiB'];
  // v1..v4 installed normally, each by a freshly started agent (as every killed install is): their
  // median duration, PUT to response, sets the window kills are spread over
  let agent = await spawnAgent(args);
  const fresh: number[] = [];
  for (let v = 1; v <= 4; v++) {
    const body = bundle(v);
    const t = performance.now();
    assert.is(await startPut(agent.url, body), 201);
    fresh.push(performance.now() - t);
    await agent.stop();
    agent = await spawnAgent(args);
  }
  const installMs = fresh.sort((a, b) => a - b)[2];
  const windowMs = Math.max(2, 1.1 * installMs);
  let t0: number;
  let served = 4;
  const phases = new Map<string, number>();
  let acknowledged = 0;
  let upgraded = 0;
  const restartMs: number[] = [];
  for (let i = 0; i < INJECTIONS; i++) {
    const next = served + 1;
    const body = bundle(next);
    const before = agent.events.length;
    const put = startPut(agent.url, body);
    await sleep(random() * windowMs);
    agent.child.kill('SIGKILL');
    await agent.exited;
    const status = await put;
    const seen = agent.events.slice(before).filter((e) => e.event === 'install' || e.event === 'refused');
    const phase = status === 201 ? 'after the response' : (seen.at(-1)?.phase as string | undefined) ?? 'upload';
    phases.set(phase, (phases.get(phase) ?? 0) + 1);
    t0 = performance.now();
    agent = await spawnAgent(args);
    restartMs.push(performance.now() - t0);
    const now = await checkConsistent(agent, manifestOf);
    if (status === 201) {
      acknowledged++;
      assert.is(now, next, 'an acknowledged install was lost');
    } else {
      assert.ok(now === served || now === next, `served v${now}, expected v${served} or v${next}`);
    }
    if (now === next) upgraded++;
    served = now;
  }
  await agent.stop();
  const order = ['upload', 'verified', 'written', 'self-tested', 'committed', 'after the response'];
  const spread = order.filter((p) => phases.has(p)).map((p) => `${p} ${phases.get(p)}`).join(', ');
  restartMs.sort((a, b) => a - b);
  console.log(`  kill -9: ${INJECTIONS} injections over 0..${windowMs.toFixed(1)} ms of an install (${installMs.toFixed(1)} ms);` +
    ` last phase reached: ${spread}; ${INJECTIONS} of ${INJECTIONS} restarts served a verified version;` +
    ` ${upgraded} installs committed (${acknowledged} acknowledged); restart to serving: median ${restartMs[restartMs.length >> 1].toFixed(0)} ms`);
  assert.ok(phases.size >= 3, `kills landed in too few phases: ${spread}`);
});

test.run();
