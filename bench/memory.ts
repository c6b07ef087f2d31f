/**
 * Memory table for the benchmark networks: the activation lower bound (the most bytes live at
 * one step), edgerun's planned arena, TFLM's GreedyMemoryPlanner re-computed on the same
 * lifetimes, an estimate of TFLM's RAM (that arena plus the per-channel multipliers and shifts TFLM
 * keeps in RAM: 8 bytes per output channel of each CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED), and edgerun's RAM and ROM, prepared for speed (the default) and for size
 * (`--optimize size`: no layout or scratch that trades ROM or RAM for speed). Prints markdown and writes
 * bench/results/memory.{md,json}.
 * Run: node dist/bench/memory.js [--json]
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../host/index.js';
import { tflmGreedyArenaBytes } from '../host/plan/arena.js';
import { scriptArgs } from './args.js';
import { loadModels } from './models.js';
import { RESULTS_DIR, shown } from './paths.js';

interface Row {
  model: string;
  lowerBoundBytes: number;
  arenaBytes: number;
  tflmGreedyBytes: number;
  tflmRamBytes: number;
  ramBytes: number;
  romBytes: number;
  /** The same with --optimize size. */
  sizeRamBytes: number;
  sizeRomBytes: number;
}

function rows(): Row[] {
  return loadModels([]).map((b) => {
    const m = loadModel(b.path);
    const { model } = m.prepared;
    const channels = model.operators
      .filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.opName))
      .reduce((sum, op) => sum + (model.tensors[op.outputs[0]].shape.at(-1) ?? 0), 0);
    const tflmGreedyBytes = tflmGreedyArenaBytes(m.prepared.layout.arena.buffers);
    const small = loadModel(b.path, { optimize: 'size' });
    return {
      model: b.name,
      lowerBoundBytes: m.memory.lowerBoundBytes,
      arenaBytes: m.memory.arenaBytes,
      tflmGreedyBytes,
      tflmRamBytes: tflmGreedyBytes + 8 * channels,
      ramBytes: m.memory.ramBytes,
      romBytes: m.memory.romBytes,
      sizeRamBytes: small.memory.ramBytes,
      sizeRomBytes: small.memory.romBytes,
    };
  });
}

function markdown(table: Row[]): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    '| model | lower bound (B) | edgerun arena (B) | TFLM greedy arena (B) | TFLM RAM est. (B) | edgerun RAM (B) | RAM ≤ 1.1 × bound + 8 KiB | edgerun ROM (B) | RAM, --optimize size (B) | ROM, --optimize size (B) |',
    '|---|---:|---:|---:|---:|---:|:-:|---:|---:|---:|',
    ...table.map((r) => `| \`${r.model}\` | ${n(r.lowerBoundBytes)} | ${n(r.arenaBytes)} | ${n(r.tflmGreedyBytes)} | ${n(r.tflmRamBytes)} | ${n(r.ramBytes)} | ` +
      `${r.ramBytes <= 1.1 * r.lowerBoundBytes + 8192 ? 'yes' : 'no'} | ${n(r.romBytes)} | ${n(r.sizeRamBytes)} | ${n(r.sizeRomBytes)} |`),
  ].join('\n');
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const HELP = `usage: node dist/bench/memory.js [--json]      (or: npm run bench:memory)

Memory table of the benchmark networks: activation lower bound, edgerun's arena, TFLM's greedy
arena on the same lifetimes and its RAM estimate, edgerun's RAM and ROM (prepared for speed, and
with --optimize size). Prints markdown (or
JSON with --json) and writes bench/results/memory.{md,json}.`;
const args = scriptArgs('bench/memory', HELP, { json: { type: 'boolean' } });
const table = rows();
const md = markdown(table);
writeAtomic(join(RESULTS_DIR, 'memory.md'), `${md}\n`);
writeAtomic(join(RESULTS_DIR, 'memory.json'), `${JSON.stringify(table, null, 2)}\n`);
if (args.json) console.log(JSON.stringify(table));
else console.log(`${md}\n\nwrote ${shown(join(RESULTS_DIR, 'memory.md'))} and memory.json`);
