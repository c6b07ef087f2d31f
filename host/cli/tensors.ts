/** Tensor files in and out (.npy, .bin) and atomic writes, for the commands. */
import { InputError, readNpy, type TensorInfo, type TensorView, writeNpy } from '../index.js';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';

export const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

export function readTensorFile(file: string, t: TensorInfo): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ext = extname(file).toLowerCase();
  const label = `input ${JSON.stringify(t.name)}`;
  if (ext === '.npy') {
    const a = readNpy(bytes, file);
    if (a.dtype !== t.dtype) throw new InputError(`${file}: dtype ${a.dtype}, but ${label} is ${t.dtype}`);
    if (a.shape.length !== t.shape.length || a.shape.some((d, i) => d !== t.shape[i])) {
      throw new InputError(`${file}: shape ${fmtShape(a.shape)}, but ${label} has shape ${fmtShape(t.shape)}`);
    }
    return a.data;
  }
  if (ext === '.bin') {
    if (bytes.length !== t.bytes) throw new InputError(`${file}: ${bytes.length} bytes, but ${label} (${fmtShape(t.shape)} ${t.dtype}) needs ${t.bytes}`);
    return bytes;
  }
  throw new InputError(`${file}: unknown tensor file type ${ext || '(none)'}; use .npy or .bin`);
}

export function tensorBytesOf(v: TensorView): Uint8Array {
  return new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

/** Writes every output to a temporary file first, then renames: a failure never leaves a partial file. */
export function writeOutputs(files: string[], outputs: TensorView[]): void {
  const staged: [string, string][] = [];
  try {
    files.forEach((file, i) => {
      const o = outputs[i];
      const ext = extname(file).toLowerCase();
      if (ext !== '.npy' && ext !== '.bin') throw new InputError(`${file}: unknown tensor file type ${ext || '(none)'}; use .npy or .bin`);
      const bytes = ext === '.npy' ? writeNpy(o.dtype, o.shape, tensorBytesOf(o)) : tensorBytesOf(o).slice();
      const tmp = `${file}.edgerun-${process.pid}.tmp`;
      try {
        writeFileSync(tmp, bytes);
      } catch (e) {
        throw new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      staged.push([tmp, file]);
    });
    for (const [tmp, file] of staged) renameSync(tmp, file);
  } catch (e) {
    for (const [tmp] of staged) {
      try { unlinkSync(tmp); } catch { /* already renamed or gone */ }
    }
    throw e;
  }
}

export function values(v: TensorView): (number | string)[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));
}

export function checkInputCount(tensors: TensorInfo[], files: string[]): void {
  if (files.length !== tensors.length) {
    const names = tensors.slice(0, 8).map((t) => JSON.stringify(t.name)).join(', ') + (tensors.length > 8 ? ', ...' : '');
    throw new InputError(`the model has ${tensors.length} input(s) (${names}), got ${files.length} --input`);
  }
}

/** Copies each file into its input view; with no files, seeded random data of the right dtype. */
export function fillInputs(views: TensorView[], files: string[]): void {
  const data = files.map((file, i) => readTensorFile(file, views[i]));
  views.forEach((v, i) => {
    if (files.length > 0) return void tensorBytesOf(v).set(data[i]);
    let s = 0x9e3779b9 + i;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    if (v.data instanceof Float32Array) v.data.forEach((_, k, a) => { a[k] = next() * 2 - 1; });
    else tensorBytesOf(v).forEach((_, k, a) => { a[k] = Math.floor(next() * 256); });
  });
}

/** Writes a file through a temporary file and a rename: never a half-written FILE. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.edgerun-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never written or already renamed */ }
    throw new InputError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

