/** The WebAssembly runtimes by name: `getRuntime('v8' | 'wasmtime')`. */
import { InputError } from '../../errors.js';
import type { Runtime } from './runtime.js';
import { v8Runtime } from './v8.js';
import { wasmtimeAvailability, wasmtimeRuntime } from './wasmtime.js';

export interface RuntimeInfo {
  name: string;
  available: boolean;
  /** Why the runtime cannot run here (one line), when it cannot. */
  reason?: string;
  /** The native library behind it, for runtimes that load one. */
  library?: string;
}

const RUNTIMES: Record<string, { runtime: Runtime; availability: () => { available: boolean; reason?: string; library?: string } }> = {
  v8: { runtime: v8Runtime, availability: () => ({ available: true }) },
  wasmtime: { runtime: wasmtimeRuntime, availability: wasmtimeAvailability },
};

export const RUNTIME_NAMES = Object.keys(RUNTIMES);

/** Every runtime, whether it can run here and why not. */
export function listRuntimes(): RuntimeInfo[] {
  return RUNTIME_NAMES.map((name) => ({ name, ...RUNTIMES[name].availability() }));
}

/** The runtime called `name`; InputError naming the runtimes there are, or why this one cannot run here. */
export function getRuntime(name: string): Runtime {
  const entry = Object.hasOwn(RUNTIMES, name) ? RUNTIMES[name] : undefined;
  if (!entry) throw new InputError(`unknown runtime ${JSON.stringify(name)} (runtimes: ${RUNTIME_NAMES.join(', ')})`);
  const a = entry.availability();
  if (!a.available) throw new InputError(`runtime ${name} is unavailable: ${a.reason}`);
  return entry.runtime;
}
