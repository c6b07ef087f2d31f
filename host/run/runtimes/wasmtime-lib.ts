/**
 * libwasmtime: where it is found and the slice of its C API edgerun binds through koffi (npm FFI).
 *
 * The library: $WASMTIME_LIB if set, else the `wasmtime` Python wheel's copy inside the repository's
 * `.venv` (scripts/setup-wasmtime.sh installs wasmtime==49.0.0 there). Pointers are koffi BigInts.
 *
 * Layouts (LP64, wasmtime 49; checked on x86-64 against crates/c-api/include and the sizes of the
 * wheel's generated ctypes bindings): wasmtime_extern_t is 32 bytes, `kind` (u8) at 0 and the payload at 8;
 * wasmtime_func_t is 16 bytes {u64 store_id, size_t}; wasmtime_memory_t 24 bytes {{u64, u32}, u32};
 * wasmtime_instance_t 16 bytes; wasmtime_val_raw_t 16 bytes (an i32 lives in its first 4);
 * wasm_limits_t {u32 min, u32 max}; wasm_byte_vec_t and wasm_valtype_vec_t {size_t size, T *data}.
 * Handles (func, memory, instance) are copied as opaque bytes, the whole 24-byte extern payload, and
 * only passed back by pointer.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Koffi from 'koffi';

export type Ptr = bigint;

export const EXTERN_BYTES = 32;
export const EXTERN_PAYLOAD = 8;
export const INSTANCE_BYTES = 16;
export const VAL_RAW_BYTES = 16;
export const EXTERN_FUNC = 0;
export const EXTERN_MEMORY = 3;
export const VALKIND_I32 = 0;
export const TRAP_INTERRUPT = 10;

/** The bound functions (names as in the C API, without the wasm_/wasmtime_ prefix where unambiguous). */
export interface WasmtimeApi {
  koffi: typeof Koffi;
  path: string;
  config_new(): Ptr;
  config_epoch_interruption_set(config: Ptr, on: boolean): void;
  config_memory_may_move_set(config: Ptr, on: boolean): void;
  engine_new_with_config(config: Ptr): Ptr;
  engine_increment_epoch(engine: Ptr): void;
  module_new(engine: Ptr, bytes: Uint8Array, size: number, out: BigUint64Array): Ptr | null;
  module_delete(module: Ptr): void;
  store_new(engine: Ptr, data: null, finalizer: null): Ptr;
  store_context(store: Ptr): Ptr;
  store_limiter(store: Ptr, memorySize: number, tableElements: number, instances: number, tables: number, memories: number): void;
  store_delete(store: Ptr): void;
  context_set_epoch_deadline(ctx: Ptr, ticksBeyondCurrent: bigint): void;
  memorytype_new(limits: Uint32Array): Ptr;
  memorytype_delete(type: Ptr): void;
  memory_new(ctx: Ptr, type: Ptr, out: Ptr): Ptr | null;
  memory_data(ctx: Ptr, memory: Ptr): Ptr;
  memory_data_size(ctx: Ptr, memory: Ptr): number | bigint;
  memory_grow(ctx: Ptr, memory: Ptr, delta: number, prevPages: Ptr): Ptr | null;
  instance_new(ctx: Ptr, module: Ptr, imports: Ptr | null, nimports: number, out: Ptr, trap: Ptr): Ptr | null;
  instance_export_get(ctx: Ptr, instance: Ptr, name: string, nameLength: number, out: Ptr): boolean;
  func_type(ctx: Ptr, func: Ptr): Ptr;
  functype_params(type: Ptr): Ptr;
  functype_results(type: Ptr): Ptr;
  functype_delete(type: Ptr): void;
  valtype_kind(type: Ptr): number;
  func_call_unchecked(ctx: Ptr, func: Ptr, argsAndResults: Ptr, count: number, trap: Ptr): Ptr | null;
  error_message(error: Ptr, out: BigUint64Array): void;
  error_delete(error: Ptr): void;
  trap_message(trap: Ptr, out: BigUint64Array): void;
  trap_code(trap: Ptr, out: Uint8Array): boolean;
  trap_delete(trap: Ptr): void;
  byte_vec_delete(vec: BigUint64Array): void;
  wat2wasm(text: string, length: number, out: BigUint64Array): Ptr | null;
}

const SIGNATURES: Record<keyof Omit<WasmtimeApi, 'koffi' | 'path'>, string> = {
  config_new: 'void *wasm_config_new()',
  config_epoch_interruption_set: 'void wasmtime_config_epoch_interruption_set(void *config, bool on)',
  config_memory_may_move_set: 'void wasmtime_config_memory_may_move_set(void *config, bool on)',
  engine_new_with_config: 'void *wasm_engine_new_with_config(void *config)',
  engine_increment_epoch: 'void wasmtime_engine_increment_epoch(void *engine)',
  module_new: 'void *wasmtime_module_new(void *engine, const uint8_t *wasm, size_t size, _Out_ uint64_t *module)',
  module_delete: 'void wasmtime_module_delete(void *module)',
  store_new: 'void *wasmtime_store_new(void *engine, void *data, void *finalizer)',
  store_context: 'void *wasmtime_store_context(void *store)',
  store_limiter: 'void wasmtime_store_limiter(void *store, int64_t memory_size, int64_t table_elements, int64_t instances, int64_t tables, int64_t memories)',
  store_delete: 'void wasmtime_store_delete(void *store)',
  context_set_epoch_deadline: 'void wasmtime_context_set_epoch_deadline(void *ctx, uint64_t ticks)',
  memorytype_new: 'void *wasm_memorytype_new(const uint32_t *limits)',
  memorytype_delete: 'void wasm_memorytype_delete(void *type)',
  memory_new: 'void *wasmtime_memory_new(void *ctx, void *type, void *out)',
  memory_data: 'void *wasmtime_memory_data(void *ctx, void *memory)',
  memory_data_size: 'size_t wasmtime_memory_data_size(void *ctx, void *memory)',
  memory_grow: 'void *wasmtime_memory_grow(void *ctx, void *memory, uint64_t delta, void *prev)',
  instance_new: 'void *wasmtime_instance_new(void *ctx, void *module, void *imports, size_t nimports, void *out, void *trap)',
  instance_export_get: 'bool wasmtime_instance_export_get(void *ctx, void *instance, const char *name, size_t len, void *out)',
  func_type: 'void *wasmtime_func_type(void *ctx, void *func)',
  functype_params: 'void *wasm_functype_params(void *type)',
  functype_results: 'void *wasm_functype_results(void *type)',
  functype_delete: 'void wasm_functype_delete(void *type)',
  valtype_kind: 'uint8_t wasm_valtype_kind(void *type)',
  func_call_unchecked: 'void *wasmtime_func_call_unchecked(void *ctx, void *func, void *args, size_t count, void *trap)',
  error_message: 'void wasmtime_error_message(void *error, _Out_ uint64_t *message)',
  error_delete: 'void wasmtime_error_delete(void *error)',
  trap_message: 'void wasm_trap_message(void *trap, _Out_ uint64_t *message)',
  trap_code: 'bool wasmtime_trap_code(void *trap, _Out_ uint8_t *code)',
  trap_delete: 'void wasm_trap_delete(void *trap)',
  byte_vec_delete: 'void wasm_byte_vec_delete(uint64_t *vec)',
  wat2wasm: 'void *wasmtime_wat2wasm(const char *text, size_t len, _Out_ uint64_t *out)',
};

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const WHEEL_DIRS: Record<string, string> = {
  'linux-x64': 'linux-x86_64/_libwasmtime.so',
  'linux-arm64': 'linux-aarch64/_libwasmtime.so',
  'darwin-x64': 'darwin-x86_64/_libwasmtime.dylib',
  'darwin-arm64': 'darwin-arm64/_libwasmtime.dylib',
  'win32-x64': 'win32-x86_64/_libwasmtime.dll',
};

/** The libwasmtime to load, or why there is none (one line). */
export function locateLibwasmtime(env: NodeJS.ProcessEnv = process.env): { path: string } | { reason: string } {
  const override = env.WASMTIME_LIB;
  if (override) {
    return existsSync(override) ? { path: override } : { reason: `WASMTIME_LIB=${override} does not exist` };
  }
  const inWheel = WHEEL_DIRS[`${process.platform}-${process.arch}`];
  if (!inWheel) return { reason: `no wasmtime wheel layout known for ${process.platform}-${process.arch}; set WASMTIME_LIB` };
  const lib = join(REPO, '.venv', 'lib');
  const pythons = existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('python')).sort() : [];
  for (const py of pythons) {
    const path = join(lib, py, 'site-packages', 'wasmtime', inWheel);
    if (existsSync(path)) return { path };
  }
  return { reason: `libwasmtime not found (no ${join('.venv', 'lib', 'python*', 'site-packages', 'wasmtime', inWheel)}); run scripts/setup-wasmtime.sh or set WASMTIME_LIB` };
}

let loaded: WasmtimeApi | { reason: string } | undefined;

/** Loads koffi and libwasmtime once; the bound API, or why it is unavailable (one line). */
export function loadWasmtimeApi(): WasmtimeApi | { reason: string } {
  if (loaded) return loaded;
  const where = locateLibwasmtime();
  if ('reason' in where) return (loaded = where);
  let koffi: typeof Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  } catch (e) {
    return (loaded = { reason: `koffi (npm FFI) cannot load: ${firstLine(e)}` });
  }
  try {
    const lib = koffi.load(where.path);
    const api: Record<string, unknown> = { koffi, path: where.path };
    for (const [name, signature] of Object.entries(SIGNATURES)) api[name] = lib.func(signature);
    loaded = api as unknown as WasmtimeApi;
  } catch (e) {
    loaded = { reason: `${where.path}: cannot load as libwasmtime: ${firstLine(e)}` };
  }
  return loaded;
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Reads a wasm_byte_vec_t {size, data} as UTF-8 and deletes it. */
export function takeMessage(api: WasmtimeApi, vec: BigUint64Array): string {
  const size = Number(vec[0]);
  const text = size === 0 ? '' : Buffer.from(api.koffi.view(vec[1], size)).toString('utf8');
  api.byte_vec_delete(vec);
  return text.replace(/\0+$/, ''); // wasm_message_t counts its NUL terminator
}

/** The message of a wasmtime_error_t, which is deleted. */
export function takeError(api: WasmtimeApi, error: Ptr): string {
  const vec = new BigUint64Array(2);
  api.error_message(error, vec);
  api.error_delete(error);
  return takeMessage(api, vec);
}

/**
 * One line from a wasmtime trap or error report ("error while executing at wasm backtrace: ...
 * Caused by: 0: memory fault at ... 1: wasm trap: out of bounds memory access"): the trap's
 * description, then the other causes in parentheses.
 */
export function summarizeReport(report: string): string {
  const caused = report.includes('Caused by:') ? report.slice(report.indexOf('Caused by:') + 10) : report;
  const lines = caused.split('\n').map((l) => l.trim().replace(/^\d+:\s*/, '')).filter(Boolean);
  const trap = lines.find((l) => l.startsWith('wasm trap: '));
  const others = lines.filter((l) => l !== trap && !l.startsWith('error while executing'));
  const head = trap ? trap.slice('wasm trap: '.length) : (others.shift() ?? 'unknown trap');
  return others.length > 0 ? `${head} (${others.join('; ')})` : head;
}
