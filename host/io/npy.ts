/** NumPy .npy (format 1.0–3.0) reading and writing for tensor data. Little-endian, C order. */
import { InputError } from '../errors.js';

export interface NpyArray {
  dtype: string;
  shape: number[];
  /** Raw little-endian element bytes, C order. */
  data: Uint8Array;
}

const DESCR_TO_DTYPE: Record<string, string> = {
  '|i1': 'int8', '<i1': 'int8', 'i1': 'int8', '|u1': 'uint8', '<u1': 'uint8', 'u1': 'uint8',
  '<i2': 'int16', '<i4': 'int32', '<i8': 'int64', '<f4': 'float32', '<f8': 'float64', '|b1': 'bool',
};
const DTYPE_TO_DESCR: Record<string, string> = {
  int8: '|i1', uint8: '|u1', int16: '<i2', int32: '<i4', int64: '<i8', float32: '<f4', float64: '<f8', bool: '|b1',
};
export const DTYPE_BYTES: Record<string, number> = { int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8, float64: 8 };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

export function readNpy(bytes: Uint8Array, what: string): NpyArray {
  const fail = (msg: string): never => {
    throw new InputError(`${what}: ${msg}`);
  };
  if (!isNpy(bytes)) fail('not a .npy file (bad magic)');
  if (bytes.length < 10) fail('truncated .npy header');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    return fail(`unsupported .npy version ${major}`);
  }
  if (start + headerLen > bytes.length) fail('truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail('malformed .npy header');
  const dtype = DESCR_TO_DTYPE[descr] ?? fail(`unsupported dtype ${descr} (little-endian int8/uint8/int16/int32/int64/float32/float64/bool only)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    if (!/^\d+$/.test(s)) fail(`malformed shape (${shapeText})`);
    return Number(s);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1) fail('Fortran-order arrays are not supported: save with np.ascontiguousarray');
  const dataStart = start + headerLen;
  const need = count * DTYPE_BYTES[dtype];
  if (bytes.length - dataStart !== need) fail(`holds ${bytes.length - dataStart} data bytes, shape (${shape}) of ${dtype} needs ${need}`);
  return { dtype, shape, data: bytes.subarray(dataStart, dataStart + need) };
}

export function writeNpy(dtype: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const descr = DTYPE_TO_DESCR[dtype];
  if (!descr) throw new InputError(`cannot write dtype ${dtype} as .npy`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
