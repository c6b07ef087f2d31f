/**
 * `npm run bench`: the benchmark suite of issue 3 (see --help, bench/args.ts). For each model:
 * edgerun (V8, SIMD128 kernels) checked byte for byte against the TFLite reference output, then
 * timed interleaved with each available peer (LiteRT.js, tfjs-tflite) on the same bytes and
 * inputs. Writes bench/results/latest.{json,md,svg}; compares with bench/results/baseline.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { isEdgerunError } from '../host/index.js';
import { DEFAULTS, HELP, parseArgs, UsageError, type SuiteArgs } from './args.js';
import { applyBaseline, readBaseline, updatedBaseline } from './baseline.js';
import { measureCeiling } from './ceiling.js';
import { diffOutputs, edgerunEngine, peerEngine, type EdgerunEngine, type Engine, type OutputDiff, type PeerEngine } from './engines.js';
import { loadModels, type BenchModel } from './models.js';
import { median } from './stats.js';
import { PEERS, type Peer } from './peers/index.js';
import { BASELINE, EDGERUN_WASM, RESULTS_DIR, ROOT, shown } from './paths.js';
import { failures, markdown, text } from './report.js';
import { isTimed, type Machine, type ModelRow, type PeerRow, type SuiteResult } from './result.js';
import { chart } from './svg.js';
import { timeInterleaved, type TimingResult } from './timing.js';

const TARGET_RATIO = 0.8;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** git commit of the tree, marked when assembly/, host/ or scripts/ differ from it. Never writes the index. */
function sourceVersion(): string {
  const git = (...args: string[]): string => execFileSync('git', args, {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
  }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('diff', '--name-only', 'HEAD', '--', 'assembly', 'host', 'scripts') !== '';
    return `${commit}${changed ? ' + uncommitted changes in assembly/, host/ or scripts/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version, v8: process.versions.v8, os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, date: new Date().toISOString(), source: sourceVersion(),
  };
}

interface PeerState { peer: Peer; reason: string | null }

async function peerStates(enabled: boolean): Promise<PeerState[]> {
  if (!enabled) return [];
  const states: PeerState[] = [];
  for (const peer of PEERS) {
    const reason = await peer.available().catch((e: unknown) => `failed to load: ${errorText(e)}`);
    progress(`${peer.name}: ${reason === null ? 'available' : `SKIPPED: ${reason}`}`);
    states.push({ peer, reason });
  }
  return states;
}

/** Opens each available peer on the model and counts its output bytes that differ from the reference. */
async function openPeers(m: BenchModel, peers: PeerState[], rows: PeerRow[], wasm: Record<string, number>): Promise<PeerEngine[]> {
  const engines: PeerEngine[] = [];
  for (const { peer, reason } of peers) {
    if (reason !== null) {
      rows.push({ name: peer.name, skipped: reason });
      continue;
    }
    let e: PeerEngine | null = null;
    try {
      e = await peerEngine(peer, m);
      const diff = m.expected ? diffOutputs(e.step(), m.expected) : null;
      wasm[e.session.name] = e.session.wasmBytes;
      rows.push({ name: e.session.name, version: e.session.version, wasmBytes: e.session.wasmBytes, diff, baselineDeltaPct: null,
        medianMs: NaN, p10Ms: NaN, p90Ms: NaN, minMs: NaN, samples: 0 });
      engines.push(e);
    } catch (err) {
      e?.dispose();
      progress(`${m.name}: ${peer.name} FAILED: ${errorText(err)}`);
      rows.push({ name: peer.name, skipped: `failed: ${errorText(err)}` });
    }
  }
  return engines;
}

/** Runs edgerun once and compares its outputs with the reference, loudly when they differ. */
function checkEdgerun(m: BenchModel, e: EdgerunEngine): { diff: OutputDiff | null; bitExact: boolean | null } {
  const diff = m.expected ? diffOutputs(e.step(), m.expected) : null;
  const bitExact = diff === null ? null : diff.bytes === 0 && !diff.sizeMismatch;
  progress(`${m.name}: edgerun bit-exact: ${bitExact === null ? 'n/a (no expected output)' : bitExact ? 'yes' : 'NO'}`);
  if (diff && !bitExact) progress(`FAIL ${m.name}: edgerun output is NOT bit-exact (${diff.bytes} of ${diff.total} bytes differ)`);
  return { diff, bitExact };
}

/** Copies the timing summaries into the row (edgerun first, then the timed peers) and picks the faster peer. */
function record(row: ModelRow, t: TimingResult, engines: Engine[]): void {
  const [own, ...others] = t.summaries;
  if (row.edgerun) Object.assign(row.edgerun, own, { gmacPerS: row.macs / (own.medianMs * 1e6) });
  row.peers.filter(isTimed).forEach((p, i) => Object.assign(p, others[i]));
  const timed = engines.slice(1).map((x, i) => ({ name: x.name, ms: others[i].medianMs, rounds: t.roundMedians[1 + i] }))
    .sort((a, b) => a.ms - b.ms);
  if (timed.length) {
    row.fasterPeer = timed[0].name;
    row.ratio = own.medianMs / timed[0].ms;
    row.pairedRatio = median(t.roundMedians[0].map((ms, r) => ms / timed[0].rounds[r]));
  }
  const all = [{ name: 'edgerun', ms: own.medianMs }, ...timed].map((p) => `${p.name} ${p.ms.toFixed(4)} ms`);
  progress(`${row.name}: ${all.join(', ')}${row.ratio === null ? '' : `; ratio ${row.ratio.toFixed(3)}`}`);
}

async function benchModel(m: BenchModel, args: SuiteArgs, peers: PeerState[], wasm: Record<string, number>): Promise<ModelRow> {
  const row: ModelRow = {
    name: m.name, list: m.list, architecture: m.architecture, macs: m.macs ?? 0, rounds: args.rounds,
    edgerun: null, peers: [], fasterPeer: null, ratio: null, pairedRatio: null, error: null, warnings: m.warning ? [m.warning] : [],
  };
  const engines: Engine[] = [];
  try {
    const e = edgerunEngine(m);
    engines.push(e);
    wasm.edgerun = e.codeBytes;
    row.macs = m.macs ?? e.macs;
    if (Math.abs(e.macs - row.macs) > 0.01 * row.macs) row.warnings.push(`edgerun counts ${e.macs} MACs, the list says ${row.macs}`);
    row.edgerun = {
      ...checkEdgerun(m, e), medianMs: NaN, p10Ms: NaN, p90Ms: NaN, minMs: NaN, samples: 0, gmacPerS: NaN,
      ceilingFraction: NaN, ramBytes: e.ramBytes, romBytes: e.romBytes, baselineDeltaPct: null,
    };
    engines.push(...await openPeers(m, peers, row.peers, wasm));
    const t = timeInterleaved(engines, {
      rounds: args.rounds, iterations: args.iterations, blockMs: DEFAULTS.blockMs, warmupMs: DEFAULTS.warmupMs,
      progress: (s) => progress(`${m.name}: ${s}`),
    });
    record(row, t, engines);
  } catch (err) {
    row.error = `failed: ${errorText(err)}`;
    progress(`FAIL ${m.name}: ${row.error}`);
  } finally {
    for (const e of engines) e.dispose();
  }
  return row;
}

/** JSON with non-integers cut to 6 significant digits (timer resolution is far coarser). */
function json(value: unknown): string {
  return `${JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 2)}\n`;
}

/** Writes via a temporary file and a rename, so a crash never leaves a half-written result. */
function writeAtomic(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

async function run(args: SuiteArgs): Promise<number> {
  const models = loadModels(args.only);
  if (!existsSync(EDGERUN_WASM)) throw new UsageError(`${shown(EDGERUN_WASM)} is missing: run \`npm run build\``);
  const started = performance.now();
  const info = machine();
  progress(`${info.cpu} x${info.cores}, Node ${info.node}; ${models.length} models; ${args.rounds} rounds`);
  const first = await measureCeiling(progress);
  const peers = await peerStates(args.peers);
  /** Wasm bytes per engine, as loaded. */
  const wasm: Record<string, number> = {};
  const rows: ModelRow[] = [];
  for (const m of models) rows.push(await benchModel(m, args, peers, wasm));
  // Measured again after the models, the faster of the two kept: a shared machine's slow spell
  // during one ~1 s measurement would otherwise set every network's fraction of the ceiling.
  const again = await measureCeiling(progress);
  const ceiling = again.gmacPerS > first.gmacPerS ? again : first;
  for (const row of rows) if (row.edgerun) row.edgerun.ceilingFraction = row.edgerun.gmacPerS / ceiling.gmacPerS;
  const { edgerun: codeBytes, ...peerWasm } = wasm;
  const result: SuiteResult = {
    machine: info,
    settings: { rounds: args.rounds, iterations: args.iterations ?? 'auto', blockMs: DEFAULTS.blockMs, warmupMs: DEFAULTS.warmupMs, peers: args.peers },
    ceiling, wasm: { edgerun: codeBytes ?? statSync(EDGERUN_WASM).size, peers: peerWasm }, models: rows, targetRatio: TARGET_RATIO,
    wallSeconds: (performance.now() - started) / 1000,
  };
  const baseline = readBaseline(BASELINE, progress);
  applyBaseline(result, baseline);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeAtomic(join(RESULTS_DIR, 'latest.json'), json(result));
  writeAtomic(join(RESULTS_DIR, 'latest.md'), markdown(result));
  writeAtomic(join(RESULTS_DIR, 'latest.svg'), chart(result));
  progress(`wrote ${shown(RESULTS_DIR)}/latest.{json,md,svg}`);
  if (args.updateBaseline) {
    writeAtomic(BASELINE, json(updatedBaseline(result, baseline)));
    progress(`wrote ${shown(BASELINE)}`);
  }
  process.stdout.write(args.json ? json(result) : `${text(result)}\n`);
  return failures(result).length ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    return await run(args);
  } catch (e) {
    if (e instanceof UsageError || isEdgerunError(e)) {
      process.stderr.write(`bench: error: ${errorText(e)}\n`);
      return 2;
    }
    process.stderr.write(`bench: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
