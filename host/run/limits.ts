/**
 * Memory limits: does a prepared model fit a cap, and the linear-memory pages that enforce it.
 *
 * Rule (wasm memory comes in whole 64 KiB pages):
 *   - the check is exact, in bytes: a model fits --memory-limit M when linearMemoryBytes <= M
 *     (and --ram-limit L when ramBytes <= L);
 *   - the memory starts at the need rounded up to whole pages, initial = max(1, ceil(N / 64 KiB));
 *   - the runtime's cap is the limit rounded down to whole pages, maximum = floor(M / 64 KiB), but
 *     never below `initial` (the need's last page is partly used; the model never touches its tail)
 *     and never above wasm32's 65536 pages. So a 48 KiB limit on a 40 KiB model runs in exactly
 *     one page that cannot grow, and a 200 KiB limit lets memory grow to 3 pages, no further.
 */
import { InputError, MemoryLimitError } from '../errors.js';
import type { MemoryLayout } from '../plan/layout.js';
import type { MemoryPages } from './runtimes/runtime.js';

export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

export interface MemoryLimits {
  /** Cap on the whole linear memory (ROM data + RAM), bytes. */
  memoryLimit?: number;
  /** Cap on the writable part alone (RAM), bytes. */
  ramLimit?: number;
}

/** What a model's linear memory must hold (the same figures as MemoryFigures). */
export interface MemoryNeed {
  linearMemoryBytes: number;
  ramBytes: number;
  romDataBytes: number;
}

/** The linear memory an interpreter runs in: the exact need, the limits, the pages. */
export interface LinearMemoryInfo extends MemoryNeed {
  memoryLimit: number | null;
  ramLimit: number | null;
  pages: number;
  maximumPages: number;
}

export function memoryNeed(layout: MemoryLayout): MemoryNeed {
  const romDataBytes = layout.weightsBytes + layout.paramsBytes;
  return { linearMemoryBytes: layout.totalBytes, ramBytes: layout.totalBytes - romDataBytes, romDataBytes };
}

function checkLimitValue(value: number | undefined, what: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 0) throw new InputError(`${what} must be a whole number of bytes >= 0, got ${value}`);
}

/** Throws MemoryLimitError (exit code 3) when the need exceeds a limit; InputError for bad limits. */
export function checkLimits(need: MemoryNeed, limits: MemoryLimits): void {
  checkLimitValue(limits.memoryLimit, 'memoryLimit');
  checkLimitValue(limits.ramLimit, 'ramLimit');
  const { memoryLimit, ramLimit } = limits;
  if (memoryLimit !== undefined && need.linearMemoryBytes > memoryLimit) {
    throw new MemoryLimitError(`needs ${need.linearMemoryBytes} bytes (RAM ${need.ramBytes} + ROM ${need.romDataBytes}), limit is ${memoryLimit}`);
  }
  if (ramLimit !== undefined && need.ramBytes > ramLimit) {
    throw new MemoryLimitError(`needs ${need.ramBytes} bytes of RAM, limit is ${ramLimit}`);
  }
}

/** True when the need fits every given limit. */
export function fitsLimits(need: MemoryNeed, limits: MemoryLimits): boolean {
  try {
    checkLimits(need, limits);
    return true;
  } catch (e) {
    if (e instanceof MemoryLimitError) return false;
    throw e;
  }
}

/** Checks the limits, then the pages to instantiate with (see the rule at the top). */
export function memoryPages(need: MemoryNeed, limits: MemoryLimits): MemoryPages {
  checkLimits(need, limits);
  const initial = Math.max(1, Math.ceil(need.linearMemoryBytes / PAGE_BYTES));
  const capped = limits.memoryLimit === undefined ? initial : Math.floor(limits.memoryLimit / PAGE_BYTES);
  return { initial, maximum: Math.min(MAX_PAGES, Math.max(initial, capped)) };
}
