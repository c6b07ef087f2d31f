/**
 * A tiny flatbuffer writer for test models (TFL3, schema version 3, one real subgraph).
 *
 * Builds back to front like the reference flatbuffers builders: children are written first, so
 * every uoffset points forward; vtables sit just before their table (positive soffset). Scalars
 * are aligned to their size, vectors to max(4, element size), buffer data to 16 (force_align).
 * The writer does not validate: specs may hold bad indices or lengths on purpose, so tests can
 * build malformed models.
 */
import {
  BufferField, FILE_IDENTIFIER, MetadataField, ModelField, OperatorCodeField, OperatorField,
  PLACEHOLDER_FOR_GREATER_OP_CODES, QuantizationField, SCHEMA_VERSION, SignatureDefField,
  SubGraphField, TensorField, TensorMapField, DimensionMetadataField, SparsityField,
} from './schema.js';
import type { Sparsity } from './model.js';

export type ScalarKind =
  | 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'int64'
  | 'uint64' | 'float64';

/** One field of a builtin options table, by field index (see schema.ts *OptionsField). */
export type OptionField =
  | { field: number; kind: ScalarKind; value: number | boolean | bigint }
  | { field: number; kind: 'int32[]'; value: readonly number[] };

export interface TensorSpec {
  name?: string;
  shape: readonly number[];
  shapeSignature?: readonly number[];
  /** TensorType value. */
  type: number;
  /** Constant data; gets its own buffer. */
  data?: ArrayBufferView;
  /** Raw buffer index, used only when data is absent (default 0). */
  buffer?: number;
  quantization?: {
    scale: readonly number[];
    zeroPoint: readonly (number | bigint)[];
    quantizedDimension?: number;
  };
  isVariable?: boolean;
  /** SparsityParameters to write (`data` then holds the stored values). */
  sparsity?: Sparsity;
  /** Writes an (empty) SparsityParameters table. */
  sparse?: boolean;
}

export interface OperatorSpec {
  builtinCode: number;
  customCode?: string;
  /** Operator version (default 1). */
  version?: number;
  /** Overrides the operator-code index derived from (builtinCode, customCode, version). */
  opcodeIndex?: number;
  inputs: readonly number[];
  outputs: readonly number[];
  /** BuiltinOptions union type id (schema.ts BuiltinOptionsType). */
  optionsType?: number;
  options?: readonly OptionField[];
  /** Intermediate tensors (quantization carriers of LSTM internals). */
  intermediates?: readonly number[];
}

export interface SignatureSpec {
  key: string;
  inputs: readonly { name: string; tensor: number }[];
  outputs: readonly { name: string; tensor: number }[];
  subgraphIndex?: number;
}

export interface ModelSpec {
  tensors: readonly TensorSpec[];
  operators: readonly OperatorSpec[];
  inputs: readonly number[];
  outputs: readonly number[];
  description?: string;
  /** Schema version (default 3). */
  version?: number;
  /** Write the "TFL3" file identifier (default true). */
  fileIdentifier?: boolean;
  /** Each entry gets its own buffer unless `buffer` gives a raw index. */
  metadata?: readonly { name: string; data: Uint8Array | null; buffer?: number }[];
  signatures?: readonly SignatureSpec[];
  /** Empty subgraphs appended after subgraph 0. */
  extraSubgraphs?: number;
  /**
   * 'inline' (default): Buffer.data vectors. 'offset': data appended after the flatbuffer and
   * referenced by Buffer.offset/size from the start of the file, as TFLite does for > 2 GB models.
   */
  bufferStorage?: 'inline' | 'offset';
  /** Write only OperatorCode.deprecated_builtin_code, as models older than schema 3a do. */
  deprecatedOpcodesOnly?: boolean;
}

const SCALAR_SIZE: Record<ScalarKind, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8,
  uint64: 8, float64: 8,
};

const utf8 = new TextEncoder();

class Builder {
  private bb = new Uint8Array(1024);
  private dv = new DataView(this.bb.buffer);
  private space = this.bb.length;
  private minAlign = 1;
  private vtable: number[] = [];
  private objectStart = -1;

  /** Bytes written so far; positions are measured from the end of the finished buffer. */
  offset(): number {
    return this.bb.length - this.space;
  }

  /** Reserves n bytes at the front, returning their absolute position in bb. */
  private take(n: number): number {
    while (this.space < n) {
      const old = this.bb;
      const grown = new Uint8Array(old.length * 2);
      grown.set(old, old.length);
      this.space += old.length;
      this.bb = grown;
      this.dv = new DataView(grown.buffer);
    }
    this.space -= n;
    return this.space;
  }

  /** Pads so that after writing `additional` bytes the offset is a multiple of `size`. */
  private prep(size: number, additional: number): void {
    if (size > this.minAlign) this.minAlign = size;
    const pad = (size - ((this.offset() + additional) % size)) % size;
    if (pad) {
      const pos = this.take(pad);
      this.bb.fill(0, pos, pos + pad);
    }
  }

  private set(kind: ScalarKind, pos: number, value: number | boolean | bigint): void {
    const dv = this.dv;
    switch (kind) {
      case 'bool': dv.setUint8(pos, value ? 1 : 0); break;
      case 'int8': dv.setInt8(pos, Number(value)); break;
      case 'uint8': dv.setUint8(pos, Number(value)); break;
      case 'int16': dv.setInt16(pos, Number(value), true); break;
      case 'uint16': dv.setUint16(pos, Number(value), true); break;
      case 'int32': dv.setInt32(pos, Number(value), true); break;
      case 'uint32': dv.setUint32(pos, Number(value), true); break;
      case 'float32': dv.setFloat32(pos, Number(value), true); break;
      case 'int64': dv.setBigInt64(pos, BigInt(value), true); break;
      case 'uint64': dv.setBigUint64(pos, BigInt(value), true); break;
      case 'float64': dv.setFloat64(pos, Number(value), true); break;
    }
  }

  private uoffset(target: number): void {
    this.prep(4, 0);
    const pos = this.take(4);
    this.dv.setUint32(pos, this.offset() - target, true);
  }

  startTable(): void {
    if (this.objectStart >= 0) throw new Error('writer: nested table');
    this.vtable = [];
    this.objectStart = this.offset();
  }

  scalar(slot: number, kind: ScalarKind, value: number | boolean | bigint): void {
    const size = SCALAR_SIZE[kind];
    this.prep(size, 0);
    this.set(kind, this.take(size), value);
    this.vtable[slot] = this.offset();
  }

  ref(slot: number, target: number): void {
    this.uoffset(target);
    this.vtable[slot] = this.offset();
  }

  private u16(v: number): void {
    const at = this.take(2);
    this.dv.setUint16(at, v, true);
  }

  endTable(): number {
    this.prep(4, 0);
    this.take(4); // soffset to the vtable, patched below
    const obj = this.offset();
    const n = this.vtable.length;
    for (let i = n - 1; i >= 0; i--) {
      const f = this.vtable[i];
      this.u16(f ? obj - f : 0);
    }
    this.u16(obj - this.objectStart); // table size
    this.u16((n + 2) * 2); // vtable size
    const vt = this.offset();
    this.dv.setInt32(this.bb.length - obj, vt - obj, true);
    this.objectStart = -1;
    return obj;
  }

  private startVector(elemSize: number, n: number, align: number): void {
    if (this.objectStart >= 0) throw new Error('writer: vector inside a table');
    this.prep(4, elemSize * n);
    this.prep(align, elemSize * n);
  }

  private endVector(n: number): number {
    const at = this.take(4);
    this.dv.setUint32(at, n, true);
    return this.offset();
  }

  bytes(data: Uint8Array, align = 1): number {
    this.startVector(1, data.length, align);
    const at = this.take(data.length);
    this.bb.set(data, at);
    return this.endVector(data.length);
  }

  scalars(kind: ScalarKind, values: readonly (number | bigint | boolean)[]): number {
    const size = SCALAR_SIZE[kind];
    this.startVector(size, values.length, Math.max(4, size));
    const pos = this.take(size * values.length);
    values.forEach((v, i) => this.set(kind, pos + size * i, v));
    return this.endVector(values.length);
  }

  tables(offsets: readonly number[]): number {
    this.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) {
      const pos = this.take(4);
      this.dv.setUint32(pos, this.offset() - offsets[i]!, true);
    }
    return this.endVector(offsets.length);
  }

  string(s: string): number {
    const b = utf8.encode(s);
    this.startVector(1, b.length + 1, 1);
    this.take(1);
    this.bb[this.space] = 0;
    const at = this.take(b.length);
    this.bb.set(b, at);
    return this.endVector(b.length);
  }

  finish(root: number, identifier: boolean): Uint8Array {
    this.prep(this.minAlign, identifier ? 8 : 4);
    if (identifier) {
      const at = this.take(4);
      this.bb.set(utf8.encode(FILE_IDENTIFIER), at);
    }
    this.uoffset(root);
    return this.bb.slice(this.space);
  }
}

function asBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Build a .tflite file from a spec. */
export function writeModel(spec: ModelSpec): Uint8Array {
  const blobs: Uint8Array[] = []; // data of buffers 1..n
  const tensorBuffer = spec.tensors.map((t) => {
    if (!t.data) return t.buffer ?? 0;
    blobs.push(asBytes(t.data));
    return blobs.length;
  });
  const metadataBuffer = (spec.metadata ?? []).map((m) => {
    if (m.buffer !== undefined) return m.buffer;
    blobs.push(m.data ?? new Uint8Array(0));
    return blobs.length;
  });
  if (spec.bufferStorage !== 'offset') {
    return build(spec, tensorBuffer, metadataBuffer, blobs, null);
  }
  // Two passes: the flatbuffer's size does not depend on the offset values.
  const probe = build(spec, tensorBuffer, metadataBuffer, blobs, blobs.map(() => 2));
  const offsets: number[] = [];
  let end = probe.length;
  for (const b of blobs) {
    end = Math.ceil(end / 16) * 16;
    offsets.push(end);
    end += b.length;
  }
  const fb = build(spec, tensorBuffer, metadataBuffer, blobs, offsets);
  if (fb.length !== probe.length) throw new Error('writer: offset pass changed the flatbuffer size');
  const out = new Uint8Array(end);
  out.set(fb, 0);
  blobs.forEach((b, i) => out.set(b, offsets[i]!));
  return out;
}

function opcodeKey(op: OperatorSpec): string {
  return `${op.builtinCode}|${op.customCode ?? ''}|${op.version ?? 1}`;
}

function build(
  spec: ModelSpec, tensorBuffer: number[], metadataBuffer: number[], blobs: Uint8Array[],
  offsets: number[] | null,
): Uint8Array {
  const b = new Builder();

  const buffers = [emptyTable(b)];
  blobs.forEach((blob, i) => {
    if (offsets) {
      b.startTable();
      b.scalar(BufferField.offset, 'uint64', offsets[i]!);
      b.scalar(BufferField.size, 'uint64', blob.length);
      buffers.push(b.endTable());
    } else {
      const data = b.bytes(blob, 16);
      b.startTable();
      b.ref(BufferField.data, data);
      buffers.push(b.endTable());
    }
  });

  const codeIndex = new Map<string, number>();
  const codes: OperatorSpec[] = [];
  for (const op of spec.operators) {
    const key = opcodeKey(op);
    if (!codeIndex.has(key)) { codeIndex.set(key, codes.length); codes.push(op); }
  }
  const operatorCodes = codes.map((op) => {
    const custom = op.customCode !== undefined ? b.string(op.customCode) : 0;
    b.startTable();
    b.scalar(OperatorCodeField.deprecatedBuiltinCode, 'int8', Math.min(op.builtinCode, PLACEHOLDER_FOR_GREATER_OP_CODES));
    if (custom) b.ref(OperatorCodeField.customCode, custom);
    b.scalar(OperatorCodeField.version, 'int32', op.version ?? 1);
    if (!spec.deprecatedOpcodesOnly) b.scalar(OperatorCodeField.builtinCode, 'int32', op.builtinCode);
    return b.endTable();
  });

  const tensors = spec.tensors.map((t, i) => writeTensor(b, t, tensorBuffer[i]!));
  const operators = spec.operators.map((op) => writeOperator(b, op, op.opcodeIndex ?? codeIndex.get(opcodeKey(op))!));

  const tensorsVec = b.tables(tensors);
  const inputsVec = b.scalars('int32', spec.inputs);
  const outputsVec = b.scalars('int32', spec.outputs);
  const operatorsVec = b.tables(operators);
  const sgName = b.string('main');
  b.startTable();
  b.ref(SubGraphField.tensors, tensorsVec);
  b.ref(SubGraphField.inputs, inputsVec);
  b.ref(SubGraphField.outputs, outputsVec);
  b.ref(SubGraphField.operators, operatorsVec);
  b.ref(SubGraphField.name, sgName);
  const subgraphs = [b.endTable()];
  for (let i = 0; i < (spec.extraSubgraphs ?? 0); i++) subgraphs.push(emptyTable(b));

  const metadata = (spec.metadata ?? []).map((m, i) => {
    const name = b.string(m.name);
    b.startTable();
    b.ref(MetadataField.name, name);
    b.scalar(MetadataField.buffer, 'uint32', metadataBuffer[i]!);
    return b.endTable();
  });
  const signatures = (spec.signatures ?? []).map((s) => writeSignature(b, s));

  const description = b.string(spec.description ?? 'edgerun test model');
  const codesVec = b.tables(operatorCodes);
  const subgraphsVec = b.tables(subgraphs);
  const buffersVec = b.tables(buffers);
  const metadataVec = metadata.length ? b.tables(metadata) : 0;
  const signaturesVec = signatures.length ? b.tables(signatures) : 0;
  b.startTable();
  b.scalar(ModelField.version, 'uint32', spec.version ?? SCHEMA_VERSION);
  b.ref(ModelField.operatorCodes, codesVec);
  b.ref(ModelField.subgraphs, subgraphsVec);
  b.ref(ModelField.description, description);
  b.ref(ModelField.buffers, buffersVec);
  if (metadataVec) b.ref(ModelField.metadata, metadataVec);
  if (signaturesVec) b.ref(ModelField.signatureDefs, signaturesVec);
  const root = b.endTable();
  return b.finish(root, spec.fileIdentifier ?? true);
}

function emptyTable(b: Builder): number {
  b.startTable();
  return b.endTable();
}

/** SparsityParameters; index vectors as Uint8Vector when every value fits, else Int32Vector. */
function writeSparsity(b: Builder, s: Sparsity): number {
  const indexVector = (values: number[]): [number, number] => {
    if (values.length === 0) return [0, 0];
    const small = values.every((v) => v >= 0 && v < 256);
    const vector = b.scalars(small ? 'uint8' : 'int32', values);
    b.startTable();
    b.ref(0, vector);
    return [small ? 3 : 1, b.endTable()];
  };
  const dims = s.dimMetadata.map((m) => {
    const [segmentsType, segments] = indexVector(m.segments);
    const [indicesType, indices] = indexVector(m.indices);
    b.startTable();
    b.scalar(DimensionMetadataField.format, 'int8', m.format === 'dense' ? 0 : 1);
    b.scalar(DimensionMetadataField.denseSize, 'int32', m.denseSize);
    if (segments) {
      b.scalar(DimensionMetadataField.arraySegmentsType, 'uint8', segmentsType);
      b.ref(DimensionMetadataField.arraySegments, segments);
    }
    if (indices) {
      b.scalar(DimensionMetadataField.arrayIndicesType, 'uint8', indicesType);
      b.ref(DimensionMetadataField.arrayIndices, indices);
    }
    return b.endTable();
  });
  const order = b.scalars('int32', s.traversalOrder);
  const blockMap = b.scalars('int32', s.blockMap);
  const dimVector = b.tables(dims);
  b.startTable();
  b.ref(SparsityField.traversalOrder, order);
  b.ref(SparsityField.blockMap, blockMap);
  b.ref(SparsityField.dimMetadata, dimVector);
  return b.endTable();
}

function writeTensor(b: Builder, t: TensorSpec, buffer: number): number {
  const name = t.name !== undefined ? b.string(t.name) : 0;
  const shape = b.scalars('int32', t.shape);
  const signature = t.shapeSignature ? b.scalars('int32', t.shapeSignature) : 0;
  let quant = 0;
  if (t.quantization) {
    const scale = b.scalars('float32', t.quantization.scale);
    const zeroPoint = b.scalars('int64', t.quantization.zeroPoint);
    b.startTable();
    b.ref(QuantizationField.scale, scale);
    b.ref(QuantizationField.zeroPoint, zeroPoint);
    b.scalar(QuantizationField.quantizedDimension, 'int32', t.quantization.quantizedDimension ?? 0);
    quant = b.endTable();
  }
  const sparsity = t.sparsity ? writeSparsity(b, t.sparsity) : t.sparse ? emptyTable(b) : 0;
  b.startTable();
  b.ref(TensorField.shape, shape);
  b.scalar(TensorField.type, 'int8', t.type);
  b.scalar(TensorField.buffer, 'uint32', buffer);
  if (name) b.ref(TensorField.name, name);
  if (quant) b.ref(TensorField.quantization, quant);
  if (t.isVariable) b.scalar(TensorField.isVariable, 'bool', true);
  if (sparsity) b.ref(TensorField.sparsity, sparsity);
  if (signature) b.ref(TensorField.shapeSignature, signature);
  return b.endTable();
}

function writeOperator(b: Builder, op: OperatorSpec, opcodeIndex: number): number {
  const inputs = b.scalars('int32', op.inputs);
  const outputs = b.scalars('int32', op.outputs);
  const intermediates = op.intermediates ? b.scalars('int32', op.intermediates) : 0;
  let options = 0;
  if (op.options) {
    const vectors = op.options.map((f) => (f.kind === 'int32[]' ? b.scalars('int32', f.value) : 0));
    b.startTable();
    op.options.forEach((f, i) => {
      if (f.kind === 'int32[]') b.ref(f.field, vectors[i]!);
      else b.scalar(f.field, f.kind, f.value);
    });
    options = b.endTable();
  }
  b.startTable();
  b.scalar(OperatorField.opcodeIndex, 'uint32', opcodeIndex);
  b.ref(OperatorField.inputs, inputs);
  b.ref(OperatorField.outputs, outputs);
  if (op.optionsType !== undefined) b.scalar(OperatorField.builtinOptionsType, 'uint8', op.optionsType);
  if (options) b.ref(OperatorField.builtinOptions, options);
  if (intermediates) b.ref(OperatorField.intermediates, intermediates);
  return b.endTable();
}

function writeSignature(b: Builder, s: SignatureSpec): number {
  const maps = (list: SignatureSpec['inputs']): number => b.tables(list.map((m) => {
    const name = b.string(m.name);
    b.startTable();
    b.ref(TensorMapField.name, name);
    b.scalar(TensorMapField.tensorIndex, 'uint32', m.tensor);
    return b.endTable();
  }));
  const inputs = maps(s.inputs);
  const outputs = maps(s.outputs);
  const key = b.string(s.key);
  b.startTable();
  b.ref(SignatureDefField.inputs, inputs);
  b.ref(SignatureDefField.outputs, outputs);
  b.ref(SignatureDefField.signatureKey, key);
  b.scalar(SignatureDefField.subgraphIndex, 'uint32', s.subgraphIndex ?? 0);
  return b.endTable();
}
