/**
 * Bounds-checked flatbuffer primitives for the .tflite reader: tables, vtables, vectors and
 * strings over a DataView, each access checked against the file before it is used, and every
 * decoded element charged to a work budget (see reader.ts for the invariants).
 */
import { ModelError } from '../errors.js';
import type { OptionsTable } from './model.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A validated table: header and vtable lie inside the file, tsize bytes from pos exist. */
export interface Table { pos: number; vt: number; vsize: number; tsize: number; what: string }
/** A validated vector: n elements start at `start`, all inside the file. */
export interface Vec { start: number; n: number }

export class FlatReader {
  readonly dv: DataView;
  readonly len: number;
  /** Names the thing being decoded; prefixes every error message. */
  ctx = 'model';
  private budget: number;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
    this.budget = 4 * this.len + 4096;
  }

  fail(msg: string): never {
    throw new ModelError(`${this.ctx}: ${msg}`);
  }

  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && pos + n <= this.len)) {
      this.fail(`truncated file (${what} ends at offset ${pos + n}, beyond ${this.len} bytes)`);
    }
  }

  charge(n: number): void {
    this.budget -= n;
    if (this.budget < 0) {
      throw new ModelError(`model: decoded structure exceeds what ${this.len} bytes can hold ` +
        `(vectors shared or overlapping)`);
    }
  }

  table(pos: number, what: string): Table {
    this.need(pos, 4, what);
    const vt = pos - this.dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > this.len) this.fail(`${what} has its vtable at offset ${vt}, outside the ${this.len}-byte file`);
    const vsize = this.dv.getUint16(vt, true);
    const tsize = this.dv.getUint16(vt + 2, true);
    if (vsize < 4 || (vsize & 1) !== 0) this.fail(`${what} has a bad vtable size ${vsize}`);
    this.need(vt, vsize, `${what} vtable`);
    if (tsize < 4) this.fail(`${what} has a bad table size ${tsize}`);
    this.need(pos, tsize, what);
    this.charge(1);
    return { pos, vt, vsize, tsize, what };
  }

  /** Absolute position of field `id` (size bytes, inside the table), or 0 when absent. */
  field(t: Table, id: number, size: number): number {
    const vo = 4 + 2 * id;
    if (vo >= t.vsize) return 0;
    const off = this.dv.getUint16(t.vt + vo, true);
    if (off === 0) return 0;
    if (off < 4 || off + size > t.tsize) {
      this.fail(`${t.what} field ${id} at offset ${off} lies outside its ${t.tsize}-byte table`);
    }
    return t.pos + off;
  }

  u8(t: Table, id: number, def: number): number {
    const p = this.field(t, id, 1);
    return p ? this.dv.getUint8(p) : def;
  }
  i8(t: Table, id: number, def: number): number {
    const p = this.field(t, id, 1);
    return p ? this.dv.getInt8(p) : def;
  }
  i32(t: Table, id: number, def: number): number {
    const p = this.field(t, id, 4);
    return p ? this.dv.getInt32(p, true) : def;
  }
  u32(t: Table, id: number, def: number): number {
    const p = this.field(t, id, 4);
    return p ? this.dv.getUint32(p, true) : def;
  }
  f32(t: Table, id: number, def: number): number {
    const p = this.field(t, id, 4);
    return p ? this.dv.getFloat32(p, true) : def;
  }
  /** ulong as a number; values of 2^53 or more are a ModelError. */
  u64(t: Table, id: number, what: string): number {
    const p = this.field(t, id, 8);
    if (!p) return 0;
    const hi = this.dv.getUint32(p + 4, true);
    if (hi >= 0x200000) this.fail(`${what} is 2^53 or more`);
    return hi * 0x100000000 + this.dv.getUint32(p, true);
  }

  /** Target of an offset field, checked to leave at least 4 bytes inside the file; 0 if absent. */
  ref(t: Table, id: number, what: string): number {
    const p = this.field(t, id, 4);
    if (!p) return 0;
    const target = p + this.dv.getUint32(p, true);
    this.need(target, 4, what);
    return target;
  }

  refTable(t: Table, id: number, what: string): Table | null {
    const p = this.ref(t, id, what);
    return p ? this.table(p, what) : null;
  }

  /** Vector field; `decoded` charges its elements to the work budget. */
  vec(t: Table, id: number, elemSize: number, what: string, decoded = true): Vec | null {
    const v = this.ref(t, id, what);
    if (!v) return null;
    const n = this.dv.getUint32(v, true);
    this.need(v + 4, n * elemSize, `${what} (${n} elements)`);
    if (decoded) this.charge(n);
    return { start: v + 4, n };
  }

  vecTable(v: Vec, i: number, what: string): Table {
    const p = v.start + 4 * i;
    const target = p + this.dv.getUint32(p, true);
    return this.table(target, what);
  }

  str(t: Table, id: number, what: string): string | null {
    const v = this.vec(t, id, 1, what);
    return v ? utf8.decode(this.bytes.subarray(v.start, v.start + v.n)) : null;
  }

  ints(t: Table, id: number, what: string): number[] | null {
    const v = this.vec(t, id, 4, what);
    if (!v) return null;
    const out = new Array<number>(v.n);
    for (let i = 0; i < v.n; i++) out[i] = this.dv.getInt32(v.start + 4 * i, true);
    return out;
  }
}

/** Bounds-checked accessor over a builtin options table. Errors name the operator. */
export class FlatOptions implements OptionsTable {
  constructor(private readonly r: FlatReader, private readonly t: Table, private readonly ctx: string) {}

  private at(field: number, size: number): number {
    if (!Number.isInteger(field) || field < 0 || field > 0x7ffd) return 0;
    this.r.ctx = this.ctx;
    return this.r.field(this.t, field, size);
  }
  has(field: number): boolean {
    return this.at(field, 1) !== 0;
  }
  bool(field: number, def: boolean): boolean {
    const p = this.at(field, 1);
    return p ? this.r.dv.getUint8(p) !== 0 : def;
  }
  int8(field: number, def: number): number {
    const p = this.at(field, 1);
    return p ? this.r.dv.getInt8(p) : def;
  }
  uint8(field: number, def: number): number {
    const p = this.at(field, 1);
    return p ? this.r.dv.getUint8(p) : def;
  }
  int32(field: number, def: number): number {
    const p = this.at(field, 4);
    return p ? this.r.dv.getInt32(p, true) : def;
  }
  float32(field: number, def: number): number {
    const p = this.at(field, 4);
    return p ? this.r.dv.getFloat32(p, true) : def;
  }
  /** Present field ids (keeps JSON.stringify(model) from dumping the whole file). */
  toJSON(): { fields: number[] } {
    const fields: number[] = [];
    for (let f = 0; 4 + 2 * f < this.t.vsize; f++) if (this.r.dv.getUint16(this.t.vt + 4 + 2 * f, true)) fields.push(f);
    return { fields };
  }
  int32Vector(field: number): Int32Array | null {
    if (!this.at(field, 4)) return null;
    const v = this.r.vec(this.t, field, 4, `field ${field} vector`, false);
    if (!v) return null;
    const out = new Int32Array(v.n);
    for (let i = 0; i < v.n; i++) out[i] = this.r.dv.getInt32(v.start + 4 * i, true);
    return out;
  }
}
