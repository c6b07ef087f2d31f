/**
 * Which WebAssembly features a module needs, found by walking its code: every instruction of every
 * function body is decoded (opcode and immediates), so the answer is exact, not guessed from names.
 * An opcode this walker does not know is an error (the packer refuses rather than under-report).
 *
 * Feature names (as in the WebAssembly feature proposals): simd128, relaxed-simd, bulk-memory,
 * sign-ext, nontrapping-fptoint, multivalue, reference-types, tail-call, threads, exceptions,
 * multi-memory. The MVP needs none of them.
 */
import { BundleError } from './errors.js';

export const WASM_FEATURES = [
  'simd128', 'relaxed-simd', 'bulk-memory', 'sign-ext', 'nontrapping-fptoint', 'multivalue',
  'reference-types', 'tail-call', 'threads', 'exceptions', 'multi-memory',
] as const;
export type WasmFeature = (typeof WASM_FEATURES)[number];

const V128 = 0x7b;
const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, V128, 0x70, 0x6f]);

class Walker {
  readonly found = new Set<WasmFeature>();
  constructor(readonly b: Uint8Array, public at: number, public end: number) {}

  fail(what: string): never {
    throw new BundleError('format', `module: cannot scan its features: ${what} at byte ${this.at}`);
  }
  byte(): number {
    if (this.at >= this.end) this.fail('unexpected end');
    return this.b[this.at++];
  }
  skip(n: number): void {
    if (n > this.end - this.at) this.fail('unexpected end');
    this.at += n;
  }
  /** LEB128 of at most `bits` bits; the value for unsigned 32-bit reads, else only skipped. */
  leb(bits = 32): number {
    let result = 0;
    for (let shift = 0; shift < bits + 7; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail('integer too long');
  }
  valtype(): void {
    const t = this.byte();
    if (!VALTYPES.has(t)) this.fail(`unknown value type 0x${t.toString(16)}`);
    if (t === V128) this.found.add('simd128');
    if (t === 0x70 || t === 0x6f) this.found.add('reference-types');
  }
  blocktype(): void {
    const t = this.b[this.at];
    if (t === 0x40) this.at++;
    else if (VALTYPES.has(t)) this.valtype();
    else {
      this.leb(33);
      this.found.add('multivalue');
    }
  }
  memarg(): void {
    const align = this.leb();
    if (align & 0x40) {
      this.leb();
      this.found.add('multi-memory');
    }
    this.leb(64);
  }
  memidx(): void {
    if (this.leb() !== 0) this.found.add('multi-memory');
  }
}

/** MVP opcodes without immediates, besides the numeric range 0x45..0xbf. */
const BARE = new Set([0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b]);

function instruction(w: Walker): void {
  const op = w.byte();
  if ((op >= 0x45 && op <= 0xbf) || BARE.has(op)) return;
  if (op >= 0xc0 && op <= 0xc4) return void w.found.add('sign-ext');
  if (op >= 0x28 && op <= 0x3e) return w.memarg();
  if (op >= 0x20 && op <= 0x24) return void w.leb();
  switch (op) {
    case 0x02: case 0x03: case 0x04: return w.blocktype();
    case 0x0c: case 0x0d: case 0x10: return void w.leb();
    case 0x0e: {
      const n = w.leb();
      if (n > w.end - w.at) w.fail('br_table longer than its function');
      for (let i = 0; i <= n; i++) w.leb();
      return;
    }
    case 0x11: w.leb(); if (w.leb() !== 0) w.found.add('reference-types'); return;
    case 0x12: w.found.add('tail-call'); return void w.leb();
    case 0x13: w.found.add('tail-call'); w.leb(); w.leb(); return;
    case 0x1c: {
      w.found.add('reference-types');
      const n = w.leb();
      for (let i = 0; i < n; i++) w.valtype();
      return;
    }
    case 0x25: case 0x26: case 0xd2: w.found.add('reference-types'); return void w.leb();
    case 0xd0: w.found.add('reference-types'); return void w.byte();
    case 0xd1: return void w.found.add('reference-types');
    case 0x3f: case 0x40: return w.memidx();
    case 0x41: return void w.leb(32);
    case 0x42: return void w.leb(64);
    case 0x43: return w.skip(4);
    case 0x44: return w.skip(8);
    case 0x06: w.found.add('exceptions'); return w.blocktype();
    case 0x07: case 0x08: case 0x09: case 0x18: w.found.add('exceptions'); return void w.leb();
    case 0x19: return void w.found.add('exceptions');
    case 0xfc: return prefixedFc(w);
    case 0xfd: return prefixedSimd(w);
    case 0xfe: return prefixedAtomic(w);
    default: return w.fail(`unknown opcode 0x${op.toString(16)}`);
  }
}

function prefixedFc(w: Walker): void {
  const sub = w.leb();
  if (sub <= 7) return void w.found.add('nontrapping-fptoint');
  if (sub > 17) w.fail(`unknown opcode 0xfc ${sub}`);
  // 8..14 (memory.init .. table.copy) are bulk memory; 15..17 (table.grow/size/fill) reference types
  w.found.add(sub <= 14 ? 'bulk-memory' : 'reference-types');
  switch (sub) {
    case 8: w.leb(); return w.memidx();
    case 10: w.memidx(); return w.memidx();
    case 11: return w.memidx();
    case 12: case 14: w.leb(); if (w.leb() !== 0) w.found.add('reference-types'); return;
    default: return void w.leb(); // 9 data.drop, 13 elem.drop, 15..17 table index
  }
}

function prefixedSimd(w: Walker): void {
  const sub = w.leb();
  w.found.add('simd128');
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) return w.memarg();
  if (sub === 0x0c || sub === 0x0d) return w.skip(16);
  if (sub >= 0x15 && sub <= 0x22) return w.skip(1);
  if (sub >= 0x54 && sub <= 0x5b) { w.memarg(); return w.skip(1); }
  if (sub <= 0xff) return;
  if (sub >= 0x100 && sub <= 0x113) return void w.found.add('relaxed-simd');
  w.fail(`unknown opcode 0xfd ${sub}`);
}

function prefixedAtomic(w: Walker): void {
  const sub = w.leb();
  w.found.add('threads');
  if (sub === 0x03) return w.skip(1);
  if (sub > 0x4e) w.fail(`unknown opcode 0xfe ${sub}`);
  w.memarg();
}

/** Walks the type section: a function type with more than one result needs multivalue. */
function typeSection(w: Walker): void {
  const n = w.leb();
  for (let i = 0; i < n; i++) {
    if (w.byte() !== 0x60) w.fail('type is not a function type');
    const params = w.leb();
    for (let p = 0; p < params; p++) w.valtype();
    const results = w.leb();
    if (results > 1) w.found.add('multivalue');
    for (let r = 0; r < results; r++) w.valtype();
  }
}

function codeSection(w: Walker): void {
  const n = w.leb();
  for (let f = 0; f < n; f++) {
    const size = w.leb();
    if (size > w.end - w.at) w.fail(`function ${f} runs past the code section`);
    const end = w.at + size;
    const body = new Walker(w.b, w.at, end);
    const groups = body.leb();
    for (let g = 0; g < groups; g++) {
      body.leb();
      body.valtype();
    }
    while (body.at < end) instruction(body);
    for (const feature of body.found) w.found.add(feature);
    w.at = end;
  }
}

/** The features a module needs, sorted by name. Throws BundleError('format') on a module it cannot walk. */
export function moduleFeatures(wasm: Uint8Array): WasmFeature[] {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
    throw new BundleError('format', 'module: not a WebAssembly module');
  }
  const top = new Walker(wasm, 8, wasm.length);
  while (top.at < top.end) {
    const id = top.byte();
    const size = top.leb();
    if (size > top.end - top.at) top.fail(`section ${id} runs past the module`);
    const section = new Walker(wasm, top.at, top.at + size);
    if (id === 1) typeSection(section);
    else if (id === 10) codeSection(section);
    else if (id === 6) {
      // globals: a v128 global needs simd128; their init expressions are constant instructions
      const n = section.leb();
      for (let i = 0; i < n; i++) {
        section.valtype();
        section.byte();
        while (section.b[section.at] !== 0x0b) instruction(section);
        section.at++;
      }
    } else if (id === 12) section.found.add('bulk-memory'); // data count section
    for (const feature of section.found) top.found.add(feature);
    top.at += size;
  }
  return [...top.found].sort();
}

/** Tiny modules, one per feature, that only validate where the feature is on. */
const PROBES: Partial<Record<WasmFeature, number[]>> = {
  // (func (result v128) v128.const 0 ... )
  simd128: [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0x0b],
  // (func (param v128 v128 v128) (result v128) relaxed_madd f32x4)
  'relaxed-simd': [0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b],
  // (func (param i32) (result i32) i32.extend8_s)
  'sign-ext': [0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x07, 0x01, 0x05, 0x00, 0x20, 0x00, 0xc0, 0x0b],
  // (func (param f32) (result i32) i32.trunc_sat_f32_s)
  'nontrapping-fptoint': [0x01, 0x06, 0x01, 0x60, 0x01, 0x7d, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x00, 0x0b],
  // (memory 1) (func (param i32 i32 i32) memory.copy)
  'bulk-memory': [0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0a, 0x0e, 0x01, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x00, 0x0b],
  // (func (result i32 i32) i32.const 0 i32.const 0)
  multivalue: [0x01, 0x06, 0x01, 0x60, 0x00, 0x02, 0x7f, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b],
  // (func (result externref) ref.null extern)
  'reference-types': [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x6f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0xd0, 0x6f, 0x0b],
  // (func return_call 0)
  'tail-call': [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x12, 0x00, 0x0b],
};

/** The features this engine (V8, through WebAssembly.validate) supports among WASM_FEATURES. */
export function engineFeatures(): WasmFeature[] {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return WASM_FEATURES.filter((f) => {
    const probe = PROBES[f];
    return probe !== undefined && WebAssembly.validate(new Uint8Array([...header, ...probe]));
  }).sort();
}

/** Checks a list of feature names (from a manifest or --features). */
export function parseFeatures(names: string[], what: string): WasmFeature[] {
  for (const n of names) {
    if (!(WASM_FEATURES as readonly string[]).includes(n)) {
      throw new BundleError('format', `${what}: unknown WebAssembly feature ${JSON.stringify(n)} (known: ${WASM_FEATURES.join(', ')})`);
    }
  }
  return [...new Set(names)].sort() as WasmFeature[];
}
