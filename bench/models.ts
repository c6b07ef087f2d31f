/**
 * The benchmark model set: models/bench/manifest.json (the MLPerf Tiny architectures), then the
 * optional bench/models.json (extra models, paths relative to the repository root).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readNpy } from '../host/index.js';
import { UsageError } from './args.js';
import { EXTRA_MODELS, MANIFEST, ROOT, shown } from './paths.js';

export interface Tensor { dtype: string; shape: number[]; data: Uint8Array }

export interface BenchModel {
  name: string;
  /** Which list named it: the manifest or bench/models.json. */
  list: string;
  path: string;
  bytes: Uint8Array;
  inputs: Tensor[];
  /** TFLite reference outputs; null when the entry has none (no bit-exact check). */
  expected: Tensor[] | null;
  /** From the list; null = use edgerun's own count. */
  macs: number | null;
  architecture: string | null;
  /** Set when the list records a sha256 that the file no longer has. */
  warning: string | null;
}

interface Entry {
  name?: unknown; file?: unknown; input?: unknown; expected?: unknown; macs?: unknown;
  architecture?: unknown; sha256?: unknown;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${shown(path)}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${shown(path)}: not valid JSON (${(e as Error).message})`);
  }
}

function fileBytes(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`${what}: ${shown(path)} does not exist`);
  return new Uint8Array(readFileSync(path));
}

function paths(value: unknown, base: string, what: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string')) {
    throw new UsageError(`${what}: must be a file name or a non-empty list of file names`);
  }
  return list.map((p: string) => resolve(base, p));
}

function toModel(e: Entry, base: string, list: string): BenchModel {
  const where = `${list}: model ${JSON.stringify(e.name ?? '?')}`;
  if (typeof e.name !== 'string' || !/^[\w.-]+$/.test(e.name)) throw new UsageError(`${where}: "name" must be a word ([A-Za-z0-9_.-])`);
  if (typeof e.file !== 'string') throw new UsageError(`${where}: "file" (the .tflite) is missing`);
  if (e.macs !== undefined && !(typeof e.macs === 'number' && e.macs > 0)) throw new UsageError(`${where}: "macs" must be a positive number`);
  const path = resolve(base, e.file);
  const bytes = fileBytes(path, where);
  const npy = (p: string): Tensor => readNpy(fileBytes(p, where), shown(p));
  const sha = typeof e.sha256 === 'string' ? createHash('sha256').update(bytes).digest('hex') : null;
  return {
    name: e.name,
    list,
    path,
    bytes,
    inputs: paths(e.input, base, `${where}: "input"`).map(npy),
    expected: e.expected === undefined ? null : paths(e.expected, base, `${where}: "expected"`).map(npy),
    macs: typeof e.macs === 'number' ? e.macs : null,
    architecture: typeof e.architecture === 'string' ? e.architecture : null,
    warning: sha !== null && sha !== e.sha256 ? `${shown(path)}: sha256 differs from ${list} (rebuilt model?)` : null,
  };
}

function entries(path: string, required: boolean): Entry[] {
  if (!required && !existsSync(path)) return [];
  if (required && !existsSync(path)) throw new UsageError(`${shown(path)} is missing (the benchmark networks; see models/build_bench_models.py)`);
  const json = readJson(path) as { models?: unknown };
  if (!Array.isArray(json?.models)) throw new UsageError(`${shown(path)}: expected an object with a "models" list`);
  return json.models as Entry[];
}

/** All benchmark models, manifest first, filtered by `only` (unknown names are a UsageError). */
export function loadModels(only: readonly string[]): BenchModel[] {
  const all = [
    ...entries(MANIFEST, true).map((e) => ({ e, base: dirname(MANIFEST), list: shown(MANIFEST) })),
    ...entries(EXTRA_MODELS, false).map((e) => ({ e, base: ROOT, list: shown(EXTRA_MODELS) })),
  ];
  const names = all.map(({ e }) => String(e.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`model name ${JSON.stringify(dup)} appears twice in the model lists`);
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length) throw new UsageError(`--only ${unknown.join(', ')}: no such model (have: ${names.join(', ')})`);
  return all.filter(({ e }) => only.length === 0 || only.includes(String(e.name))).map(({ e, base, list }) => toModel(e, base, list));
}
