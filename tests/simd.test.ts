/**
 * SIMD kernels against their scalar twins on randomized shapes: both modules get the same
 * memory contents and param block, and must write the same bytes.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCKS, type KernelName } from '../host/abi/blocks.js';
import { rng } from './helpers.js';

const instances = (['simd', 'ref'] as const).map((flavor) => {
  const bytes = readFileSync(new URL(`../../build/edgerun-${flavor}.wasm`, import.meta.url));
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { memory, exports: instance.exports as Record<string, (p: number) => number> };
});

/** A scratch heap in linear memory: fills regions with data and a param block, 16-byte aligned. */
class Heap {
  readonly bytes = new Uint8Array(4 * 65536);
  private cursor = 16;
  alloc(n: number): number {
    const at = this.cursor;
    this.cursor = Math.ceil((at + n + 16) / 16) * 16;
    if (this.cursor > this.bytes.length) throw new Error('test heap exhausted');
    return at;
  }
  put(data: ArrayBufferView): number {
    const at = this.alloc(data.byteLength);
    this.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return at;
  }
  block(kernel: KernelName, values: Record<string, number>): number {
    const spec = BLOCKS[kernel];
    const at = this.alloc(spec.bytes);
    const view = new DataView(this.bytes.buffer);
    for (const f of spec.fields) {
      const v = values[f.name];
      if (v === undefined) throw new Error(`missing ${f.name}`);
      view.setInt32(at + spec.offsets[f.name], v, true);
    }
    return at;
  }
}

/** Runs kernel on both modules over the same heap; returns the two output regions. */
function runBoth(heap: Heap, kernel: KernelName, block: number, out: number, outBytes: number): [Uint8Array, Uint8Array] {
  return instances.map(({ memory, exports }) => {
    const mem = new Uint8Array(memory.buffer);
    mem.set(heap.bytes);
    const status = exports[kernel](block);
    assert.is(status, 0, `${kernel} status`);
    return mem.slice(out, out + outBytes);
  }) as [Uint8Array, Uint8Array];
}

const int8s = (r: () => number, n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);

test('fully_connected: SIMD equals scalar on 300 random shapes (tails, offsets, both requant modes)', () => {
  const r = rng(20261121);
  const depths = [1, 2, 7, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 100, 129];
  for (let trial = 0; trial < 300; trial++) {
    const heap = new Heap();
    const accumDepth = r() < 0.6 ? depths[Math.floor(r() * depths.length)] : 1 + Math.floor(r() * 200);
    const outDepth = 1 + Math.floor(r() * 9);
    const batches = 1 + Math.floor(r() * 3);
    const input = heap.put(int8s(r, batches * accumDepth));
    const filterData = int8s(r, outDepth * accumDepth);
    const filter = heap.put(filterData);
    const rowSums = Int32Array.from({ length: outDepth }, (_, u) => filterData.subarray(u * accumDepth, (u + 1) * accumDepth).reduce((a, b) => a + b, 0));
    const bias = r() < 0.8 ? heap.put(Int32Array.from({ length: outDepth }, () => Math.floor((r() - 0.5) * 2 ** 20))) : 0;
    const multipliers = heap.put(Int32Array.from({ length: outDepth }, () => 2 ** 30 + Math.floor(r() * (2 ** 30 - 1))));
    const shifts = heap.put(Int32Array.from({ length: outDepth }, () => -Math.floor(r() * 12)));
    const scales = heap.put(Float64Array.from({ length: outDepth }, () => r() * 2 ** -(4 + Math.floor(r() * 8))));
    const output = heap.alloc(batches * outDepth);
    const actMin = -128 + Math.floor(r() * 40);
    const block = heap.block('fully_connected', {
      input, filter, bias, output, multipliers, shifts, scales, filterRowSums: heap.put(rowSums),
      batches, accumDepth, outDepth, inputOffset: Math.floor(r() * 256) - 127, filterOffset: r() < 0.3 ? Math.floor(r() * 21) - 10 : 0,
      outputOffset: Math.floor(r() * 256) - 128, actMin, actMax: actMin + Math.floor(r() * (127 - actMin + 1)),
      requantMode: r() < 0.5 ? 1 : 0,
    });
    const [simd, ref] = runBoth(heap, 'fully_connected', block, output, batches * outDepth);
    assert.equal(Array.from(simd), Array.from(ref), `trial ${trial}: accumDepth ${accumDepth} outDepth ${outDepth} batches ${batches}`);
  }
});

test.run();
