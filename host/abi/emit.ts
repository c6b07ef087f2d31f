/** Generates assembly/params.ts from host/abi/blocks.ts. Run by `npm run build`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BLOCKS } from './blocks.js';

export function renderAssemblyParams(): string {
  const lines = [
    '// Generated from host/abi/blocks.ts by host/abi/emit.ts. Do not edit.',
    '// Byte offsets of param-block fields; see host/abi/blocks.ts for their meaning.',
    '',
  ];
  for (const spec of Object.values(BLOCKS)) {
    const prefix = spec.kernel.toUpperCase();
    for (const f of spec.fields) {
      const name = `${prefix}_${f.name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}`;
      lines.push(`export const ${name}: usize = ${spec.offsets[f.name]};`);
    }
    lines.push(`export const ${prefix}_BLOCK_BYTES: usize = ${spec.bytes};`, "");
  }
  return lines.join('\n');
}

export const ASSEMBLY_PARAMS_PATH = fileURLToPath(new URL('../../../assembly/params.ts', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderAssemblyParams();
  let current = '';
  try {
    current = readFileSync(ASSEMBLY_PARAMS_PATH, 'utf8');
  } catch {
    // first build
  }
  if (current !== text) writeFileSync(ASSEMBLY_PARAMS_PATH, text);
}
