/** One served model: the active slot's verified bundle and its instance. */
import type { VerifiedBundle } from '../bundle/verify.js';
import { viewBytes } from '../bundle/verify.js';
import { InputError } from '../errors.js';
import type { CompiledInterpreter } from '../run/compiled.js';
import type { Slot } from './store.js';

export interface OutputTensor {
  name: string;
  shape: number[];
  dtype: string;
  scale: number;
  zeroPoint: number;
  /** A copy of the output bytes. */
  data: Uint8Array;
}

export interface InferResult {
  name: string;
  version: number;
  outputs: OutputTensor[];
  latencyMs: number;
}

export class ModelServer {
  readonly version: number;

  constructor(
    readonly name: string, readonly slot: Slot, readonly bundle: VerifiedBundle,
    readonly interpreter: CompiledInterpreter,
  ) {
    this.version = bundle.manifest.version;
  }

  get inputBytes(): number {
    return this.interpreter.inputs.reduce((s, t) => s + t.bytes, 0);
  }

  /** Inputs: one byte array per model input, or one holding all of them back to back. */
  infer(inputs: Uint8Array[]): InferResult {
    const tensors = this.interpreter.inputs;
    const parts = inputs.length === 1 && tensors.length > 1 ? split(inputs[0], tensors.map((t) => t.bytes)) : inputs;
    if (parts.length !== tensors.length) throw new InputError(`model ${this.name} takes ${tensors.length} inputs, got ${inputs.length}`);
    parts.forEach((bytes, i) => {
      const t = tensors[i];
      if (bytes.length !== t.bytes) throw new InputError(`input ${i} (${JSON.stringify(t.name)}, ${t.dtype} [${t.shape.join(', ')}]) needs ${t.bytes} bytes, got ${bytes.length}`);
    });
    const t0 = performance.now();
    parts.forEach((bytes, i) => viewBytes(tensors[i].data).set(bytes));
    this.interpreter.invoke();
    const latencyMs = performance.now() - t0;
    const outputs = this.interpreter.outputs.map((o) => ({
      name: o.name, shape: o.shape, dtype: o.dtype, scale: o.scale, zeroPoint: o.zeroPoint, data: viewBytes(o.data).slice(),
    }));
    return { name: this.name, version: this.version, outputs, latencyMs };
  }

  status(now: Date) {
    const m = this.bundle.manifest;
    const mem = this.interpreter.model.memory;
    return {
      version: m.version,
      slot: this.slot,
      manifestSha256: this.bundle.manifestSha256,
      moduleSha256: m.module.sha256,
      keyId: this.bundle.key.id,
      created: m.created,
      expires: m.expires,
      expired: m.expires !== null && now.getTime() > Date.parse(m.expires),
      kernels: m.module.kernels,
      features: m.module.features,
      memory: {
        ramBytes: mem.ramBytes, romBytes: mem.romBytes, romDataBytes: mem.romDataBytes, codeBytes: mem.codeBytes,
        linearMemoryBytes: mem.linearMemoryBytes, pages: this.interpreter.linearMemory.pages,
      },
      inputs: m.inputs,
      outputs: m.outputs,
    };
  }
}

function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== total) throw new InputError(`the inputs need ${total} bytes back to back (${sizes.join(' + ')}), got ${bytes.length}`);
  let at = 0;
  return sizes.map((n) => bytes.subarray(at, at += n));
}

const ARRAYS = {
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array,
} as const;
const RANGES: Record<string, [number, number]> = {
  int8: [-128, 127], uint8: [0, 255], bool: [0, 1], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** A JSON value as an error message shows it: numbers and short strings as they are, else their kind. */
function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return v.length <= 32 ? JSON.stringify(v) : 'a string';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** JSON numbers to a tensor's bytes, each checked against the dtype's range. */
export function encodeValues(values: unknown, dtype: string, what: string): Uint8Array {
  if (!Array.isArray(values)) throw new InputError(`${what}: must be an array of numbers`);
  if (dtype === 'int64') {
    const out = new BigInt64Array(values.length);
    values.forEach((v, i) => {
      if (!Number.isSafeInteger(v)) throw new InputError(`${what}[${i}]: ${describe(v)} is not a whole number`);
      out[i] = BigInt(v as number);
    });
    return viewBytes(out);
  }
  const Array_ = ARRAYS[dtype as keyof typeof ARRAYS];
  if (!Array_) throw new InputError(`${what}: dtype ${dtype} cannot be given as JSON`);
  const range = RANGES[dtype];
  const out = new Array_(values.length);
  values.forEach((v, i) => {
    const ok = typeof v === 'number' && (range ? Number.isInteger(v) && v >= range[0] && v <= range[1] : Number.isFinite(v));
    if (!ok) throw new InputError(`${what}[${i}]: ${describe(v)} is not a ${dtype}${range ? ` (${range[0]}..${range[1]})` : ''}`);
    out[i] = v as number;
  });
  return viewBytes(out);
}

/** An output as JSON: its values, and for quantized tensors the real values (scale * (q - zeroPoint)). */
export function outputJson(o: OutputTensor) {
  const copy = o.data.slice();
  const Array_ = ARRAYS[o.dtype as keyof typeof ARRAYS];
  const data = o.dtype === 'int64'
    ? Array.from(new BigInt64Array(copy.buffer), Number)
    : Array.from(new Array_(copy.buffer, 0, copy.byteLength / Array_.BYTES_PER_ELEMENT));
  const quantized = o.scale !== 0 && o.dtype !== 'float32';
  return {
    name: o.name, shape: o.shape, dtype: o.dtype, scale: o.scale, zeroPoint: o.zeroPoint, data,
    ...(quantized ? { values: data.map((q) => o.scale * (q - o.zeroPoint)) } : {}),
  };
}

/** JSON inputs: {"inputs": [[...], ...]}, {"input": [...]}, or a bare array (one input, or one
 *  array per input). */
export function jsonInputs(body: Uint8Array, dtypes: string[]): Uint8Array[] {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new InputError('body is not JSON');
  }
  const o = (value ?? {}) as { inputs?: unknown; input?: unknown };
  const lists = Array.isArray(value) ? (dtypes.length > 1 ? value : [value]) : Array.isArray(o.inputs) ? o.inputs : o.input !== undefined ? [o.input] : null;
  if (!lists) throw new InputError('JSON inputs must be {"inputs": [[...], ...]}, {"input": [...]} or an array');
  if (lists.length !== dtypes.length) throw new InputError(`the model takes ${dtypes.length} inputs, got ${lists.length}`);
  return lists.map((l, i) => encodeValues(l, dtypes[i], `inputs[${i}]`));
}
