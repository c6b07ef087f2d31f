/** Help texts of the `edgerun` command. */

export const VERSION = '0.1.0';

export const HELP: Record<string, string> = {
  main: `edgerun ${VERSION}: run int8 TFLite models on WebAssembly, bit-exact with TFLite's reference kernels.

Usage: edgerun <command> [options]

Commands:
  inspect MODEL     ops, inputs, outputs and memory figures of a .tflite model or compiled .wasm
  run MODEL         run a model on input tensors (.npy or raw .bin)
  bench MODEL       latency: median, p10, p90 per inference; --profile for a per-op table;
                    --memory-limit A,B,C sweeps memory caps
  compile MODEL     compile a .tflite model into one standalone .wasm (no imports): -o OUT.wasm
  plan MODEL        the activation arena as a timeline (op x offset), with totals; --svg FILE
  ops               list the supported TFLite ops
  synth             synthesize a machine's vibration, current and temperature (CSV): bearing
                    faults, imbalance, misalignment, looseness, degradation runs, labels
  stream MODEL      score CSV sensor samples window by window (features + model): JSON lines
  demo              predictive maintenance end to end: a machine's bearing fails; report + SVG

MODEL is a .tflite file, or for inspect, run and bench also a module made by \`edgerun compile\`
(recognized by its content, not its name).
Run \`edgerun <command> --help\` for a command's options.
Exit codes: 0 success, 2 invalid usage or invalid input (model or data), 3 the model does not fit
a --memory-limit / --ram-limit, 4 stopped by --timeout, 1 internal fault or a WebAssembly trap.`,
  inspect: `Usage: edgerun inspect MODEL [--json] [--kernels simd|ref]

Prints the model's ops in execution order, its inputs and outputs (name, shape, dtype, scale,
zero point), ops edgerun does not support, and memory figures (bytes):
  arena (activations), weights, params (param blocks + per-channel quantization), code (kernel module),
  RAM (writable at run time) and ROM (constant: weights + params + code).
  --json      one JSON object: {ops, inputs, outputs, unsupported, memory}
  --kernels   which kernel module the code figure counts (default simd)
For a compiled .wasm: the figures come from its edgerun.meta section; code is the module minus its
data section, and a "compiled module" block adds its kernels, size, pages and the source model's
sha256 (--json: a "module" object).`,
  run: `Usage: edgerun run MODEL --input FILE [--input FILE ...] [--output FILE ...] [options]

Runs the model once. One --input per model input, in input order: .npy (dtype and shape must
match the tensor) or .bin (raw little-endian bytes, exactly the tensor's size).
  --output FILE   one per model output, in order; .npy or .bin by extension (default: print them)
  --runtime R     WebAssembly runtime: v8 (default, Node's own) or wasmtime (libwasmtime through
                  koffi: scripts/setup-wasmtime.sh installs it, or set WASMTIME_LIB=/path/to/lib)
  --timeout MS    stop the inference once it has run MS milliseconds (a whole number,
                  1..2147483647): exit 4 with "stopped: still running after the MS ms timeout"
  --kernels K     simd (default) or ref (scalar reference twins)
  --json          print {outputs: [{name, shape, dtype, data}], latencyMs, memory}; memory is
                  {linearMemoryBytes, ramBytes, romDataBytes, memoryLimit, ramLimit, pages, maximumPages}

Memory limits (SIZE: bytes, or a whole number with KiB/MiB/GiB (1024-based) or KB/MB/GB
(1000-based), e.g. 262144, 256KiB, 1MB):
  --memory-limit SIZE  cap on the module's whole linear memory: ROM data (weights, param blocks)
                       + RAM (arena). Checked exactly, in bytes; over it: exit 3 with
                       "needs N bytes (RAM R + ROM W), limit is M". Under it, the model runs in a
                       memory of ceil(N / 64 KiB) pages (at least 1) whose maximum is the limit
                       rounded down to whole 64 KiB pages (never below the pages the need takes),
                       so the runtime itself refuses to grow past the cap.
  --ram-limit SIZE     cap on the writable part alone (RAM, for MCU SRAM budgets); over it:
                       exit 3 with "needs R bytes of RAM, limit is M".
With a limit, the exact need and the pages are printed before the outputs.`,
  bench: `Usage: edgerun bench MODEL [--input FILE ...] [--iterations N] [--warmup N] [--profile] [options]

Times inferences of the model. Inputs default to seeded random data of the right dtype and shape.
  --iterations N  timed inferences (default 200)
  --warmup N      untimed inferences first (default 20)
  --profile       per-op table: median time, MACs, GMAC/s, share of total
  --runtime R     WebAssembly runtime: v8 (default) or wasmtime (see run --help)
  --timeout MS    stop any inference that runs MS milliseconds (exit 4). It costs time: on v8 a
                  watchdog thread per inference (~0.05 ms), on wasmtime epoch checks compiled into
                  every loop (kernels ~1.5x slower)
  --kernels K     simd (default) or ref
  --json          print {medianMs, p10Ms, p90Ms, minMs, iterations, warmup, macs, gmacPerS[, profile]
                  [, memory]} (memory as in run --json, with a limit)

Memory limits (SIZE: bytes, or a whole number with KiB/MiB/GiB (1024-based) or KB/MB/GB
(1000-based), e.g. 262144, 256KiB, 1MB):
  --memory-limit SIZE  cap on the module's whole linear memory: ROM data (weights, param blocks)
                       + RAM (arena). Checked exactly, in bytes; over it: exit 3 with
                       "needs N bytes (RAM R + ROM W), limit is M". Under it, the model runs in a
                       memory of ceil(N / 64 KiB) pages (at least 1) whose maximum is the limit
                       rounded down to whole 64 KiB pages (never below the pages the need takes),
                       so the runtime itself refuses to grow past the cap.
  --ram-limit SIZE     cap on the writable part alone (RAM, for MCU SRAM budgets); over it:
                       exit 3 with "needs R bytes of RAM, limit is M".

Sweep: --memory-limit SIZE,SIZE,... (two or more) benchmarks under each cap in turn and prints,
per cap, whether the model fits and, when it fits, the median latency; exit 0 either way.
--ram-limit applies to every cap. --json prints [{limitBytes, fits, neededBytes, medianMs?}].`,
  plan: `Usage: edgerun plan MODEL [--svg FILE] [--json]

Shows how the activation arena is planned. First the totals: arena, lower bound (the most bytes
live at once: no plan can be smaller), RAM, ROM data. Then a timeline with one column per op
(execution step) and one row per range of arena offsets (scaled to at most 28 rows; offset 0 at
the bottom), each cell marked with the letter of the buffer holding those bytes at that op ("."
is free; a cell lists several letters when small buffers share it). Then one line per buffer:
letter, tensor index, bytes, offset, first..last op, name. Per-call workspace is named
"scratch (op K)"; tensors aliasing a buffer (RESHAPE, in-place outputs) share its line.
  --svg FILE  also write the picture to FILE (must end in .svg): x = op index, y = offset, one
              rectangle per buffer labelled with its tensor index, dashed line at the lower bound
  --json      print {arenaBytes, lowerBoundBytes, ramBytes, romDataBytes,
              buffers: [{tensor, name, bytes, offset, first, last}]} (first/last: op indices)
              instead of the timeline`,
  compile: `Usage: edgerun compile MODEL -o OUT.wasm [--kernels simd|ref] [--json]

Compiles a .tflite model ahead of time into one standalone WebAssembly module that imports
nothing: only the kernels the model calls, the weights and param blocks as data segments, the
activation arena at fixed addresses, and a generated invoke(). Any WebAssembly runtime can run it
through its exports memory, invoke(), input_ptr(i), output_ptr(i), reset() and its edgerun.meta
section (README: "Compiling a model"). \`edgerun run|bench|inspect OUT.wasm\` run it like the model.
Same model, same kernels build: same bytes.
  -o, --output FILE  the .wasm to write (written to a temporary file, then renamed)
  --kernels K        simd (default; kernels with very little work use their scalar twin) or ref
  --json             print {bytes, codeBytes, dataBytes, ramBytes, romBytes}: codeBytes is the
                     module minus its data section, romBytes = ROM data + codeBytes`,
  synth: `Usage: edgerun synth [--fault F] [--severity S] [--degrade LIFE] [--duration S] [--rate HZ]
                    [--machine N] [--run N] [--seed N] [--window N] [--out FILE] [--labels FILE] [--json]

Synthesizes the sensors of a rotating machine (an induction motor on rolling bearings) from physics:
vibration on three axes (ax horizontal, ay vertical, az axial; g), motor current (A) and housing
temperature (degC), as CSV: the header timestamp,ax,ay,az,current,temperature, then one row per
sample (timestamp in seconds from the start). The same options always give the same bytes.
  --fault F        healthy (default); inner, outer or ball (rolling-bearing defects: impacts at
                   BPFI, BPFO or 2 x BSF ringing the structure's resonance); imbalance (1x),
                   misalignment (2x), looseness (0.5x harmonics)
  --severity S     0 < S <= 1, where 1 is the failure threshold (default 0.5); with --degrade
                   the initial severity, < 1 (default 0.05). Not for healthy runs
  --degrade LIFE   a degradation run: the severity grows exponentially to 1 at LIFE seconds;
                   windows are labelled with the remaining useful life, LIFE - t
  --duration S     seconds of data, up to 86400 (default 10; with --degrade, LIFE)
  --rate HZ        samples per second, a whole number 1000..200000 (default 10000)
  --machine N      machine id 0..999999 (default 0): its own speed, bearing geometry, resonances,
                   noise. One id in each block of five (0-4, 5-9, ...) is a test machine, the
                   others train: never mix them
  --run N          another operating point and noise of the same machine (default 0)
  --seed N         fleet seed 0..4294967295 (default 1): machines and noise derive from it
  --window N       samples per label window (default: one second)
  --out FILE       write the CSV to FILE (a temporary file, renamed when complete) instead of
                   stdout, and print a summary: machine, split, shaft and bearing frequencies
  --labels FILE    write the run's metadata and window labels to FILE as JSON
  --json           print that JSON on stdout instead of the summary (needs --out):
                   {format, seed, machine: {id, split, lineHz, polePairs, bearing, resonanceHz, ...},
                   run, fault, severity, degradation: {model, initialSeverity, failureSeverity,
                   lifeS} | null, rate, samples, durationS, channels, frequencies: {shaftHz, lineHz,
                   ftf, bpfo, bpfi, bsf}, meanLoad, windowSamples,
                   windows: [{start, samples, fault, severity, rulS, shaftHz}]}
Runs of 2,000,000 samples or more show progress on stderr when it is a terminal.`,
  stream: `Usage: edgerun stream MODEL --input FILE|- [--window N] [--hop M] [--features SPEC]
                      [--threshold T] [--meta FILE] [--runtime R] [--kernels K] [--memory-limit SIZE] [--quiet]

Reads sensor samples as CSV (a header naming the columns, e.g. timestamp,ax,ay,az,current,
temperature as \`edgerun synth\` writes them; then one row per sample) from FILE or standard input,
cuts them into windows, runs the DSP front-end (WebAssembly) and the model on each, and writes one
JSON line per window to standard output:
  {"t": seconds at the window's last sample, "score": number, "label": string, "anomaly": bool}
MODEL (.tflite or compiled .wasm) carries edgerun.pm metadata: the columns it reads, the feature
spec, per-feature normalization, the score rule and a threshold calibrated on healthy data.
  anomaly models   score = reconstruction error (mean squared, dequantized); label anomaly/normal
  classifiers      score = 1 - P(healthy); label = the most probable class
  RUL regressors   score = predicted remaining useful life, s; anomaly when below the threshold
  --input FILE|-     the CSV (required); - reads standard input
  --window N         samples per window (default: the model's feature spec)
  --hop M            samples from one window's start to the next (default: the model's)
  --features SPEC    feature spec overrides as JSON, inline ({...}) or a file
  --threshold T      anomaly threshold instead of the calibrated one
  --meta FILE        edgerun.pm metadata (JSON) for a model without it
  --runtime R        v8 (default) or wasmtime; --kernels simd|ref; --memory-limit/--ram-limit
                     SIZE, --timeout MS as for run
  --quiet            no summary on standard error
Timestamps (when there is a timestamp column) must increase and match the feature spec's sample
rate within 1 %. A malformed row stops the stream with "edgerun: error: line N: ..." and exit
status 2, after every line for the rows before it has been written. The summary on standard error:
windows, seconds of signal, speed as a multiple of real time, anomalies and the first one's time,
time per window.`,
  demo: `Usage: edgerun demo [--seed N] [--machine N] [--fault inner|outer|ball] [--life S] [--svg FILE]
                    [--models DIR] [--json]

Predictive maintenance end to end (\`npm run demo\`). Synthesizes a test machine (one the models
never saw in training) running healthy for 60 s, then the same machine with a rolling-bearing
defect growing from severity 0.02 to failure over --life seconds (default 120), and streams both
as CSV through the DSP front-end and the three models in DIR (default the bundled models/pm):
anomaly_ae.tflite (anomaly score and threshold), fault_cnn.tflite (diagnosis) and rul.tflite
(remaining useful life). Prints when the anomaly score crossed the threshold, the diagnosed fault,
remaining-life predictions, and per-window latency and RAM/ROM; writes an SVG plot of the score
over time to FILE (default edgerun-demo.svg).
  --seed N       fleet seed (default 1); --machine N a machine id (default: the seed's first test machine)
  --fault F      the bearing defect: outer (default), inner or ball
  --json         print the figures and the score series as JSON instead of the report`,
  ops: `Usage: edgerun ops [--json]

Lists the TFLite builtin ops edgerun runs, with what each supports.`,
};

