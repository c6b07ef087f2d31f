/**
 * Param-block layouts: the one definition of what each kernel export reads.
 *
 * A kernel export is `fn(block: usize): i32` (0 = ok). A block is a packed
 * sequence of 4-byte little-endian fields at a 16-byte-aligned address in linear
 * memory: pointers and integers as i32, reals as f32 bit patterns. Array fields
 * occupy `length` consecutive slots. `assembly/params.ts` is generated from this
 * file (`node dist/host/abi/emit.js`), and a test checks the committed copy is current.
 */

export type FieldKind = 'ptr' | 'i32' | 'f32';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Number of consecutive slots (1 for scalars). */
  length: number;
}

export interface BlockSpec {
  /** Kernel export name; also the AssemblyScript constant prefix. */
  kernel: string;
  fields: FieldSpec[];
  /** Byte offset of each field inside the block. */
  offsets: Record<string, number>;
  bytes: number;
}

type FieldDecl = string | [name: string, kind: FieldKind, length?: number];

function block(kernel: string, decls: FieldDecl[]): BlockSpec {
  const fields: FieldSpec[] = decls.map((d) =>
    typeof d === 'string' ? { name: d, kind: 'i32', length: 1 } : { name: d[0], kind: d[1], length: d[2] ?? 1 },
  );
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const f of fields) {
    offsets[f.name] = at;
    at += 4 * f.length;
  }
  return { kernel, fields, offsets, bytes: at };
}

const p = (name: string): FieldDecl => [name, 'ptr'];

const SPARSE_FIELDS: FieldDecl[] = [
  p('input'), p('output'), p('rowStart'), p('blockCols'), p('values'), p('foldedBias'), p('requant'), p('scales'),
  p('multipliers'), p('shifts'), p('scratch'), 'batches', 'depth', 'rows', 'block', 'filterOffset', 'outputOffset', 'actMin', 'actMax',
  'requantMode',
];

/** Maximum rank handled by broadcasting elementwise kernels (TFLite's BroadcastAdd6DSlow). */
export const MAX_BROADCAST_RANK = 6;

const CONV_2D_FIELDS: FieldDecl[] = [
  p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'), p('foldedBias'), p('scratch'), p('requant'),
  'batches', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'filterH', 'filterW', 'filterInC', 'kPad',
  'strideH', 'strideW', 'dilationH', 'dilationW', 'padH', 'padW',
  'inputOffset', 'outputOffset', 'actMin', 'actMax',
];

export const BLOCKS = {
  // reference_integer_ops::ConvPerChannel; groups = inC / filterInC.
  // filter: packed rows, one per output channel, each the TFLite row [fH][fW][filterInC]
  // (k = filterH*filterW*filterInC bytes) zero-padded to kPad (a multiple of 8) bytes;
  // zero rows pad outC to a multiple of 4. foldedBias[c] = bias[c] + inputOffset * sum(row c),
  // less channel c's centre where its requantization is proven (host/ops/requant_proof.ts; signed records: a move of a few units),
  // padded like the rows. scratch: RAM for two im2col patches and 16 spare bytes (2 * kPad + 16; unused for 1x1 filters). requant: SIMD
  // requantization records, 96 bytes per 4 channels (host/ops/common.ts requantTable), or null where their f64 arithmetic is not shown exact (the host then plans the call on the scalar twin).
  conv_2d: block('conv_2d', CONV_2D_FIELDS),
  // conv_2d's fields (same offsets) for ungrouped convolutions with outC a multiple of 8, filter
  // pair-interleaved for channels in lanes: taps k (k = (fy*fW + fx)*inC + c as in a row, kPad a
  // multiple of 4 here) in pairs, each pair of 8 channels one 16-byte record: byte
  // ((oc >> 3) * kPad/2 + (k >> 1)) * 16 + (oc & 7) * 2 + (k & 1) holds filter[oc][k]; taps past the
  // row's end are zero. scratch: four windows of i16 taps and 16 spare bytes (8 * kPad + 16): im2col
  // patches, or for 1x1 filters the pixels widened. With 1x1 filters the scratch may be null: the
  // V8 build then runs the loop of the wasmtime build, conv_2d_pairs_unrolled, which reads 1x1
  // pixels in place and never uses scratch for them.
  conv_2d_pairs: block('conv_2d_pairs', CONV_2D_FIELDS),
  // conv_2d's fields for 3x3 filters, stride 1, dilation 1, no groups, inC and outC multiples of
  // 8 (Winograd F(2x2, 3x3), assembly/kernels/conv_2d_winograd.ts): filter U = H g H^T per
  // (oc, ic), H = [2 0 0; 1 1 1; 1 -1 1; 0 0 2], g the 3x3 filter[oc][.][.][ic], as i16: position
  // xi = 4a + b (U[a][b]) of channels oc, ic at byte (((oc >> 3) * 16 + xi) * inC/2 + (ic >> 1)) * 32
  // + (oc & 7) * 4 + (ic & 1) * 2. kPad = inC. scratch: 145 * inC + 2176 bytes (transformed inputs
  // and products of four tiles, a border window, sums, a row of input zero points). The SIMD
  // module only (prepare for the scalar module takes conv_2d_pairs); the twin rebuilds each 3x3
  // tap from U.
  conv_2d_winograd: block('conv_2d_winograd', CONV_2D_FIELDS),
  // reference_integer_ops::DepthwiseConvPerChannel; outC = inC * depthMultiplier. filter: taps
  // t = fy*fW + fx taken in pairs, each pair stored channel-interleaved: byte
  // ((t>>1) * channelsPad + c) * 2 + (t & 1) holds TFLite's filter[0][fy][fx][c]; channelsPad =
  // outC rounded up to 8, the odd last tap and padded channels are zero. scratch: RAM for a row
  // of channelsPad+16 input zero points and two u32 tables of one entry per tap (padded to pairs).
  // requant: as for conv_2d. foldedBias (depth multiplier 1, else null): channelsPad i32,
  // bias[c] + inputOffset * sum over taps of filter[t][c] (less proven centres, as for conv_2d), for the SIMD kernel.
  depthwise_conv_2d: block('depthwise_conv_2d', [
    p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'), p('requant'), p('scratch'), p('foldedBias'),
    'channelsPad', 'batches', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'filterH', 'filterW', 'depthMultiplier',
    'strideH', 'strideW', 'dilationH', 'dilationW', 'padH', 'padW',
    'inputOffset', 'outputOffset', 'actMin', 'actMax',
  ]),
  // reference_integer_ops::FullyConnected(PerChannel). filter: outDepth rows of accumDepth
  // bytes, zero-padded to kPad (a multiple of 8) bytes, zero rows padding outDepth to a multiple
  // of 4, interleaved four rows at a time in 8-tap runs: byte ((r >> 2) * kPad/8 + (k >> 3)) * 32 +
  // (r & 3) * 8 + (k & 7) holds row r's tap k.
  // requantMode 0: MultiplyByQuantizedMultiplier with multipliers/shifts (or the requant table,
  // f64 records only: 64 bytes per 4 channels);
  // requantMode 1: round(double(acc) * scales[c]) (TFLite >= 2.20 reference path); scales is
  // padded to the packed row count. A block carries its mode's data only: the other mode's
  // pointers are null (no kernel reads them). foldedBias[c] = bias[c] + inputOffset * sum(row c)
  // + accumDepth * filterOffset * inputOffset, for kernels that fold the offsets. scratch: RAM for
  // one input row widened to kPad i16 (2 * kPad bytes; the SIMD kernel's).
  fully_connected: block('fully_connected', [
    p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'), p('scales'), p('foldedBias'), p('requant'), p('scratch'),
    'batches', 'accumDepth', 'kPad', 'outDepth', 'inputOffset', 'filterOffset', 'outputOffset',
    'actMin', 'actMax', 'requantMode',
  ]),
  // 16x8 mode: int16 activations (zero point 0), int8 weights (zero point 0), bias int64
  // (biasBytes 8; int64 accumulator and the int64 MultiplyByQuantizedMultiplier) or int32
  // (biasBytes 4; wrapping int32 accumulator, int32 requantization); no bias counts as int64.
  // reference_integer_ops::FullyConnected(PerChannel) on int16; filter: TFLite's rows as stored.
  // requantMode as for fully_connected (1: round(double(acc) * scales[c])).
  fully_connected_16x8: block('fully_connected_16x8', [
    p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'), p('scales'),
    'biasBytes', 'batches', 'accumDepth', 'outDepth', 'actMin', 'actMax', 'requantMode',
  ]),
  // reference_integer_ops::ConvPerChannel on int16 (NHWC, filter OHWI as stored; groups = inC / filterInC).
  conv_2d_16x8: block('conv_2d_16x8', [
    p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'),
    'biasBytes', 'batches', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'filterH', 'filterW', 'filterInC',
    'strideH', 'strideW', 'dilationH', 'dilationW', 'padH', 'padW', 'actMin', 'actMax',
  ]),
  // UNIDIRECTIONAL_SEQUENCE_LSTM, full-integer 8x8_16 (lstm_eval.cc EvalInteger8x8_16): int8
  // input, output and output state, int16 cell state, gates in Q3.12 then Q0.15. Gate g in
  // order input 0, forget 1, cell 2, output 3. inputWeights: the four [nCell][nInput] matrices
  // back to back (the input gate's zero when useCifg); recurrentWeights likewise [nCell][nOutput];
  // inputBias / recurrentBias: 4 x nCell int32 effective biases (gate bias + zero point x row
  // sums). peephole: 3 x nCell int16 (input, forget, output) or null. projection: [nOutput][nCell]
  // int8 with nOutput int32 effective biases, or null. cellScale: log2 of the cell state scale.
  // layerNorm: 4 x nCell int16 coefficients (layer-normalized LSTM; the input gate's zero under
  // CIFG) or null; then layerNormBias holds the 4 x nCell gate biases (which inputBias leaves out).
  // Batch-major sequences (timeMajor 0) run one batch row at a time, as TFLite does. scratch:
  // 5 x stepBatch x nCell int16 + stepBatch x nCell int8, stepBatch = timeMajor ? batches : 1.
  lstm_8x8_16: block('lstm_8x8_16', [
    p('input'), p('output'), p('outputState'), p('cellState'), p('inputWeights'), p('recurrentWeights'),
    p('inputBias'), p('recurrentBias'), p('peephole'), p('projection'), p('projectionBias'), p('layerNorm'), p('layerNormBias'),
    p('scratch'),
    ['inputMultipliers', 'i32', 4], ['inputShifts', 'i32', 4], ['recurrentMultipliers', 'i32', 4], ['recurrentShifts', 'i32', 4],
    ['peepholeMultipliers', 'i32', 4], ['peepholeShifts', 'i32', 4],
    ['layerNormMultipliers', 'i32', 4], ['layerNormShifts', 'i32', 4], ['varianceGuards', 'i32', 4],
    'hiddenMultiplier', 'hiddenShift', 'hiddenZeroPoint', 'projectionMultiplier', 'projectionShift', 'outputStateZeroPoint',
    'cellClip', 'projectionClip', 'cellScale', 'useCifg', 'batches', 'time', 'nInput', 'nCell', 'nOutput', 'timeMajor',
  ]),
  // The LSTM's gate activations on their own (int16 arrays; tests check the SIMD twin on every
  // input): integerBits -1 = gemmlowp logistic on Q3.12, else gemmlowp tanh on Q(integerBits),
  // 0..7; Q0.15 out.
  lstm_activation: block('lstm_activation', [p('input'), p('output'), 'count', 'integerBits']),
  // FULLY_CONNECTED / 1x1 CONV_2D with pruned weights in edgerun's block format: output row r
  // (channel) owns blocks rowStart[r] .. rowStart[r+1] (int32, rows + 1 entries); block k covers
  // input columns blockCols[k] * block .. + block (uint16) with `block` int8 values at
  // values + k * block (block 1, 4 or 16). Block 64 is the row-grouped layout of 4x16 tiles: entry
  // g of rowStart (ceil(rows / 4) + 1 entries) owns the tiles of output rows 4g .. 4g + 3, tile k
  // covers columns blockCols[k] * 16 .. + 16 of all four rows, its 64 values at values + 64 * k
  // (row 4g + q's 16 at + 16 * q; zeros for rows past `rows`). Zero weights are skipped; the arithmetic is the dense
  // kernel's: acc = sum w*x + foldedBias[r] + filterOffset * sum x (foldedBias and requantization
  // as for fully_connected, padded to a multiple of 8 rows; only the mode's data, the rest null; in
  // requantMode 0 a call on the SIMD kernel carries the requant table and no multipliers/shifts,
  // which only the scalar twin reads: KernelCall.simdOnly). `batches` input rows (FC batches, or
  // pixels of a stride-1 1x1 convolution), each `depth` int8 values, give `rows` outputs each.
  // scratch: RAM for the SIMD kernel's four-row accumulators, 16 bytes per row rounded up to 8 rows.
  sparse_fully_connected: block('sparse_fully_connected', SPARSE_FIELDS),
  // Pruned stride-1 1x1 CONV_2D, pixel-vectorized (assembly/kernels/sparse_conv_1x1.ts): the
  // sparse_fully_connected block (same fields, same scalar twin) with block 16 or 64, requantMode
  // 0, filterOffset 0, `batches` = pixels; requant and scales unused (null). scratch: 32 bytes
  // per column below 16 * floor(depth / 16) (the widened input tile) + 192 (up to eight rows'
  // outputs, then two rows' widened weights).
  sparse_conv_1x1: block('sparse_conv_1x1', SPARSE_FIELDS),
  // reference_integer_ops::AveragePool / MaxPool (NHWC).
  average_pool_2d: block('average_pool_2d', [
    p('input'), p('output'), 'batches', 'inH', 'inW', 'channels', 'outH', 'outW',
    'filterH', 'filterW', 'strideH', 'strideW', 'padH', 'padW', 'actMin', 'actMax',
  ]),
  max_pool_2d: block('max_pool_2d', [
    p('input'), p('output'), 'batches', 'inH', 'inW', 'channels', 'outH', 'outW',
    'filterH', 'filterW', 'strideH', 'strideW', 'padH', 'padW', 'actMin', 'actMax',
  ]),
  // Binary elementwise int8 ops with TFLite's broadcasting (BroadcastAdd6DSlow and kin). Shapes
  // padded to 6 dims; a stride of 0 broadcasts that input along the dim. Element strides.
  // operation: 0 ADD and 1 SUB (reference_integer_ops::AddElementwise, with the second term
  // negated for SUB), 2 SQUARED_DIFFERENCE (squared_difference.cc), 3 MUL (MulElementwise),
  // 4 MAXIMUM and 5 MINIMUM (raw values), 6 PRELU (input2 = alpha; input1Multiplier/Shift for
  // x >= 0, input2Multiplier/Shift for x * alpha). layout: 0 broadcast (use the strides), 1 same shape
  // (both dense), 2 input2 is one element, 3 input1 is one element: SIMD kernels take fast
  // paths; the reference always uses strides. elementBytes: 1 int8, 2 int16 (ADD of the 16x8 mode,
  // left shift 15; the SIMD kernel hands int16 to the reference).
  binary: block('binary', [
    p('input1'), p('input2'), p('output'), 'operation', 'layout', 'count',
    ['outDims', 'i32', MAX_BROADCAST_RANK], ['strides1', 'i32', MAX_BROADCAST_RANK], ['strides2', 'i32', MAX_BROADCAST_RANK],
    'input1Offset', 'input2Offset', 'outputOffset', 'leftShift',
    'input1Multiplier', 'input1Shift', 'input2Multiplier', 'input2Shift', 'outputMultiplier', 'outputShift',
    'actMin', 'actMax', 'elementBytes',
  ]),
  // reference_ops::Softmax (quantized, gemmlowp fixed point), int8 in, int8 out.
  softmax: block('softmax', [
    p('input'), p('output'), 'outer', 'depth', 'inputMultiplier', 'inputLeftShift', 'diffMin',
  ]),
  // reference_ops::AffineQuantize, float32 -> int8 (outputBytes 1) or int16 (outputBytes 2).
  quantize_f32: block('quantize_f32', [p('input'), p('output'), 'count', ['scale', 'f32'], 'zeroPoint', 'outputBytes']),
  // reference_ops::Requantize between int8 and int16 (element sizes 1 or 2).
  requantize: block('requantize', [
    p('input'), p('output'), 'count', 'inputZeroPoint', 'outputZeroPoint', 'multiplier', 'shift', 'inputBytes', 'outputBytes',
  ]),
  // reference_ops::Dequantize, int8 (inputBytes 1) or int16 (2) -> float32.
  dequantize: block('dequantize', [p('input'), p('output'), 'count', ['scale', 'f32'], 'zeroPoint', 'inputBytes']),
  // One float32 step of reference_ops::AddN (x = 0; x += input_j[i] for each input j in order):
  // output[i] = (fromZero ? (0 + input1[i]) : input1[i]) + input2[i]. ADD_N chains these calls.
  add_n_f32: block('add_n_f32', [p('input1'), p('input2'), p('output'), 'count', 'fromZero']),
  // Strided box copy (TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION, PAD, SPLIT, PACK, …):
  // for every index i of a box of `dims` (padded to 6 dims, row-major),
  //   output[outOffset + sum i_k*outStrides_k] = input[inOffset + sum i_k*inStrides_k],
  // offsets and strides in elements of elementBytes (1, 2, 4 or 8); strides may be negative.
  // When fill is 1 the whole output (outputBytes) is first set to the byte fillValue.
  strided_copy: block('strided_copy', [
    p('input'), p('output'), 'elementBytes', 'inOffset', 'outOffset',
    ['dims', 'i32', MAX_BROADCAST_RANK], ['inStrides', 'i32', MAX_BROADCAST_RANK], ['outStrides', 'i32', MAX_BROADCAST_RANK],
    'fill', 'fillValue', 'outputBytes',
  ]),
  // GATHER along one axis (reference_ops::Gather): for batch b < batches, o < outer, j < count,
  //   output[b][o][j] = params[b][o][indices[b][j]], each item `innerBytes` long; indices are
  // int32 (indexBytes 4) or int64 (8). An index outside [0, axisSize) fails with status 1, as
  // TFLite's gather does.
  gather: block('gather', [
    p('params'), p('indices'), p('output'), 'batches', 'outer', 'axisSize', 'count', 'innerBytes', 'indexBytes',
  ]),
  // RESIZE_NEAREST_NEIGHBOR: output[b][y][x] = input[b][rows[y]][cols[x]], pixels of pixelBytes.
  resize_nearest: block('resize_nearest', [
    p('input'), p('output'), p('rows'), p('cols'), 'batches', 'inH', 'inW', 'outH', 'outW', 'pixelBytes',
  ]),
  // Unary int8 -> int8 by table: output[i] = table[input[i] + 128]. The host fills the table
  // by running TFLite's own arithmetic for each of the 256 inputs (host/ops/activations.ts),
  // so the result is exact by construction.
  lut8: block('lut8', [p('input'), p('output'), p('table'), 'count']),
  // Reductions over int8: for every output element (outDims, row-major, input offset
  // sum i_k*outStrides_k) visit the reduced box (redDims, offsets sum j_k*redStrides_k).
  // operation 0 MEAN / 1 SUM: reference_ops::QuantizedMeanOrSum, output =
  // MultiplyByQuantizedMultiplier(sum - inputZeroPoint*count, multiplier, shift) + outputZeroPoint
  // with the mean's 1/count already folded into multiplier/shift by the host (for SUM, TFLite's
  // reference path reads the int8 data as uint8 and clamps to 0..255: so does the kernel); 2 REDUCE_MAX: raw
  // maximum; 3 ARG_MAX / 4 ARG_MIN over one axis: the first index of the extreme value, written
  // as int32 or int64 (indexBytes).
  reduce: block('reduce', [
    p('input'), p('output'), 'operation', ['outDims', 'i32', MAX_BROADCAST_RANK], ['outStrides', 'i32', MAX_BROADCAST_RANK],
    ['redDims', 'i32', MAX_BROADCAST_RANK], ['redStrides', 'i32', MAX_BROADCAST_RANK], 'count',
    'inputZeroPoint', 'outputZeroPoint', 'multiplier', 'shift', 'indexBytes',
  ]),
  // RESIZE_BILINEAR on int8 (reference_ops::ResizeBilinearInteger, 10-bit fixed point): rows
  // and cols hold, per output index, (lower source index, upper source index, scaled position
  // in 1/1024 units) as three i32.
  resize_bilinear: block('resize_bilinear', [
    p('input'), p('output'), p('rows'), p('cols'), 'batches', 'inH', 'inW', 'outH', 'outW', 'channels',
  ]),
  // reference_integer_ops::TransposeConv: every input element scatters into an int32 scratch
  // of the output's size (scratch, 4 bytes per output element), then per-channel requantization.
  // filter [outC, fH, fW, inC] as in the model.
  transpose_conv: block('transpose_conv', [
    p('input'), p('filter'), p('bias'), p('output'), p('multipliers'), p('shifts'), p('scratch'),
    'batches', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'filterH', 'filterW', 'strideH', 'strideW', 'padH', 'padW',
    'inputOffset', 'outputOffset', 'actMin', 'actMax',
  ]),
  // ---- DSP front-end (assembly/ref/dsp.ts; tables built by host/pm/features.ts) ----
  // float32 throughout (sums in f64); complex values are (re, im) f32 pairs. Status 1 = bad
  // sizes, nothing written. Twiddle table "of size N" (twiddleSize, a power of two >= 2): N - 1
  // complex entries, stage-major: entry h - 1 + j = exp(-i*pi*j/h) for h = 1, 2, 4, ..., N/2 and
  // j < h. It serves every complex FFT and every real FFT of size <= N.
  // output[i] = f32(input[i * inputStride] - mean) * window[i], i < count; mean (f64) of those
  // inputs when removeMean, else 0; window null = rectangular. In place when stride is 1.
  dsp_window: block('dsp_window', [p('input'), p('window'), p('output'), 'count', 'inputStride', 'removeMean']),
  // In-place complex FFT of `size` points (a power of two <= twiddleSize), radix-2 DIT:
  // X_k = sum x_t exp(-2 pi i k t / size); inverse 1: x_t = (1/size) sum X_k exp(+2 pi i k t / size).
  dsp_fft: block('dsp_fft', [p('data'), p('twiddles'), 'size', 'twiddleSize', 'inverse']),
  // Real FFT: `size` reals (a power of two, 4 <= size <= twiddleSize) -> size/2 + 1 complex bins
  // (size + 2 floats) at output, which may equal input (else it must not overlap it).
  dsp_rfft: block('dsp_rfft', [p('input'), p('output'), p('twiddles'), 'size', 'twiddleSize']),
  // output[k] = scale * |X_k|^2 (magnitude 0) or scale * |X_k| (magnitude 1), k < bins; in place allowed.
  dsp_power: block('dsp_power', [p('input'), p('output'), 'bins', 'magnitude', ['scale', 'f32']]),
  // Sparse filter bank: rows holds (firstBin, count) i32 pairs, one per band; the bands' weights
  // (f32) lie back to back in band order. output[b] = sum_j weights[.. + j] * input[firstBin + j]
  // (f64 sum), then ln(max(sum, floor)) when log is 1. Every row must lie in [0, inputCount).
  dsp_filterbank: block('dsp_filterbank', [p('input'), p('output'), p('rows'), p('weights'), 'inputCount', 'bands', 'log', ['floor', 'f32']]),
  // Time-domain statistics of x[i] = input[i * inputStride], i < count (f64, about the mean):
  // output = [mean, rms, peak, crest, kurtosis] with rms = sqrt(mean(d^2)), peak = max|d|,
  // crest = peak / rms, kurtosis = mean(d^4) / rms^4 (Pearson, 3 for a Gaussian), d = x - mean;
  // crest and kurtosis are 0 when rms is 0.
  dsp_stats: block('dsp_stats', [p('input'), p('output'), 'count', 'inputStride']),
  // Envelope spectrum from the spectrum X of `size` real samples (size/2 + 1 bins): keep bins
  // bandLow..bandHigh (1 <= bandLow <= bandHigh < size/2), form the analytic signal, decimate by
  // size / envelopeSize (exact: the band is shifted to baseband first, so the samples are those
  // of the full-rate envelope; needs bandHigh - bandLow < envelopeSize),
  //   e[s] = (2/size) |sum_j X[bandLow + j] exp(2 pi i j s / envelopeSize)|, s < envelopeSize,
  // subtract its mean, real FFT of envelopeSize points, output[k] = scale * |E_k|, k < outBins
  // (<= envelopeSize/2 + 1; bin spacing = that of X). scratch: 2 * envelopeSize floats.
  dsp_envelope: block('dsp_envelope', [
    p('spectrum'), p('output'), p('twiddles'), p('scratch'),
    'size', 'envelopeSize', 'bandLow', 'bandHigh', 'outBins', 'twiddleSize', ['scale', 'f32'],
  ]),
  // Feature vector of one window: input interleaved f32 [size][channels]; output channel-major,
  // per channel the groups chosen by `features` (bit 1 stats: dsp_stats' 5 values; bit 2 bands:
  // dsp_filterbank of the power spectrum; bit 4 envelope: dsp_filterbank of dsp_envelope's
  // spectrum, envelopeSize/2 + 1 bins). Per channel: mean removed, times window (size f32),
  // dsp_rfft, envelope (scale envelopeScale) from that spectrum, power (powerScale), filter banks
  // (bandRows/bandWeights over size/2 + 1 bins, envelopeRows/envelopeWeights), log and logFloor as
  // for dsp_filterbank. scratch: size + 4 floats, plus 2 * envelopeSize with the envelope.
  dsp_features: block('dsp_features', [
    p('input'), p('output'), p('window'), p('twiddles'), p('bandRows'), p('bandWeights'), p('envelopeRows'), p('envelopeWeights'),
    p('scratch'), 'size', 'channels', 'features', 'bands', 'envelopeSize', 'envelopeLow', 'envelopeHigh', 'envelopeBands',
    'twiddleSize', 'log', ['powerScale', 'f32'], ['envelopeScale', 'f32'], ['logFloor', 'f32'],
  ]),
  // ---- predictive maintenance: a feature vector into the model's input (edgerun.pm) ----
  // The host twin is host/pm/scorer.ts; this computes the same f64 operations in the same order,
  // so the bytes are identical: for i < count, with f = f64(features[i]) (f32),
  //   v = (f - mean[i]) / std[i] / scale[0],  q = sign(v) * roundHalfUp(|v|) + zeroPoint,
  //   byte = clamp(q, -128, 127), 0 when q is NaN (as a JS Int8Array stores NaN).
  // mean, std: count f64 each; scale: one f64 (the input tensor's scale).
  // history: context x count int8, the quantized vectors, oldest first; filled: one i32 (RAM), how
  // many history holds (0 after reset). When history is full it shifts by one vector first; the
  // new vector goes at index filled. Returns 1 while filled < context (input untouched), else
  // copies history to input (context x count int8, the model's input tensor) and returns 0.
  // Status 2 = bad sizes or filled outside 0..context, nothing written.
  pm_quantize: block('pm_quantize', [
    p('features'), p('mean'), p('std'), p('scale'), p('history'), p('input'), p('filled'), 'count', 'context', 'zeroPoint',
  ]),
} as const;

export type KernelName = keyof typeof BLOCKS;

export function blockFor(kernel: KernelName): BlockSpec {
  return BLOCKS[kernel];
}
