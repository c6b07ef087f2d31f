/** The result object of one suite run: written to bench/results/latest.json, printed by --json. */
import type { Ceiling } from './ceiling.js';
import type { OutputDiff } from './engines.js';

export interface Timing {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  /** Timed inferences: rounds x this engine's block size. */
  samples: number;
}

export interface EdgerunRow extends Timing {
  gmacPerS: number;
  /** gmacPerS / ceiling.gmacPerS. */
  ceilingFraction: number;
  /** Outputs equal the TFLite reference byte for byte; null when the model lists no expected output. */
  bitExact: boolean | null;
  /** Output differences against the reference (null without one). */
  diff: OutputDiff | null;
  ramBytes: number;
  romBytes: number;
  /** (median - baseline median) / baseline median * 100; null without a baseline entry. */
  baselineDeltaPct: number | null;
}

export type PeerRow =
  | ({ name: string; version: string; wasmBytes: number; diff: OutputDiff | null; baselineDeltaPct: number | null } & Timing)
  | { name: string; skipped: string };

export interface ModelRow {
  name: string;
  list: string;
  architecture: string | null;
  macs: number;
  rounds: number;
  edgerun: EdgerunRow | null;
  peers: PeerRow[];
  /** The peer with the lowest median, and edgerun median / that median; null without peers. */
  fasterPeer: string | null;
  ratio: number | null;
  /**
   * The median over rounds of edgerun's block median / the faster peer's block median in the same
   * round: blocks timed seconds apart share the machine's state, so a slow spell of a shared
   * machine moves this less than `ratio`. null without peers.
   */
  pairedRatio: number | null;
  /** Why the model failed in edgerun (load, run, or timing error); null when it ran. */
  error: string | null;
  warnings: string[];
}

export interface Machine {
  node: string;
  v8: string;
  os: string;
  cpu: string;
  cores: number;
  date: string;
  /** The edgerun source measured: git commit, marked when assembly/ or host/ had uncommitted changes. */
  source: string;
}

export interface SuiteResult {
  machine: Machine;
  settings: { rounds: number; iterations: number | 'auto'; blockMs: number; warmupMs: number; peers: boolean };
  ceiling: Ceiling;
  wasm: { edgerun: number; peers: Record<string, number> };
  models: ModelRow[];
  /** Target of issue 3: edgerun / faster peer at most this on every network. */
  targetRatio: number;
  wallSeconds: number;
}

export function isTimed(p: PeerRow): p is Exclude<PeerRow, { skipped: string }> {
  return !('skipped' in p);
}
