/**
 * A fleet on a real broker: Eclipse Mosquitto on a random loopback port, six gateway agents (child
 * processes) of which five form the fleet. `edgerun flash --mqtt --fleet`: a rollout to all, a
 * canary that stops a bad bundle before the fleet sees it, a rollout stopped past --max-failures
 * (the fleet's previous retained bundle put back), one completed within it, a late joiner picking
 * up the retained bundle; sensor messages in, scores out; a stale bundle refused before publishing;
 * a response topic that is not a topic name; a stale online status; the broker going away mid-rollout.
 *
 * Skipped, with the reason, when mosquitto is not installed, unless EDGERUN_REQUIRE_MOSQUITTO=1.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selfTestVectors } from '../host/bundle/manifest.js';
import { signBundle } from '../host/bundle/pack.js';
import { readNpy } from '../host/index.js';
import { ROOT } from './helpers.js';
import { type AgentProcess, type Broker, CLI, kwsModules, makeKey, mosquittoUnavailable, pack, spawnAgent, startMosquitto, tempDir } from './gateway_helpers.js';

const unavailable = mosquittoUnavailable();
const required = process.env.EDGERUN_REQUIRE_MOSQUITTO === '1';
if (unavailable) console.log(`  fleet tests ${required ? 'required but cannot run' : 'skipped'}: ${unavailable}`);
/** Registers a test, or counts it as skipped when mosquitto is missing (they fail when required). */
const check = unavailable && !required ? test.skip : test;

const dir = tempDir('fleet');
const key = makeKey(dir, 'signer');
const INPUT = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_input.npy'))), 'input').data;
const expected = readNpy(new Uint8Array(readFileSync(join(ROOT, 'models', 'samples', 'kws_dscnn_expected.npy'))), 'expected').data;
const EXPECTED = Array.from(new Int8Array(expected.buffer, expected.byteOffset, expected.length));
const SENSOR = 'plant/line1/motor7/vibration';
let broker: Broker;
const agents = new Map<string, AgentProcess>();

function agentArgs(id: string, fleet: string, extra: string[] = []): string[] {
  return ['--state', join(dir, id), '--trust', key.pubPath, '--mqtt', broker.url, '--id', id, '--fleet', fleet, '--memory-limit', '256KiB', ...extra];
}

async function startAgent(id: string, fleet: string, extra: string[] = []): Promise<AgentProcess> {
  const a = await spawnAgent(agentArgs(id, fleet, extra));
  await a.waitFor((e) => e.event === 'mqtt-connected');
  agents.set(id, a);
  return a;
}

function flash(file: string, ...args: string[]): Promise<{ status: number | null; report: { gateways: { gateway: string; outcome: string; reason?: string; error?: string; phase: string }[]; failed: number; targets: number; stopped: boolean; stopReason: string | null }; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'flash', file, '--mqtt', broker.url, '--json', '--timeout', '20000', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('close', (status) => {
      let report;
      try { report = JSON.parse(stdout); } catch { report = { gateways: [], failed: -1, targets: 0, stopped: false, stopReason: `no JSON: ${stdout} ${stderr}` }; }
      resolve({ status, report, stderr });
    });
  });
}

async function version(id: string): Promise<number | null> {
  const health = await (await fetch(`${agents.get(id)!.url}/health`)).json() as { models: { name: string; version: number | null }[] };
  return health.models.find((m) => m.name === 'kws')?.version ?? null;
}

const FLEET = ['gw-0', 'gw-1', 'gw-2', 'gw-3', 'gw-4'];
const outcomes = (r: { gateways: { gateway: string; outcome: string }[] }) => Object.fromEntries(r.gateways.map((g) => [g.gateway, g.outcome]));

check('a fleet of five on one broker: flash --mqtt --fleet installs everywhere, other fleets untouched', async () => {
  if (unavailable) throw new Error(`EDGERUN_REQUIRE_MOSQUITTO=1 but ${unavailable}`);
  broker = await startMosquitto(dir);
  await Promise.all([...FLEET.map((id) => startAgent(id, 'plant', id === 'gw-0' ? ['--sensor', `${SENSOR}=kws`] : [])), startAgent('lab-0', 'lab')]);
  const { simd } = await kwsModules();
  const file = join(dir, 'v1.erb');
  writeFileSync(file, pack(simd, key, 1).bundle);
  const t0 = performance.now();
  const r = await flash(file, '--fleet', 'plant', '--expect', '5');
  const ms = performance.now() - t0;
  assert.is(r.status, 0, r.stderr);
  assert.equal(outcomes(r.report), Object.fromEntries(FLEET.map((id) => [id, 'installed'])));
  for (const id of FLEET) assert.is(await version(id), 1);
  assert.is(await version('lab-0'), null);
  console.log(`  fleet: 5 gateways installed v1 in ${ms.toFixed(0)} ms (flash command, connect to last result)`);
});

check('sensor messages in, scores out (raw bytes, JSON, a mapped topic, an MQTT 5 response topic)', async () => {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'edgerun-test-sensor' });
  try {
    const received: Record<string, unknown>[] = [];
    client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())));
    await client.subscribeAsync(['edgerun/gateways/gw-0/scores/kws', 'test/replies'], { qos: 1 });
    const json = JSON.stringify({ input: Array.from(new Int8Array(INPUT.buffer, INPUT.byteOffset, INPUT.length)) });
    await client.publishAsync('edgerun/gateways/gw-0/sensors/kws', Buffer.from(INPUT), { qos: 1 });
    await client.publishAsync(SENSOR, json, { qos: 1 });
    await client.publishAsync('edgerun/gateways/gw-0/sensors/kws', json, { qos: 1, properties: { responseTopic: 'test/replies', correlationData: Buffer.from('42') } });
    await client.publishAsync('edgerun/gateways/gw-0/sensors/kws', Buffer.from([1, 2, 3]), { qos: 1 });
    const deadline = Date.now() + 5000;
    while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.is(received.length, 4, JSON.stringify(received));
    const scores = received.filter((m) => m.outputs) as { version: number; outputs: { data: number[] }[] }[];
    assert.is(scores.length, 3);
    for (const s of scores) {
      assert.is(s.version, 1);
      assert.equal(s.outputs[0].data, EXPECTED);
    }
    assert.match(String(received.find((m) => m.error)?.error), /not JSON|needs 490 bytes/);
  } finally {
    await client.endAsync();
  }
});

check('a canary that fails stops the rollout before the fleet gets the bundle', async () => {
  const { simd } = await kwsModules();
  const bad = structuredClone(pack(simd, key, 2).manifest);
  const out = selfTestVectors(bad).outputs[0];
  out[5] ^= 1;
  bad.selfTest.outputs[0] = Buffer.from(out).toString('base64');
  const file = join(dir, 'v2-bad.erb');
  writeFileSync(file, signBundle(bad, simd, [key.privateKey]).bundle);
  const r = await flash(file, '--fleet', 'plant', '--canary', '2');
  assert.is(r.status, 5);
  assert.match(r.stderr, /^edgerun: error: rollout stopped: 2 of 2 canary gateways failed.*not published\n$/);
  assert.equal(r.report.gateways.map((g) => [g.gateway, g.outcome, g.reason, g.phase]), [
    ['gw-0', 'refused', 'self-test', 'canary'], ['gw-1', 'refused', 'self-test', 'canary'],
    // every gateway gets a line: the rest were never sent the bundle
    ['gw-2', 'pending', undefined, 'fleet'], ['gw-3', 'pending', undefined, 'fleet'], ['gw-4', 'pending', undefined, 'fleet'],
  ]);
  assert.is(r.report.gateways[2].error, 'not sent: the canaries failed');
  for (const id of FLEET) assert.is(await version(id), 1);
});

check('past --max-failures a rollout stops and restores the fleet\'s previous retained bundle; within it, it completes; late joiners pick it up', async () => {
  const { simd, ref } = await kwsModules();
  // gw-3 runs v5 (flashed over HTTP), so v3 and v4 are downgrades there
  const v5 = await fetch(`${agents.get('gw-3')!.url}/models/kws`, { method: 'PUT', body: pack(ref, key, 5).bundle as Uint8Array<ArrayBuffer> });
  assert.is(v5.status, 201);
  const v3 = join(dir, 'v3.erb');
  writeFileSync(v3, pack(simd, key, 3).bundle);
  let r = await flash(v3, '--fleet', 'plant');
  assert.is(r.status, 5);
  assert.ok(r.report.stopped);
  assert.match(r.report.stopReason ?? '', /1 of 5 gateways failed, more than --max-failures 0%; the fleet's previous retained bundle was restored/);
  assert.is(outcomes(r.report)['gw-3'], 'refused');
  // restored: a gateway joining now installs the fleet's last good bundle, v1, not the stopped v3
  const late = await startAgent('gw-late', 'plant');
  const deadline = Date.now() + 5000;
  while (await version('gw-late') !== 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.is(await version('gw-late'), 1);
  await late.stop();
  agents.delete('gw-late');
  const v4 = join(dir, 'v4.erb');
  writeFileSync(v4, pack(ref, key, 4).bundle);
  r = await flash(v4, '--fleet', 'plant', '--max-failures', '25%');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.report.failed, 1);
  assert.equal(outcomes(r.report), { 'gw-0': 'installed', 'gw-1': 'installed', 'gw-2': 'installed', 'gw-3': 'refused', 'gw-4': 'installed' });
  assert.equal(await Promise.all(FLEET.map(version)), [4, 4, 4, 5, 4]);
  // the retained bundle stays for gateways that come later
  const joiner = await startAgent('gw-5', 'plant');
  await joiner.waitFor((e) => e.event === 'install' && e.phase === 'committed', 10_000);
  assert.is(await version('gw-5'), 4);
  // the status topic tells what each gateway runs
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'edgerun-test-status' });
  const status = new Map<string, { online: boolean; models: Record<string, number> }>();
  client.on('message', (topic, payload) => { if (payload.length) status.set(topic.split('/')[2], JSON.parse(payload.toString())); });
  await client.subscribeAsync('edgerun/gateways/+/status');
  await new Promise((res) => setTimeout(res, 300));
  await client.endAsync();
  assert.equal(status.get('gw-3')?.models, { kws: 5 });
  assert.equal(status.get('gw-5')?.models, { kws: 4 });
  assert.is(status.get('gw-late')?.online, false);
});

check('a bundle older than the fleet\'s retained one is refused before anything is published', async () => {
  const { simd } = await kwsModules();
  const v2 = join(dir, 'v2-stale.erb');
  writeFileSync(v2, pack(simd, key, 2).bundle);
  const r = await flash(v2, '--fleet', 'plant');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^edgerun: error: fleet "plant" retains kws v4 on edgerun\/fleets\/plant\/bundles\/kws; publish a version greater than 4\n$/);
  assert.equal(await Promise.all(FLEET.map(version)), [4, 4, 4, 5, 4]);
});

check('a sensor message whose response topic is not a topic name is answered on the scores topic; the gateway stays connected', async () => {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'edgerun-test-poison' });
  try {
    const answers: string[] = [];
    client.on('message', (topic) => answers.push(topic));
    await client.subscribeAsync('edgerun/gateways/gw-0/scores/kws');
    const g = agents.get('gw-0')!;
    const connects = g.events.filter((e) => e.event === 'mqtt-connected').length;
    await client.publishAsync('edgerun/gateways/gw-0/sensors/kws', Buffer.from(INPUT), { qos: 1, properties: { responseTopic: 'a/#' } });
    await g.waitFor((e) => e.event === 'mqtt-error' && /response topic "a\/#" is not a topic name; answered on edgerun\/gateways\/gw-0\/scores\/kws/.test(String(e.error)));
    const deadline = Date.now() + 5000;
    while (answers.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(answers, ['edgerun/gateways/gw-0/scores/kws']);
    await new Promise((res) => setTimeout(res, 1500)); // a protocol-error disconnect would reconnect within a second
    assert.is(g.events.filter((e) => e.event === 'mqtt-connected').length, connects);
  } finally {
    await client.endAsync();
  }
});

check('two gateways with one --id: the broker hands the id back and forth, and each says what is likely wrong', async () => {
  const a = await spawnAgent(['--state', join(dir, 'twin-a'), '--trust', key.pubPath, '--mqtt', broker.url, '--id', 'twin', '--fleet', 'twins']);
  const b = await spawnAgent(['--state', join(dir, 'twin-b'), '--trust', key.pubPath, '--mqtt', broker.url, '--id', 'twin', '--fleet', 'twins']);
  try {
    const warned = (e: Record<string, unknown>) => e.event === 'mqtt-error' && /another gateway running with --id twin/.test(String(e.error));
    await Promise.race([a.waitFor(warned, 20_000), b.waitFor(warned, 20_000)]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

check('a retained online status nobody answers for (a gateway gone while the broker was down) is not a target', async () => {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'edgerun-test-ghost' });
  try {
    await client.publishAsync('edgerun/gateways/gw-ghost/status', JSON.stringify({ id: 'gw-ghost', fleets: ['plant'], online: true }), { qos: 1, retain: true });
    const { simd } = await kwsModules();
    const v6 = join(dir, 'v6.erb');
    writeFileSync(v6, pack(simd, key, 6).bundle);
    const r = await flash(v6, '--fleet', 'plant');
    assert.is(r.status, 0, r.stderr);
    assert.is(outcomes(r.report)['gw-ghost'], 'pending');
    assert.match(r.report.gateways.find((g) => g.gateway === 'gw-ghost')!.error ?? '', /did not answer the rollout's ping: not a target/);
    assert.is(r.report.targets, 6);
    assert.equal(await Promise.all(FLEET.map(version)), [6, 6, 6, 6, 6]);
  } finally {
    await client.publishAsync('edgerun/gateways/gw-ghost/status', Buffer.alloc(0), { qos: 1, retain: true });
    await client.endAsync();
  }
});

check('the broker going away mid-rollout stops it: a line per gateway, exit 5, no hang', async () => {
  // gw-zz answers the rollout's ping but never installs, so flash is still waiting when the broker goes
  const { connectAsync } = await import('mqtt');
  const fake = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'edgerun-test-fake', reconnectPeriod: 0 });
  fake.on('message', (_topic, payload) => {
    const { rollout } = JSON.parse(payload.toString()) as { rollout: string };
    fake.publish('edgerun/gateways/gw-zz/status', JSON.stringify({ id: 'gw-zz', fleets: ['plant'], online: true, ping: rollout }), { qos: 1, retain: true });
  });
  fake.on('error', () => undefined);
  await fake.subscribeAsync('edgerun/fleets/plant/ping');
  const { simd } = await kwsModules();
  const v7 = join(dir, 'v7.erb');
  writeFileSync(v7, pack(simd, key, 7).bundle);
  const running = flash(v7, '--fleet', 'plant', '--max-failures', '100%');
  await new Promise((res) => setTimeout(res, 2500));
  await broker.stop();
  const r = await running;
  fake.end(true);
  assert.is(r.status, 5, r.stderr);
  assert.match(r.report.stopReason ?? '', /^the broker closed the connection; the rollout stopped/);
  assert.equal(r.report.gateways.map((g) => g.gateway).sort(), [...FLEET, 'gw-5', 'gw-zz']); // gw-5 joined the fleet above
  assert.is(outcomes(r.report)['gw-zz'], 'pending');
});

check('stop the fleet and the broker', async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await broker?.stop();
});

test.run();
