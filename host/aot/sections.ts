/**
 * A minimal WebAssembly binary reader: the section list, custom sections, imports and exports.
 * Enough to size a compiled module (code vs. data) and to check its ABI before instantiating it,
 * without a compiler. Every length is checked against the bytes that are left: a corrupt module
 * throws ModelError, never reads out of bounds or allocates by a corrupt length.
 */
import { ModelError } from '../errors.js';

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export const SECTION = { custom: 0, import: 2, memory: 5, export: 7, start: 8, code: 10, data: 11, dataCount: 12 } as const;

/** More sections than any compiled module has (about a dozen) is refused before they are listed. */
const MAX_SECTIONS = 4096;

export interface Section {
  id: number;
  /** Offset of the section's id byte: [start, end) is the whole section, header included. */
  start: number;
  /** Offset of the payload (after the size), and its end. */
  payload: number;
  end: number;
  /** Custom sections only: the name, and the contents after it. */
  name?: string;
  contents?: number;
}

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
const KINDS: ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

/** True when the bytes start with the WebAssembly magic `\0asm`. */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b);
}

class Reader {
  constructor(readonly bytes: Uint8Array, public at: number, readonly end: number) {}

  fail(what: string): never {
    throw new ModelError(`module: malformed WebAssembly: ${what} at byte ${this.at}`);
  }

  byte(): number {
    if (this.at >= this.end) this.fail('unexpected end');
    return this.bytes[this.at++];
  }

  /** Unsigned LEB128, at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) this.fail('integer too large');
        return result;
      }
    }
    return this.fail('integer too long');
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    const n = this.u32();
    if (n > this.end - this.at) this.fail(`name of ${n} bytes runs past its section`);
    const start = this.at;
    this.at += n;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(start, this.at));
    } catch {
      return this.fail('name is not UTF-8');
    }
  }
}

/** Every section in order. Throws ModelError on anything that is not a well-formed section list. */
export function readSections(bytes: Uint8Array): Section[] {
  if (!isWasm(bytes)) throw new ModelError('module: not a WebAssembly module (no \\0asm magic)');
  if (bytes.length < 8 || bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new ModelError('module: unsupported WebAssembly version (expected 1)');
  }
  const sections: Section[] = [];
  const r = new Reader(bytes, 8, bytes.length);
  while (r.at < bytes.length) {
    if (sections.length === MAX_SECTIONS) r.fail(`more than ${MAX_SECTIONS} sections`);
    const start = r.at;
    const id = r.byte();
    const size = r.u32();
    const payload = r.at;
    if (size > bytes.length - payload) r.fail(`section ${id} of ${size} bytes runs past the end of the file`);
    const end = payload + size;
    const section: Section = { id, start, payload, end };
    if (id === SECTION.custom) {
      const cr = new Reader(bytes, payload, end);
      section.name = cr.name();
      section.contents = cr.at;
    }
    sections.push(section);
    r.at = end;
  }
  return sections;
}

/** The contents of the custom sections called `name`, in order. */
export function customSections(bytes: Uint8Array, sections: Section[], name: string): Uint8Array[] {
  return sections.filter((s) => s.id === SECTION.custom && s.name === name).map((s) => bytes.subarray(s.contents!, s.end));
}

/** The first import, or null: a compiled module must import nothing. (Its type is not read.) */
/** The module's own memories: [minimum, maximum (null: none)] in pages, shared and 64-bit flags. */
export function memories(bytes: Uint8Array, sections: Section[]): { min: number; max: number | null; shared: boolean; memory64: boolean }[] {
  const s = sections.find((x) => x.id === SECTION.memory);
  if (!s) return [];
  const r = new Reader(bytes, s.payload, s.end);
  const count = r.u32();
  if (count > 16) r.fail(`${count} memories`);
  return Array.from({ length: count }, () => {
    const flags = r.byte();
    const min = r.u32();
    const max = flags & 1 ? r.u32() : null;
    return { min, max, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  });
}

export function firstImport(bytes: Uint8Array, sections: Section[]): { module: string; name: string; kind: ExternKind } | null {
  for (const s of sections.filter((x) => x.id === SECTION.import)) {
    const r = new Reader(bytes, s.payload, s.end);
    if (r.u32() === 0) continue;
    const module = r.name();
    const name = r.name();
    return { module, name, kind: KINDS[r.byte()] ?? r.fail('unknown import kind') };
  }
  return null;
}

/** Name, kind and index (in its kind's index space) of every export. */
export function exportsOf(bytes: Uint8Array, sections: Section[]): { name: string; kind: ExternKind; index: number }[] {
  const out: { name: string; kind: ExternKind; index: number }[] = [];
  for (const s of sections.filter((x) => x.id === SECTION.export)) {
    const r = new Reader(bytes, s.payload, s.end);
    for (let n = r.u32(); n > 0; n--) {
      const name = r.name();
      const kind = KINDS[r.byte()] ?? r.fail('unknown export kind');
      out.push({ name, kind, index: r.u32() });
    }
  }
  return out;
}

/**
 * The signature of each function the module defines (it imports none), as text such as
 * "i32->i32" or "->": from the type and function sections.
 */
export function functionSignatures(bytes: Uint8Array, sections: Section[]): string[] {
  const VALTYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
  const types: string[] = [];
  const typeSection = sections.find((x) => x.id === 1);
  if (typeSection) {
    const r = new Reader(bytes, typeSection.payload, typeSection.end);
    for (let n = r.u32(); n > 0; n--) {
      if (r.byte() !== 0x60) { types.push('?'); break; } // not a plain function type: no signature matches
      const list = () => Array.from({ length: r.u32() }, () => VALTYPES[r.byte()] ?? '?').join(',');
      const params = list();
      types.push(`${params}->${list()}`);
    }
  }
  const functionSection = sections.find((x) => x.id === 3);
  if (!functionSection) return [];
  const r = new Reader(bytes, functionSection.payload, functionSection.end);
  return Array.from({ length: r.u32() }, () => types[r.u32()] ?? '?');
}

export interface ModuleSizes {
  /** The whole module. */
  bytes: number;
  /** The data section (and the data-count section), headers included: the ROM image. */
  dataBytes: number;
  /** Everything else: code, types, exports, the meta section. bytes = codeBytes + dataBytes. */
  codeBytes: number;
}

export function moduleSizes(bytes: Uint8Array, sections: Section[]): ModuleSizes {
  const dataBytes = sections
    .filter((s) => s.id === SECTION.data || s.id === SECTION.dataCount)
    .reduce((sum, s) => sum + (s.end - s.start), 0);
  return { bytes: bytes.length, dataBytes, codeBytes: bytes.length - dataBytes };
}
