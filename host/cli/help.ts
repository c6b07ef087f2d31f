/** Help texts of the `edgerun` command. */

export const VERSION = '0.1.0';

const OPTIMIZE_HELP = `  --optimize O    speed (default) or size: size takes no weight layout or scratch that trades ROM
                  or RAM for speed (no Winograd tiles for 3x3 convolutions, whose filters take 3.6x
                  the bytes: ResNet-8 ~1.45x slower, ROM 0.56x; README "Speed or size")`;

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
  keygen            an Ed25519 key pair for signing bundles: --out DIR
  pack MODEL.wasm   a compiled module into a signed bundle (manifest, self-test vector): -o BUNDLE
  verify BUNDLE     every check a gateway makes: signature, hash, expiry, memory, features, self-test
  gateway           the gateway agent: installs bundles into A/B slots, serves inference (HTTP, MQTT)
  flash BUNDLE      roll a bundle out to gateways (--gateway URL) or a fleet (--mqtt URL --fleet G)

MODEL is a .tflite file, or for inspect, run and bench also a module made by \`edgerun compile\`
(recognized by its content, not its name).
Run \`edgerun <command> --help\` for a command's options.
Exit codes: 0 success, 2 invalid usage or invalid input (model or data), 3 the model does not fit
a --memory-limit / --ram-limit, 4 stopped by --timeout, 5 a flash rollout stopped or failed,
1 internal fault or a WebAssembly trap.`,
  inspect: `Usage: edgerun inspect MODEL [--json] [--kernels simd|ref] [--optimize speed|size]

Prints the model's ops in execution order, its inputs and outputs (name, shape, dtype, scale,
zero point), ops edgerun does not support, and memory figures (bytes):
  arena (activations), weights, params (param blocks + per-channel quantization), code (kernel module),
  RAM (writable at run time) and ROM (constant: weights + params + code).
  --json      one JSON object: {ops, inputs, outputs, unsupported, memory}
  --kernels   which kernel module the code figure counts (default simd)
  --optimize  the figures for speed (default) or size layouts (see run --help)
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
${OPTIMIZE_HELP}
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
${OPTIMIZE_HELP}
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
  plan: `Usage: edgerun plan MODEL [--svg FILE] [--json] [--optimize speed|size]

Shows how the activation arena is planned. First the totals: arena, lower bound (the most bytes
live at once: no plan can be smaller), RAM, ROM data. Then a timeline with one column per op
(execution step) and one row per range of arena offsets (scaled to at most 28 rows; offset 0 at
the bottom), each cell marked with the letter of the buffer holding those bytes at that op ("."
is free; a cell lists several letters when small buffers share it). Then one line per buffer:
letter, tensor index, bytes, offset, first..last op, name. Per-call workspace is named
"scratch (op K)"; tensors aliasing a buffer (RESHAPE, in-place outputs) share its line.
  --svg FILE  also write the picture to FILE (must end in .svg): x = op index, y = offset, one
              rectangle per buffer labelled with its tensor index, dashed line at the lower bound
  --optimize  plan the speed (default) or size layouts (see run --help; scratch sizes differ)
  --json      print {arenaBytes, lowerBoundBytes, ramBytes, romDataBytes,
              buffers: [{tensor, name, bytes, offset, first, last}]} (first/last: op indices)
              instead of the timeline`,
  compile: `Usage: edgerun compile MODEL -o OUT.wasm [--kernels simd|ref] [--optimize speed|size] [--json]

Compiles a .tflite model ahead of time into one standalone WebAssembly module that imports
nothing: only the kernels the model calls, the weights and param blocks as data segments, the
activation arena at fixed addresses, and a generated invoke(). Any WebAssembly runtime can run it
through its exports memory, invoke(), input_ptr(i), output_ptr(i), reset() and its edgerun.meta
section (README: "Compiling a model"). \`edgerun run|bench|inspect OUT.wasm\` run it like the model.
Same model, same kernels build: same bytes.
  -o, --output FILE  the .wasm to write (written to a temporary file, then renamed)
  --kernels K        simd (default; kernels with very little work use their scalar twin) or ref
  --optimize O       speed (default) or size: size takes no weight layout or scratch that trades
                     ROM or RAM for speed (for constrained parts; see run --help)
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
                      [--threshold T] [--meta FILE] [--runtime R] [--kernels K] [--optimize O] [--memory-limit SIZE] [--quiet]

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
  --runtime R        v8 (default) or wasmtime; --kernels simd|ref; --optimize speed|size;
                     --memory-limit/--ram-limit SIZE, --timeout MS as for run
  --quiet            no summary on standard error
Timestamps (when there is a timestamp column) must increase and match the feature spec's sample
rate within 1 %. A malformed row stops the stream with "edgerun: error: line N: ..." and exit
status 2, after every line for the rows before it has been written. The summary on standard error:
windows, seconds of signal, speed as a multiple of real time, anomalies and the first one's time,
time per window.`,
  demo: `Usage: edgerun demo [--seed N] [--machine N] [--fault inner|outer|ball] [--life S] [--healthy S]
                    [--svg FILE] [--models DIR] [--json]

Predictive maintenance end to end (\`npm run demo\`). Synthesizes a test machine (one the models
never saw in training) running healthy for --healthy seconds (default 60), then the same machine
with a rolling-bearing defect growing from severity 0.05 to failure over --life seconds (default
120), and streams both as CSV through the DSP front-end and the three models in DIR (default the bundled models/pm):
anomaly_ae.tflite (anomaly score and threshold), fault_cnn.tflite (diagnosis) and rul.tflite
(remaining useful life). Prints when the anomaly score crossed the threshold, the diagnosed fault,
remaining-life predictions, and per-window latency and RAM/ROM; writes an SVG plot of the score
over time to FILE (default edgerun-demo.svg).
  --seed N       fleet seed (default 1); --machine N a machine id (default: the seed's first test machine)
  --fault F      the bearing defect: outer (default), inner or ball
  --json         print the figures and the score series as JSON instead of the report`,
  ops: `Usage: edgerun ops [--json]

Lists the TFLite builtin ops edgerun runs, with what each supports.`,
  keygen: `Usage: edgerun keygen --out DIR [--name NAME] [--json]

Generates an Ed25519 key pair (node:crypto) for signing bundles: DIR/NAME.key, the private key
(PKCS#8 PEM, mode 0600; keep it on the build machine) and DIR/NAME.pub, the public key (SPKI PEM;
give it to gateways with --trust). Never overwrites an existing file.
  --out DIR     the directory (created if missing)
  --name NAME   file name stem (default edgerun)
  --json        print {privatePath, publicPath, id}; id is the key id bundles name their signer by:
                the sha256 of the raw 32-byte public key, hex`,
  pack: `Usage: edgerun pack MODEL.wasm --key KEY[,KEY] --name NAME --version V [--expires WHEN]
                   [--input FILE ...] -o BUNDLE [--json]

Packs a module made by \`edgerun compile\` into a signed bundle: the module, a manifest (canonical
JSON: name, version, sha256, size, kernels, WebAssembly features the code uses, memory needed,
inputs and outputs, a self-test vector, creation and expiry times) and one detached Ed25519
signature per key over the exact manifest bytes (README: "Edge gateways"). The self-test's expected
outputs are computed by running the module here, under a memory limit equal to its need.
  --key KEY[,KEY]  private key file(s) from edgerun keygen
  --name NAME      the model's name on gateways: lowercase letters, digits, . _ - (at most 64)
  --version V      a whole number >= 1; gateways install only a version greater than theirs
  --expires WHEN   after it, gateways refuse the bundle: a UTC date (2026-06-30) or time
                   (2026-06-30T12:00:00Z), a duration from now (90d, 12h, 3600s) or never
                   (default 90d). Installed models keep running past it.
  --input FILE     the self-test's inputs, one per model input (.npy or .bin); default: seeded
                   random data derived from the module's sha256
  -o, --output F   the bundle to write (temporary file, then renamed)
  --json           print {bundle, bytes, manifestSha256, keyIds, manifest} (manifest without the
                   self-test tensors)`,
  verify: `Usage: edgerun verify BUNDLE --trust PUBKEY[,PUBKEY] [--name NAME] [--memory-limit SIZE]
                     [--features LIST] [--runtime v8|wasmtime] [--json]

Makes every check a gateway makes before installing, in its order: a signature by a trusted key
over the manifest bytes, the manifest (canonical JSON, schema), the module's size, sha256 and
WebAssembly features against the manifest, the name, the expiry; then the features and memory
against this machine (or the given limits), and the self-test: the module must reproduce its
manifest's outputs byte for byte. Exit 0 when all pass; else one line
"edgerun: error: ... [REASON]" (the gateway's reason code, e.g. unknown-key, hash, expired) and
exit 2 (3 when it needs more memory than --memory-limit).
  --trust LIST         public key files (edgerun keygen's NAME.pub), comma-separated
  --name NAME          the model name expected
  --memory-limit SIZE  the gateway's cap on a model's linear memory
  --features LIST      the WebAssembly features the gateway offers (comma-separated: simd128,
                       relaxed-simd, bulk-memory, sign-ext, nontrapping-fptoint, multivalue,
                       reference-types, tail-call, ...; "mvp" for none); default: those
                       Node's V8 validates here (wasmtime 49 supports them too)
  --runtime R          run the self-test on v8 (default) or wasmtime
  --json               print {ok, name, version, manifestSha256, keyId, created, expires, module,
                       memory, selfTestMs}`,
  gateway: `Usage: edgerun gateway --state DIR --trust PUBKEY[,PUBKEY] [--listen HOST:PORT]
                      [--mqtt URL --id ID [--fleet GROUP[,GROUP]] [--sensor TOPIC=MODEL ...]]
                      [--memory-limit SIZE] [--features LIST] [--runtime v8|wasmtime]
                      [--max-bundle SIZE] [--timeout MS] [--json]

Runs the gateway agent until SIGTERM or SIGINT. It keeps two slots (A, B) per model in DIR: a
bundle is verified (as edgerun verify), refused unless its version is greater than the installed
one, written into the inactive slot (temporary file, fsync, rename, fsync of the directory),
self-tested under --memory-limit, and only then made active by replacing DIR/state.json the same
way. On any failure the previous version keeps serving. After a crash (kill -9, power loss) it
starts from the last committed state and serves only a version that verifies and passes its
self-test again. One agent per DIR (DIR/lock).
HTTP (README: "Edge gateways"):
  PUT  /models/NAME        install a bundle (streamed to disk, capped by --max-bundle):
                           201 installed, 200 already current, 4xx refused with {reason, error}
  POST /models/NAME/infer  raw bytes (the inputs back to back) -> raw outputs; or JSON
                           {"inputs": [[...]]} -> {model, version, latencyMs, outputs}
  GET  /models, /models/NAME, /health   versions, slots, previous version, RAM/ROM, counters
  --state DIR          the state directory (created if missing)
  --trust LIST         public key files whose signatures are accepted, comma-separated
  --listen HOST:PORT   HTTP address (default 127.0.0.1:8480; port 0 picks a free port)
  --mqtt URL           also join an MQTT broker (mqtt://host:1883): presence, fleet bundles,
                       install results, sensor topics -> scores (topics in the README)
  --id ID              this gateway's id on MQTT (default: the host name)
  --fleet GROUP        fleets whose retained bundles this gateway installs (repeatable)
  --sensor TOPIC=MODEL score messages on TOPIC with MODEL (raw input bytes or JSON), besides
                       PREFIX/gateways/ID/sensors/MODEL; scores go to PREFIX/gateways/ID/scores/MODEL
  --mqtt-prefix P      topic prefix (default edgerun)
  --memory-limit SIZE  cap on each model's linear memory: larger bundles are refused ("memory"),
                       and models run in memories that cannot grow past it
  --features LIST      WebAssembly features this gateway offers (as verify; default: V8's here)
  --runtime R          v8 (default) or wasmtime
  --max-bundle SIZE    cap on a bundle's module (default 64MiB)
  --timeout MS         stop an inference (self-tests included) after MS ms (default 10000)
  --json               log events as JSON lines ({event, ...}) instead of text`,
  flash: `Usage: edgerun flash BUNDLE --gateway URL[,URL...] [--max-failures SHARE] [--timeout MS] [--json]
       edgerun flash BUNDLE --mqtt URL --fleet GROUP [--canary N] [--expect N] [--max-failures SHARE]
                            [--timeout MS] [--mqtt-prefix P] [--trust PUBKEY] [--json]

Rolls a bundle out and reports one line per gateway: installed, current (it already ran this
bundle), refused (with the gateway's reason), error, timeout, or pending (no answer yet when the
rollout stopped).
  --gateway LIST     gateway URLs (http://HOST:PORT), flashed one after another (HTTP PUT)
  --mqtt URL         a broker; the gateways of --fleet GROUP online on it are the targets
  --canary N         first send the bundle to N gateways alone (by id); if more than
                     --max-failures of them fail, the fleet never gets it
  --expect N         wait until N gateways of the fleet are online (default: those online now; a
                     gateway counts once it answers the rollout's ping, not by its retained status)
  --max-failures S   largest share of failed gateways tolerated, 0..1 or a percentage (default 0).
                     Above it the rollout stops: no further HTTP gateways are flashed; over MQTT the
                     fleet's previous retained bundle is restored (or the topic cleared), so gateways
                     coming online later get the last good one. A bundle not newer than the one the
                     fleet retains is refused before anything is published
  --timeout MS       wait at most MS ms for each gateway (per phase; default 60000)
  --trust LIST       verify the bundle's signature locally first
  --json             print {name, version, manifestSha256, rollout, gateways: [{gateway, outcome,
                     version, reason?, error?, ms, phase}], failed, targets, stopped, stopReason}
Exit codes: 0 the rollout completed within --max-failures, 5 it stopped or failed beyond it,
2 invalid usage, bundle or broker.`,
};

