/**
 * The watchdog behind wasmtime timeouts: a worker thread that bumps the engine's epoch when an armed
 * deadline passes, so the wasm code running on the main thread traps (epoch interruption).
 *
 * Protocol over one SharedArrayBuffer (BigInt64 slots, all accesses atomic; times are
 * process.hrtime nanoseconds, one monotonic clock for both threads):
 *   STATE: even = idle; odd = armed (a new odd value per arm); FIRING while the worker bumps the
 *     epoch, FIRED once it has.
 *   DEADLINE: when the armed run is stopped.
 *   WAKE: when the worker wakes up by itself (MAX_WAKE: only when notified).
 *   READY: 0 while the worker starts, 1 once it can bump the epoch, -1 if it could not start.
 * The worker bumps only after compare-exchanging STATE from the armed value to FIRING, and disarm
 * compare-exchanges it to idle; if that fails the worker has claimed the deadline, and disarm waits
 * until the bump is done (FIRED) before going idle. So a bump never lands in a later run than the
 * one it was armed for. arm() notifies only when the worker would wake too late for the new
 * deadline, and disarm() never needs to: back-to-back timed runs cost no thread wake-ups.
 */
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const STATE = 0;
const DEADLINE = 1;
const WAKE = 2;
const READY = 3;
/** How long the first arm() waits for the worker to start (it loads koffi and libwasmtime). */
const START_MS = 10_000;
const FIRING = -1n;
const FIRED = -2n;
const MAX_WAKE = (1n << 63n) - 1n;

interface WatchdogData {
  edgerunWatchdog: true;
  lib: string;
  engine: bigint;
  shared: SharedArrayBuffer;
}

export class Watchdog {
  private readonly slots: BigInt64Array;
  private readonly worker: Worker;
  private armed = 0n;

  constructor(lib: string, engine: bigint) {
    const shared = new SharedArrayBuffer(4 * 8);
    this.slots = new BigInt64Array(shared);
    this.slots[WAKE] = MAX_WAKE;
    const data: WatchdogData = { edgerunWatchdog: true, lib, engine, shared };
    this.worker = new Worker(new URL(import.meta.url), { workerData: data });
    this.worker.unref();
  }

  /** Starts the clock: after `ms` the engine's epoch is bumped (the armed store must have a deadline of 1 tick). */
  arm(ms: number): void {
    if (Atomics.load(this.slots, READY) !== 1n) this.awaitStart();
    const deadline = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
    Atomics.store(this.slots, DEADLINE, deadline);
    this.armed = Atomics.load(this.slots, STATE) + 1n; // idle values are even: the next odd value
    Atomics.store(this.slots, STATE, this.armed);
    if (deadline < Atomics.load(this.slots, WAKE)) Atomics.notify(this.slots, STATE);
  }

  /** Blocks until the worker runs, so that a deadline counts from the start of the timed run. */
  private awaitStart(): void {
    Atomics.wait(this.slots, READY, 0n, START_MS);
    const ready = Atomics.load(this.slots, READY);
    if (ready !== 1n) throw new Error(`the wasmtime watchdog thread ${ready === 0n ? `did not start within ${START_MS} ms` : 'failed to start'}`);
  }

  /** Stops the clock; true when the deadline fired (the epoch was bumped) before it was stopped. */
  disarm(): boolean {
    const idle = this.armed + 1n;
    if (Atomics.compareExchange(this.slots, STATE, this.armed, idle) === this.armed) return false;
    while (Atomics.load(this.slots, STATE) === FIRING) Atomics.wait(this.slots, STATE, FIRING, 1); // one native call away
    Atomics.store(this.slots, STATE, idle);
    return true;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

function runWorker(data: WatchdogData): never {
  const slots = new BigInt64Array(data.shared);
  let increment: (engine: bigint) => void;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    increment = koffi.load(data.lib).func('void wasmtime_engine_increment_epoch(void *engine)');
  } catch (e) {
    Atomics.store(slots, READY, -1n);
    Atomics.notify(slots, READY);
    throw e;
  }
  Atomics.store(slots, READY, 1n);
  Atomics.notify(slots, READY);
  const sleep = (state: bigint, until: bigint) => {
    Atomics.store(slots, WAKE, until);
    const ms = until === MAX_WAKE ? Infinity : Math.max(0, Number(until - process.hrtime.bigint()) / 1e6);
    Atomics.wait(slots, STATE, state, ms);
  };
  for (;;) {
    const state = Atomics.load(slots, STATE);
    if (state === FIRED || state % 2n === 0n) {
      sleep(state, MAX_WAKE);
      continue;
    }
    const deadline = Atomics.load(slots, DEADLINE);
    if (deadline > process.hrtime.bigint()) {
      sleep(state, deadline);
      continue;
    }
    if (Atomics.compareExchange(slots, STATE, state, FIRING) !== state) continue;
    increment(data.engine);
    Atomics.store(slots, STATE, FIRED); // disarm() moves it to idle
  }
}

if (!isMainThread && (workerData as Partial<WatchdogData> | null)?.edgerunWatchdog) runWorker(workerData as WatchdogData);
