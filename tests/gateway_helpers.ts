/** Shared by the bundle and gateway tests: a compiled model, keys, bundles, a real Mosquitto
 *  broker on a random loopback port, gateway agents as child processes. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../host/index.js';
import { packBundle, type PackedBundle, type PackOptions } from '../host/bundle/pack.js';
import { ROOT } from './helpers.js';

export const CLI = join(ROOT, 'dist', 'host', 'cli.js');
export const KWS = join(ROOT, 'models', 'kws_dscnn.tflite');

let modules: Promise<{ simd: Uint8Array; ref: Uint8Array }> | undefined;
/** The keyword-spotting model compiled twice (SIMD and scalar kernels: same outputs, other bytes). */
export function kwsModules(): Promise<{ simd: Uint8Array; ref: Uint8Array }> {
  modules ??= (async () => ({
    simd: (await compileModel(KWS, { kernels: 'simd' })).wasm,
    ref: (await compileModel(KWS, { kernels: 'ref' })).wasm,
  }))();
  return modules;
}

export interface TestKey {
  privateKey: KeyObject;
  /** Its public key as a PEM file, for --trust. */
  pubPath: string;
  privPath: string;
}

export function makeKey(dir: string, name: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pubPath = join(dir, `${name}.pub`);
  const privPath = join(dir, `${name}.key`);
  writeFileSync(pubPath, publicKey.export({ format: 'pem', type: 'spki' }) as string);
  writeFileSync(privPath, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  return { privateKey, pubPath, privPath };
}

export function pack(wasm: Uint8Array, key: TestKey, version: number, extra: Partial<PackOptions> = {}): PackedBundle {
  return packBundle(wasm, { keys: [key.privateKey], name: 'kws', version, expires: new Date(Date.now() + 86_400_000), ...extra });
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `edgerun-${tag}-`));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** EDGERUN_MOSQUITTO, else where Debian puts mosquitto (/usr/sbin is not always on PATH), else PATH. */
export function mosquittoPath(): string | null {
  const given = process.env.EDGERUN_MOSQUITTO;
  if (given !== undefined) return existsSync(given) ? given : null;
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

/** Starts Eclipse Mosquitto on a random loopback port; resolves once it accepts connections. */
export async function startMosquitto(dir: string): Promise<Broker> {
  const bin = mosquittoPath();
  if (!bin) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, `mosquitto-${port}.conf`);
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n`);
    const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await canConnect(port)) {
        return {
          url: `mqtt://127.0.0.1:${port}`,
          stop: async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } },
        };
      }
      await sleep(20);
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    if (!/Address already in use/.test(stderr)) throw new Error(`mosquitto did not start: ${stderr.trim().split('\n').at(-1)}`);
  }
  throw new Error('mosquitto: no free port after 3 attempts');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
  });
}

/** The reason MQTT tests cannot run here, or null. */
export function mosquittoUnavailable(): string | null {
  return mosquittoPath() ? null : `mosquitto is not installed${process.env.EDGERUN_MOSQUITTO ? ` at EDGERUN_MOSQUITTO=${process.env.EDGERUN_MOSQUITTO}` : ''} (apt-get install -y mosquitto; .ci/run does)`;
}

export interface AgentProcess {
  child: ChildProcess;
  url: string;
  events: Record<string, unknown>[];
  /** Resolves with the first event matching, waiting up to ms. */
  waitFor(match: (e: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Runs `edgerun gateway ... --json --listen 127.0.0.1:0` (as user `uid`, if given) and waits until it serves. */
export async function spawnAgent(args: string[], timeoutMs = 10_000, uid?: number): Promise<AgentProcess> {
  const child = spawn(process.execPath, [CLI, 'gateway', '--listen', '127.0.0.1:0', '--json', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
  const events: Record<string, unknown>[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let e: Record<string, unknown>;
      try { e = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      events.push(e);
      for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (match: (e: Record<string, unknown>) => boolean, ms = timeoutMs) => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway: no matching event within ${ms} ms; stderr: ${stderr.trim()}; events: ${JSON.stringify(events.slice(-3))}`)), ms);
      waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}): ${stderr.trim()}`)); });
    });
  };
  const listening = await waitFor((e) => e.event === 'listening');
  return {
    child, url: listening.url as string, events, waitFor, exited,
    stop: async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; } },
  };
}
