/** Reading whole files that a user names: only regular files, and no more than a cap. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

/**
 * The bytes of `path`, refused with a one-line InputError when it cannot be read, is not a
 * regular file (a device such as /dev/zero never ends, a FIFO may not) or holds more than
 * `maxBytes`: nothing is sized by a file it does not fit.
 */
export function readRegularFile(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new InputError(`${path}: cannot read (EISDIR)`);
    if (!stat.isFile()) throw new InputError(`${path}: not a regular file`);
    if (stat.size > maxBytes) throw new InputError(`${path}: ${stat.size} bytes, more than the ${maxBytes} this takes`);
    const bytes = new Uint8Array(stat.size);
    for (let at = 0; at < bytes.length;) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw new InputError(`${path}: shrank while it was read`);
      at += n;
    }
    return bytes;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
