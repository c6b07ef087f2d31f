/**
 * .tflite reader: hand-written flatbuffer decoding with validation (schema version 3, subgraph 0).
 *
 * Invariants:
 * - Every offset, vtable, vector length and index is checked before it is used; a vector of N
 *   elements of size S is only read after checking that its 4N..SN bytes lie inside the input.
 * - Decoding work is bounded by the file size: every decoded element and table is charged to a
 *   budget of 4 × file length, so files whose offsets share or overlap vectors cannot make the
 *   reader do quadratic work. There is no recursion; the table nesting depth is fixed.
 * - Constant data is never copied: Tensor.data and metadata data are views into `bytes`.
 * - Anything wrong throws ModelError with one line: "<thing>: <what is wrong>".
 * - The "TFL3" file identifier is not required (TFLite's own verifier does not check it); a file
 *   without it must still parse completely and declare schema version 3.
 */
import { ModelError } from '../errors.js';
import { FlatOptions, FlatReader, type Table, type Vec } from './flatbuf.js';
import {
  type Model, type Operator, type OperatorCode, type OptionsTable, type Quantization, type SignatureDef, type Tensor, TensorType, type Sparsity,
} from './model.js';
import {
  BufferField, BuiltinOperator, builtinOpName, FILE_IDENTIFIER, MetadataField, ModelField,
  OperatorCodeField, OperatorField, QuantizationField, SCHEMA_VERSION, SignatureDefField,
  DimensionMetadataField, SparsityField, SubGraphField, TENSOR_TYPE_BITS, TENSOR_TYPE_NAMES, TensorField, TensorMapField,
} from './schema.js';

/** A tensor larger than this many bytes (256 MiB) is a ModelError: far past any model for the
 *  devices edgerun targets, and small enough that no shape can make preparation run out of memory. */
export const MAX_TENSOR_BYTES = 2 ** 28;

/** Short, quoted, single-line form of a name for error messages. */
function quote(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name);
}

/** A name as-is when short and printable ASCII, else quoted (and cut): names come from the file. */
export function label(name: string): string {
  return /^[\x20-\x7e]{0,64}$/.test(name) ? name : quote(name);
}

function shapeText(shape: number[]): string {
  return shape.length > 8 ? `[${shape.slice(0, 8).join(',')},...] (rank ${shape.length})` : `[${shape.join(',')}]`;
}

/** Decode and validate a .tflite model. Throws ModelError (only) on any problem. */
export function readModel(bytes: Uint8Array): Model {
  if (!(bytes instanceof Uint8Array)) throw new ModelError('model: expected the .tflite file as a Uint8Array');
  try {
    return new ModelReader(bytes).read();
  } catch (e) {
    if (e instanceof ModelError) throw e;
    // Final guard only: every access above is bounds-checked, so this should be unreachable.
    const msg = e instanceof Error ? e.message : String(e);
    throw new ModelError(`model: malformed flatbuffer (${msg.split('\n')[0]})`);
  }
}

class ModelReader {
  private readonly r: FlatReader;
  private buffers: (Uint8Array | null)[] = [];

  constructor(bytes: Uint8Array) {
    this.r = new FlatReader(bytes);
  }

  read(): Model {
    const r: FlatReader = this.r;
    if (r.len < 8) r.fail(`truncated file (${r.len} bytes; a .tflite file has at least an 8-byte header)`);
    const ident = String.fromCharCode(...r.bytes.subarray(4, 8));
    const root = r.table(r.dv.getUint32(0, true), 'root table');
    const version = r.u32(root, ModelField.version, 0);
    if (version !== SCHEMA_VERSION) {
      const hint = ident === FILE_IDENTIFIER ? '' : ` (no "${FILE_IDENTIFIER}" identifier: not a .tflite file?)`;
      r.fail(`schema version ${version}, expected ${SCHEMA_VERSION}${hint}`);
    }
    const description = r.str(root, ModelField.description, 'description') ?? '';
    this.buffers = this.readBuffers(root);
    const operatorCodes = this.readOperatorCodes(root);

    r.ctx = 'model';
    const subgraphs = r.vec(root, ModelField.subgraphs, 4, 'subgraphs vector');
    if (!subgraphs || subgraphs.n === 0) r.fail('no subgraphs');
    r.ctx = 'subgraph 0';
    const sg = r.vecTable(subgraphs, 0, 'table');
    const tensors = this.readTensors(sg);
    const nt = tensors.length;
    r.ctx = 'subgraph 0';
    const inputs = this.indexList(sg, SubGraphField.inputs, 'input', nt, false);
    const outputs = this.indexList(sg, SubGraphField.outputs, 'output', nt, false);
    const operators = this.readOperators(sg, operatorCodes, nt);
    const metadata = this.readMetadata(root);
    const signatures = this.readSignatures(root, subgraphs, nt);
    return {
      version, description, subgraphCount: subgraphs.n, operatorCodes, tensors, operators,
      inputs, outputs, metadata, signatures,
    };
  }

  private readBuffers(root: Table): (Uint8Array | null)[] {
    const r: FlatReader = this.r;
    r.ctx = 'model';
    const v = r.vec(root, ModelField.buffers, 4, 'buffers vector');
    if (!v) return [];
    const out = new Array<Uint8Array | null>(v.n);
    for (let i = 0; i < v.n; i++) {
      r.ctx = `buffer ${i}`;
      const t = r.vecTable(v, i, 'table');
      const data = r.vec(t, BufferField.data, 1, 'data vector', false);
      if (data && data.n > 0) {
        out[i] = r.bytes.subarray(data.start, data.start + data.n);
        continue;
      }
      // Models over 2 GB: data lives after the flatbuffer; offsets are from the start of the
      // file and only meaningful when > 1 (TFLite's convention).
      const offset = r.u64(t, BufferField.offset, 'offset');
      const size = r.u64(t, BufferField.size, 'size');
      if (offset > 1 && size > 0) {
        if (offset + size > r.len) {
          r.fail(`data at offset ${offset} (${size} bytes) lies beyond the ${r.len}-byte file`);
        }
        out[i] = r.bytes.subarray(offset, offset + size);
      } else {
        out[i] = null;
      }
    }
    return out;
  }

  private readOperatorCodes(root: Table): OperatorCode[] {
    const r: FlatReader = this.r;
    r.ctx = 'model';
    const v = r.vec(root, ModelField.operatorCodes, 4, 'operator_codes vector');
    if (!v) return [];
    const out = new Array<OperatorCode>(v.n);
    for (let i = 0; i < v.n; i++) {
      r.ctx = `operator code ${i}`;
      const t = r.vecTable(v, i, 'table');
      const deprecated = r.i8(t, OperatorCodeField.deprecatedBuiltinCode, 0);
      const extended = r.i32(t, OperatorCodeField.builtinCode, 0);
      const builtinCode = Math.max(deprecated, extended); // as TFLite's GetBuiltinCode
      const customCode = r.str(t, OperatorCodeField.customCode, 'custom_code');
      const version = r.i32(t, OperatorCodeField.version, 1);
      if (builtinCode < 0) r.fail(`negative builtin code ${builtinCode}`);
      if (builtinCode === BuiltinOperator.CUSTOM && customCode === null) {
        r.fail('CUSTOM op without a custom_code');
      }
      out[i] = { builtinCode, customCode, version };
    }
    return out;
  }

  private readTensors(sg: Table): Tensor[] {
    const r: FlatReader = this.r;
    const v = r.vec(sg, SubGraphField.tensors, 4, 'tensors vector');
    if (!v) return [];
    const out = new Array<Tensor>(v.n);
    for (let i = 0; i < v.n; i++) {
      r.ctx = `tensor ${i}`;
      out[i] = this.readTensor(r.vecTable(v, i, 'table'), i);
    }
    return out;
  }

  private readTensor(t: Table, index: number): Tensor {
    const r: FlatReader = this.r;
    r.ctx = `tensor ${index}`;
    const name = r.str(t, TensorField.name, 'name') ?? '';
    r.ctx = `tensor ${index} (${quote(name)})`;
    const shape = r.ints(t, TensorField.shape, 'shape vector') ?? [];
    for (const d of shape) if (d < 0) r.fail(`negative dimension ${d} in shape ${shapeText(shape)} (-1 is only allowed in shape_signature)`);
    const shapeSignature = r.ints(t, TensorField.shapeSignature, 'shape_signature vector');
    if (shapeSignature) {
      if (shapeSignature.length !== shape.length) {
        r.fail(`shape_signature ${shapeText(shapeSignature)} has rank ${shapeSignature.length}, shape ${shapeText(shape)} has rank ${shape.length}`);
      }
      for (const d of shapeSignature) if (d < -1) r.fail(`dimension ${d} in shape_signature ${shapeText(shapeSignature)}`);
    }
    const type = r.i8(t, TensorField.type, 0);
    if (type < 0 || type >= TENSOR_TYPE_NAMES.length) r.fail(`unknown tensor type ${type}`);
    const bits = TENSOR_TYPE_BITS[type]!;
    const typeName = TENSOR_TYPE_NAMES[type]!;
    let count = 1;
    for (const d of shape) count = d === 0 || count === 0 ? 0 : Math.min(count * d, 2 ** 60);
    const bytes = Math.ceil((count * bits) / 8);
    if (bytes > MAX_TENSOR_BYTES || !Number.isFinite(bytes)) {
      r.fail(`shape ${shapeText(shape)} of ${typeName} needs ${bytes} bytes, over edgerun's limit of ${MAX_TENSOR_BYTES} (256 MiB) per tensor`);
    }
    const buffer = r.u32(t, TensorField.buffer, 0);
    if (buffer >= this.buffers.length && buffer !== 0) {
      r.fail(`buffer index ${buffer} out of range (model has ${this.buffers.length} buffers)`);
    }
    const isVariable = r.u8(t, TensorField.isVariable, 0) !== 0;
    const sparsity = this.readSparsity(t);
    const isSparse = sparsity !== null;
    const externalBuffer = r.u32(t, TensorField.externalBuffer, 0);
    if (externalBuffer !== 0) r.fail(`data is in external buffer ${externalBuffer} (external weight files are not supported)`);
    const data = this.buffers[buffer] ?? null;
    // Sparse tensors hold compressed values; their length is not derived from the dense shape.
    if (data && bits > 0 && !isSparse && data.length !== bytes && !(bits < 8 && data.length === count)) {
      r.fail(`buffer ${buffer} holds ${data.length} bytes, shape ${shapeText(shape)} of ${typeName} needs ${bytes}`);
    }
    const quantization = this.readQuantization(t, shape, type);
    return {
      index, name, shape, shapeSignature, type: type as TensorType, buffer, data, quantization,
      isVariable, isSparse, sparsity,
    };
  }

  /** Decodes SparsityParameters (bounds-checked; the indices' meaning is checked when densifying). */
  private readSparsity(t: Table): Sparsity | null {
    const r: FlatReader = this.r;
    const s = r.refTable(t, TensorField.sparsity, 'sparsity table');
    if (!s) return null;
    const traversalOrder = r.ints(s, SparsityField.traversalOrder, 'sparsity traversal_order') ?? [];
    const blockMap = r.ints(s, SparsityField.blockMap, 'sparsity block_map') ?? [];
    const dims = r.vec(s, SparsityField.dimMetadata, 4, 'sparsity dim_metadata');
    const dimMetadata: Sparsity['dimMetadata'] = [];
    for (let i = 0; i < (dims?.n ?? 0); i++) {
      const what = `sparsity dim_metadata ${i}`;
      const d = r.vecTable(dims!, i, what);
      const format = r.u8(d, DimensionMetadataField.format, 0);
      if (format > 1) r.fail(`${what}: format ${format} is neither DENSE (0) nor SPARSE_CSR (1)`);
      dimMetadata.push({
        format: format === 0 ? 'dense' : 'csr',
        denseSize: r.i32(d, DimensionMetadataField.denseSize, 0),
        segments: this.indexVector(d, DimensionMetadataField.arraySegmentsType, DimensionMetadataField.arraySegments, `${what} array_segments`),
        indices: this.indexVector(d, DimensionMetadataField.arrayIndicesType, DimensionMetadataField.arrayIndices, `${what} array_indices`),
      });
    }
    return { traversalOrder, blockMap, dimMetadata };
  }

  /** A SparseIndexVector union (Int32Vector 1, Uint16Vector 2, Uint8Vector 3) as numbers; [] if absent. */
  private indexVector(t: Table, typeId: number, valueId: number, what: string): number[] {
    const r: FlatReader = this.r;
    const kind = r.u8(t, typeId, 0);
    if (kind === 0) return [];
    if (kind > 3) r.fail(`${what}: unknown index vector type ${kind}`);
    const table = r.refTable(t, valueId, what);
    if (!table) r.fail(`${what}: index vector type ${kind} but no vector`);
    const size = kind === 1 ? 4 : kind === 2 ? 2 : 1;
    const v = r.vec(table, 0, size, `${what} values`);
    if (!v) return [];
    const out = new Array<number>(v.n);
    for (let i = 0; i < v.n; i++) {
      const at = v.start + size * i;
      out[i] = size === 4 ? r.dv.getInt32(at, true) : size === 2 ? r.dv.getUint16(at, true) : r.dv.getUint8(at);
    }
    return out;
  }

  private readQuantization(t: Table, shape: number[], type: number): Quantization | null {
    const r: FlatReader = this.r;
    const q = r.refTable(t, TensorField.quantization, 'quantization table');
    if (!q) return null;
    const sv = r.vec(q, QuantizationField.scale, 4, 'quantization scale vector');
    if (!sv || sv.n === 0) return null; // TFLite: no scales means not quantized
    const zv = r.vec(q, QuantizationField.zeroPoint, 8, 'quantization zero_point vector');
    const n = sv.n;
    if (!zv) r.fail(`quantization has ${n} scales but no zero_point`);
    if (zv.n !== n) r.fail(`quantization has ${n} scales but ${zv.n} zero points`);
    const qd = r.i32(q, QuantizationField.quantizedDimension, 0);
    const rank = shape.length;
    if (qd < 0 || (rank > 0 ? qd >= rank : qd !== 0)) {
      r.fail(`quantized_dimension ${qd} out of range for rank ${rank}`);
    }
    if (n !== 1 && (rank === 0 || n !== shape[qd])) {
      r.fail(`quantization has ${n} scales, shape ${shapeText(shape)} has ${rank === 0 ? 'no' : shape[qd]} channels along dimension ${qd}`);
    }
    const scale = new Float32Array(n);
    const zeroPoint = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const s = r.dv.getFloat32(sv.start + 4 * i, true);
      if (!(s > 0 && Number.isFinite(s))) r.fail(`quantization scale[${i}] = ${s}, must be finite and > 0`);
      scale[i] = s;
      const p = zv.start + 8 * i;
      const lo = r.dv.getUint32(p, true);
      const hi = r.dv.getInt32(p + 4, true);
      if (!((hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo >= 0x80000000))) {
        r.fail(`quantization zero_point[${i}] = ${BigInt(hi) * 4294967296n + BigInt(lo)} is outside int32`);
      }
      zeroPoint[i] = lo | 0;
      // The kernels' accumulator bounds take |x - zero point| <= 255 for int8 values.
      if (type === TensorType.INT8 && (zeroPoint[i] < -128 || zeroPoint[i] > 127)) {
        r.fail(`quantization zero_point[${i}] = ${zeroPoint[i]} is outside int8 (-128..127)`);
      }
    }
    return { scale, zeroPoint, quantizedDimension: qd };
  }

  /** A vector of tensor indices; -1 (omitted optional tensor) only when allowOptional. */
  private indexList(t: Table, id: number, what: string, nt: number, allowOptional: boolean): number[] {
    const r: FlatReader = this.r;
    const list = r.ints(t, id, `${what}s vector`) ?? [];
    for (const x of list) {
      if (x >= nt || x < (allowOptional ? -1 : 0)) {
        r.fail(`${what} tensor index ${x} out of range (model has ${nt} tensors)`);
      }
    }
    return list;
  }

  private readOperators(sg: Table, codes: OperatorCode[], nt: number): Operator[] {
    const r: FlatReader = this.r;
    const v = r.vec(sg, SubGraphField.operators, 4, 'operators vector');
    if (!v) return [];
    const out = new Array<Operator>(v.n);
    for (let i = 0; i < v.n; i++) {
      r.ctx = `operator ${i}`;
      const t = r.vecTable(v, i, 'table');
      const opcodeIndex = r.u32(t, OperatorField.opcodeIndex, 0);
      const code = codes[opcodeIndex];
      if (!code) r.fail(`opcode index ${opcodeIndex} out of range (model has ${codes.length} operator codes)`);
      const builtinCode = code.builtinCode;
      const opName = builtinCode === BuiltinOperator.CUSTOM ? `CUSTOM:${code.customCode}` : builtinOpName(builtinCode);
      const ctx = `operator ${i} (${label(opName)})`;
      r.ctx = ctx;
      const inputs = this.indexList(t, OperatorField.inputs, 'input', nt, true);
      const outputs = this.indexList(t, OperatorField.outputs, 'output', nt, false);
      const intermediates = this.indexList(t, OperatorField.intermediates, 'intermediate', nt, false);
      const optionsType = r.u8(t, OperatorField.builtinOptionsType, 0);
      let options: OptionsTable | null = null;
      if (optionsType !== 0) {
        const ot = r.refTable(t, OperatorField.builtinOptions, 'builtin_options table');
        if (ot) options = new FlatOptions(r, ot, `${ctx} options`);
      }
      out[i] = { index: i, opcodeIndex, builtinCode, opName, inputs, outputs, intermediates, optionsType, options };
    }
    return out;
  }

  private readMetadata(root: Table): Model['metadata'] {
    const r: FlatReader = this.r;
    r.ctx = 'model';
    const v = r.vec(root, ModelField.metadata, 4, 'metadata vector');
    if (!v) return [];
    const out = new Array<Model['metadata'][number]>(v.n);
    for (let i = 0; i < v.n; i++) {
      r.ctx = `metadata ${i}`;
      const t = r.vecTable(v, i, 'table');
      const name = r.str(t, MetadataField.name, 'name') ?? '';
      r.ctx = `metadata ${i} (${quote(name)})`;
      const buffer = r.u32(t, MetadataField.buffer, 0);
      if (buffer >= this.buffers.length) {
        r.fail(`buffer index ${buffer} out of range (model has ${this.buffers.length} buffers)`);
      }
      out[i] = { name, data: this.buffers[buffer] ?? null };
    }
    return out;
  }

  /**
   * SignatureDefs of subgraph 0 (Model's tensor indices are subgraph 0's). Signatures of other
   * subgraphs are validated against that subgraph's tensor count, then left out.
   */
  private readSignatures(root: Table, subgraphs: Vec, nt0: number): SignatureDef[] {
    const r: FlatReader = this.r;
    r.ctx = 'model';
    const v = r.vec(root, ModelField.signatureDefs, 4, 'signature_defs vector');
    if (!v) return [];
    const out: SignatureDef[] = [];
    for (let i = 0; i < v.n; i++) {
      r.ctx = `signature ${i}`;
      const t = r.vecTable(v, i, 'table');
      const key = r.str(t, SignatureDefField.signatureKey, 'signature_key') ?? '';
      r.ctx = `signature ${i} (${quote(key)})`;
      const sgi = r.u32(t, SignatureDefField.subgraphIndex, 0);
      if (sgi >= subgraphs.n) r.fail(`subgraph index ${sgi} out of range (model has ${subgraphs.n} subgraphs)`);
      let nt = nt0;
      if (sgi !== 0) {
        const sg = r.vecTable(subgraphs, sgi, `subgraph ${sgi} table`);
        nt = r.vec(sg, SubGraphField.tensors, 4, `subgraph ${sgi} tensors vector`, false)?.n ?? 0;
      }
      const inputs = this.tensorMaps(t, SignatureDefField.inputs, 'input', nt);
      const outputs = this.tensorMaps(t, SignatureDefField.outputs, 'output', nt);
      if (sgi === 0) out.push({ key, inputs, outputs });
    }
    return out;
  }

  private tensorMaps(t: Table, id: number, what: string, nt: number): { name: string; tensor: number }[] {
    const r: FlatReader = this.r;
    const v = r.vec(t, id, 4, `${what}s vector`);
    if (!v) return [];
    const out = new Array<{ name: string; tensor: number }>(v.n);
    for (let i = 0; i < v.n; i++) {
      const m = r.vecTable(v, i, `${what} ${i} table`);
      const name = r.str(m, TensorMapField.name, `${what} ${i} name`) ?? '';
      const tensor = r.u32(m, TensorMapField.tensorIndex, 0);
      if (tensor >= nt) r.fail(`${what} ${quote(name)}: tensor index ${tensor} out of range (subgraph has ${nt} tensors)`);
      out[i] = { name, tensor };
    }
    return out;
  }
}
