/**
 * The gateway agent's core, independent of transport (HTTP and MQTT sit on top): recovers a
 * verified version of every model at start, installs bundles into the inactive slot with a
 * self-test before the commit, serves inference from the active slot.
 *
 * Installs of one model are serialized (one at a time, in arrival order); each checks its version
 * against the state committed by the one before, so concurrent flashes of one version resolve to
 * one winner and the others are refused ("exists") or find it installed ("current").
 */
import { rename, unlink } from 'node:fs/promises';
import { decodeBundle, readBundleFile, DEFAULT_MAX_MODULE_BYTES, type BundleParts } from '../bundle/container.js';
import { BundleError, type RefusalReason } from '../bundle/errors.js';
import { engineFeatures, type WasmFeature } from '../bundle/features.js';
import type { PublicKey } from '../bundle/keys.js';
import { type BundleManifest, checkModelName, manifestTime } from '../bundle/manifest.js';
import { checkMemory, selfTest, verifyBundle, type VerifiedBundle } from '../bundle/verify.js';
import { EdgerunError, InputError } from '../errors.js';
import type { CompiledInterpreter } from '../run/compiled.js';
import type { Runtime } from '../run/runtimes/runtime.js';
import { v8Runtime } from '../run/runtimes/v8.js';
import { fsyncDir, type GatewayState, type ModelRecord, otherSlot, type Slot, StateStore, writeDurable } from './store.js';
import { ModelServer, type InferResult } from './serve.js';

export interface GatewayOptions {
  stateDir: string;
  trust: PublicKey[];
  /** Cap on each model's linear memory, bytes. */
  memoryLimit?: number;
  /** WebAssembly features the gateway offers (default: what the runtime supports). */
  features?: WasmFeature[];
  runtime?: Runtime;
  /** Cap on a bundle's module, bytes (default 64 MiB). */
  maxModuleBytes?: number;
  /** Inference timeout, self-tests included (default 10 s): a module that runs longer is stopped. */
  timeoutMs?: number;
  /** Clock for expiry checks (tests). */
  now?: () => Date;
  onEvent?: (event: GatewayEvent) => void;
}

export type GatewayEvent =
  | { event: 'recovered'; name: string; version: number; slot: Slot; fallback: boolean }
  | { event: 'unavailable'; name: string; error: string }
  | { event: 'install'; phase: 'received' | 'verified' | 'written' | 'self-tested' | 'committed'; name: string; version?: number; slot?: Slot; ms?: number }
  | { event: 'refused'; name: string; version?: number; reason: RefusalReason; error: string };

export type InstallResult =
  | { result: 'installed'; name: string; version: number; previousVersion: number | null; slot: Slot; manifestSha256: string; ms: number; selfTestMs: number }
  | { result: 'current'; name: string; version: number; slot: Slot; manifestSha256: string; ms: number }
  | { result: 'refused'; name: string; version: number | null; manifestSha256: string | null; reason: RefusalReason; error: string; ms: number };

/** A bundle to install: bytes in memory (MQTT) or a complete, fsynced file the agent may move (HTTP). */
export type BundleSource = { bytes: Uint8Array } | { path: string };

export class GatewayAgent {
  readonly store: StateStore;
  readonly features: WasmFeature[];
  readonly runtime: Runtime;
  readonly maxModuleBytes: number;
  private state: GatewayState;
  private readonly serving = new Map<string, ModelServer>();
  private readonly unavailable = new Map<string, string>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private commits: Promise<unknown> = Promise.resolve();
  readonly counters = { installed: 0, current: 0, refused: 0, inferences: 0 };
  readonly startedAt = Date.now();

  private constructor(readonly options: GatewayOptions) {
    this.store = new StateStore(options.stateDir);
    const offered = engineFeatures();
    this.features = options.features ?? offered;
    this.runtime = options.runtime ?? v8Runtime;
    this.maxModuleBytes = options.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES;
    this.state = { format: 'edgerun.gateway-state/1', generation: 0, models: {} };
    if (options.trust.length === 0) throw new InputError('a gateway needs at least one trusted key (--trust)');
  }

  /** Takes the state directory, recovers every model (verify + self-test), ready to serve. */
  static open(options: GatewayOptions): GatewayAgent {
    const agent = new GatewayAgent(options);
    agent.store.open();
    try {
      agent.state = agent.store.read();
      for (const [name, record] of Object.entries(agent.state.models)) agent.recover(name, record);
    } catch (e) {
      agent.store.unlock();
      throw e;
    }
    return agent;
  }

  close(): void {
    this.store.unlock();
  }

  private emit(event: GatewayEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch { /* a listener's failure must not fail an install */ }
  }

  /** Serves the active slot if it verifies and passes its self-test, else the other recorded one. */
  private recover(name: string, record: ModelRecord): void {
    const errors: string[] = [];
    for (const slot of [record.active, otherSlot(record.active)]) {
      const rec = record.slots[slot];
      if (!rec) continue;
      try {
        const parts = readBundleFile(this.store.slotPath(name, slot), this.maxModuleBytes);
        const verified = verifyBundle(parts, { trust: this.options.trust, name, now: null });
        if (verified.manifestSha256 !== rec.manifestSha256) throw new BundleError('hash', `slot ${slot} holds another bundle than the state records (an install was interrupted)`);
        this.serve(name, slot, verified);
        this.emit({ event: 'recovered', name, version: rec.version, slot, fallback: slot !== record.active });
        return;
      } catch (e) {
        errors.push(`slot ${slot}: ${(e as Error).message}`);
      }
    }
    const error = errors.join('; ') || 'no slot recorded';
    this.unavailable.set(name, error);
    this.emit({ event: 'unavailable', name, error });
  }

  private serve(name: string, slot: Slot, verified: VerifiedBundle): ModelServer {
    const test = this.selfTest(verified);
    const server = new ModelServer(name, slot, verified, test.interpreter);
    this.serving.set(name, server);
    this.unavailable.delete(name);
    return server;
  }

  private selfTest(verified: VerifiedBundle): { interpreter: CompiledInterpreter; ms: number } {
    return selfTest(verified.manifest, verified.module, {
      memoryLimit: this.options.memoryLimit, runtime: this.runtime, timeoutMs: this.options.timeoutMs ?? 10_000,
    });
  }

  /** Installs a bundle as model `name`, one install per model at a time. Never throws for a bad
   *  bundle: the refusal is the result. The source file, if any, is consumed (moved or deleted). */
  install(name: string, source: BundleSource): Promise<InstallResult> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const run = previous.then(() => this.installNow(name, source));
    const tail = run.catch(() => undefined);
    this.queues.set(name, tail);
    void tail.then(() => { if (this.queues.get(name) === tail) this.queues.delete(name); });
    return run;
  }

  private async installNow(name: string, source: BundleSource): Promise<InstallResult> {
    const t0 = performance.now();
    let manifest: BundleManifest | undefined;
    let manifestSha256: string | null = null;
    let overwritten: Slot | null = null;
    try {
      checkModelName(name);
      const parts: BundleParts = 'bytes' in source ? decodeBundle(source.bytes, this.maxModuleBytes) : readBundleFile(source.path, this.maxModuleBytes);
      const verified = verifyBundle(parts, { trust: this.options.trust, name, now: this.options.now?.() ?? new Date() });
      manifest = verified.manifest;
      manifestSha256 = verified.manifestSha256;
      this.emit({ event: 'install', phase: 'verified', name, version: manifest.version });
      const record = this.state.models[name];
      const active = record?.slots[record.active];
      if (record && active?.manifestSha256 === verified.manifestSha256) {
        await discard(source);
        this.counters.current++;
        return { result: 'current', name, version: manifest.version, slot: record.active, manifestSha256, ms: performance.now() - t0 };
      }
      this.checkPolicy(verified, record);
      const slot: Slot = record ? otherSlot(record.active) : 'a';
      await this.writeSlot(name, slot, source, () => { overwritten = slot; });
      this.emit({ event: 'install', phase: 'written', name, version: manifest.version, slot });
      const test = this.selfTest(verified);
      this.emit({ event: 'install', phase: 'self-tested', name, version: manifest.version, slot, ms: test.ms });
      const installedAt = manifestTime(new Date());
      const committed = manifest;
      const sha = manifestSha256;
      await this.commit((next) => {
        next.models[name] = {
          active: slot,
          slots: { ...(next.models[name]?.slots ?? {}), [slot]: { version: committed.version, manifestSha256: sha, installedAt } },
          highestVersion: committed.version,
          manifest: committed,
        };
      });
      this.serving.set(name, new ModelServer(name, slot, verified, test.interpreter));
      this.unavailable.delete(name);
      this.counters.installed++;
      const ms = performance.now() - t0;
      this.emit({ event: 'install', phase: 'committed', name, version: manifest.version, slot, ms });
      return { result: 'installed', name, version: manifest.version, previousVersion: active?.version ?? null, slot, manifestSha256, ms, selfTestMs: test.ms };
    } catch (caught) {
      await discard(source);
      // Once replaced, the inactive slot no longer holds the version its record names (a restart
      // would find the mismatch too): forget it, so /models stops offering it as the previous version.
      const record = this.state.models[name];
      if (overwritten && record) delete record.slots[overwritten];
      const code = (caught as NodeJS.ErrnoException).code;
      // a disk that is full or failing: the install is refused, nothing committed
      const e = typeof code === 'string' && !(caught instanceof EdgerunError) ? new BundleError('io', `${name}: ${(caught as Error).message.split('\n')[0]}`) : caught;
      if (!(e instanceof EdgerunError)) throw e;
      const reason: RefusalReason = e instanceof BundleError ? e.reason : 'format';
      this.counters.refused++;
      this.emit({ event: 'refused', name, version: manifest?.version, reason, error: e.message });
      return { result: 'refused', name, version: manifest?.version ?? null, manifestSha256, reason, error: e.message, ms: performance.now() - t0 };
    }
  }

  /** Commits a change to the state: one commit at a time (installs of different models run
   *  concurrently), each on the state the previous one left. */
  private commit(change: (next: GatewayState) => void): Promise<void> {
    const run = this.commits.then(async () => {
      const next: GatewayState = structuredClone(this.state);
      next.generation++;
      change(next);
      await this.store.write(next);
      this.state = next;
    });
    this.commits = run.catch(() => undefined);
    return run;
  }

  /** Counts and reports a bundle refused before it reached install() (a truncated or oversized upload). */
  refused(name: string, e: BundleError): void {
    this.counters.refused++;
    this.emit({ event: 'refused', name, reason: e.reason, error: e.message });
  }

  /** Anti-rollback, features and memory: refusals before anything is written. */
  private checkPolicy(verified: VerifiedBundle, record: ModelRecord | undefined): void {
    const m = verified.manifest;
    if (record && m.version < record.highestVersion) {
      throw new BundleError('downgrade', `${m.name} v${m.version} is older than the installed v${record.highestVersion} (anti-rollback)`);
    }
    if (record && m.version === record.highestVersion) {
      throw new BundleError('exists', `${m.name} v${m.version} is installed from another bundle; publish a greater version`);
    }
    const missing = m.module.features.filter((f) => !this.features.includes(f));
    if (missing.length > 0) throw new BundleError('features', `module needs WebAssembly ${missing.join(', ')}, which this gateway lacks (it has: ${this.features.join(', ') || 'MVP only'})`);
    checkMemory(m, this.options.memoryLimit);
  }

  /** Replaces the slot's bundle; `replaced` runs once the slot's old file is gone (a failure before
   *  that leaves the slot, and the version its record names, as they were). */
  private async writeSlot(name: string, slot: Slot, source: BundleSource, replaced: () => void): Promise<void> {
    const dir = await this.store.modelDir(name);
    if ('bytes' in source) return writeDurable(dir, `${slot}.bundle`, source.bytes, replaced);
    await rename(source.path, this.store.slotPath(name, slot)); // the upload was fsynced; same filesystem
    replaced();
    await fsyncDirs(dir, this.store.incomingDir);
  }

  /** Runs the active version of a model. */
  infer(name: string, inputs: Uint8Array[]): InferResult {
    const server = this.serving.get(name);
    if (!server) {
      const why = this.unavailable.get(name);
      throw new InputError(why ? `model ${JSON.stringify(name)} is unavailable: ${why}` : `no model ${JSON.stringify(name)} is installed`);
    }
    this.counters.inferences++;
    return server.infer(inputs);
  }

  model(name: string): ModelServer | undefined {
    return this.serving.get(name);
  }

  /** Every model the state knows: what is served, from which slot, and the previous version. */
  models(): ModelStatus[] {
    const now = this.options.now?.() ?? new Date();
    return Object.entries(this.state.models).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, record]) => {
      const server = this.serving.get(name);
      const previous = record.slots[otherSlot(record.active)];
      const base = { name, highestVersion: record.highestVersion, previousVersion: previous?.version ?? null };
      if (!server) return { ...base, available: false, error: this.unavailable.get(name) ?? 'not loaded' };
      return { ...base, available: true, ...server.status(now) };
    });
  }

  get generation(): number {
    return this.state.generation;
  }
}

export type ModelStatus = { name: string; highestVersion: number; previousVersion: number | null } & (
  { available: false; error: string } | ({ available: true } & ReturnType<ModelServer['status']>));

async function discard(source: BundleSource): Promise<void> {
  if ('path' in source) await unlink(source.path).catch(() => undefined);
}

async function fsyncDirs(...dirs: string[]): Promise<void> {
  for (const d of dirs) await fsyncDir(d);
}
