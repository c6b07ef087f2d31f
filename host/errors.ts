/** Typed, one-line errors. Each names the thing at fault and, where possible, the fix. */

export class EdgerunError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The model file is malformed or inconsistent. */
export class ModelError extends EdgerunError {}

/** The model is valid but uses ops (or op variants) edgerun does not run. */
export class UnsupportedOpError extends EdgerunError {}

/** Input data (tensor files, CLI arguments) does not fit the model. */
export class InputError extends EdgerunError {}

/** The model does not fit a memory limit. */
export class MemoryLimitError extends EdgerunError {
  override readonly exitCode: number = 3;
}

/** A kernel reported a failure status at run time. */
export class KernelError extends EdgerunError {
  override readonly exitCode: number = 1;
}

/** WebAssembly ran past a --timeout / timeoutMs and was stopped (not a fault of edgerun: exit 4). */
export class TimeoutError extends EdgerunError {
  override readonly exitCode: number = 4;
}
