/**
 * The gateway's state directory, crash-safe by construction:
 *
 *   DIR/lock                  pid of the agent using DIR (one agent per directory)
 *   DIR/state.json            the committed state (below); replaced only by atomic rename
 *   DIR/models/NAME/a.bundle  slot A of model NAME: a whole verified bundle
 *   DIR/models/NAME/b.bundle  slot B
 *   DIR/incoming/             uploads in progress (deleted at start)
 *
 * Every file is written as: temporary file, write, fsync, rename over the target, fsync the
 * directory. An install writes the new bundle into the inactive slot, self-tests it, then commits by
 * replacing state.json; until that rename the old state (and its active slot, never written to) is
 * what a restart finds. A slot file that does not match its record (an install killed half-way) is
 * ignored at start.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { canonicalJson } from '../bundle/canonical.js';
import type { BundleManifest } from '../bundle/manifest.js';

export const STATE_FORMAT = 'edgerun.gateway-state/1';
export type Slot = 'a' | 'b';
export const otherSlot = (s: Slot): Slot => (s === 'a' ? 'b' : 'a');

export interface SlotRecord {
  version: number;
  /** sha256 of the bundle's manifest bytes (the module's sha256 is inside the manifest). */
  manifestSha256: string;
  installedAt: string;
}

export interface ModelRecord {
  active: Slot;
  slots: Partial<Record<Slot, SlotRecord>>;
  /** Anti-rollback: only a greater version is installed. */
  highestVersion: number;
  /** The active bundle's manifest: the last trusted manifest. */
  manifest: BundleManifest;
}

export interface GatewayState {
  format: typeof STATE_FORMAT;
  /** Incremented by every commit. */
  generation: number;
  models: Record<string, ModelRecord>;
}

export const emptyState = (): GatewayState => ({ format: STATE_FORMAT, generation: 0, models: {} });

/** fsync a directory, so that a rename or a new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/** Writes bytes to `path` atomically and durably: temporary file, fsync, rename, fsync the
 *  directory. `renamed` runs once the target has been replaced. */
export async function writeDurable(dir: string, name: string, bytes: Uint8Array, renamed?: () => void): Promise<void> {
  const tmp = join(dir, `${name}.tmp-${process.pid}-${++tmpCounter}`);
  try {
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(dir, name));
  } catch (e) {
    await unlink(tmp).catch(() => undefined); // a full disk leaves no partial file behind
    throw e;
  }
  renamed?.();
  await fsyncDir(dir);
}

/** Lock files this process holds. */
const HELD = new Set<string>();

export class StateStore {
  readonly modelsDir: string;
  readonly incomingDir: string;
  private readonly lockPath: string;
  private locked = false;

  constructor(readonly dir: string) {
    this.modelsDir = join(dir, 'models');
    this.incomingDir = join(dir, 'incoming');
    this.lockPath = resolve(dir, 'lock');
  }

  slotPath(name: string, slot: Slot): string {
    return join(this.modelsDir, name, `${slot}.bundle`);
  }

  /** Creates the layout, takes the lock, removes what interrupted installs left. */
  open(): void {
    try {
      for (const d of [this.dir, this.modelsDir, this.incomingDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new InputError(`--state ${this.dir}: cannot create (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.lock();
    for (const f of readdirSync(this.incomingDir)) rmSync(join(this.incomingDir, f), { force: true, recursive: true });
    for (const f of readdirSync(this.dir)) if (f.startsWith('state.json.tmp')) unlinkSync(join(this.dir, f));
    for (const name of readdirSync(this.modelsDir)) {
      for (const f of readdirSync(join(this.modelsDir, name))) if (f.includes('.tmp')) unlinkSync(join(this.modelsDir, name, f));
    }
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.locked = true;
        HELD.add(this.lockPath);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`--state ${this.dir}: cannot lock (${(e as NodeJS.ErrnoException).code})`);
      }
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      // Our own pid in the lock is stale (a container restarts the agent with the same pid),
      // unless this process holds it.
      if (HELD.has(this.lockPath) || (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))) {
        throw new InputError(`--state ${this.dir} is in use by the gateway agent with pid ${HELD.has(this.lockPath) ? process.pid : pid}`);
      }
      unlinkSync(this.lockPath); // left by an agent that died (kill -9, power loss)
    }
    throw new InputError(`--state ${this.dir}: cannot take the lock`);
  }

  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    HELD.delete(this.lockPath);
    try { unlinkSync(this.lockPath); } catch { /* already gone */ }
  }

  /** The committed state; an empty one when none was ever written. A corrupt file is an error:
   *  starting fresh would silently forget the anti-rollback versions. */
  read(): GatewayState {
    const path = join(this.dir, 'state.json');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code})`);
    }
    let wrapped: { state?: GatewayState; sha256?: string };
    try {
      wrapped = JSON.parse(text) as typeof wrapped;
    } catch {
      throw new InputError(`${path} is corrupt (not JSON); move it away to start with no models (anti-rollback history is lost)`);
    }
    const { state, sha256 } = wrapped;
    if (!state || sha256 !== digest(state) || state.format !== STATE_FORMAT) {
      throw new InputError(`${path} is corrupt (checksum or format); move it away to start with no models (anti-rollback history is lost)`);
    }
    return state;
  }

  /** The commit point: replaces state.json atomically and durably. */
  async write(state: GatewayState): Promise<void> {
    const text = `${JSON.stringify({ state, sha256: digest(state) })}\n`;
    await writeDurable(this.dir, 'state.json', new TextEncoder().encode(text));
  }

  /** Makes DIR/models/NAME exist durably. */
  async modelDir(name: string): Promise<string> {
    const dir = join(this.modelsDir, name);
    mkdirSync(dir, { recursive: true });
    await fsyncDir(this.modelsDir);
    return dir;
  }
}

function digest(state: GatewayState): string {
  return createHash('sha256').update(canonicalJson(state)).digest('hex');
}

/** True when the process exists and is not a zombie (a killed agent nobody has reaped yet). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}
