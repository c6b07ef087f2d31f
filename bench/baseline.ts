/**
 * The committed baseline (bench/results/baseline.json): per model, edgerun's median and the peers'
 * medians of a reference run. A run prints each edgerun median's change against it; the peers'
 * changes show how much of that is the machine. `--update-baseline` rewrites it (models not in
 * the run keep their entries).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isTimed, type Machine, type SuiteResult } from './result.js';

export interface BaselineEntry {
  edgerunMs: number;
  peers: Record<string, number>;
  date: string;
}

export interface Baseline {
  comment: string;
  machine: Machine;
  models: Record<string, BaselineEntry>;
}

const COMMENT = 'Reference medians (ms) for `npm run bench` deltas; rewrite with `npm run bench -- --update-baseline`.';

/** The baseline, or null when there is none; a malformed file is reported through `warn` and ignored. */
export function readBaseline(path: string, warn: (message: string) => void): Baseline | null {
  if (!existsSync(path)) return null;
  try {
    const b = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
    if (typeof b?.models !== 'object' || b.models === null) throw new Error('no "models" object');
    return b;
  } catch (e) {
    warn(`${path}: ignored (${(e as Error).message})`);
    return null;
  }
}

function delta(now: number, then: number | undefined): number | null {
  return typeof then === 'number' && then > 0 ? ((now - then) / then) * 100 : null;
}

/** Fills in baselineDeltaPct on every timed edgerun and peer row. */
export function applyBaseline(r: SuiteResult, b: Baseline | null): void {
  for (const m of r.models) {
    const entry = b?.models[m.name];
    if (m.edgerun) m.edgerun.baselineDeltaPct = delta(m.edgerun.medianMs, entry?.edgerunMs);
    for (const p of m.peers) if (isTimed(p)) p.baselineDeltaPct = delta(p.medianMs, entry?.peers?.[p.name]);
  }
}

export function updatedBaseline(r: SuiteResult, old: Baseline | null): Baseline {
  const models: Record<string, BaselineEntry> = { ...(old?.models ?? {}) };
  for (const m of r.models) {
    if (!m.edgerun || m.error) continue;
    const peers: Record<string, number> = {};
    for (const p of m.peers) if (isTimed(p)) peers[p.name] = p.medianMs;
    models[m.name] = { edgerunMs: m.edgerun.medianMs, peers, date: r.machine.date };
  }
  return { comment: COMMENT, machine: r.machine, models };
}
