/**
 * The decoded form of a .tflite flatbuffer (schema version 3), subgraph 0.
 * Everything here has been bounds-checked by the reader: indices are in range,
 * buffers lie inside the file, shapes are non-negative.
 */

/** TFLite TensorType values (schema.fbs). */
export const enum TensorType {
  FLOAT32 = 0, FLOAT16 = 1, INT32 = 2, UINT8 = 3, INT64 = 4, STRING = 5, BOOL = 6, INT16 = 7,
  COMPLEX64 = 8, INT8 = 9, FLOAT64 = 10, COMPLEX128 = 11, UINT64 = 12, RESOURCE = 13,
  VARIANT = 14, UINT32 = 15, UINT16 = 16, INT4 = 17, BFLOAT16 = 18,
}

/** Bounds-checked accessor for a flatbuffer table (used for builtin options). */
export interface OptionsTable {
  /** True if the field is present in the table. */
  has(field: number): boolean;
  bool(field: number, def: boolean): boolean;
  int8(field: number, def: number): number;
  uint8(field: number, def: number): number;
  int32(field: number, def: number): number;
  float32(field: number, def: number): number;
  /** A [int] vector, or null when absent. */
  int32Vector(field: number): Int32Array | null;
}

export interface Quantization {
  /** One scale per channel along quantizedDimension, or a single scale. */
  scale: Float32Array;
  /** Same length as scale. int64 in the file; values outside int32 are a ModelError. */
  zeroPoint: Int32Array;
  quantizedDimension: number;
}

export interface Tensor {
  index: number;
  name: string;
  shape: number[];
  /** shape_signature when present (-1 marks a dynamic dim), else null. */
  shapeSignature: number[] | null;
  type: TensorType;
  /** Index into Model.buffers (0 = no data). */
  buffer: number;
  /** Constant data, or null for activations. Length checked against shape × element size. */
  data: Uint8Array | null;
  /** Null when the tensor has no (or empty) quantization parameters. */
  quantization: Quantization | null;
  isVariable: boolean;
  /** True when the file stores the tensor sparsely (SparsityParameters). After loading, `data`
   *  holds the dense values and `sparsity` the file's encoding (host/graph/sparse.ts). */
  isSparse: boolean;
  sparsity: Sparsity | null;
}

/** SparsityParameters as stored: traversal order over the dims plus block dims, the block map,
 *  and per traversed dimension DENSE (denseSize) or SPARSE_CSR (segments, indices). */
export interface Sparsity {
  traversalOrder: number[];
  blockMap: number[];
  dimMetadata: { format: 'dense' | 'csr'; denseSize: number; segments: number[]; indices: number[] }[];
}

export interface OperatorCode {
  /** max(deprecated_builtin_code, builtin_code), as TFLite resolves it. */
  builtinCode: number;
  customCode: string | null;
  version: number;
}

export interface Operator {
  index: number;
  opcodeIndex: number;
  builtinCode: number;
  /** Builtin op name, e.g. "CONV_2D"; "CUSTOM:<code>" for custom ops; "UNKNOWN(<n>)" otherwise. */
  opName: string;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** Tensors that only carry quantization parameters for the op's internal values (LSTM). */
  intermediates: number[];
  /** BuiltinOptions union type id (0 = none). */
  optionsType: number;
  options: OptionsTable | null;
}

export interface SignatureDef {
  key: string;
  inputs: { name: string; tensor: number }[];
  outputs: { name: string; tensor: number }[];
}

export interface Model {
  version: number;
  description: string;
  subgraphCount: number;
  operatorCodes: OperatorCode[];
  tensors: Tensor[];
  operators: Operator[];
  inputs: number[];
  outputs: number[];
  metadata: { name: string; data: Uint8Array | null }[];
  signatures: SignatureDef[];
}
