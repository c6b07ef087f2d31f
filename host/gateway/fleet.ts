/**
 * A rollout to a fleet over MQTT: discover the fleet's online gateways (retained status), send the
 * bundle to the canaries alone, then retained to the fleet's topic; collect the results that carry
 * this rollout's id; stop (withdrawing the retained bundle) past --max-failures.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { InputError } from '../errors.js';
import { bundleIdentity, formatShare, type GatewayOutcome, type GatewayReport, ok, type RolloutOptions, type RolloutReport, tooMany } from './flash.js';
import { redactUrl, topicParts, topics } from './topics.js';

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
interface Result { result: string; version: number | null; reason?: string; error?: string; rollout: string | null }

class FleetRollout {
  readonly rollout = randomUUID();
  readonly online = new Map<string, Presence>();
  readonly results = new Map<string, Result>();
  readonly started = new Map<string, number>();
  readonly report: RolloutReport;
  readonly t: ReturnType<typeof topics>;
  readonly max: number;
  readonly timeoutMs: number;
  private wake: (() => void) | null = null;

  constructor(readonly client: MqttClient, readonly bundle: Uint8Array, readonly options: FleetOptions, readonly name: string, version: number, manifestSha256: string) {
    this.t = topics(options.prefix);
    this.max = options.maxFailures ?? 0;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.report = { name, version, manifestSha256, rollout: this.rollout, gateways: [], failed: 0, targets: 0, stopped: false, stopReason: null };
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parts = topicParts(this.options.prefix, topic);
    if (!parts || parts[0] !== 'gateways' || payload.length === 0) return;
    let value: unknown;
    try { value = JSON.parse(payload.toString('utf8')); } catch { return; }
    if (parts[2] === 'status') {
      const p = value as Presence;
      if (p.online && Array.isArray(p.fleets) && p.fleets.includes(this.options.fleet)) this.online.set(parts[1], p);
      else this.online.delete(parts[1]);
    } else if (parts[2] === 'results' && parts[3] === this.name && (value as Result).rollout === this.rollout) {
      this.results.set(parts[1], value as Result);
    }
    this.wake?.();
  }

  /** Waits until done() or ms pass, re-checking on every message (and every 100 ms). */
  async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())));
      });
      this.wake = null;
    }
  }

  /** The fleet's online gateways, sorted by id. */
  async discover(): Promise<string[]> {
    const { prefix, expect, fleet, url } = this.options;
    await this.client.subscribeAsync([`${prefix}/gateways/+/status`, `${prefix}/gateways/+/results/${this.name}`], { qos: 1 });
    await this.until(() => expect !== undefined && this.online.size >= expect, expect !== undefined ? this.timeoutMs : this.options.discoverMs ?? 500);
    const targets = [...this.online.keys()].sort();
    if (targets.length === 0) throw new InputError(`no gateway of fleet ${JSON.stringify(fleet)} is online on ${redactUrl(url)} (gateways announce themselves on ${this.t.status('ID')})`);
    if (expect !== undefined && targets.length < expect) throw new InputError(`${targets.length} gateways of fleet ${JSON.stringify(fleet)} online, --expect ${expect}`);
    this.report.targets = targets.length;
    return targets;
  }

  /** Adds the answers of `ids` to the report; with `unanswered`, the others too, as that outcome. */
  collect(ids: string[], phase: 'canary' | 'fleet', unanswered?: 'timeout' | 'pending'): void {
    for (const id of ids) {
      if (this.report.gateways.some((g) => g.gateway === id)) continue;
      const r = this.results.get(id);
      if (!r && !unanswered) continue;
      const ms = Date.now() - (this.started.get(id) ?? Date.now());
      const g: GatewayReport = r
        ? { gateway: id, outcome: (r.result === 'installed' || r.result === 'current' ? r.result : 'refused') as GatewayOutcome, version: r.version, ...(r.reason ? { reason: r.reason } : {}), ...(r.error ? { error: r.error } : {}), ms, phase }
        : { gateway: id, outcome: unanswered!, version: null, error: unanswered === 'pending' ? 'no result yet when the rollout stopped' : `no result within ${this.timeoutMs} ms`, ms, phase };
      this.report.gateways.push(g);
      if (!ok(g.outcome) && g.outcome !== 'pending') this.report.failed++;
      this.options.onReport?.(g);
    }
  }

  private publishOptions = () => ({ qos: 1 as const, properties: { userProperties: { rollout: this.rollout } } });

  /** The canaries alone; false when too many of them failed (the fleet then never gets the bundle). */
  async canaries(ids: string[]): Promise<boolean> {
    for (const id of ids) {
      this.started.set(id, Date.now());
      await this.client.publishAsync(this.t.gatewayBundle(id, this.name), Buffer.from(this.bundle), this.publishOptions());
    }
    await this.until(() => ids.every((id) => this.results.has(id)), this.timeoutMs);
    this.collect(ids, 'canary', 'timeout');
    if (!tooMany(this.report.failed, ids.length, this.max)) return true;
    this.stop(`${this.report.failed} of ${ids.length} canary gateways failed, more than --max-failures ${formatShare(this.max)}; the fleet's bundle was not published`);
    return false;
  }

  /** The retained fleet-wide bundle; withdrawn when too many of all targets fail. */
  async fleet(rest: string[], targets: number): Promise<void> {
    const topic = this.t.fleetBundle(this.options.fleet, this.name);
    const failing = () => tooMany(this.report.failed, targets, this.max);
    for (const id of rest) this.started.set(id, Date.now());
    await this.client.publishAsync(topic, Buffer.from(this.bundle), { ...this.publishOptions(), retain: true });
    await this.until(() => {
      this.collect(rest, 'fleet');
      return rest.every((id) => this.results.has(id)) || failing();
    }, this.timeoutMs);
    this.collect(rest, 'fleet', failing() ? 'pending' : 'timeout');
    if (!failing()) return;
    await this.client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
    this.stop(`${this.report.failed} of ${targets} gateways failed, more than --max-failures ${formatShare(this.max)}; the fleet's retained bundle was withdrawn`);
  }

  private stop(reason: string): void {
    this.report.stopped = true;
    this.report.stopReason = reason;
  }
}

/** Rolls the bundle out to a fleet over MQTT. */
export async function flashFleet(bundle: Uint8Array, options: FleetOptions): Promise<RolloutReport> {
  const { manifest, manifestSha256 } = bundleIdentity(bundle);
  const { connectAsync } = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectAsync(options.url, { protocolVersion: 5, clientId: `edgerun-flash-${randomUUID().slice(0, 8)}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 });
  } catch (e) {
    throw new InputError(`--mqtt ${redactUrl(options.url)}: cannot connect (${(e as Error).message})`);
  }
  try {
    const r = new FleetRollout(client, bundle, options, manifest.name, manifest.version, manifestSha256);
    const targets = await r.discover();
    const canary = targets.slice(0, Math.min(options.canary ?? 0, targets.length));
    if (canary.length === 0 || await r.canaries(canary)) await r.fleet(targets.filter((id) => !canary.includes(id)), targets.length);
    return r.report;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}
