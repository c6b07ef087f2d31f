/**
 * Browser/worker shims that let the peer engines (browser builds of TFLite + XNNPACK compiled to
 * WebAssembly) load inside Node from node_modules, with nothing downloaded at run time.
 *
 * - `importScripts(url)`: evaluates a local emscripten glue script (worker style) in this realm,
 *   wrapped in a function that supplies CommonJS `require`/`__filename`/`__dirname`, then publishes
 *   the factory names the caller asks for on globalThis (where the loaders look for them).
 * - `fetch(url)`: serves local files (absolute path, `file://` URL, or origin-less path) from the
 *   allowed roots; anything else is refused. Counts the bytes of every `.wasm` served.
 * - `self`, `location`: the minimal worker globals the loaders read.
 * Everything is installed for the duration of one engine load and restored afterwards.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const require = createRequire(import.meta.url);

/** Absolute directory of an installed package (resolved from this repo's node_modules). */
export function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** Version string from an installed package's package.json. */
export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(resolve(packageDir(name), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Maps a script/fetch URL to a local file under one of `roots`, or null. */
function localPath(url: string | URL, roots: string[]): string | null {
  const text = url.toString();
  let path: string;
  if (text.startsWith('file://')) path = fileURLToPath(text);
  else if (text.startsWith('/')) path = text;
  else return null;
  path = resolve(path.replace(/[?#].*$/, ''));
  return roots.some((r) => path === r || path.startsWith(r + sep)) ? path : null;
}

export interface ShimOptions {
  /** Directories files may be served from (absolute). */
  roots: string[];
  /** Top-level names a glue script defines that must become globals (e.g. 'ModuleFactory'). */
  exportNames: string[];
}

export interface ShimHandle {
  /** Local files evaluated by importScripts, in order. */
  scripts: string[];
  /** Local .wasm files served by fetch (or read through `trackWasmRead`), with sizes. */
  wasm: { path: string; bytes: number }[];
  /** Records a wasm file the engine read by itself (e.g. emscripten's Node fs path). */
  trackWasmRead(path: string): void;
  restore(): void;
}

type Globals = Record<string, unknown>;

/** Installs the worker shims; call `restore()` when the engine has finished loading. */
export function installWorkerShims(options: ShimOptions): ShimHandle {
  const g = globalThis as unknown as Globals;
  const saved = new Map<string, PropertyDescriptor | undefined>();
  const set = (name: string, value: unknown): void => {
    if (!saved.has(name)) saved.set(name, Object.getOwnPropertyDescriptor(g, name));
    Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const handle: ShimHandle = {
    scripts: [],
    wasm: [],
    trackWasmRead(path: string) {
      handle.wasm.push({ path, bytes: readFileSync(path).byteLength });
    },
    restore() {
      for (const [name, desc] of saved) {
        if (desc) Object.defineProperty(g, name, desc);
        else delete g[name];
      }
      saved.clear();
    },
  };

  set('importScripts', (...urls: (string | URL)[]): void => {
    for (const url of urls) {
      const path = localPath(url, options.roots);
      if (path === null) throw new Error(`importScripts: refusing non-local script ${String(url)}`);
      const code = readFileSync(path, 'utf8');
      const names = options.exportNames
        .map((n) => `${JSON.stringify(n)}: typeof ${n} === 'undefined' ? undefined : ${n}`)
        .join(', ');
      const wrapped = `(function (require, __filename, __dirname) {\n${code}\n;return { ${names} };\n})`;
      const fn = vm.runInThisContext(wrapped, { filename: path }) as (
        r: NodeJS.Require, f: string, d: string) => Record<string, unknown>;
      const exported = fn(createRequire(path), path, dirname(path));
      for (const [name, value] of Object.entries(exported)) if (value !== undefined) set(name, value);
      handle.scripts.push(path);
    }
  });

  set('fetch', async (input: string | URL | { url: string }): Promise<Response> => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    const path = localPath(url, options.roots);
    if (path === null) throw new Error(`fetch: refusing non-local URL ${String(url)} (peers must load from node_modules)`);
    const bytes = readFileSync(path);
    if (path.endsWith('.wasm')) handle.wasm.push({ path, bytes: bytes.byteLength });
    const type = path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    return new Response(bytes, { status: 200, headers: { 'content-type': type } });
  });

  if (g.self === undefined) set('self', globalThis);
  if (g.location === undefined) set('location', { origin: '', href: '' });
  return handle;
}

export interface ConsoleCapture {
  lines: string[];
  restore(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Routes console output into `lines` until `restore()`. Engines that bind console methods while
 * loading (emscripten's `out`/`err`) stay bound to the capture, so their later logging stays quiet.
 */
export function captureConsole(sink: string[] = []): ConsoleCapture {
  const c = console as unknown as Record<string, (...args: unknown[]) => void>;
  const saved = CONSOLE_METHODS.map((m) => [m, c[m]] as const);
  for (const m of CONSOLE_METHODS) {
    c[m] = (...args: unknown[]) => {
      sink.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : String(a))).join(' '));
      if (sink.length > 1000) sink.splice(0, sink.length - 1000);
    };
  }
  return {
    lines: sink,
    restore() {
      for (const [m, f] of saved) c[m] = f;
    },
  };
}

/**
 * Returns a copy of a .tflite model with every -1 in every tensor's shape_signature set to 1
 * (LiteRT.js rejects dynamic dimensions). Walks the flatbuffer: Model.subgraphs (field 2) →
 * SubGraph.tensors (field 0) → Tensor.shape_signature (field 7, [int]). Returns the count patched.
 */
export function fixDynamicDims(model: Uint8Array): { bytes: Uint8Array; patched: number } {
  const bytes = model.slice();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = (pos: number, n: number): void => {
    if (pos < 0 || pos + n > bytes.length) throw new Error(`model: flatbuffer offset ${pos} out of range`);
  };
  const u32 = (pos: number): number => (check(pos, 4), v.getUint32(pos, true));
  const field = (table: number, id: number): number => {
    const vtable = table - (check(table, 4), v.getInt32(table, true));
    check(vtable, 4);
    const vsize = v.getUint16(vtable, true);
    if (4 + 2 * id + 2 > vsize) return 0;
    const off = (check(vtable + 4 + 2 * id, 2), v.getUint16(vtable + 4 + 2 * id, true));
    return off === 0 ? 0 : table + off;
  };
  const deref = (pos: number): number => pos + u32(pos);
  const vector = (pos: number): { start: number; length: number } => {
    const at = deref(pos);
    return { start: at + 4, length: u32(at) };
  };
  let patched = 0;
  const root = u32(0);
  const subgraphsField = field(root, 2);
  if (subgraphsField === 0) return { bytes, patched };
  const subgraphs = vector(subgraphsField);
  for (let s = 0; s < subgraphs.length; s++) {
    const subgraph = deref(subgraphs.start + 4 * s);
    const tensorsField = field(subgraph, 0);
    if (tensorsField === 0) continue;
    const tensors = vector(tensorsField);
    for (let t = 0; t < tensors.length; t++) {
      const tensor = deref(tensors.start + 4 * t);
      const sigField = field(tensor, 7);
      if (sigField === 0) continue;
      const sig = vector(sigField);
      for (let i = 0; i < sig.length; i++) {
        const at = sig.start + 4 * i;
        check(at, 4);
        if (v.getInt32(at, true) === -1) {
          v.setInt32(at, 1, true);
          patched++;
        }
      }
    }
  }
  return { bytes, patched };
}
