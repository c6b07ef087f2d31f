// Compiles assembly/ into two modules and optimizes them with binaryen:
//   build/edgerun-simd.wasm  (--enable simd; SIMD kernels where written)
//   build/edgerun-ref.wasm   (scalar reference twins only)
// Both: --runtime stub, no imports but memory, no allocation. Prints each module's size.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const modules = [
  { target: 'simd', entry: 'assembly/kernels/index.ts', out: 'build/edgerun-simd.wasm', features: binaryen.Features.SIMD128 },
  { target: 'ref', entry: 'assembly/ref/index.ts', out: 'build/edgerun-ref.wasm', features: 0 },
];

mkdirSync(join(root, 'build'), { recursive: true });
for (const m of modules) {
  execFileSync(process.execPath, [asc, m.entry, '--target', m.target, '--config', 'asconfig.json'], { cwd: root, stdio: 'inherit' });
  const path = join(root, m.out);
  const mod = binaryen.readBinary(readFileSync(path));
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
    binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | m.features);
  binaryen.setOptimizeLevel(3);
  binaryen.setShrinkLevel(1);
  mod.optimize();
  if (!mod.validate()) throw new Error(`${m.out}: binaryen validation failed`);
  const bytes = mod.emitBinary();
  mod.dispose();
  writeFileSync(path, bytes);
  console.log(`${m.out}: ${bytes.length} bytes`);
}
