import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { ASSEMBLY_PARAMS_PATH, renderAssemblyParams } from '../host/abi/emit.js';
import { OPS } from '../host/ops/registry.js';
import { README_PATH, withOpsTable } from '../host/ops/table.js';

test('assembly/params.ts is generated from host/abi/blocks.ts and current', () => {
  assert.equal(readFileSync(ASSEMBLY_PARAMS_PATH, 'utf8'), renderAssemblyParams());
});

test('both kernel modules export every kernel in the ABI and import only memory', async () => {
  for (const flavor of ['simd', 'ref']) {
    const bytes = readFileSync(new URL(`../../build/edgerun-${flavor}.wasm`, import.meta.url));
    const module = new WebAssembly.Module(bytes);
    assert.equal(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
    assert.equal(names, Object.keys(BLOCKS).sort(), flavor);
  }
});

test('the op registry names are unique TFLite builtins', () => {
  const names = OPS.map((o) => o.name);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n, /^[A-Z0-9_]+$/);
});

test('the README supported-ops table is generated from the registry and current', () => {
  const readme = readFileSync(README_PATH, 'utf8');
  assert.equal(readme, withOpsTable(readme), 'run npm run docs');
});

test.run();
