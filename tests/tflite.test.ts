/** host/tflite: reader on real fixtures, writer round trips, and malformed models. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../host/errors.js';
import { readModel } from '../host/tflite/reader.js';
import type { Model, Tensor } from '../host/tflite/model.js';
import { writeModel, type ModelSpec, type TensorSpec } from '../host/tflite/writer.js';
import {
  ADD_OPTIONS, AddOptionsField, BuiltinOperator, CONV_2D_OPTIONS, Conv2DOptionsField,
  DepthwiseConv2DOptionsField, FULLY_CONNECTED_OPTIONS, FullyConnectedOptionsField, Padding,
  POOL_2D_OPTIONS, Pool2DOptionsField, RESHAPE_OPTIONS, ReshapeOptionsField, SOFTMAX_OPTIONS,
  SoftmaxOptionsField, builtinOpName, BUILTIN_OPERATOR_NAMES, MAX_BUILTIN_CODE, TENSOR_TYPE_NAMES,
} from '../host/tflite/schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INT8 = 9;
const INT32 = 2;

/** tests/golden/cases/<OP>/<case>/model.tflite and models/*.tflite, whichever exist now. */
function fixtureFiles(): string[] {
  const out: string[] = [];
  const cases = join(ROOT, 'tests/golden/cases');
  if (existsSync(cases)) {
    for (const op of readdirSync(cases).sort()) {
      const opDir = join(cases, op);
      let entries: string[];
      try { entries = readdirSync(opDir).sort(); } catch { continue; }
      for (const c of entries) {
        const f = join(opDir, c, 'model.tflite');
        if (existsSync(f)) out.push(f);
      }
    }
  }
  // EDGERUN_EXTRA_MODELS: more directories of .tflite files (colon-separated), for local runs.
  const dirs = [join(ROOT, 'models'), ...(process.env.EDGERUN_EXTRA_MODELS ?? '').split(':').filter(Boolean)];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.tflite')) out.push(join(dir, f));
  }
  return out;
}

function load(file: string): Model {
  const b = readFileSync(file);
  return readModel(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

function throwsModelError(bytes: Uint8Array, ...patterns: (string | RegExp)[]): string {
  try {
    readModel(bytes);
  } catch (e) {
    assert.instance(e, ModelError, `expected ModelError, got ${String(e)}`);
    const msg = (e as Error).message;
    assert.not.match(msg, /\n/, 'error message must be one line');
    for (const p of patterns) assert.match(msg, p, `message ${JSON.stringify(msg)} lacks ${String(p)}`);
    return msg;
  }
  assert.unreachable('expected a ModelError');
  return '';
}

// ---- a small int8 CONV_2D model used by many tests ------------------------------------------

function convSpec(): ModelSpec {
  const filter = new Int8Array(4 * 3 * 3 * 2).map((_, i) => ((i * 37) % 255) - 127);
  return {
    description: 'conv test',
    tensors: [
      { name: 'input', shape: [1, 5, 5, 2], shapeSignature: [-1, 5, 5, 2], type: INT8, quantization: { scale: [0.05], zeroPoint: [-3] } },
      { name: 'conv1/weights', shape: [4, 3, 3, 2], type: INT8, data: filter, quantization: { scale: [0.01, 0.02, 0.03, 0.04], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 } },
      { name: 'conv1/bias', shape: [4], type: INT32, data: new Int32Array([100, -200, 300, 5]), quantization: { scale: [0.0005, 0.001, 0.0015, 0.002], zeroPoint: [0, 0, 0, 0] } },
      { name: 'output', shape: [1, 5, 5, 4], type: INT8, quantization: { scale: [0.1], zeroPoint: [7] } },
    ],
    operators: [{
      builtinCode: BuiltinOperator.CONV_2D, version: 3, inputs: [0, 1, 2], outputs: [3], optionsType: CONV_2D_OPTIONS,
      options: [
        { field: Conv2DOptionsField.padding, kind: 'int8', value: Padding.VALID },
        { field: Conv2DOptionsField.strideW, kind: 'int32', value: 2 },
        { field: Conv2DOptionsField.strideH, kind: 'int32', value: 3 },
        { field: Conv2DOptionsField.fusedActivationFunction, kind: 'int8', value: 1 },
        { field: Conv2DOptionsField.dilationHFactor, kind: 'int32', value: 2 },
      ],
    }],
    inputs: [0],
    outputs: [3],
    metadata: [{ name: 'min_runtime_version', data: new TextEncoder().encode('1.14.0') }],
    signatures: [{ key: 'serving_default', inputs: [{ name: 'x', tensor: 0 }], outputs: [{ name: 'y', tensor: 3 }] }],
  };
}

/** convSpec with tensor/operator fields replaced. */
function withTensor(i: number, patch: Partial<TensorSpec>): ModelSpec {
  const s = convSpec();
  return { ...s, tensors: s.tensors.map((t, k) => (k === i ? { ...t, ...patch } : t)) };
}

// ---- schema tables --------------------------------------------------------------------------

test('schema: builtin operator table is dense and matches known codes', () => {
  assert.is(BUILTIN_OPERATOR_NAMES.length, MAX_BUILTIN_CODE + 1);
  for (let c = 0; c <= MAX_BUILTIN_CODE; c++) assert.ok(BUILTIN_OPERATOR_NAMES[c], `code ${c} has a name`);
  assert.is(builtinOpName(3), 'CONV_2D');
  assert.is(builtinOpName(4), 'DEPTHWISE_CONV_2D');
  assert.is(builtinOpName(9), 'FULLY_CONNECTED');
  assert.is(builtinOpName(25), 'SOFTMAX');
  assert.is(builtinOpName(127), 'PLACEHOLDER_FOR_GREATER_OP_CODES');
  assert.is(builtinOpName(128), 'CUMSUM');
  assert.is(builtinOpName(150), 'GELU');
  assert.is(builtinOpName(206), 'STABLEHLO_COMPOSITE');
  assert.is(builtinOpName(MAX_BUILTIN_CODE + 1), `UNKNOWN(${MAX_BUILTIN_CODE + 1})`);
  assert.is(TENSOR_TYPE_NAMES[INT8], 'INT8');
  assert.equal([CONV_2D_OPTIONS, POOL_2D_OPTIONS, FULLY_CONNECTED_OPTIONS, SOFTMAX_OPTIONS, ADD_OPTIONS, RESHAPE_OPTIONS], [1, 5, 8, 9, 11, 17]);
});

// ---- real fixtures ---------------------------------------------------------------------------

const fixtures = fixtureFiles();

function checkQuantizedWeights(m: Model, op: Model['operators'][number], filterIndex: number, channelDim: number): void {
  const w = m.tensors[op.inputs[filterIndex]!]!;
  if (w.type !== INT8 || !w.quantization) return;
  const n = w.quantization.scale.length;
  const channels = w.shape[channelDim]!;
  assert.ok(n === 1 || n === channels, `${op.opName} ${w.name}: ${n} scales for ${channels} channels`);
  if (n > 1) assert.is(w.quantization.quantizedDimension, channelDim, `${op.opName} ${w.name}: quantized_dimension`);
  const densified = m.operators.some((d) => d.opName === 'DENSIFY' && d.outputs[0] === w.index);
  assert.ok(w.data || densified, `${op.opName} ${w.name}: constant filter has data (or is a DENSIFY output)`);
}

test(`real models: ${fixtures.length} fixture file(s) read with sensible content`, () => {
  const seenOps = new Set<string>();
  for (const file of fixtures) {
    const where = file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
    let m: Model;
    try { m = load(file); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
    assert.is(m.version, 3, where);
    assert.ok(m.subgraphCount >= 1, where);
    assert.ok(m.operators.length >= 1, `${where}: has operators`);
    assert.ok(m.inputs.length >= 1 && m.outputs.length >= 1, `${where}: has inputs and outputs`);
    // DENSIFY outputs are weights (per-channel), not activations.
    const densified = new Set(m.operators.filter((op) => op.opName === 'DENSIFY').flatMap((op) => op.outputs));
    for (const t of m.tensors) {
      if (t.type === INT8 && !t.data && t.quantization && !densified.has(t.index)) {
        assert.is(t.quantization.scale.length, 1, `${where}: activation ${t.name} per-tensor quantized`);
      }
    }
    for (const op of m.operators) {
      assert.not.match(op.opName, /^UNKNOWN/, `${where}: op ${op.index} known`);
      seenOps.add(op.opName);
      const out = m.tensors[op.outputs[0]!]!;
      if (op.opName === 'CONV_2D') {
        assert.is(op.inputs.length, 3, `${where}: CONV_2D has input, filter, bias`);
        checkQuantizedWeights(m, op, 1, 0);
        const filter = m.tensors[op.inputs[1]!]!;
        assert.is(filter.shape[0], out.shape[3], `${where}: filter output channels match output`);
        assert.ok(op.options && op.options.int32(Conv2DOptionsField.strideW, 0) >= 1, `${where}: stride_w >= 1`);
      } else if (op.opName === 'DEPTHWISE_CONV_2D') {
        checkQuantizedWeights(m, op, 1, 3);
        assert.ok(op.options && op.options.int32(DepthwiseConv2DOptionsField.strideH, 0) >= 1, `${where}: stride_h >= 1`);
      } else if (op.opName === 'FULLY_CONNECTED') {
        checkQuantizedWeights(m, op, 1, 0);
        assert.ok(op.options === null || op.optionsType === FULLY_CONNECTED_OPTIONS, where);
      } else if (op.opName === 'AVERAGE_POOL_2D' || op.opName === 'MAX_POOL_2D') {
        assert.ok(op.options && op.options.int32(Pool2DOptionsField.filterWidth, 0) >= 1, `${where}: filter_width >= 1`);
      } else if (op.opName === 'SOFTMAX') {
        assert.ok(op.options && op.options.float32(SoftmaxOptionsField.beta, 0) > 0, `${where}: beta > 0`);
      }
      if (out.type === INT8) assert.ok(out.quantization, `${where}: int8 output of ${op.opName} is quantized`);
    }
  }
  if (fixtures.length) console.log(`  read ${fixtures.length} fixtures; ops: ${[...seenOps].sort().join(' ')}`);
  else console.log('  no fixture models yet (tests/golden/cases, models/): skipped');
});

// ---- writer round trips ----------------------------------------------------------------------

function sameTensor(a: Tensor, spec: TensorSpec): void {
  assert.is(a.name, spec.name ?? '');
  assert.equal(a.shape, [...spec.shape]);
  assert.equal(a.shapeSignature, spec.shapeSignature ? [...spec.shapeSignature] : null);
  assert.is(a.type as number, spec.type);
  if (spec.data) {
    const d = spec.data;
    assert.equal(Array.from(a.data ?? []), Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  } else {
    assert.is(a.data, null);
  }
  if (spec.quantization) {
    assert.equal(Array.from(a.quantization!.scale), spec.quantization.scale.map((s) => Math.fround(s)));
    assert.equal(Array.from(a.quantization!.zeroPoint), spec.quantization.zeroPoint.map(Number));
    assert.is(a.quantization!.quantizedDimension, spec.quantization.quantizedDimension ?? 0);
  } else {
    assert.is(a.quantization, null);
  }
  assert.is(a.isVariable, spec.isVariable ?? false);
  assert.is(a.isSparse, spec.sparse ?? false);
}

test('round trip: CONV_2D model content, options, metadata, signatures', () => {
  const spec = convSpec();
  const bytes = writeModel(spec);
  assert.is(new TextDecoder().decode(bytes.subarray(4, 8)), 'TFL3');
  assert.is(bytes.length % 16, 0);
  const m = readModel(bytes);
  assert.is(m.version, 3);
  assert.is(m.description, 'conv test');
  assert.is(m.subgraphCount, 1);
  assert.equal(m.inputs, [0]);
  assert.equal(m.outputs, [3]);
  assert.is(m.tensors.length, 4);
  m.tensors.forEach((t, i) => { assert.is(t.index, i); sameTensor(t, spec.tensors[i]!); });
  assert.equal(m.operatorCodes, [{ builtinCode: 3, customCode: null, version: 3 }]);
  const op = m.operators[0]!;
  assert.is(op.opName, 'CONV_2D');
  assert.equal(op.inputs, [0, 1, 2]);
  assert.equal(op.outputs, [3]);
  assert.is(op.optionsType, CONV_2D_OPTIONS);
  const o = op.options!;
  assert.is(o.int8(Conv2DOptionsField.padding, -1), Padding.VALID);
  assert.is(o.int32(Conv2DOptionsField.strideW, 0), 2);
  assert.is(o.int32(Conv2DOptionsField.strideH, 0), 3);
  assert.is(o.uint8(Conv2DOptionsField.fusedActivationFunction, 0), 1);
  assert.is(o.int32(Conv2DOptionsField.dilationWFactor, 1), 1, 'absent field gives default');
  assert.not.ok(o.has(Conv2DOptionsField.dilationWFactor));
  assert.is(o.int32(Conv2DOptionsField.dilationHFactor, 1), 2);
  assert.is(o.int32(40, 7), 7, 'field beyond the vtable gives default');
  assert.is(m.metadata.length, 1);
  assert.is(m.metadata[0]!.name, 'min_runtime_version');
  assert.is(new TextDecoder().decode(m.metadata[0]!.data!), '1.14.0');
  assert.equal(m.signatures, [{ key: 'serving_default', inputs: [{ name: 'x', tensor: 0 }], outputs: [{ name: 'y', tensor: 3 }] }]);
  // Constant data is a view into the file, not a copy.
  assert.is(m.tensors[1]!.data!.buffer, bytes.buffer);
  assert.is((m.tensors[1]!.data!.byteOffset - bytes.byteOffset) % 16, 0, 'buffer data is 16-byte aligned');
});

test('round trip: FC, SOFTMAX, RESHAPE, ADD, POOL options and optional inputs', () => {
  const q = (s: number, z = 0) => ({ scale: [s], zeroPoint: [z] });
  const spec: ModelSpec = {
    tensors: [
      { name: 'x', shape: [1, 4, 4, 2], type: INT8, quantization: q(0.1, 1) },
      { name: 'pooled', shape: [1, 2, 2, 2], type: INT8, quantization: q(0.1, 1) },
      { name: 'flat', shape: [1, 8], type: INT8, quantization: q(0.1, 1) },
      { name: 'w', shape: [3, 8], type: INT8, data: new Int8Array(24).fill(5), quantization: { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0] } },
      { name: 'fc', shape: [1, 3], type: INT8, quantization: q(0.3, -5) },
      { name: 'sum', shape: [1, 3], type: INT8, quantization: q(0.5, 2) },
      { name: 'prob', shape: [1, 3], type: INT8, quantization: q(1 / 256, -128) },
    ],
    operators: [
      { builtinCode: BuiltinOperator.AVERAGE_POOL_2D, inputs: [0], outputs: [1], optionsType: POOL_2D_OPTIONS, options: [
        { field: Pool2DOptionsField.padding, kind: 'int8', value: Padding.VALID },
        { field: Pool2DOptionsField.strideW, kind: 'int32', value: 2 }, { field: Pool2DOptionsField.strideH, kind: 'int32', value: 2 },
        { field: Pool2DOptionsField.filterWidth, kind: 'int32', value: 2 }, { field: Pool2DOptionsField.filterHeight, kind: 'int32', value: 2 }] },
      { builtinCode: BuiltinOperator.RESHAPE, inputs: [1], outputs: [2], optionsType: RESHAPE_OPTIONS, options: [
        { field: ReshapeOptionsField.newShape, kind: 'int32[]', value: [1, 8] }] },
      { builtinCode: BuiltinOperator.FULLY_CONNECTED, version: 4, inputs: [2, 3, -1], outputs: [4], optionsType: FULLY_CONNECTED_OPTIONS, options: [
        { field: FullyConnectedOptionsField.keepNumDims, kind: 'bool', value: true }] },
      { builtinCode: BuiltinOperator.ADD, inputs: [4, 4], outputs: [5], optionsType: ADD_OPTIONS, options: [
        { field: AddOptionsField.fusedActivationFunction, kind: 'int8', value: 3 }] },
      { builtinCode: BuiltinOperator.SOFTMAX, inputs: [5], outputs: [6], optionsType: SOFTMAX_OPTIONS, options: [
        { field: SoftmaxOptionsField.beta, kind: 'float32', value: 0.75 }] },
    ],
    inputs: [0],
    outputs: [6],
  };
  const m = readModel(writeModel(spec));
  assert.equal(m.operators.map((o) => o.opName), ['AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'ADD', 'SOFTMAX']);
  m.tensors.forEach((t, i) => sameTensor(t, spec.tensors[i]!));
  const [pool, reshape, fc, add, softmax] = m.operators.map((o) => o.options!);
  assert.is(pool!.int32(Pool2DOptionsField.filterHeight, 0), 2);
  assert.equal(Array.from(reshape!.int32Vector(ReshapeOptionsField.newShape)!), [1, 8]);
  assert.is(reshape!.int32Vector(3), null);
  assert.is(fc!.bool(FullyConnectedOptionsField.keepNumDims, false), true);
  assert.is(fc!.bool(FullyConnectedOptionsField.asymmetricQuantizeInputs, false), false);
  assert.is(add!.int8(AddOptionsField.fusedActivationFunction, 0), 3);
  assert.is(add!.bool(AddOptionsField.potScaleInt16, true), true, 'schema default');
  assert.is(softmax!.float32(SoftmaxOptionsField.beta, 1), 0.75);
  assert.equal(m.operators[2]!.inputs, [2, 3, -1]);
  assert.equal(m.operatorCodes.map((c) => c.version), [1, 1, 4, 1, 1]);
});

test('round trip: codes > 127, legacy int8 codes, custom and unknown ops', () => {
  const t: TensorSpec = { name: 't', shape: [2], type: INT8, quantization: { scale: [1], zeroPoint: [0] } };
  const ops = (codes: number[]) => codes.map((c, i) => ({ builtinCode: c, inputs: [i], outputs: [i + 1], ...(c === 32 ? { customCode: 'MyOp' } : {}) }));
  const spec: ModelSpec = { tensors: [t, t, t, t, t], operators: ops([150, 32, 250, 3]), inputs: [0], outputs: [4] };
  const m = readModel(writeModel(spec));
  assert.equal(m.operators.map((o) => o.opName), ['GELU', 'CUSTOM:MyOp', 'UNKNOWN(250)', 'CONV_2D']);
  assert.equal(m.operators.map((o) => o.builtinCode), [150, 32, 250, 3]);
  assert.is(m.operatorCodes[1]!.customCode, 'MyOp');
  // Models older than schema 3a carry only the int8 deprecated_builtin_code.
  const legacy = readModel(writeModel({ ...spec, operators: ops([3, 4, 9, 126]), deprecatedOpcodesOnly: true }));
  assert.equal(legacy.operators.map((o) => o.opName), ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'BATCH_MATMUL']);
  // deprecated_builtin_code = 127 alone resolves to the placeholder code.
  const placeholder = readModel(writeModel({ ...spec, operators: ops([150]), tensors: [t, t], outputs: [1], deprecatedOpcodesOnly: true }));
  assert.is(placeholder.operators[0]!.opName, 'PLACEHOLDER_FOR_GREATER_OP_CODES');
});

test('round trip: offset/size buffers (> 2 GB form), no identifier, subgraphs, variables, sparse, int4', () => {
  const spec = convSpec();
  const inline = readModel(writeModel(spec));
  const bytes = writeModel({ ...spec, bufferStorage: 'offset' });
  const off = readModel(bytes);
  off.tensors.forEach((t, i) => assert.equal(Array.from(t.data ?? []), Array.from(inline.tensors[i]!.data ?? [])));
  assert.is(off.tensors[1]!.data!.buffer, bytes.buffer, 'offset data is a view too');
  assert.is(new TextDecoder().decode(off.metadata[0]!.data!), '1.14.0');

  const noId = writeModel({ ...spec, fileIdentifier: false });
  assert.is.not(new TextDecoder().decode(noId.subarray(4, 8)), 'TFL3');
  assert.is(readModel(noId).tensors.length, 4);

  const multi = readModel(writeModel({
    ...spec, extraSubgraphs: 2,
    signatures: [...spec.signatures!, { key: 'other', inputs: [], outputs: [], subgraphIndex: 2 }],
  }));
  assert.is(multi.subgraphCount, 3);
  assert.equal(multi.signatures.map((s) => s.key), ['serving_default'], 'only subgraph 0 signatures');

  const state = readModel(writeModel(withTensor(0, { isVariable: true, sparse: true })));
  assert.ok(state.tensors[0]!.isVariable);
  assert.ok(state.tensors[0]!.isSparse);
  // Sparse constant data holds compressed values: no dense length check.
  assert.ok(readModel(writeModel(withTensor(1, { sparse: true, data: new Int8Array(10) }))).tensors[1]!.isSparse);

  const int4 = (n: number) => readModel(writeModel(withTensor(1, { type: 17, data: new Uint8Array(n), quantization: undefined }))).tensors[1]!;
  assert.is(int4(36).data!.length, 36, 'INT4 packed: 72 elements in 36 bytes');
  assert.is(int4(72).data!.length, 72, 'INT4 one element per byte');
  throwsModelError(writeModel(withTensor(1, { type: 17, data: new Uint8Array(40), quantization: undefined })), 'needs 36');
});

test('reader is fast: ~1 MB model', () => {
  const tensors: TensorSpec[] = [{ name: 'x', shape: [1, 64], type: INT8 }];
  const operators: ModelSpec['operators'][number][] = [];
  for (let i = 0; i < 64; i++) {
    tensors.push({ name: `w${i}`, shape: [256, 64], type: INT8, data: new Int8Array(256 * 64), quantization: { scale: new Array(256).fill(0.01), zeroPoint: new Array(256).fill(0) } });
    tensors.push({ name: `y${i}`, shape: [1, 256], type: INT8, quantization: { scale: [0.1], zeroPoint: [0] } });
    operators.push({ builtinCode: 9, inputs: [i === 0 ? 0 : 2 * i, 2 * i + 1, -1], outputs: [2 * i + 2] });
  }
  const bytes = writeModel({ tensors, operators, inputs: [0], outputs: [tensors.length - 1] });
  assert.ok(bytes.length > 1_000_000);
  readModel(bytes);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) readModel(bytes);
  const ms = (performance.now() - t0) / 20;
  console.log(`  ${(bytes.length / 1e6).toFixed(2)} MB model with ${tensors.length} tensors: ${ms.toFixed(2)} ms per read`);
});

// ---- malformed models --------------------------------------------------------------------------

test('malformed: tensor indices', () => {
  const s = convSpec();
  const op = s.operators[0]!;
  throwsModelError(writeModel({ ...s, operators: [{ ...op, inputs: [0, 99, 2] }] }),
    /^operator 0 \(CONV_2D\): input tensor index 99 out of range \(model has 4 tensors\)$/);
  throwsModelError(writeModel({ ...s, operators: [{ ...op, inputs: [0, -2, 2] }] }), 'operator 0 (CONV_2D)', 'index -2');
  throwsModelError(writeModel({ ...s, operators: [{ ...op, outputs: [-1] }] }), 'operator 0', 'output tensor index -1');
  throwsModelError(writeModel({ ...s, inputs: [4] }), /^subgraph 0: input tensor index 4 out of range/);
  throwsModelError(writeModel({ ...s, outputs: [-1] }), 'subgraph 0: output tensor index -1');
  throwsModelError(writeModel({ ...s, signatures: [{ key: 'k', inputs: [{ name: 'x', tensor: 17 }], outputs: [] }] }),
    'signature 0 ("k")', 'tensor index 17 out of range');
  throwsModelError(writeModel({ ...s, signatures: [{ key: 'k', inputs: [], outputs: [], subgraphIndex: 5 }] }), 'subgraph index 5 out of range');
});

test('malformed: buffers and data lengths', () => {
  throwsModelError(writeModel(withTensor(1, { data: new Int8Array(100) })),
    /^tensor 1 \("conv1\/weights"\): buffer 1 holds 100 bytes, shape \[4,3,3,2\] of INT8 needs 72$/);
  throwsModelError(writeModel(withTensor(2, { data: new Int8Array(15) })), 'tensor 2 ("conv1/bias")', 'holds 15 bytes', 'INT32 needs 16');
  throwsModelError(writeModel(withTensor(0, { buffer: 42 })), 'tensor 0 ("input"): buffer index 42 out of range (model has 4 buffers)');
  const s = convSpec();
  throwsModelError(writeModel({ ...s, metadata: [{ name: 'm', data: null, buffer: 9 }] }), 'metadata 0 ("m"): buffer index 9 out of range');
  // Offset-form data cut off by truncation.
  const off = writeModel({ ...s, bufferStorage: 'offset' });
  throwsModelError(off.slice(0, off.length - 3), /^buffer \d+: data at offset \d+ \(\d+ bytes\) lies beyond the \d+-byte file$/);
});

test('malformed: shapes and types', () => {
  throwsModelError(writeModel(withTensor(3, { shape: [1, -5, 5, 4] })), 'tensor 3 ("output"): negative dimension -5 in shape [1,-5,5,4]');
  throwsModelError(writeModel(withTensor(0, { shapeSignature: [-2, 5, 5, 2] })), 'tensor 0 ("input")', 'dimension -2 in shape_signature');
  throwsModelError(writeModel(withTensor(0, { shapeSignature: [-1, 5, 5] })), 'tensor 0', 'rank 3', 'rank 4');
  throwsModelError(writeModel(withTensor(3, { shape: [65536, 65536], quantization: undefined })), 'tensor 3', '4294967296 bytes', '256 MiB');
  throwsModelError(writeModel(withTensor(3, { shape: [2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647], quantization: undefined })), 'tensor 3', '256 MiB');
  throwsModelError(writeModel(withTensor(3, { type: 42 })), 'tensor 3 ("output"): unknown tensor type 42');
  assert.is(readModel(writeModel(withTensor(3, { shape: [0, 65536, 65536, 65536] }))).tensors[3]!.shape[0], 0, 'zero-size tensor is fine');
});

test('malformed: quantization', () => {
  const q = (scale: number[], zeroPoint: (number | bigint)[], quantizedDimension = 0) => ({ quantization: { scale, zeroPoint, quantizedDimension } });
  throwsModelError(writeModel(withTensor(1, q([0.1, 0.2, 0.3, 0.4], [0, 0, 0]))), 'tensor 1 ("conv1/weights"): quantization has 4 scales but 3 zero points');
  throwsModelError(writeModel(withTensor(1, q([0.1, 0.2, 0.3], [0, 0, 0]))), 'tensor 1', '3 scales', '4 channels along dimension 0');
  throwsModelError(writeModel(withTensor(1, q([0.1, 0.2, 0.3], [0, 0, 0], 3))), 'tensor 1', '3 scales', '2 channels along dimension 3');
  assert.is(readModel(writeModel(withTensor(1, q([0.1, 0.2], [0, 0], 3)))).tensors[1]!.quantization!.quantizedDimension, 3);
  throwsModelError(writeModel(withTensor(1, q([0.1], [0], 4))), 'tensor 1', 'quantized_dimension 4 out of range for rank 4');
  throwsModelError(writeModel(withTensor(1, q([0.1], [0], -1))), 'quantized_dimension -1');
  throwsModelError(writeModel(withTensor(0, q([0], [0]))), 'tensor 0 ("input"): quantization scale[0] = 0, must be finite and > 0');
  throwsModelError(writeModel(withTensor(0, q([NaN], [0]))), 'scale[0] = NaN');
  throwsModelError(writeModel(withTensor(0, q([-1], [0]))), 'scale[0] = -1');
  throwsModelError(writeModel(withTensor(0, q([Infinity], [0]))), 'scale[0] = Infinity');
  throwsModelError(writeModel(withTensor(0, q([0.5], [2n ** 40n]))), 'zero_point[0] = 1099511627776 is outside int32');
  throwsModelError(writeModel(withTensor(0, q([0.5], [-(2n ** 31n) - 1n]))), 'zero_point[0] = -2147483649');
  // int8 values: the kernels bound |x - zero point| by 255.
  throwsModelError(writeModel(withTensor(0, q([0.5], [-1128]))), 'tensor 0 ("input"): quantization zero_point[0] = -1128 is outside int8 (-128..127)');
  throwsModelError(writeModel(withTensor(3, q([0.5], [128]))), 'tensor 3 ("output"): quantization zero_point[0] = 128 is outside int8');
  assert.is(readModel(writeModel(withTensor(3, q([0.5], [-128])))).tensors[3]!.quantization!.zeroPoint[0], -128);
  assert.is(readModel(writeModel(withTensor(2, q([0.5], [-(2n ** 31n)])))).tensors[2]!.quantization!.zeroPoint[0], -(2 ** 31), 'int32 tensors take any int32 zero point');
  assert.is(readModel(writeModel(withTensor(0, q([], [])))).tensors[0]!.quantization, null, 'empty quantization = none');
});

test('malformed: operator codes', () => {
  const s = convSpec();
  throwsModelError(writeModel({ ...s, operators: [{ ...s.operators[0]!, opcodeIndex: 1 }] }),
    /^operator 0: opcode index 1 out of range \(model has 1 operator codes\)$/);
  throwsModelError(writeModel({ ...s, operators: [{ ...s.operators[0]!, builtinCode: 32 }] }), 'operator code 0: CUSTOM op without a custom_code');
  throwsModelError(writeModel({ ...s, operators: [{ ...s.operators[0]!, builtinCode: -3 }] }), 'operator code 0: negative builtin code -3');
});

/** Position of the root table and its vtable in a writer-built model. */
function rootVtable(bytes: Uint8Array): { root: number; vt: number; dv: DataView } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const root = dv.getUint32(0, true);
  return { root, vt: root - dv.getInt32(root, true), dv };
}

test('malformed: flatbuffer structure', () => {
  const good = writeModel(convSpec());
  throwsModelError(new Uint8Array(0), /^model: truncated file \(0 bytes/);
  throwsModelError(good.slice(0, 7), 'model: truncated file (7 bytes');
  throwsModelError(good.slice(0, good.length >> 1), 'truncated file', `beyond ${good.length >> 1} bytes`);
  throwsModelError(good.slice(0, 40), /truncated file \(.* ends at offset \d+, beyond 40 bytes\)/);

  const badRoot = good.slice();
  new DataView(badRoot.buffer).setUint32(0, 0xfffff000, true);
  throwsModelError(badRoot, /^model: truncated file \(root table ends at offset 4294963204, beyond \d+ bytes\)$/);

  const badVt = good.slice();
  const a = rootVtable(badVt);
  a.dv.setInt32(a.root, -100000, true);
  throwsModelError(badVt, 'model: root table has its vtable at offset');

  const oddVsize = good.slice();
  const b = rootVtable(oddVsize);
  b.dv.setUint16(b.vt, 3, true);
  throwsModelError(oddVsize, 'model: root table has a bad vtable size 3');

  const smallTable = good.slice();
  const c = rootVtable(smallTable);
  c.dv.setUint16(c.vt + 2, 4, true);
  throwsModelError(smallTable, 'model: root table field 0 at offset', 'outside its 4-byte table');

  const v2 = writeModel({ ...convSpec(), version: 2 });
  throwsModelError(v2, 'model: schema version 2, expected 3');
  const junk = new Uint8Array(64).map((_, i) => (i * 13) & 0xff);
  throwsModelError(junk, /^model: /);
  const zeros = new Uint8Array(64);
  new DataView(zeros.buffer).setUint32(0, 16, true);
  zeros[12] = 4; // vtable at 12: 4 bytes, table size 4; root at 16 with soffset 4
  zeros[14] = 4;
  zeros[16] = 4;
  throwsModelError(zeros, 'model: schema version 0, expected 3 (no "TFL3" identifier: not a .tflite file?)');
  throwsModelError(new TextEncoder().encode('{"this": "is json, not a model"}'), /^model: /);
  assert.throws(() => readModel('nope' as unknown as Uint8Array), (e: unknown) => e instanceof ModelError);
});

test('malformed: shared vectors cannot cause quadratic work', () => {
  // 3000 tensors whose table offsets all point at tensor 0, which has a rank-3000 shape.
  const n = 3000;
  const tensors: TensorSpec[] = [{ name: 'big', shape: new Array(n).fill(1), type: INT8 }];
  for (let i = 1; i < n; i++) tensors.push({ shape: [], type: INT8 });
  const bytes = writeModel({ tensors, operators: [], inputs: [0], outputs: [0] });
  assert.is(readModel(bytes).tensors.length, n, 'unshared version reads');
  const { root, dv } = rootVtable(bytes);
  const field = (table: number, id: number): number => {
    const vt = table - dv.getInt32(table, true);
    const off = dv.getUint16(vt + 4 + 2 * id, true);
    return table + off;
  };
  const deref = (p: number) => p + dv.getUint32(p, true);
  const subgraphs = deref(field(root, 2));
  const sg = deref(subgraphs + 4);
  const vec = deref(field(sg, 0));
  const first = deref(vec + 4);
  for (let i = 1; i < n; i++) dv.setUint32(vec + 4 + 4 * i, first - (vec + 4 + 4 * i), true);
  throwsModelError(bytes, 'decoded structure exceeds', 'shared or overlapping');
});

test.run();
