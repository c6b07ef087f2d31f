/**
 * The engines under test, behind one shape: `step()` = copy the model's input bytes in, run one
 * inference, copy the output bytes out. That is exactly what each peer's `run` does, so edgerun
 * also copies its outputs out of its zero-copy views (a few hundred bytes at most).
 */
import { benchmark, loadModel } from '../host/index.js';
import type { Peer, PeerSession } from './peers/index.js';
import type { BenchModel, Tensor } from './models.js';
import type { Timed } from './timing.js';

export interface Engine extends Timed {
  step(): Uint8Array[];
  dispose(): void;
}

export interface EdgerunEngine extends Engine {
  /** edgerun's own MAC count for the model (sum over kernel calls). */
  macs: number;
  ramBytes: number;
  romBytes: number;
  /** Bytes of the kernel module this interpreter runs. */
  codeBytes: number;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function edgerunEngine(m: BenchModel): EdgerunEngine {
  const model = loadModel(m.bytes, { kernels: 'simd' });
  const interpreter = model.createInterpreter();
  if (interpreter.inputs.length !== m.inputs.length) {
    throw new Error(`model has ${interpreter.inputs.length} inputs, the list gives ${m.inputs.length}`);
  }
  const ins = interpreter.inputs.map((t, i) => {
    const view = bytesOf(t.data);
    if (view.byteLength !== m.inputs[i].data.byteLength) {
      throw new Error(`input ${i} needs ${view.byteLength} bytes, ${m.name}'s input file has ${m.inputs[i].data.byteLength}`);
    }
    return view;
  });
  const outs = interpreter.outputs.map((t) => bytesOf(t.data));
  const data = m.inputs.map((t) => t.data);
  return {
    name: 'edgerun',
    macs: benchmark(interpreter, { iterations: 1, warmup: 0 }).macs,
    ramBytes: model.memory.ramBytes,
    romBytes: model.memory.romBytes,
    codeBytes: model.memory.codeBytes,
    step(): Uint8Array[] {
      for (let i = 0; i < ins.length; i++) ins[i].set(data[i]);
      interpreter.invoke();
      return outs.map((o) => o.slice());
    },
    dispose(): void {},
  };
}

export interface PeerEngine extends Engine {
  session: PeerSession;
}

export async function peerEngine(peer: Peer, m: BenchModel): Promise<PeerEngine> {
  const session = await peer.open(m.bytes.slice());
  const data = m.inputs.map((t) => t.data);
  return {
    name: session.name,
    session,
    step: () => session.run(data),
    dispose: () => session.dispose(),
  };
}

export interface OutputDiff {
  /** Output bytes that differ from the reference (all of an output's bytes when its size is wrong). */
  bytes: number;
  /** Differing elements, and the largest |difference| between elements of same-size outputs. */
  elements: number;
  maxAbs: number;
  /** Reference output bytes. */
  total: number;
  /** An output is missing or has the wrong size. */
  sizeMismatch: boolean;
}

function elements(t: Tensor, bytes: Uint8Array): ArrayLike<number> {
  const b = bytes.slice();
  switch (t.dtype) {
    case 'int8': return new Int8Array(b.buffer);
    case 'int16': return new Int16Array(b.buffer);
    case 'int32': return new Int32Array(b.buffer);
    case 'float32': return new Float32Array(b.buffer);
    default: return b;
  }
}

/** Compares outputs with the reference tensors, byte for byte and element for element. */
export function diffOutputs(got: Uint8Array[], expected: Tensor[]): OutputDiff {
  const d: OutputDiff = { bytes: 0, elements: 0, maxAbs: 0, total: 0, sizeMismatch: got.length !== expected.length };
  expected.forEach((t, i) => {
    const have = got[i] ?? new Uint8Array(0);
    d.total += t.data.byteLength;
    if (have.byteLength !== t.data.byteLength) {
      d.bytes += t.data.byteLength;
      d.sizeMismatch = true;
      return;
    }
    for (let j = 0; j < have.byteLength; j++) if (have[j] !== t.data[j]) d.bytes++;
    const [x, y] = [elements(t, have), elements(t, t.data)];
    for (let j = 0; j < x.length; j++) {
      if (x[j] !== y[j]) {
        d.elements++;
        d.maxAbs = Math.max(d.maxAbs, Math.abs(x[j] - y[j]));
      }
    }
  });
  return d;
}
