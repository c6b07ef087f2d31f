/** The README's supported-ops table, rendered from the registry (`npm run docs` rewrites it). */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPS } from './registry.js';

export const README_PATH = fileURLToPath(new URL('../../../README.md', import.meta.url));
const START = '<!-- ops-table:start (generated from host/ops/registry.ts by `npm run docs`) -->';
const END = '<!-- ops-table:end -->';

export function renderOpsTable(): string {
  const rows = [...OPS].sort((a, b) => a.name.localeCompare(b.name)).map((op) => `| \`${op.name}\` | ${op.summary} |`);
  return [START, '| TFLite op | supported |', '|---|---|', ...rows, END].join('\n');
}

/** README text with the generated table in place of the old one. */
export function withOpsTable(readme: string): string {
  const s = readme.indexOf(START);
  const e = readme.indexOf(END);
  if (s < 0 || e < 0) throw new Error(`README.md lacks the ops-table markers`);
  return readme.slice(0, s) + renderOpsTable() + readme.slice(e + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README_PATH, withOpsTable(readFileSync(README_PATH, 'utf8')));
}
