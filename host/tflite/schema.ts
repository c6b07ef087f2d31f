/**
 * Constants from TFLite's flatbuffer schema (schema version 3), as shipped in TensorFlow 2.21
 * (`tensorflow/compiler/mlir/lite/schema/schema.fbs`, mirrored in
 * `tensorflow/lite/python/schema_py_generated.py`). Field ids are vtable slots: the byte offset of
 * slot k in a vtable is 4 + 2k. Deprecated fields keep their slot.
 */

/** BuiltinOperator (int32). Codes >= 127 exist only in OperatorCode.builtin_code. */
export const BuiltinOperator = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4,
  DEPTH_TO_SPACE: 5, DEQUANTIZE: 6, EMBEDDING_LOOKUP: 7, FLOOR: 8, FULLY_CONNECTED: 9,
  HASHTABLE_LOOKUP: 10, L2_NORMALIZATION: 11, L2_POOL_2D: 12, LOCAL_RESPONSE_NORMALIZATION: 13,
  LOGISTIC: 14, LSH_PROJECTION: 15, LSTM: 16, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU_N1_TO_1: 20,
  RELU6: 21, RESHAPE: 22, RESIZE_BILINEAR: 23, RNN: 24, SOFTMAX: 25, SPACE_TO_DEPTH: 26, SVDF: 27,
  TANH: 28, CONCAT_EMBEDDINGS: 29, SKIP_GRAM: 30, CALL: 31, CUSTOM: 32,
  EMBEDDING_LOOKUP_SPARSE: 33, PAD: 34, UNIDIRECTIONAL_SEQUENCE_RNN: 35, GATHER: 36,
  BATCH_TO_SPACE_ND: 37, SPACE_TO_BATCH_ND: 38, TRANSPOSE: 39, MEAN: 40, SUB: 41, DIV: 42,
  SQUEEZE: 43, UNIDIRECTIONAL_SEQUENCE_LSTM: 44, STRIDED_SLICE: 45, BIDIRECTIONAL_SEQUENCE_RNN: 46,
  EXP: 47, TOPK_V2: 48, SPLIT: 49, LOG_SOFTMAX: 50, DELEGATE: 51, BIDIRECTIONAL_SEQUENCE_LSTM: 52,
  CAST: 53, PRELU: 54, MAXIMUM: 55, ARG_MAX: 56, MINIMUM: 57, LESS: 58, NEG: 59, PADV2: 60,
  GREATER: 61, GREATER_EQUAL: 62, LESS_EQUAL: 63, SELECT: 64, SLICE: 65, SIN: 66,
  TRANSPOSE_CONV: 67, SPARSE_TO_DENSE: 68, TILE: 69, EXPAND_DIMS: 70, EQUAL: 71, NOT_EQUAL: 72,
  LOG: 73, SUM: 74, SQRT: 75, RSQRT: 76, SHAPE: 77, POW: 78, ARG_MIN: 79, FAKE_QUANT: 80,
  REDUCE_PROD: 81, REDUCE_MAX: 82, PACK: 83, LOGICAL_OR: 84, ONE_HOT: 85, LOGICAL_AND: 86,
  LOGICAL_NOT: 87, UNPACK: 88, REDUCE_MIN: 89, FLOOR_DIV: 90, REDUCE_ANY: 91, SQUARE: 92,
  ZEROS_LIKE: 93, FILL: 94, FLOOR_MOD: 95, RANGE: 96, RESIZE_NEAREST_NEIGHBOR: 97, LEAKY_RELU: 98,
  SQUARED_DIFFERENCE: 99, MIRROR_PAD: 100, ABS: 101, SPLIT_V: 102, UNIQUE: 103, CEIL: 104,
  REVERSE_V2: 105, ADD_N: 106, GATHER_ND: 107, COS: 108, WHERE: 109, RANK: 110, ELU: 111,
  REVERSE_SEQUENCE: 112, MATRIX_DIAG: 113, QUANTIZE: 114, MATRIX_SET_DIAG: 115, ROUND: 116,
  HARD_SWISH: 117, IF: 118, WHILE: 119, NON_MAX_SUPPRESSION_V4: 120, NON_MAX_SUPPRESSION_V5: 121,
  SCATTER_ND: 122, SELECT_V2: 123, DENSIFY: 124, SEGMENT_SUM: 125, BATCH_MATMUL: 126,
  PLACEHOLDER_FOR_GREATER_OP_CODES: 127, CUMSUM: 128, CALL_ONCE: 129, BROADCAST_TO: 130,
  RFFT2D: 131, CONV_3D: 132, IMAG: 133, REAL: 134, COMPLEX_ABS: 135, HASHTABLE: 136,
  HASHTABLE_FIND: 137, HASHTABLE_IMPORT: 138, HASHTABLE_SIZE: 139, REDUCE_ALL: 140,
  CONV_3D_TRANSPOSE: 141, VAR_HANDLE: 142, READ_VARIABLE: 143, ASSIGN_VARIABLE: 144,
  BROADCAST_ARGS: 145, RANDOM_STANDARD_NORMAL: 146, BUCKETIZE: 147, RANDOM_UNIFORM: 148,
  MULTINOMIAL: 149, GELU: 150, DYNAMIC_UPDATE_SLICE: 151, RELU_0_TO_1: 152,
  UNSORTED_SEGMENT_PROD: 153, UNSORTED_SEGMENT_MAX: 154, UNSORTED_SEGMENT_SUM: 155, ATAN2: 156,
  UNSORTED_SEGMENT_MIN: 157, SIGN: 158, BITCAST: 159, BITWISE_XOR: 160, RIGHT_SHIFT: 161,
  STABLEHLO_LOGISTIC: 162, STABLEHLO_ADD: 163, STABLEHLO_DIVIDE: 164, STABLEHLO_MULTIPLY: 165,
  STABLEHLO_MAXIMUM: 166, STABLEHLO_RESHAPE: 167, STABLEHLO_CLAMP: 168, STABLEHLO_CONCATENATE: 169,
  STABLEHLO_BROADCAST_IN_DIM: 170, STABLEHLO_CONVOLUTION: 171, STABLEHLO_SLICE: 172,
  STABLEHLO_CUSTOM_CALL: 173, STABLEHLO_REDUCE: 174, STABLEHLO_ABS: 175, STABLEHLO_AND: 176,
  STABLEHLO_COSINE: 177, STABLEHLO_EXPONENTIAL: 178, STABLEHLO_FLOOR: 179, STABLEHLO_LOG: 180,
  STABLEHLO_MINIMUM: 181, STABLEHLO_NEGATE: 182, STABLEHLO_OR: 183, STABLEHLO_POWER: 184,
  STABLEHLO_REMAINDER: 185, STABLEHLO_RSQRT: 186, STABLEHLO_SELECT: 187, STABLEHLO_SUBTRACT: 188,
  STABLEHLO_TANH: 189, STABLEHLO_SCATTER: 190, STABLEHLO_COMPARE: 191, STABLEHLO_CONVERT: 192,
  STABLEHLO_DYNAMIC_SLICE: 193, STABLEHLO_DYNAMIC_UPDATE_SLICE: 194, STABLEHLO_PAD: 195,
  STABLEHLO_IOTA: 196, STABLEHLO_DOT_GENERAL: 197, STABLEHLO_REDUCE_WINDOW: 198,
  STABLEHLO_SORT: 199, STABLEHLO_WHILE: 200, STABLEHLO_GATHER: 201, STABLEHLO_TRANSPOSE: 202,
  DILATE: 203, STABLEHLO_RNG_BIT_GENERATOR: 204, REDUCE_WINDOW: 205, STABLEHLO_COMPOSITE: 206,
  STABLEHLO_SHIFT_LEFT: 207, STABLEHLO_CBRT: 208, STABLEHLO_CASE: 209,
} as const;
export type BuiltinOperatorName = keyof typeof BuiltinOperator;

/** code -> name, dense from 0 to MAX_BUILTIN_CODE. */
export const BUILTIN_OPERATOR_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(BuiltinOperator)) names[code] = name;
  return names;
})();
export const MAX_BUILTIN_CODE = BUILTIN_OPERATOR_NAMES.length - 1;
/** deprecated_builtin_code is an int8; codes above this live only in builtin_code. */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** Builtin name for a resolved code; "UNKNOWN(<n>)" when the code is not in the table. */
export function builtinOpName(code: number): string {
  const name = code >= 0 && code <= MAX_BUILTIN_CODE ? BUILTIN_OPERATOR_NAMES[code] : undefined;
  return name ?? `UNKNOWN(${code})`;
}

/** TensorType (byte). INT2 and UINT4 are newer than model.ts's TensorType enum. */
export const TENSOR_TYPE_NAMES: readonly string[] = [
  'FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16', 'COMPLEX64', 'INT8',
  'FLOAT64', 'COMPLEX128', 'UINT64', 'RESOURCE', 'VARIANT', 'UINT32', 'UINT16', 'INT4', 'BFLOAT16',
  'INT2', 'UINT4',
];
export const TENSOR_TYPE_INT2 = 19;
export const TENSOR_TYPE_UINT4 = 20;

/**
 * Bits per element, by TensorType. 0 = no fixed element size (STRING, RESOURCE, VARIANT): the
 * data length is not derived from the shape. Sub-byte types (INT4, INT2, UINT4) are stored packed.
 */
export const TENSOR_TYPE_BITS: readonly number[] = [
  32, 16, 32, 8, 64, 0, 8, 16, 64, 8,
  64, 128, 64, 0, 0, 32, 16, 4, 16,
  2, 4,
];

export function tensorTypeName(type: number): string {
  return TENSOR_TYPE_NAMES[type] ?? `UNKNOWN_TYPE(${type})`;
}

/** Bytes per element for byte-sized fixed types; 0 for variable-size and sub-byte types. */
export function tensorTypeByteSize(type: number): number {
  const bits = TENSOR_TYPE_BITS[type] ?? 0;
  return bits >= 8 ? bits >> 3 : 0;
}

/** BuiltinOptions union type ids (Operator.builtin_options_type, a ubyte). */
export const BuiltinOptionsType = {
  NONE: 0, Conv2DOptions: 1, DepthwiseConv2DOptions: 2, ConcatEmbeddingsOptions: 3,
  LSHProjectionOptions: 4, Pool2DOptions: 5, SVDFOptions: 6, RNNOptions: 7,
  FullyConnectedOptions: 8, SoftmaxOptions: 9, ConcatenationOptions: 10, AddOptions: 11,
  L2NormOptions: 12, LocalResponseNormalizationOptions: 13, LSTMOptions: 14,
  ResizeBilinearOptions: 15, CallOptions: 16, ReshapeOptions: 17, SkipGramOptions: 18,
  SpaceToDepthOptions: 19, EmbeddingLookupSparseOptions: 20, MulOptions: 21, PadOptions: 22,
  GatherOptions: 23, BatchToSpaceNDOptions: 24, SpaceToBatchNDOptions: 25, TransposeOptions: 26,
  ReducerOptions: 27, SubOptions: 28, DivOptions: 29, SqueezeOptions: 30, SequenceRNNOptions: 31,
  StridedSliceOptions: 32, ExpOptions: 33, TopKV2Options: 34, SplitOptions: 35,
  LogSoftmaxOptions: 36, CastOptions: 37, DequantizeOptions: 38, MaximumMinimumOptions: 39,
  ArgMaxOptions: 40, LessOptions: 41, NegOptions: 42, PadV2Options: 43, GreaterOptions: 44,
  GreaterEqualOptions: 45, LessEqualOptions: 46, SelectOptions: 47, SliceOptions: 48,
  TransposeConvOptions: 49, SparseToDenseOptions: 50, TileOptions: 51, ExpandDimsOptions: 52,
  EqualOptions: 53, NotEqualOptions: 54, ShapeOptions: 55, PowOptions: 56, ArgMinOptions: 57,
  FakeQuantOptions: 58, PackOptions: 59, LogicalOrOptions: 60, OneHotOptions: 61,
  LogicalAndOptions: 62, LogicalNotOptions: 63, UnpackOptions: 64, FloorDivOptions: 65,
  SquareOptions: 66, ZerosLikeOptions: 67, FillOptions: 68, BidirectionalSequenceLSTMOptions: 69,
  BidirectionalSequenceRNNOptions: 70, UnidirectionalSequenceLSTMOptions: 71, FloorModOptions: 72,
  RangeOptions: 73, ResizeNearestNeighborOptions: 74, LeakyReluOptions: 75,
  SquaredDifferenceOptions: 76, MirrorPadOptions: 77, AbsOptions: 78, SplitVOptions: 79,
  UniqueOptions: 80, ReverseV2Options: 81, AddNOptions: 82, GatherNdOptions: 83, CosOptions: 84,
  WhereOptions: 85, RankOptions: 86, ReverseSequenceOptions: 87, MatrixDiagOptions: 88,
  QuantizeOptions: 89, MatrixSetDiagOptions: 90, HardSwishOptions: 91, IfOptions: 92,
  WhileOptions: 93, DepthToSpaceOptions: 94, NonMaxSuppressionV4Options: 95,
  NonMaxSuppressionV5Options: 96, ScatterNdOptions: 97, SelectV2Options: 98, DensifyOptions: 99,
  SegmentSumOptions: 100, BatchMatMulOptions: 101, CumsumOptions: 102, CallOnceOptions: 103,
  BroadcastToOptions: 104, Rfft2dOptions: 105, Conv3DOptions: 106, HashtableOptions: 107,
  HashtableFindOptions: 108, HashtableImportOptions: 109, HashtableSizeOptions: 110,
  VarHandleOptions: 111, ReadVariableOptions: 112, AssignVariableOptions: 113, RandomOptions: 114,
  BucketizeOptions: 115, GeluOptions: 116, DynamicUpdateSliceOptions: 117,
  UnsortedSegmentProdOptions: 118, UnsortedSegmentMaxOptions: 119, UnsortedSegmentMinOptions: 120,
  UnsortedSegmentSumOptions: 121, ATan2Options: 122, SignOptions: 123, BitcastOptions: 124,
  BitwiseXorOptions: 125, RightShiftOptions: 126,
} as const;

/** BuiltinOptions2 union type ids (Operator.builtin_options_2_type). */
export const BuiltinOptions2Type = {
  NONE: 0, StablehloConcatenateOptions: 1, StablehloBroadcastInDimOptions: 2,
  StablehloSliceOptions: 3, StablehloConvolutionOptions: 4, StablehloCustomCallOptions: 5,
  StablehloReduceOptions: 6, StablehloScatterOptions: 7, StablehloCompareOptions: 8,
  StablehloDynamicSliceOptions: 9, StablehloPadOptions: 10, StablehloIotaOptions: 11,
  StablehloDotGeneralOptions: 12, StablehloReduceWindowOptions: 13, StablehloSortOptions: 14,
  StablehloWhileOptions: 15, StablehloGatherOptions: 16, StablehloTransposeOptions: 17,
  DilateOptions: 18, StablehloRngBitGeneratorOptions: 19, ReduceWindowOptions: 20,
  StableHLOCompositeOptions: 21, StablehloShiftLeftOptions: 22, StablehloCaseOptions: 23,
} as const;

export const CONV_2D_OPTIONS = BuiltinOptionsType.Conv2DOptions; // 1
export const DEPTHWISE_CONV_2D_OPTIONS = BuiltinOptionsType.DepthwiseConv2DOptions; // 2
export const POOL_2D_OPTIONS = BuiltinOptionsType.Pool2DOptions; // 5 (AVERAGE/MAX/L2_POOL_2D)
export const FULLY_CONNECTED_OPTIONS = BuiltinOptionsType.FullyConnectedOptions; // 8
export const SOFTMAX_OPTIONS = BuiltinOptionsType.SoftmaxOptions; // 9
export const ADD_OPTIONS = BuiltinOptionsType.AddOptions; // 11
export const RESHAPE_OPTIONS = BuiltinOptionsType.ReshapeOptions; // 17

// ---- vtable field ids of the tables the reader decodes -------------------------------------

/** table Model */
export const ModelField = {
  version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5,
  metadata: 6, signatureDefs: 7, externalBufferGroups: 8, externalBuffers: 9,
} as const;
/** table SubGraph */
export const SubGraphField = {
  tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4, debugMetadataIndex: 5,
} as const;
/** table Tensor */
export const TensorField = {
  shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6,
  shapeSignature: 7, hasRank: 8, variantTensors: 9, externalBuffer: 10,
} as const;
/** table Buffer: data:[ubyte] (force_align 16); offset/size (ulong) for models > 2 GB. */
export const BufferField = { data: 0, offset: 1, size: 2 } as const;
/** table QuantizationParameters. details is a union: its type byte takes slot 4, the table 5. */
export const QuantizationField = {
  min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6,
} as const;
/** table Operator. Unions take two slots (type byte, then table). */
export const OperatorField = {
  opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4,
  customOptions: 5, customOptionsFormat: 6, mutatingVariableInputs: 7, intermediates: 8,
  largeCustomOptionsOffset: 9, largeCustomOptionsSize: 10, builtinOptions2Type: 11,
  builtinOptions2: 12, debugMetadataIndex: 13,
} as const;
/** table OperatorCode */
export const OperatorCodeField = {
  deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3,
} as const;
/** table Metadata */
export const MetadataField = { name: 0, buffer: 1 } as const;
/** table SignatureDef. Slot 3 is the deprecated deprecated_tag. */
export const SignatureDefField = {
  inputs: 0, outputs: 1, signatureKey: 2, deprecatedTag: 3, subgraphIndex: 4,
} as const;
/** table TensorMap */
export const TensorMapField = { name: 0, tensorIndex: 1 } as const;
/** table SparsityParameters */
export const SparsityField = { traversalOrder: 0, blockMap: 1, dimMetadata: 2 } as const;
/** table DimensionMetadata (array_segments / array_indices are SparseIndexVector unions). */
export const DimensionMetadataField = {
  format: 0, denseSize: 1, arraySegmentsType: 2, arraySegments: 3, arrayIndicesType: 4,
  arrayIndices: 5,
} as const;

// ---- builtin options tables: field order exactly as in schema.fbs ---------------------------
//
// table Conv2DOptions {            table DepthwiseConv2DOptions {
//   0 padding:Padding;               0 padding:Padding;
//   1 stride_w:int;                  1 stride_w:int;
//   2 stride_h:int;                  2 stride_h:int;
//   3 fused_activation_function;     3 depth_multiplier:int;
//   4 dilation_w_factor:int = 1;     4 fused_activation_function;
//   5 dilation_h_factor:int = 1;     5 dilation_w_factor:int = 1;
//   6 quantized_bias_type:TensorType 6 dilation_h_factor:int = 1;
// }                                }
//
// table FullyConnectedOptions {                 table Pool2DOptions {
//   0 fused_activation_function;                 0 padding:Padding;
//   1 weights_format:byte = DEFAULT;             1 stride_w:int;
//   2 keep_num_dims:bool;                        2 stride_h:int;
//   3 asymmetric_quantize_inputs:bool;           3 filter_width:int;
//   4 quantized_bias_type:TensorType;            4 filter_height:int;
// }                                             5 fused_activation_function;
//                                               }
// table AddOptions {                            table ReshapeOptions {
//   0 fused_activation_function;                 0 new_shape:[int];
//   1 pot_scale_int16:bool = true;              }
// }                                            table SoftmaxOptions {
//                                                 0 beta:float;
//                                               }
// Padding and ActivationFunctionType are bytes; unset fields take the default (0 unless shown).

export const Conv2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, fusedActivationFunction: 3, dilationWFactor: 4,
  dilationHFactor: 5, quantizedBiasType: 6,
} as const;
export const DepthwiseConv2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, fusedActivationFunction: 4,
  dilationWFactor: 5, dilationHFactor: 6,
} as const;
export const FullyConnectedOptionsField = {
  fusedActivationFunction: 0, weightsFormat: 1, keepNumDims: 2, asymmetricQuantizeInputs: 3,
  quantizedBiasType: 4,
} as const;
export const Pool2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, filterWidth: 3, filterHeight: 4, fusedActivationFunction: 5,
} as const;
export const AddOptionsField = { fusedActivationFunction: 0, potScaleInt16: 1 } as const;
export const ReshapeOptionsField = { newShape: 0 } as const;
export const SoftmaxOptionsField = { beta: 0 } as const;

/** enum Padding : byte */
export const Padding = { SAME: 0, VALID: 1 } as const;
/** enum ActivationFunctionType : byte */
export const ActivationFunctionType = {
  NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5,
} as const;
/** enum FullyConnectedOptionsWeightsFormat : byte */
export const FullyConnectedWeightsFormat = { DEFAULT: 0, SHUFFLED4x16INT8: 1 } as const;

/** The file_identifier at bytes 4..8. */
export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;

// Options of the data-movement ops (field order from TF 2.21's schema).
export const StridedSliceOptionsField = {
  beginMask: 0, endMask: 1, ellipsisMask: 2, newAxisMask: 3, shrinkAxisMask: 4, offset: 5,
} as const;
export const ConcatenationOptionsField = { axis: 0, fusedActivationFunction: 1 } as const;
export const PackOptionsField = { valuesCount: 0, axis: 1 } as const;
export const UnpackOptionsField = { num: 0, axis: 1 } as const;
export const SplitOptionsField = { numSplits: 0 } as const;
export const SplitVOptionsField = { numSplits: 0 } as const;
export const GatherOptionsField = { axis: 0, batchDims: 1 } as const;
export const ResizeNearestNeighborOptionsField = { alignCorners: 0, halfPixelCenters: 1 } as const;
export const SpaceToDepthOptionsField = { blockSize: 0 } as const;
export const DepthToSpaceOptionsField = { blockSize: 0 } as const;
export const SqueezeOptionsField = { squeezeDims: 0 } as const;
export const ReducerOptionsField = { keepDims: 0 } as const;
export const ArgMinMaxOptionsField = { outputType: 0 } as const;
