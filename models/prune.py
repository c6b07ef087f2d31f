#!/usr/bin/env python3
"""Magnitude pruning pipeline: prune a Keras model, fine-tune, convert to sparse full-integer int8.

Applied to the project's anomaly-detection FC autoencoder (640-128x4-8-128x4-640, Dense+BN+ReLU
hidden layers, the MLPerf Tiny AD architecture of models/bench/ad_autoencoder) trained on
synthetic vibration windows:

  1. data: deterministic synthetic accelerometer recordings of a rotating machine (shaft harmonics,
     gear mesh with sidebands, a structural resonance, sensor noise; speed and load vary), 5 frames
     x 128 log-power bins = 640 features, standardized with the training set's per-feature mean and
     std. Training and validation sets hold normal windows only; the test set holds normal windows
     and anomalous ones (imbalance, misalignment, bearing outer-race fault, mechanical looseness,
     gear wear, each at a random severity, some subtle).
  2. base: the autoencoder trained on normal windows (Adam, MSE).
  3. variants, each starting from the base weights and fine-tuned for the same number of epochs:
     dense (no pruning: the dense twin), and magnitude pruning of every Dense kernel except the
     decoder's 8-input one, unstructured or in 1x4 / 1x16 blocks of consecutive inputs (one output
     unit, blocks aligned at input 0, scored by mean |w|) or in 4x16 tiles (16 inputs of four
     consecutive output units: TFLite's 1x16 format, four rows with the same block columns, which
     edgerun runs with its row-grouped kernel), with TF-MOT's polynomial schedule
     s(t) = s_f * (1 - (1 - t')^3) over the first part of the fine-tuning, masks recomputed every
     PRUNE_FREQUENCY steps and applied after every step, then held at s_f.
  4. conversion: full-integer int8 (int8 input and output, per-channel weights, 64 training windows
     as representative data) with optimizations [DEFAULT, EXPERIMENTAL_SPARSITY]. Every sparse
     tensor is expanded and checked against a dense conversion of the same Keras model (same int8
     weights and scales: nothing lost to the converter's 1x16 tail or in < 16 defects; see
     tests/golden/generate.py), and the layer encodings are checked against what was asked for.
  5. metrics: anomaly AUC (score = reconstruction MSE; normal vs anomalous test windows) and normal
     reconstruction MSE, in float (Keras) and int8 (TFLite BUILTIN_REF, output dequantized); file
     size; with --edgerun, edgerun's ROM/RAM (`edgerun inspect --json`) and latency
     (`edgerun bench --json`, V8, SIMD kernels) after `npm run build`.

Why the 8 -> 128 decoder layer stays dense: with fewer than 16 inputs the TF 2.21 converter's 1x16
block test always passes and it emits a malformed tensor (all weights lost) once 30 % of the int8
values are zero. It holds 1,024 of the 264,192 weights.

Writes models/pruned/<name>.tflite, <name>.input.npy (one standardized normal test window,
quantized to the model's int8 input), <name>.expected.npy (BUILTIN_REF output for it) and
models/pruned/manifest.json (deterministic); with --edgerun also models/pruned/edgerun.json
(measured on this machine). Deterministic: one master seed, single-threaded TensorFlow with op
determinism; rerunning gives byte-identical .tflite/.npy files and manifest.

Usage: .venv/bin/python models/prune.py [--only NAME ...] [--list] [--edgerun] [--iterations N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "golden"))

import generate as golden  # noqa: E402

np, tf, schema = golden.np, golden.tf, golden.schema
tf.config.threading.set_intra_op_parallelism_threads(1)  # float results independent of core count
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

OUT = HERE / "pruned"
MASTER_SEED = 0x5052554E  # "PRUN"
FS = 8192                  # sample rate (Hz)
FRAME = 256                # samples per frame: 128 bins of 32 Hz (Nyquist bin dropped)
FRAMES = 5                 # frames per window: 640 features, 156 ms
N_TRAIN, N_VAL, N_TEST = 4096, 512, 1024   # test: half normal, half anomalous
REP_SAMPLES = 64
BATCH = 64
BASE_EPOCHS = 40           # dense training before pruning
FINE_EPOCHS = 24           # fine-tuning per variant (dense twin: the same, unpruned)
PRUNE_END_FRACTION = 0.6   # the schedule reaches its target after 60 % of the fine-tuning steps
PRUNE_FREQUENCY = 16       # steps between mask updates
LEARNING_RATE = 1e-3
FINE_LEARNING_RATE = 3e-4
WIDTHS = (128, 128, 128, 128, 8, 128, 128, 128, 128)
KEEP_DENSE = (5,)          # Dense layer indices left unpruned (the 8-input decoder layer)
FAULTS = ("imbalance", "misalignment", "bearing", "looseness", "gear")


class PruneError(RuntimeError):
    pass


def seed_of(*parts) -> int:
    text = ":".join(str(p) for p in (MASTER_SEED, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


# ---------------------------------------------------------------------------------------------
# Synthetic vibration data

def vibration(rng, fault: str | None, severity: float) -> np.ndarray:
    """One FRAMES * FRAME sample accelerometer recording of a gearbox-driven machine."""
    n = FRAMES * FRAME
    t = np.arange(n) / FS
    f0 = rng.uniform(25.0, 50.0) * (1 + 0.002 * np.cumsum(rng.normal(size=n)) / np.sqrt(n))  # speed drift
    phase0 = 2 * np.pi * np.cumsum(f0) / FS
    load = rng.uniform(0.7, 1.3)
    amp = load * rng.uniform(0.8, 1.2, size=12) / np.arange(1, 13) ** 1.2
    if fault == "imbalance":
        amp[0] *= 1 + 3.0 * severity
    if fault == "misalignment":
        amp[1] *= 1 + 4.0 * severity
        amp[2] *= 1 + 3.0 * severity
    x = sum(amp[k] * np.sin((k + 1) * phase0 + rng.uniform(0, 2 * np.pi)) for k in range(12))
    if fault == "looseness":  # half-order harmonics and a clipped response
        for h in (0.5, 1.5, 2.5, 3.5):
            x += 0.6 * severity * load * np.sin(h * phase0 + rng.uniform(0, 2 * np.pi))
    teeth = 23
    mesh = teeth * phase0
    side = 0.15 * (1 + (8.0 * severity if fault == "gear" else 0.0))
    gear_amp = 0.3 * load * (1 + side * np.cos(phase0 + rng.uniform(0, 2 * np.pi))
                             + side * 0.6 * np.cos(2 * phase0 + rng.uniform(0, 2 * np.pi)))
    x += gear_amp * np.sin(mesh + rng.uniform(0, 2 * np.pi))
    x += 0.1 * load * np.sin(2 * mesh + rng.uniform(0, 2 * np.pi))
    # broadband excitation of a structural resonance (shaped white noise)
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / FS)
    fr = rng.uniform(2300, 2700)
    spec *= 0.02 + 0.25 * np.exp(-((f - fr) / 180.0) ** 2)
    x += np.fft.irfft(spec, n) * np.sqrt(n) * 0.05 * load
    if fault == "bearing":  # outer race: ringing bursts at BPFO = 3.58 x shaft speed
        fb = rng.uniform(3000, 3600)
        bpfo = 3.58 * f0.mean()
        start = rng.uniform(0, 1 / bpfo)
        for tk in np.arange(start, t[-1], 1 / bpfo):
            tk += rng.normal(0, 0.02 / bpfo)
            m = t >= tk
            x[m] += 1.2 * severity * np.exp(-(t[m] - tk) * 900) * np.sin(2 * np.pi * fb * (t[m] - tk))
    if fault == "looseness":
        lim = np.quantile(np.abs(x), 1 - 0.08 * severity)
        x = np.clip(x, -lim, lim)
    x += rng.normal(0, 0.01, size=n)  # sensor noise
    return x


def features(x: np.ndarray) -> np.ndarray:
    """5 Hann-windowed frames -> 128 log-power bins (dB) each, flattened to 640."""
    frames = x.reshape(FRAMES, FRAME) * np.hanning(FRAME)
    p = np.abs(np.fft.rfft(frames, axis=1)[:, :FRAME // 2]) ** 2
    return (10 * np.log10(p + 1e-10)).reshape(-1)


def dataset(name: str, n: int, anomalous_fraction: float = 0.0):
    """(features float64 [n, 640], labels 0 normal / 1 anomalous, fault names)."""
    rng = np.random.default_rng(seed_of("data", name))
    n_bad = int(round(n * anomalous_fraction))
    labels = np.array([0] * (n - n_bad) + [1] * n_bad)
    kinds, xs = [], []
    for lab in labels:
        fault = FAULTS[int(rng.integers(len(FAULTS)))] if lab else None
        severity = float(rng.uniform(0.1, 1.0)) if lab else 0.0
        xs.append(features(vibration(rng, fault, severity)))
        kinds.append(fault or "normal")
    return np.stack(xs), labels, kinds


@dataclass
class Data:
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray
    test_kinds: list
    mean: np.ndarray
    std: np.ndarray


def make_data() -> Data:
    train, _, _ = dataset("train", N_TRAIN)
    val, _, _ = dataset("val", N_VAL)
    test, labels, kinds = dataset("test", N_TEST, 0.5)
    mean, std = train.mean(0), train.std(0) + 1e-3
    z = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return Data(z(train), z(val), z(test), labels, kinds, mean, std)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# ---------------------------------------------------------------------------------------------
# Model, pruning

def build_model():
    import keras
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed_of("keras", "init") % 2**31)
    inp = keras.Input((640,), batch_size=None, name="input")
    y = inp
    for k, units in enumerate(WIDTHS):
        y = keras.layers.Dense(units, name=f"fc{k}")(y)
        y = keras.layers.BatchNormalization(name=f"bn{k}")(y)
        y = keras.layers.ReLU(name=f"relu{k}")(y)
    y = keras.layers.Dense(640, name=f"fc{len(WIDTHS)}")(y)
    return keras.Model(inp, y, name="ad_autoencoder")


def dense_layers(model):
    import keras
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def magnitude_mask(w: np.ndarray, sparsity: float, block: int, tile_rows: int = 1) -> np.ndarray:
    """Keep-mask of a Dense kernel [in, out]: drop the `sparsity` fraction of `tile_rows` x `block`
    tiles (tile_rows consecutive outputs x block consecutive inputs, aligned at 0; the last tile
    of a row or column partial when the size is not a multiple) with the smallest mean |w|. With
    tile_rows 1 these are TFLite's 1 x block groups; with 4 x 16 each kept tile is four output
    rows sharing their 1x16 block columns (edgerun's row-grouped sparse kernel). Stable order:
    deterministic."""
    a = np.abs(np.asarray(w, np.float64)).T           # [out, in]
    n_out, n_in = a.shape
    nb = -(-n_in // block)
    ng = -(-n_out // tile_rows)
    pad_in = nb * block - n_in
    pad_out = ng * tile_rows - n_out
    count = np.pad(np.ones_like(a), ((0, pad_out), (0, pad_in))).reshape(ng, tile_rows, nb, block).sum((1, 3))
    total = np.pad(a, ((0, pad_out), (0, pad_in))).reshape(ng, tile_rows, nb, block).sum((1, 3))
    score = (total / count).ravel()
    k = int(round(sparsity * score.size))
    keep = np.ones(score.size, bool)
    keep[np.argsort(score, kind="stable")[:k]] = False
    keep = np.repeat(np.repeat(keep.reshape(ng, nb), tile_rows, axis=0), block, axis=1)
    return keep[:n_out, :n_in].T.copy()


# Pruning structure -> (output rows, inputs) per pruned tile. 4x16 tiles convert to TFLite's
# standard 1x16 block format (four rows with the same block columns), which any runtime reads.
STRUCT_TILE = {"unstructured": (1, 1), "1x4": (1, 4), "1x16": (1, 16), "4x16": (4, 16)}


def polynomial_sparsity(step: int, target: float, begin: int, end: int, power: int = 3) -> float:
    """TF-MOT PolynomialDecay from 0 to `target` between steps begin and end."""
    p = min(max((step - begin) / max(end - begin, 1), 0.0), 1.0)
    return target * (1 - (1 - p) ** power)


def make_pruning_callback(layers, structure: str, target: float, end_step: int, log: list,
                          log_every: int = PRUNE_FREQUENCY * 16):
    import keras
    tile_rows, block = STRUCT_TILE[structure]

    class MagnitudePruning(keras.callbacks.Callback):
        """Recompute masks every PRUNE_FREQUENCY steps until end_step; apply them after every step.
        Kernels are Dense [in, out] or 1x1 Conv2D [1, 1, in, out] (masked as their [in, out] view);
        the sparsity is logged every log_every steps (0: only at end_step)."""

        def __init__(self):
            super().__init__()
            self.step = 0
            self.masks = [np.ones(tuple(layer.kernel.shape), bool) for layer in layers]

        def on_train_batch_end(self, batch, logs=None):
            if self.step <= end_step and (self.step % PRUNE_FREQUENCY == 0 or self.step == end_step):
                s = polynomial_sparsity(self.step, target, 0, end_step)
                self.masks = [magnitude_mask(k.reshape(k.shape[-2:]), s, block, tile_rows).reshape(k.shape)
                              for k in (layer.kernel.numpy() for layer in layers)]
                if self.step == end_step or (log_every and self.step % log_every == 0):
                    log.append((self.step, round(s, 4)))
            for layer, mask in zip(layers, self.masks):
                layer.kernel.assign(layer.kernel.numpy() * mask)
            self.step += 1

    return MagnitudePruning()


def train(model, x, epochs: int, lr: float, tag: str, callbacks=()):
    import keras
    keras.utils.set_random_seed(seed_of("keras", tag) % 2**31)
    order = np.random.default_rng(seed_of("order", tag))
    idx = np.concatenate([order.permutation(len(x)) for _ in range(epochs)])
    xs = x[idx]  # one fixed shuffled stream: fit() itself never shuffles
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    hist = model.fit(xs, xs, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
                     callbacks=list(callbacks)).history
    return float(hist["loss"][-1])


def float_metrics(model, data: Data) -> dict:
    rec = lambda a: np.asarray(model(tf.constant(a), training=False))  # noqa: E731
    err_val = ((rec(data.val) - data.val) ** 2).mean(1)
    err_test = ((rec(data.test) - data.test) ** 2).mean(1)
    return {"val_mse": round(float(err_val.mean()), 5), "auc": round(auc(err_test, data.test_labels), 4)}


# ---------------------------------------------------------------------------------------------
# Convert, check, evaluate int8

def convert(model, data: Data, sparsity: bool) -> bytes:
    return convert_int8(model, (1, 640), data.train[:REP_SAMPLES], sparsity)


def convert_int8(model, input_shape: tuple[int, ...], representative_samples: np.ndarray, sparsity: bool) -> bytes:
    """Full-integer int8 conversion (int8 in and out), with the converter's sparsity when asked."""
    fn = golden.keras_fn(model, input_shape)

    def representative():
        for s in representative_samples:
            yield [s[None]]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if sparsity:
        conv.optimizations.append(tf.lite.Optimize.EXPERIMENTAL_SPARSITY)
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with golden.quiet_stderr():
        return conv.convert()


def check_sparse(model_bytes: bytes, dense_bytes: bytes, expect: list[str], where: str) -> list[dict]:
    """Every weight op holds the same int8 weights and scales as the dense conversion, and has the
    expected encoding ('dense' | 'csr' | '1x16')."""
    m, dm = golden.read_model(model_bytes), golden.read_model(dense_bytes)
    layout = golden.sparse_layout(m)
    found = [f["encoding"] for f in layout]
    if found != expect:
        raise PruneError(f"{where}: weight encodings {found}, expected {expect}")
    for f, w in zip(layout, golden.weight_ops(dm)):
        dt = dm.subgraphs[0].tensors[w["filter"]]
        ref = golden.buffer_array(dm, dt, np.int8).reshape([int(d) for d in dt.shape])
        if f["encoding"] == "dense":
            t = m.subgraphs[0].tensors[golden.weight_ops(m)[layout.index(f)]["filter"]]
            got = golden.buffer_array(m, t, np.int8).reshape(ref.shape)
        else:
            t = m.subgraphs[0].tensors[f["tensor"]]
            got = golden.expand_sparse(t, golden.buffer_array(m, t, np.int8))
        if not np.array_equal(got, ref) or list(t.quantization.scale) != list(dt.quantization.scale):
            raise PruneError(f"{where}: op {f['op_index']} weights differ from the dense conversion")
    return layout


def expected_encodings(structure: str | None, sparsity: float) -> list[str]:
    res = []
    for k in range(len(WIDTHS) + 1):
        if structure is None or k in KEEP_DENSE:
            res.append("dense")
        else:
            res.append(golden.expected_encoding("FULLY_CONNECTED", "1x16" if structure == "4x16" else structure, sparsity))
    return res


def quant(model, ti) -> tuple[float, int]:
    q = model.subgraphs[0].tensors[int(ti)].quantization
    return float(q.scale[0]), int(q.zeroPoint[0])


def int8_metrics(model_bytes: bytes, data: Data) -> dict:
    m = golden.read_model(model_bytes)
    sg = m.subgraphs[0]
    (si, zi), (so, zo) = quant(m, sg.inputs[0]), quant(m, sg.outputs[0])
    it = golden.make_interpreter(model_bytes)
    i_in, i_out = int(sg.inputs[0]), int(sg.outputs[0])

    def errors(xs):
        res = []
        for x in xs:
            q = np.clip(np.round(x / si) + zi, -128, 127).astype(np.int8)[None]
            it.set_tensor(i_in, q)
            it.invoke()
            y = (it.get_tensor(i_out).astype(np.float64) - zo) * so
            res.append(((y[0] - x) ** 2).mean())
        return np.array(res)

    err_val, err_test = errors(data.val), errors(data.test)
    per_fault = {}
    normal = err_test[data.test_labels == 0]
    for fault in FAULTS:
        sel = np.array([k == fault for k in data.test_kinds])
        scores = np.concatenate([normal, err_test[sel]])
        labels = np.concatenate([np.zeros(len(normal)), np.ones(int(sel.sum()))])
        per_fault[fault] = round(auc(scores, labels), 4)
    return {"val_mse": round(float(err_val.mean()), 5), "auc": round(auc(err_test, data.test_labels), 4),
            "auc_per_fault": per_fault}


def sample_files(model_bytes: bytes, data: Data):
    """One normal test window quantized to the int8 input; BUILTIN_REF output; and how many
    output elements the dense twin (sparse constants expanded) changes."""
    m = golden.read_model(model_bytes)
    sg = m.subgraphs[0]
    si, zi = quant(m, sg.inputs[0])
    x = data.test[int(np.flatnonzero(data.test_labels == 0)[0])]
    q = np.clip(np.round(x / si) + zi, -128, 127).astype(np.int8)[None]
    out, _ = golden.run_reference(model_bytes, m, [q], "sample")
    twin = golden.dense_twin(model_bytes) if any(t.sparsity is not None for t in sg.tensors) else model_bytes
    twin_out, _ = golden.run_reference(twin, golden.read_model(twin), [q], "sample twin")
    return q, out[0], int(np.count_nonzero(out[0] != twin_out[0]))


# ---------------------------------------------------------------------------------------------
# edgerun

EDGERUN = {"dir": REPO, "commit": ""}  # the edgerun checkout whose dist/host/cli.js measures (--edgerun-dir)


def edgerun_cli(args: list[str]) -> tuple[int, str, str]:
    node = shutil.which("node") or "node"
    r = subprocess.run([node, str(EDGERUN["dir"] / "dist" / "host" / "cli.js"), *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def edgerun_measure(paths: dict[str, Path], iterations: int, rounds: int) -> dict:
    """`edgerun inspect --json` memory per model, and `rounds` medians of `edgerun bench --json`
    (V8, SIMD kernels), the models interleaved round by round; reported: their median and their
    minimum (the table uses the minimum: other load on the machine only ever slows a round down)."""
    if not (EDGERUN["dir"] / "dist" / "host" / "cli.js").exists():
        return {n: {"error": f"{EDGERUN['dir']}/dist/host/cli.js missing: run npm run build"} for n in paths}
    res = {}
    for name, path in paths.items():
        code, out, err = edgerun_cli(["inspect", str(path), "--json"])
        if code != 0:
            res[name] = {"error": (err.strip() or out.strip()).splitlines()[-1]}
            continue
        info = json.loads(out)
        res[name] = {"memory": info["memory"]} if info.get("memory") else {"error": f"unsupported {info.get('unsupported')}"}
    for _ in range(rounds):
        for name, path in paths.items():
            if "error" in res[name]:
                continue
            code, out, err = edgerun_cli(["bench", str(path), "--json", "--iterations", str(iterations),
                                          "--warmup", str(max(iterations // 10, 10))])
            if code != 0:
                res[name]["error"] = (err.strip() or out.strip()).splitlines()[-1]
                continue
            res[name].setdefault("medians", []).append(json.loads(out)["medianMs"])
    for r in res.values():
        if r.get("medians"):
            r["medianMs"] = float(np.median(r["medians"]))
            r["bestMs"] = float(np.min(r["medians"]))  # interference only ever slows a round down
            r["iterations"], r["rounds"] = iterations, rounds
    return res


# ---------------------------------------------------------------------------------------------
# Variants

@dataclass
class Variant:
    name: str
    structure: str | None   # None: the dense twin
    sparsity: float = 0.0


VARIANTS = [
    Variant("ad_autoencoder_dense", None),
    Variant("ad_autoencoder_unstructured50", "unstructured", 0.5),
    Variant("ad_autoencoder_unstructured80", "unstructured", 0.8),
    Variant("ad_autoencoder_1x4_50", "1x4", 0.5),
    Variant("ad_autoencoder_1x4_80", "1x4", 0.8),
    Variant("ad_autoencoder_1x16_50", "1x16", 0.5),
    Variant("ad_autoencoder_1x16_80", "1x16", 0.8),
    Variant("ad_autoencoder_4x16_50", "4x16", 0.5),
    Variant("ad_autoencoder_4x16_80", "4x16", 0.8),
]
BY_NAME = {v.name: v for v in VARIANTS}


def weight_density(model) -> dict:
    ks = [layer.kernel.numpy() for layer in dense_layers(model)]
    total = sum(k.size for k in ks)
    return {"kernel_density": round(sum(int(np.count_nonzero(k)) for k in ks) / total, 4),
            "layer_density": [round(float(np.count_nonzero(k)) / k.size, 4) for k in ks]}


def run_variant(v: Variant, base_weights, data: Data, base_metrics: dict) -> tuple[dict, dict]:
    t0 = time.time()
    model = build_model()
    model.set_weights(base_weights)
    steps = FINE_EPOCHS * (N_TRAIN // BATCH)
    end_step = int(steps * PRUNE_END_FRACTION)
    schedule = []
    callbacks = []
    if v.structure is not None:
        layers = [layer for k, layer in enumerate(dense_layers(model)) if k not in KEEP_DENSE]
        callbacks.append(make_pruning_callback(layers, v.structure, v.sparsity, end_step, schedule))
    loss = train(model, data.train, FINE_EPOCHS, FINE_LEARNING_RATE, f"fine:{v.name}", callbacks)
    fm = float_metrics(model, data)
    dens = weight_density(model)
    where = f"pruned/{v.name}"
    model_bytes = convert(model, data, sparsity=v.structure is not None)
    dense_bytes = convert(model, data, sparsity=False)
    if v.structure is None and model_bytes != dense_bytes:
        raise PruneError(f"{where}: dense conversion is not deterministic")
    layout = check_sparse(model_bytes, dense_bytes, expected_encodings(v.structure, v.sparsity), where)
    golden.verify_ops(golden.read_model(model_bytes), golden.make_interpreter(model_bytes),
                      golden.sparse_ops_list(["FULLY_CONNECTED"] * (len(WIDTHS) + 1),
                                             [f["encoding"] for f in layout]), where)
    im = int8_metrics(model_bytes, data)
    q, expected, twin_diff = sample_files(model_bytes, data)
    entry = {
        "name": v.name, "file": f"{v.name}.tflite", "input": f"{v.name}.input.npy",
        "expected": f"{v.name}.expected.npy",
        "pruning": None if v.structure is None else {
            "structure": v.structure, "target_sparsity": v.sparsity, "layers_left_dense": list(KEEP_DENSE),
            "schedule": f"polynomial (power 3) 0 -> {v.sparsity} over steps 0..{end_step} of {steps}, "
                        f"masks every {PRUNE_FREQUENCY} steps", "schedule_samples": schedule},
        "fine_tune": {"epochs": FINE_EPOCHS, "learning_rate": FINE_LEARNING_RATE, "final_loss": round(loss, 5)},
        **dens,
        "float": fm, "int8": im,
        "bytes": len(model_bytes), "dense_conversion_bytes": len(dense_bytes),
        "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "encodings": [{k: f.get(k) for k in ("encoding", "weights_shape", "density", "stored_values",
                                             "block_size", "dim_metadata")} for f in layout],
        "sample_dense_twin_elements_differing": twin_diff,
    }
    files = {entry["file"]: model_bytes, entry["input"]: q, entry["expected"]: expected}
    note = (f"{v.name}: kernel density {dens['kernel_density']:.3f}, float AUC {fm['auc']:.4f} "
            f"(base {base_metrics['auc']:.4f}), int8 AUC {im['auc']:.4f}, val MSE {im['val_mse']:.4f}, "
            f"{len(model_bytes):,} B, {time.time() - t0:.0f} s")
    return entry, files, note


def write_outputs(entries: list[dict], files: dict, head: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        if isinstance(data, (bytes, bytearray)):
            (OUT / fname).write_bytes(data)
        else:
            golden.save_npy(OUT / fname, data)
    path = OUT / "manifest.json"
    names = [e["name"] for e in entries]
    kept = []
    if path.exists():
        kept = [e for e in json.loads(path.read_text())["models"] if e["name"] not in names]
    order = {v.name: k for k, v in enumerate(VARIANTS)}
    models = sorted(kept + entries, key=lambda e: order.get(e["name"], len(order)))
    path.write_text(json.dumps({**head, "models": models}, indent=1) + "\n")


def measure_and_save(entries: list[dict], iterations: int, rounds: int) -> dict:
    bench = edgerun_measure({e["name"]: OUT / e["file"] for e in entries}, iterations, rounds)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=EDGERUN["dir"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=EDGERUN["dir"],
                           capture_output=True, text=True)
    built = commit.stdout.strip() or EDGERUN["commit"] or "unknown"
    if dirty.stdout.strip():
        built += " + uncommitted changes"
    for name, r in bench.items():
        r["edgerun_commit"] = built
        if "error" in r:
            print(f"edgerun {name}: {r['error']}")
    path = OUT / "edgerun.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(bench)
    path.write_text(json.dumps(old, indent=1) + "\n")
    return bench


def table(entries: list[dict], bench: dict) -> str:
    dense = next((e for e in entries if e["pruning"] is None), None)
    dmem = (bench.get(dense["name"], {}).get("memory") if dense else None) or {}
    dms = bench.get(dense["name"], {}).get("bestMs") if dense else None
    rows = ["| model | kernel density | float AUC | int8 AUC | int8 normal MSE | .tflite bytes | "
            "edgerun ROM data (x dense) | edgerun weights | edgerun ms (x dense) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for e in entries:
        b = bench.get(e["name"], {})
        mem = b.get("memory") or {}
        ms = b.get("bestMs")
        rom = "" if not mem else f"{mem['romDataBytes']:,}" + (
            f" ({mem['romDataBytes'] / dmem['romDataBytes']:.2f})" if dmem else "")
        lat = "" if ms is None else f"{ms:.4f}" + (f" ({ms / dms:.2f})" if dms else "")
        rows.append(f"| {e['name']} | {e['kernel_density']:.3f} | {e['float']['auc']:.4f} | {e['int8']['auc']:.4f} | "
                    f"{e['int8']['val_mse']:.4f} | {e['bytes']:,} | {rom} | "
                    f"{'' if not mem else format(mem['weightsBytes'], ',')} | {lat} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Prune, fine-tune and convert the AD autoencoder (sparse int8).")
    ap.add_argument("--only", action="append", metavar="NAME", help="only this variant (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    ap.add_argument("--edgerun", action="store_true",
                    help="also measure edgerun ROM and latency (needs npm run build); writes edgerun.json")
    ap.add_argument("--edgerun-only", action="store_true",
                    help="measure the committed models/pruned files with edgerun (no training) and print the table")
    ap.add_argument("--edgerun-dir", type=Path, default=REPO,
                    help="edgerun checkout (built) to measure with (default: this repository)")
    ap.add_argument("--edgerun-commit", default="",
                    help="commit the --edgerun-dir export was made from, when it is not a git checkout")
    ap.add_argument("--iterations", type=int, default=20000, help="edgerun bench iterations per round (default 20000)")
    ap.add_argument("--rounds", type=int, default=7, help="edgerun bench rounds (default 7)")
    args = ap.parse_args(argv)
    EDGERUN["dir"], EDGERUN["commit"] = args.edgerun_dir.resolve(), args.edgerun_commit
    names = args.only or [v.name for v in VARIANTS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown variant {unknown}; choose from {', '.join(BY_NAME)}")
    if args.list:
        for n in names:
            v = BY_NAME[n]
            print(f"{v.name:32s} {v.structure or 'dense twin'} {v.sparsity:.0%}")
        return 0
    if args.edgerun_only:
        entries = [e for e in json.loads((OUT / "manifest.json").read_text())["models"] if e["name"] in names]
        bench = measure_and_save(entries, args.iterations, args.rounds)
        print(table(entries, bench))
        return 0
    if tf.__version__ != "2.21.0":
        print(f"warning: TensorFlow {tf.__version__}; the committed models were built with 2.21.0", file=sys.stderr)
    t0 = time.time()
    data = make_data()
    print(f"data: train {data.train.shape}, val {data.val.shape}, test {data.test.shape} "
          f"({int(data.test_labels.sum())} anomalous), {time.time() - t0:.0f} s", flush=True)
    model = build_model()
    base_loss = train(model, data.train, BASE_EPOCHS, LEARNING_RATE, "base")
    base_metrics = float_metrics(model, data)
    base_weights = model.get_weights()
    print(f"base: {BASE_EPOCHS} epochs, loss {base_loss:.4f}, float {base_metrics}, {time.time() - t0:.0f} s", flush=True)
    entries, files = [], {}
    try:
        for n in names:
            entry, fs, note = run_variant(BY_NAME[n], base_weights, data, base_metrics)
            entries.append(entry)
            files.update(fs)
            print(note, flush=True)
    except (PruneError, golden.GoldenError) as e:
        print(f"FAIL {e} (files in {OUT} left unchanged)", file=sys.stderr)
        return 1
    head = {
        "generator": "models/prune.py", "tensorflow": tf.__version__, "master_seed": MASTER_SEED,
        "oracle": "tf.lite.Interpreter, OpResolverType.BUILTIN_REF",
        "data": {"sample_rate_hz": FS, "frame": FRAME, "frames": FRAMES,
                 "features": "5 Hann frames x 128 log-power bins (dB), standardized per feature",
                 "train": N_TRAIN, "val": N_VAL, "test": N_TEST, "test_anomalous": int(data.test_labels.sum()),
                 "faults": list(FAULTS), "feature_mean_sha256": hashlib.sha256(data.mean.tobytes()).hexdigest()},
        "base": {"epochs": BASE_EPOCHS, "learning_rate": LEARNING_RATE, "batch": BATCH,
                 "final_loss": round(base_loss, 5), "float": base_metrics},
        "metrics": "AUC: anomaly score = mean squared reconstruction error, normal vs anomalous test "
                   "windows; val_mse: mean over normal validation windows (standardized units); int8: "
                   "TFLite BUILTIN_REF, input quantized, output dequantized",
    }
    write_outputs(entries, files, head)
    print(f"wrote {len(entries)} model(s) to {OUT.relative_to(REPO)} in {time.time() - t0:.0f} s")
    bench = {}
    if args.edgerun:
        bench = measure_and_save(entries, args.iterations, args.rounds)
    print(table(entries, bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
