/**
 * `edgerun flash`: what a rollout reports, and the rollout over HTTP (gateway URLs flashed one after
 * another, stopping when more than --max-failures of the gateways fail). The MQTT fleet rollout
 * is in fleet.ts.
 */
import { randomUUID } from 'node:crypto';
import { decodeBundle } from '../bundle/container.js';
import type { RefusalReason } from '../bundle/errors.js';
import { type BundleManifest, decodeManifest } from '../bundle/manifest.js';
import { sha256Hex } from '../bundle/verify.js';
import { InputError } from '../errors.js';

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

export const ok = (o: GatewayOutcome) => o === 'installed' || o === 'current';

export function bundleIdentity(bundle: Uint8Array): { manifest: BundleManifest; manifestSha256: string } {
  const parts = decodeBundle(bundle);
  return { manifest: decodeManifest(parts.manifest), manifestSha256: sha256Hex(parts.manifest) };
}

export function tooMany(failed: number, tried: number, max: number): boolean {
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
