import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError, readNpy, writeNpy } from '../host/index.js';

test('write then read round-trips dtype, shape and bytes; header is 64-byte aligned', () => {
  for (const [dtype, shape, bytesPer] of [['int8', [1, 49, 10, 1], 1], ['float32', [3], 4], ['int32', [2, 2], 4], ['int8', [], 1]] as const) {
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1) * bytesPer;
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
    const file = writeNpy(dtype, shape, data);
    const dataStart = file.length - n;
    assert.is(dataStart % 64, 0);
    const back = readNpy(file, 't.npy');
    assert.is(back.dtype, dtype);
    assert.equal(back.shape, [...shape]);
    assert.equal(Array.from(back.data), Array.from(data));
  }
});

test('malformed .npy files raise InputError naming the file', () => {
  const good = writeNpy('int8', [4], new Uint8Array(4));
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array([1, 2, 3]), /bad magic/],
    [good.subarray(0, good.length - 1), /holds 3 data bytes/],
    [good.subarray(0, 12), /truncated|malformed/],
    [Uint8Array.from([...good.subarray(0, 6), 9, 0, ...good.subarray(8)]), /version 9/],
  ];
  const bigEndian = good.slice();
  const at = new TextDecoder('latin1').decode(good).indexOf("'|i1'");
  bigEndian.set(new TextEncoder().encode("'>i4'"), at);
  cases.push([bigEndian, /unsupported dtype >i4/]);
  for (const [bytes, pattern] of cases) {
    try {
      readNpy(bytes, 'x.npy');
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, InputError);
      assert.match((e as Error).message, /^x\.npy: /);
      assert.match((e as Error).message, pattern);
    }
  }
});

test.run();
