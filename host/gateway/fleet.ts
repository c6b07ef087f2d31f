/**
 * A rollout to a fleet over MQTT: discover the fleet's online gateways (retained status), send the
 * bundle to the canaries alone, then retained to the fleet's topic; collect the results that carry
 * this rollout's id; stop past --max-failures, putting back the fleet's previous retained bundle.
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
  /** The least time retained statuses are collected (ms, default 300); then discovery ends once every
   *  gateway with an online status answered the rollout's ping, or at 3 s. */
  discoverMs?: number;
}

interface Presence { id: string; fleets: string[]; online: boolean; ping?: string }
interface Result { result: string; version: number | null; reason?: string; error?: string; rollout: string | null }

class FleetRollout {
  readonly rollout = randomUUID();
  /** Gateways of the fleet whose retained status says online. */
  readonly online = new Map<string, Presence>();
  /** Of those, the ones that answered this rollout's ping: the targets. */
  readonly answered = new Set<string>();
  readonly results = new Map<string, Result>();
  readonly started = new Map<string, number>();
  readonly report: RolloutReport;
  readonly t: ReturnType<typeof topics>;
  readonly max: number;
  readonly timeoutMs: number;
  private wake: (() => void) | null = null;

  /** Set when the broker connection closes: every wait then ends with it. */
  lost: BrokerLost | null = null;
  /** The fleet's retained bundle before this rollout (restored, not cleared, if the rollout stops). */
  previous: Buffer | null = null;
  /** Rejecters of the publishes and subscribes in flight (guarded). */
  private readonly waiting = new Set<(e: Error) => void>();

  constructor(readonly client: MqttClient, readonly bundle: Uint8Array, readonly options: FleetOptions, readonly name: string, readonly version: number, manifestSha256: string) {
    this.t = topics(options.prefix);
    this.max = options.maxFailures ?? 0;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.report = { name, version, manifestSha256, rollout: this.rollout, gateways: [], failed: 0, targets: 0, stopped: false, stopReason: null };
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.once('close', () => {
      this.lost = new BrokerLost();
      for (const reject of this.waiting) reject(this.lost);
      this.wake?.();
    });
  }

  /** A publish or subscribe, ended by a lost connection or after the rollout's timeout (a hung broker never acknowledges). */
  async guarded<T>(operation: Promise<T>, what: string): Promise<T> {
    if (this.lost) throw this.lost;
    let timer: NodeJS.Timeout | undefined;
    let rejectWait: (e: Error) => void = () => undefined;
    const bounded = new Promise<never>((_, reject) => {
      rejectWait = reject;
      this.waiting.add(reject);
      timer = setTimeout(() => reject(new BrokerLost(`no acknowledgement of ${what} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([operation, bounded]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(rejectWait);
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === this.t.fleetBundle(this.options.fleet, this.name)) {
      if (this.started.size === 0) this.previous = payload.length > 0 ? payload : null;
      return;
    }
    const parts = topicParts(this.options.prefix, topic);
    if (!parts || parts[0] !== 'gateways' || payload.length === 0) return;
    let value: unknown;
    try { value = JSON.parse(payload.toString('utf8')); } catch { return; }
    if (parts[2] === 'status') {
      const p = value as Presence;
      if (p.online && Array.isArray(p.fleets) && p.fleets.includes(this.options.fleet)) {
        this.online.set(parts[1], p);
        if (p.ping === this.rollout) this.answered.add(parts[1]);
      } else {
        this.online.delete(parts[1]);
        this.answered.delete(parts[1]);
      }
    } else if (parts[2] === 'results' && parts[3] === this.name && (value as Result).rollout === this.rollout) {
      this.results.set(parts[1], value as Result);
    }
    this.wake?.();
  }

  /** Waits until done() or ms pass, re-checking on every message (and every 100 ms). */
  async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      if (this.lost) throw this.lost;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())));
      });
      this.wake = null;
    }
  }

  /**
   * The fleet's gateways that answer this rollout's ping, sorted by id. A retained online status
   * alone is not enough: a gateway that vanished while the broker was down keeps one (its last
   * will was never published); such gateways get a pending line and are not targets.
   */
  async discover(): Promise<string[]> {
    const { prefix, expect, fleet, url } = this.options;
    const fleetTopic = this.t.fleetBundle(fleet, this.name);
    await this.guarded(this.client.subscribeAsync([`${prefix}/gateways/+/status`, `${prefix}/gateways/+/results/${this.name}`, fleetTopic], { qos: 1 }), 'the subscriptions');
    await this.guarded(this.client.publishAsync(this.t.ping(fleet), JSON.stringify({ rollout: this.rollout }), { qos: 1 }), 'the ping');
    const t0 = Date.now();
    const settle = this.options.discoverMs ?? 300; // retained statuses arrive right after subscribing
    const allAnswered = () => Date.now() - t0 >= settle && this.online.size > 0 && [...this.online.keys()].every((id) => this.answered.has(id));
    await this.until(() => (expect !== undefined ? this.answered.size >= expect : allAnswered()), expect !== undefined ? this.timeoutMs : Math.max(settle, 3000));
    for (const id of [...this.online.keys()].filter((g) => !this.answered.has(g)).sort()) {
      const g: GatewayReport = { gateway: id, outcome: 'pending', version: null, error: 'its retained status says online, but it did not answer the rollout\'s ping: not a target', ms: 0, phase: 'fleet' };
      this.report.gateways.push(g);
      this.options.onReport?.(g);
    }
    // The fleet's retained bundle stays unless this one is newer: late joiners install what is retained.
    const current = this.previous ? retainedVersion(this.previous) : null;
    if (current && current.name === this.name && current.version >= this.version && current.sha !== this.report.manifestSha256) {
      throw new InputError(`fleet ${JSON.stringify(fleet)} retains ${this.name} v${current.version} on ${fleetTopic}; publish a version greater than ${current.version}`);
    }
    const targets = [...this.answered].sort();
    if (targets.length === 0) throw new InputError(`no gateway of fleet ${JSON.stringify(fleet)} is online on ${redactUrl(url)} (gateways announce themselves on ${this.t.status('ID')}${this.online.size > 0 ? `; ${this.online.size} retained online status(es) did not answer the rollout's ping` : ''})`);
    if (expect !== undefined && targets.length < expect) throw new InputError(`${targets.length} gateways of fleet ${JSON.stringify(fleet)} online, --expect ${expect}`);
    this.report.targets = targets.length;
    return targets;
  }

  /** Adds the answers of `ids` to the report; with `unanswered`, the others too, as that outcome. */
  collect(ids: string[], phase: 'canary' | 'fleet', unanswered?: 'timeout' | 'pending', why = 'no result yet when the rollout stopped'): void {
    for (const id of ids) {
      if (this.report.gateways.some((g) => g.gateway === id)) continue;
      const r = this.results.get(id);
      if (!r && !unanswered) continue;
      const ms = Date.now() - (this.started.get(id) ?? Date.now());
      const g: GatewayReport = r
        ? { gateway: id, outcome: (r.result === 'installed' || r.result === 'current' ? r.result : 'refused') as GatewayOutcome, version: r.version, ...(r.reason ? { reason: r.reason } : {}), ...(r.error ? { error: r.error } : {}), ms, phase }
        : { gateway: id, outcome: unanswered!, version: null, error: unanswered === 'pending' ? why : `no result within ${this.timeoutMs} ms`, ms, phase };
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
      await this.guarded(this.client.publishAsync(this.t.gatewayBundle(id, this.name), Buffer.from(this.bundle), this.publishOptions()), `the bundle to ${id}`);
    }
    await this.until(() => ids.every((id) => this.results.has(id)), this.timeoutMs);
    this.collect(ids, 'canary', 'timeout');
    if (!tooMany(this.report.failed, ids.length, this.max)) return true;
    this.stop(`${this.report.failed} of ${ids.length} canary gateways failed, more than --max-failures ${formatShare(this.max)}; the fleet's bundle was not published`);
    return false;
  }

  /** The retained fleet-wide bundle; replaced by the previous one (or cleared) when too many of all targets fail. */
  async fleet(rest: string[], targets: number): Promise<void> {
    const topic = this.t.fleetBundle(this.options.fleet, this.name);
    const failing = () => tooMany(this.report.failed, targets, this.max);
    for (const id of rest) this.started.set(id, Date.now());
    await this.guarded(this.client.publishAsync(topic, Buffer.from(this.bundle), { ...this.publishOptions(), retain: true }), 'the fleet\'s bundle');
    await this.until(() => {
      this.collect(rest, 'fleet');
      return rest.every((id) => this.results.has(id)) || failing();
    }, this.timeoutMs);
    this.collect(rest, 'fleet', failing() ? 'pending' : 'timeout');
    if (!failing()) return;
    await this.guarded(this.client.publishAsync(topic, this.previous ?? Buffer.alloc(0), { qos: 1, retain: true }), 'putting back the fleet\'s previous bundle');
    this.stop(`${this.report.failed} of ${targets} gateways failed, more than --max-failures ${formatShare(this.max)}; ` +
      (this.previous ? 'the fleet\'s previous retained bundle was restored' : 'the fleet\'s retained bundle was withdrawn'));
  }

  stop(reason: string): void {
    this.report.stopped = true;
    this.report.stopReason = reason;
  }
}

/** The broker connection closed, or the broker stopped acknowledging. */
class BrokerLost extends Error {
  constructor(message = 'the broker closed the connection') {
    super(message);
  }
}

/** Name, version and manifest hash of a retained bundle; null when it is not one. */
function retainedVersion(bytes: Buffer): { name: string; version: number; sha: string } | null {
  try {
    const { manifest, manifestSha256 } = bundleIdentity(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    return { name: manifest.name, version: manifest.version, sha: manifestSha256 };
  } catch {
    return null;
  }
}

/** Rolls the bundle out to a fleet over MQTT. */
export async function flashFleet(bundle: Uint8Array, options: FleetOptions): Promise<RolloutReport> {
  const { manifest, manifestSha256 } = bundleIdentity(bundle);
  const { connectAsync } = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectAsync(options.url, {
      protocolVersion: 5, clientId: `edgerun-flash-${randomUUID().slice(0, 8)}`, clean: true, reconnectPeriod: 0,
      connectTimeout: Math.min(10_000, options.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new InputError(`--mqtt ${redactUrl(options.url)}: cannot connect (${(e as Error).message})`);
  }
  try {
    const r = new FleetRollout(client, bundle, options, manifest.name, manifest.version, manifestSha256);
    let targets: string[];
    try {
      targets = await r.discover();
    } catch (e) {
      if (e instanceof BrokerLost) throw new InputError(`--mqtt ${redactUrl(options.url)}: ${e.message} while finding the fleet's gateways`);
      throw e;
    }
    const canary = targets.slice(0, Math.min(options.canary ?? 0, targets.length));
    const rest = targets.filter((id) => !canary.includes(id));
    try {
      if (canary.length === 0 || await r.canaries(canary)) await r.fleet(rest, targets.length);
      else r.collect(rest, 'fleet', 'pending', 'not sent: the canaries failed');
    } catch (e) {
      if (!(e instanceof BrokerLost)) throw e;
      r.collect(targets, r.started.size > canary.length ? 'fleet' : 'canary', 'pending', `no result: ${e.message}`);
      r.stop(`${e.message}; the rollout stopped (the fleet's retained bundle, if published, stays)`);
    }
    return r.report;
  } finally {
    // Every publish was acknowledged (or the rollout stopped): nothing to flush, and a hung broker
    // would hold a graceful end forever.
    client.end(true);
    client.stream?.destroy();
  }
}
