/**
 * `edgerun flash`: rolls a bundle out to gateways, over HTTP (a list of URLs, in order) or MQTT
 * (a fleet: optional canary gateways first, then the fleet's retained bundle topic), and stops
 * when more than --max-failures of the gateways tried so far fail. Stopping an MQTT rollout
 * withdraws the retained bundle, so gateways that come online later do not install it.
 */
import { randomUUID } from 'node:crypto';
import { decodeBundle } from '../bundle/container.js';
import type { RefusalReason } from '../bundle/errors.js';
import { type BundleManifest, decodeManifest } from '../bundle/manifest.js';
import { sha256Hex } from '../bundle/verify.js';
import { InputError } from '../errors.js';
import { topicParts, topics } from './topics.js';

/** installed/current: the gateway runs the bundle. refused/error/timeout: failed. pending: the
 *  rollout stopped before this gateway answered (it may still install a bundle it already got). */
export type GatewayOutcome = 'installed' | 'current' | 'refused' | 'error' | 'timeout' | 'pending';

export interface GatewayReport {
  gateway: string;
  outcome: GatewayOutcome;
  version: number | null;
  reason?: RefusalReason | string;
  error?: string;
  ms: number;
  phase: 'canary' | 'fleet' | 'http';
}

export interface RolloutReport {
  name: string;
  version: number;
  manifestSha256: string;
  rollout: string;
  gateways: GatewayReport[];
  failed: number;
  /** The gateways the rollout was meant for. */
  targets: number;
  stopped: boolean;
  /** Why it stopped, when it did. */
  stopReason: string | null;
}

export interface RolloutOptions {
  /** Largest share of failed gateways (0..1) a rollout tolerates; above it, it stops. Default 0. */
  maxFailures?: number;
  /** How long to wait for a gateway's answer, per phase (ms). Default 60 s. */
  timeoutMs?: number;
  onReport?: (r: GatewayReport) => void;
}

const ok = (o: GatewayOutcome) => o === 'installed' || o === 'current';

export function bundleIdentity(bundle: Uint8Array): { manifest: BundleManifest; manifestSha256: string } {
  const parts = decodeBundle(bundle);
  return { manifest: decodeManifest(parts.manifest), manifestSha256: sha256Hex(parts.manifest) };
}

function tooMany(failed: number, tried: number, max: number): boolean {
  return tried > 0 && failed / tried > max + 1e-12;
}

/** PUT the bundle to each gateway in turn. */
export async function flashHttp(bundle: Uint8Array, urls: string[], options: RolloutOptions = {}): Promise<RolloutReport> {
  const { manifest, manifestSha256 } = bundleIdentity(bundle);
  const max = options.maxFailures ?? 0;
  const report: RolloutReport = { name: manifest.name, version: manifest.version, manifestSha256, rollout: randomUUID(), gateways: [], failed: 0, targets: urls.length, stopped: false, stopReason: null };
  for (const url of urls) {
    const r = await putBundle(bundle, url, manifest.name, options.timeoutMs ?? 60_000);
    report.gateways.push(r);
    options.onReport?.(r);
    if (!ok(r.outcome)) report.failed++;
    if (tooMany(report.failed, urls.length, max)) {
      report.stopped = report.gateways.length < urls.length;
      report.stopReason = `${report.failed} of ${urls.length} gateways failed, more than --max-failures ${formatShare(max)}`;
      break;
    }
  }
  return report;
}

async function putBundle(bundle: Uint8Array, base: string, name: string, timeoutMs: number): Promise<GatewayReport> {
  const t0 = performance.now();
  const gateway = base.replace(/\/+$/, '');
  const done = (outcome: GatewayOutcome, fields: Partial<GatewayReport>): GatewayReport => ({ gateway, outcome, version: null, ms: performance.now() - t0, phase: 'http', ...fields });
  try {
    const res = await fetch(`${gateway}/models/${name}`, {
      method: 'PUT', body: bundle as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' }, signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json().catch(() => ({})) as { result?: string; version?: number; reason?: string; error?: string };
    if (body.result === 'installed' || body.result === 'current') return done(body.result, { version: body.version ?? null });
    return done('refused', { version: body.version ?? null, reason: body.reason ?? `http-${res.status}`, error: body.error ?? `HTTP ${res.status}` });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError') return done('timeout', { error: `no answer within ${timeoutMs} ms` });
    return done('error', { error: `${err.cause?.code ?? err.message}` });
  }
}

export interface FleetOptions extends RolloutOptions {
  url: string;
  fleet: string;
  prefix: string;
  /** Gateways (first by id) that get the bundle alone before the fleet does. Default 0. */
  canary?: number;
  /** Wait until this many gateways of the fleet are online (default: those online after discoverMs). */
  expect?: number;
  /** How long retained presence messages are collected (ms). Default 500. */
  discoverMs?: number;
}

interface Presence { id: string; fleets: string[]; online: boolean }
interface Result { id: string; result: string; version: number | null; reason?: string; error?: string; rollout: string | null; manifestSha256: string | null; ms?: number }

/** Rolls the bundle out to a fleet over MQTT. */
export async function flashFleet(bundle: Uint8Array, options: FleetOptions): Promise<RolloutReport> {
  const { manifest, manifestSha256 } = bundleIdentity(bundle);
  const { connectAsync } = await import('mqtt');
  const t = topics(options.prefix);
  const name = manifest.name;
  const rollout = randomUUID();
  const max = options.maxFailures ?? 0;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const online = new Map<string, Presence>();
  const results = new Map<string, Result>();
  const started = new Map<string, number>();
  let wake: (() => void) | null = null;
  let client;
  try {
    client = await connectAsync(options.url, { protocolVersion: 5, clientId: `edgerun-flash-${rollout.slice(0, 8)}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 });
  } catch (e) {
    throw new InputError(`--mqtt ${options.url}: cannot connect (${(e as Error).message})`);
  }
  client.on('message', (topic, payload) => {
    const parts = topicParts(options.prefix, topic);
    if (!parts || parts[0] !== 'gateways' || payload.length === 0) return;
    let value: unknown;
    try { value = JSON.parse(payload.toString('utf8')); } catch { return; }
    if (parts[2] === 'status') {
      const p = value as Presence;
      if (p.online && Array.isArray(p.fleets) && p.fleets.includes(options.fleet)) online.set(parts[1], p);
      else online.delete(parts[1]);
    } else if (parts[2] === 'results' && parts[3] === name) {
      const r = value as Result;
      if (r.rollout === rollout) results.set(parts[1], r);
    }
    wake?.();
  });
  const report: RolloutReport = { name, version: manifest.version, manifestSha256, rollout, gateways: [], failed: 0, targets: 0, stopped: false, stopReason: null };
  const until = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())));
      });
      wake = null;
    }
  };
  try {
    await client.subscribeAsync([`${options.prefix}/gateways/+/status`, `${options.prefix}/gateways/+/results/${name}`], { qos: 1 });
    await until(() => options.expect !== undefined && online.size >= options.expect, options.expect !== undefined ? timeoutMs : options.discoverMs ?? 500);
    const targets = [...online.keys()].sort();
    if (targets.length === 0) throw new InputError(`no gateway of fleet ${JSON.stringify(options.fleet)} is online on ${options.url} (gateways announce themselves on ${t.status('ID')})`);
    if (options.expect !== undefined && targets.length < options.expect) throw new InputError(`${targets.length} gateways of fleet ${JSON.stringify(options.fleet)} online, --expect ${options.expect}`);
    report.targets = targets.length;
    /** Adds the answers of `ids` to the report; with `unanswered`, the others too, as that outcome. */
    const collect = (ids: string[], phase: 'canary' | 'fleet', unanswered?: 'timeout' | 'pending') => {
      for (const id of ids) {
        if (report.gateways.some((g) => g.gateway === id)) continue;
        const r = results.get(id);
        const ms = Date.now() - (started.get(id) ?? Date.now());
        const g: GatewayReport = r
          ? { gateway: id, outcome: r.result === 'installed' || r.result === 'current' ? r.result : 'refused', version: r.version, ...(r.reason ? { reason: r.reason } : {}), ...(r.error ? { error: r.error } : {}), ms, phase }
          : { gateway: id, outcome: unanswered ?? 'timeout', version: null, error: unanswered === 'pending' ? 'no result yet when the rollout stopped' : `no result within ${timeoutMs} ms`, ms, phase };
        if (!r && !unanswered) continue;
        report.gateways.push(g);
        if (!ok(g.outcome) && g.outcome !== 'pending') report.failed++;
        options.onReport?.(g);
      }
    };
    const canary = targets.slice(0, Math.min(options.canary ?? 0, targets.length));
    const publishOptions = { qos: 1 as const, properties: { userProperties: { rollout } } };
    if (canary.length > 0) {
      for (const id of canary) {
        started.set(id, Date.now());
        await client.publishAsync(t.gatewayBundle(id, name), Buffer.from(bundle), publishOptions);
      }
      await until(() => canary.every((id) => results.has(id)), timeoutMs);
      collect(canary, 'canary', 'timeout');
      if (tooMany(report.failed, canary.length, max)) {
        report.stopped = true;
        report.stopReason = `${report.failed} of ${canary.length} canary gateways failed, more than --max-failures ${formatShare(max)}; the fleet's bundle was not published`;
        return report;
      }
    }
    const rest = targets.filter((id) => !canary.includes(id));
    for (const id of rest) started.set(id, Date.now());
    await client.publishAsync(t.fleetBundle(options.fleet, name), Buffer.from(bundle), { ...publishOptions, retain: true });
    await until(() => {
      collect(rest, 'fleet');
      return rest.every((id) => results.has(id)) || tooMany(report.failed, targets.length, max);
    }, timeoutMs);
    collect(rest, 'fleet', tooMany(report.failed, targets.length, max) ? 'pending' : 'timeout');
    if (tooMany(report.failed, targets.length, max)) {
      await client.publishAsync(t.fleetBundle(options.fleet, name), Buffer.alloc(0), { qos: 1, retain: true });
      report.stopped = true;
      report.stopReason = `${report.failed} of ${targets.length} gateways failed, more than --max-failures ${formatShare(max)}; the fleet's retained bundle was withdrawn`;
    }
    return report;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

export function formatShare(share: number): string {
  return `${+(share * 100).toFixed(2)}%`;
}

/** --max-failures: a share 0..1 ("0.2") or a percentage ("20%"). */
export function parseShare(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v <= 1)) throw new InputError(`--max-failures must be a share 0..1 or a percentage 0%..100%, got ${JSON.stringify(text)}`);
  return v;
}
