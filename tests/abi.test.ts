import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS } from '../host/abi/blocks.js';
import { ASSEMBLY_PARAMS_PATH, renderAssemblyParams } from '../host/abi/emit.js';
import { OPS } from '../host/ops/registry.js';
import { README_PATH, withOpsTable } from '../host/ops/table.js';
import { RUNTIME_KERNELS } from '../host/run/kernels.js';

test('assembly/params.ts is generated from host/abi/blocks.ts and current', () => {
  assert.equal(readFileSync(ASSEMBLY_PARAMS_PATH, 'utf8'), renderAssemblyParams());
});

test('both kernel modules export every kernel in the ABI and import only memory; the SIMD one also some twins as <kernel>_ref and the runtime builds', async () => {
  const variants = Object.values(RUNTIME_KERNELS).flatMap((m) => Object.entries(m));
  for (const [kernel, variant] of variants) assert.ok(kernel in BLOCKS && !(variant in BLOCKS), variant);
  for (const flavor of ['simd', 'ref']) {
    const bytes = readFileSync(new URL(`../../build/edgerun-${flavor}.wasm`, import.meta.url));
    const module = new WebAssembly.Module(bytes);
    assert.equal(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    const twins = names.filter((n) => n.endsWith('_ref'));
    const builds = flavor === 'simd' ? variants.map(([, v]) => v) : [];
    for (const build of builds) assert.ok(names.includes(build), build);
    assert.equal(names.filter((n) => !twins.includes(n) && !builds.includes(n)).sort(), Object.keys(BLOCKS).sort(), flavor);
    if (flavor === 'ref') assert.equal(twins, []);
    else for (const twin of twins) assert.ok(twin.slice(0, -4) in BLOCKS, twin);
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
