#!/usr/bin/env python3
"""Predictive-maintenance models: train in Keras, convert to full-integer int8, evaluate the int8
models on unseen test machines, embed the `edgerun.pm` metadata, check them in edgerun.

Input: the datasets of models/pm/dataset.mjs in models/pm/data/ (steady/ and degrade/: features
computed by edgerun's WebAssembly DSP front-end from synthesized sensor runs, split by machine).
Train machines are used for training, normalization and threshold calibration; test machines only
for the metrics.

Models (each int8 in, int8 out, batch 1, ops from `edgerun ops` only):
  anomaly_ae  autoencoder over one normalized feature vector, trained on healthy windows of train
              machines; score = mean squared reconstruction error of the dequantized int8 tensors;
              threshold = the 99.5th percentile of that score on healthy windows of train machines
              held out of its training (every CALIBRATION_BLOCKS-th block of five machine ids).
  fault_cnn   1-D CNN over the same features (band axis as length, the three axes as channels;
              reshape/transpose inside the model, input = the flat feature vector), softmax over
              [healthy, inner, outer, ball, imbalance, misalignment, looseness]; score = 1 - p(healthy).
  rul         1-D CNN over K consecutive feature vectors of degradation runs (bearing faults):
              remaining useful life / RUL_SCALE_S.

Metrics are measured on the int8 .tflite models with TFLite's reference kernels (BUILTIN_REF), the
inputs normalized and quantized exactly as the metadata tells `edgerun stream` to:
z = (f - mean) / std, q = clamp(round_half_away(z / scale) + zero_point, -128, 127).

Writes models/pm/<name>.tflite (with Model.metadata "edgerun.pm": UTF-8 JSON), <name>.input.npy
(one int8 input from a test machine), <name>.expected.npy (BUILTIN_REF output for it) and
models/pm/metrics.json; then runs each model in edgerun (`node dist/host/cli.js run`, simd and ref
kernels) on that input and fails unless the output is bit-identical. Needs `npm run build` first.

Deterministic: fixed seeds, single-threaded TensorFlow with op determinism.

Usage: .venv/bin/python models/pm/train.py [--only anomaly_ae|fault_cnn|rul ...] [--no-edgerun]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests" / "golden"))

import generate as golden  # noqa: E402  (quiet_stderr, make_interpreter, op_name, schema)

np, tf, schema = golden.np, golden.tf, golden.schema
import flatbuffers  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
L = tf.keras.layers

DATA = HERE / "data"
CLI = REPO / "dist" / "host" / "cli.js"
SEED = 0x504D  # "PM"
CALIBRATION_BLOCKS = 4     # train machines in every 4th block of five ids: held out of the autoencoder's
                           # training to calibrate its threshold (and to stop the RUL training early)
CLIP = 8.0                 # normalized features are clipped to +-CLIP for training and calibration
PERCENTILE = 99.5          # anomaly threshold: this percentile of healthy train-window scores
REP_SAMPLES = 256          # representative inputs for the converter's calibration
CLASSES = ["healthy", "inner", "outer", "ball", "imbalance", "misalignment", "looseness"]
RUL_K = 32                 # feature vectors per RUL inference (1 s apart: 32 s of context)
RUL_SCALE_S = 180.0        # the longest life in the degradation data
RUL_ALARM_S = 30.0         # rul: anomaly (maintenance due) when the predicted RUL < this
MODELS = ("anomaly_ae", "fault_cnn", "rul")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def seed_all(tag: str) -> None:
    s = (SEED * 1000003 + sum(ord(c) * (i + 1) for i, c in enumerate(tag))) % (2**31)
    tf.keras.utils.set_random_seed(s)


# ---------------------------------------------------------------------------------------------
# Data

class DataSet:
    """One set written by dataset.mjs: X, labels per window, and meta.json; flags as bool."""
    ARRAYS: tuple[str, ...] = ("X", "fault", "machine", "test")
    FLAGS: tuple[str, ...] = ("test",)

    def __init__(self, name: str):
        d = DATA / name
        if not (d / "meta.json").exists():
            sys.exit(f"train.py: {d}/meta.json missing: run node models/pm/dataset.mjs first")
        self.meta = json.loads((d / "meta.json").read_text())
        for key in self.ARRAYS:
            a = np.load(d / f"{key}.npy")
            setattr(self, key, a.astype(bool) if key in self.FLAGS else a)


class Steady(DataSet):
    ARRAYS = DataSet.ARRAYS + ("severity", "subtle")
    FLAGS = ("test", "subtle")

    def __init__(self):
        super().__init__("steady")


class Degrade(DataSet):
    ARRAYS = DataSet.ARRAYS + ("run", "rul", "life")

    def __init__(self):
        super().__init__("degrade")


def norm_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std to 7 significant digits (the decimals written to the metadata are
    the normalization); a constant feature gets std 1."""
    mean = X.mean(0, dtype=np.float64)
    std = X.std(0, dtype=np.float64)
    std[std < 1e-6] = 1.0
    sig7 = np.vectorize(lambda v: float(f"{v:.7g}"))
    return sig7(mean), sig7(std)


def calibration_machines(machine: np.ndarray) -> np.ndarray:
    return (machine // 5) % CALIBRATION_BLOCKS == CALIBRATION_BLOCKS - 1


def normalize(X, mean, std):
    return ((X.astype(np.float64) - mean) / std)


def quantize(z: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """The metadata's rule: round half away from zero, then add the zero point, clamp to int8."""
    v = z / scale
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + zp, -128, 127).astype(np.int8)


# ---------------------------------------------------------------------------------------------
# Conversion, metadata, int8 evaluation

def convert(model, n_in: int, rep: np.ndarray) -> bytes:
    fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([1, n_in], tf.float32)],
                     autograph=False)

    def representative():
        for s in rep:
            yield [s[None].astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with golden.quiet_stderr():
        return conv.convert()


def edgerun_ops() -> set[str]:
    out = subprocess.run(["node", str(CLI), "ops"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def check_model(tfl: bytes, name: str, supported: set[str] | None) -> dict:
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tfl, 0))
    if len(m.subgraphs) != 1:
        raise SystemExit(f"{name}: {len(m.subgraphs)} subgraphs")
    sg = m.subgraphs[0]
    ops = [golden.op_name(m, o) for o in sg.operators]
    if supported is not None:
        missing = sorted(set(ops) - supported)
        if missing:
            raise SystemExit(f"{name}: ops edgerun does not run: {missing}")
    for kind, idx in (("input", sg.inputs), ("output", sg.outputs)):
        t = sg.tensors[int(idx[0])]
        if len(idx) != 1 or t.type != schema.TensorType.INT8 or int(t.shape[0]) != 1:
            raise SystemExit(f"{name}: {kind} must be one int8 tensor with batch 1")
    return {"ops": ops}


def io_quant(tfl: bytes) -> dict:
    it = golden.make_interpreter(tfl)
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    return {"in_scale": float(i["quantization"][0]), "in_zp": int(i["quantization"][1]),
            "out_scale": float(o["quantization"][0]), "out_zp": int(o["quantization"][1]),
            "in_shape": [int(d) for d in i["shape"]], "out_shape": [int(d) for d in o["shape"]]}


def run_int8(tfl: bytes, Q: np.ndarray, what: str) -> np.ndarray:
    """BUILTIN_REF outputs (int8) for int8 inputs Q [N, ...], one invocation each."""
    it = golden.make_interpreter(tfl)
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    out = np.empty((len(Q), int(np.prod(o["shape"]))), np.int8)
    t0 = time.time()
    for k, q in enumerate(Q):
        it.set_tensor(i["index"], q.reshape(i["shape"]))
        it.invoke()
        out[k] = it.get_tensor(o["index"]).ravel()
        if (k + 1) % 5000 == 0:
            log(f"  {what}: {k + 1}/{len(Q)} int8 inferences ({time.time() - t0:.0f} s)")
    return out


def with_metadata(tfl: bytes, meta: dict) -> bytes:
    """The model with Model.metadata entry "edgerun.pm" pointing at a new buffer holding the JSON."""
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tfl, 0))
    buf = schema.BufferT()
    buf.data = np.frombuffer(json.dumps(meta, separators=(",", ":")).encode("utf-8"), np.uint8)
    m.buffers.append(buf)
    md = schema.MetadataT()
    md.name = "edgerun.pm"
    md.buffer = len(m.buffers) - 1
    m.metadata = list(m.metadata or []) + [md]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def auc(neg: np.ndarray, pos: np.ndarray) -> float:
    """ROC AUC = P(score_pos > score_neg) + P(tie) / 2 (Mann-Whitney U with mid-ranks)."""
    s = np.concatenate([neg, pos]).astype(np.float64)
    order = s.argsort(kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[len(neg):].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(neg) * len(pos)))


def save_npy(path: Path, a: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(a))


def edgerun_check(name: str, tfl_path: Path, inp: Path, expected: np.ndarray) -> None:
    for kernels in ("simd", "ref"):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.npy"
            r = subprocess.run(["node", str(CLI), "run", str(tfl_path), "--input", str(inp), "--output", str(out),
                                "--kernels", kernels], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"{name}: edgerun run failed ({kernels}): {r.stderr.strip()}")
            got = np.load(out)
            if got.dtype != expected.dtype or got.shape != expected.shape or not np.array_equal(got, expected):
                diff = int((got.astype(np.int32) != expected.astype(np.int32)).sum()) if got.shape == expected.shape else -1
                raise SystemExit(f"{name}: edgerun ({kernels}) differs from BUILTIN_REF ({diff} elements)")
    log(f"  {name}: edgerun output bit-identical to BUILTIN_REF (simd and ref kernels)")


def r4(x) -> float:
    return float(round(float(x), 4))


def spec_of(meta: dict) -> dict:
    return meta["features"]


def pm_meta(task: str, data_meta: dict, mean, std, score: str, threshold: float, context: int = 1, **extra) -> dict:
    m = {"format": "edgerun.pm/1", "task": task, "columns": data_meta["columns"], "features": spec_of(data_meta),
         "context": context, "normalize": {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
         "score": score}
    m.update({k: v for k, v in extra.items() if k in ("rulScaleS", "labels")})
    m["threshold"] = float(threshold)
    m.update({k: v for k, v in extra.items() if k not in ("rulScaleS", "labels")})
    return m


def write_model(name: str, tfl: bytes, meta: dict, q_input: np.ndarray, supported, check_edgerun: bool) -> dict:
    tfl = with_metadata(tfl, meta)
    info = check_model(tfl, name, supported)
    path = HERE / f"{name}.tflite"
    path.write_bytes(tfl)
    it = golden.make_interpreter(tfl)
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    x = q_input.reshape(i["shape"]).astype(np.int8)
    it.set_tensor(i["index"], x)
    it.invoke()
    y = np.array(it.get_tensor(o["index"]))
    save_npy(HERE / f"{name}.input.npy", x)
    save_npy(HERE / f"{name}.expected.npy", y)
    log(f"  wrote {path.relative_to(REPO)} ({len(tfl)} bytes; ops {sorted(set(info['ops']))})")
    if check_edgerun:
        edgerun_check(name, path, HERE / f"{name}.input.npy", y)
    return {"file": path.name, "bytes": len(tfl), "ops": info["ops"]}


# ---------------------------------------------------------------------------------------------
# Anomaly autoencoder

def train_anomaly(d: Steady, supported, check_edgerun: bool) -> dict:
    name = "anomaly_ae"
    seed_all(name)
    F = d.X.shape[1]
    healthy_train = (d.fault == 0) & ~d.test
    held = calibration_machines(d.machine)
    fit = healthy_train & ~held
    calib = healthy_train & held
    mean, std = norm_stats(d.X[fit])
    Z = np.clip(normalize(d.X, mean, std), -CLIP, CLIP).astype(np.float32)
    n_fit, n_cal = len(np.unique(d.machine[fit])), len(np.unique(d.machine[calib]))
    log(f"{name}: {fit.sum()} healthy windows of {n_fit} train machines for training, {calib.sum()} of "
        f"{n_cal} other train machines for calibration, x {F} features")

    inp = L.Input((F,), name="features")
    x = L.GaussianNoise(0.1, name="noise")(inp)
    x = L.Dense(48, activation="relu", name="encode")(x)
    x = L.Dense(12, activation="relu", name="code")(x)
    x = L.Dense(48, activation="relu", name="decode")(x)
    out = L.Dense(F, name="reconstruct")(x)
    model = tf.keras.Model(inp, out, name="anomaly_ae")
    model.compile(tf.keras.optimizers.Adam(1e-3), "mse")
    t0 = time.time()
    model.fit(Z[fit], Z[fit], epochs=60, batch_size=64, verbose=0, shuffle=True)
    log(f"  trained in {time.time() - t0:.0f} s, {model.count_params()} parameters")

    rng = np.random.default_rng(SEED)
    rep = Z[rng.choice(np.where(fit)[0], REP_SAMPLES, replace=False)]
    tfl = convert(model, F, rep)
    q = io_quant(tfl)

    def scores(mask, what):
        Qin = quantize(normalize(d.X[mask], mean, std), q["in_scale"], q["in_zp"])
        Qout = run_int8(tfl, Qin, what)
        xi = (Qin.astype(np.float64) - q["in_zp"]) * q["in_scale"]
        xo = (Qout.astype(np.float64) - q["out_zp"]) * q["out_scale"]
        return ((xo - xi) ** 2).mean(1), Qin

    s_train, _ = scores(fit, "healthy train (fit)")
    s_cal, _ = scores(calib, "healthy train (calibration)")
    threshold = float(np.percentile(s_cal, PERCENTILE))
    test_mask = d.test
    s_test, Qtest = scores(test_mask, "test")
    f_test, sev_test, sub_test = d.fault[test_mask], d.severity[test_mask], d.subtle[test_mask]
    neg = s_test[f_test == 0]
    pos_mask = (f_test > 0) & ~sub_test
    pos = s_test[pos_mask]
    per_fault = {}
    for k, c in enumerate(CLASSES[1:], 1):
        sel = (f_test == k) & ~sub_test
        sel_sub = (f_test == k) & sub_test
        per_fault[c] = {"auc": r4(auc(neg, s_test[sel])), "detected": r4((s_test[sel] > threshold).mean()),
                        "subtleAuc": r4(auc(neg, s_test[sel_sub])),
                        "subtleDetected": r4((s_test[sel_sub] > threshold).mean())}
    subtle_pos = s_test[(f_test > 0) & sub_test]
    sev = d.meta["config"]["severity"]
    sub = d.meta["config"]["subtle"]
    metrics = {
        "testMachines": len(d.meta["split"]["test"]),
        "auc": r4(auc(neg, pos)),
        "healthyWindows": int(len(neg)), "faultyWindows": int(len(pos)),
        "severityRange": sev,
        "falsePositiveRate": r4((neg > threshold).mean()),
        "detectionRate": r4((pos > threshold).mean()),
        "fitFalsePositiveRate": r4((s_train > threshold).mean()),
        "perFault": per_fault,
        "subtle": {"severityRange": sub, "windows": int(len(subtle_pos)), "auc": r4(auc(neg, subtle_pos)),
                   "detectionRate": r4((subtle_pos > threshold).mean())},
    }
    log(f"  int8 on test machines: AUC {metrics['auc']}, FPR {metrics['falsePositiveRate']}, "
        f"detection {metrics['detectionRate']} at threshold {threshold:.5f}; subtle AUC {metrics['subtle']['auc']}")
    meta = pm_meta("anomaly", d.meta, mean, std, "mse", threshold,
                   calibration={"percentile": PERCENTILE, "windows": int(calib.sum()),
                                "data": f"healthy windows of {n_cal} train machines held out of the training "
                                        f"(ids in every {CALIBRATION_BLOCKS}th block of five; fleet seed "
                                        f"{d.meta['seed']}), scored by the int8 model"},
                   metrics=metrics)
    # One input: a faulty (outer race) window of a test machine.
    pick = np.where((f_test == 2) & ~sub_test)[0][0]
    entry = write_model(name, tfl, meta, Qtest[pick], supported, check_edgerun)
    return {**entry, "threshold": threshold, "params": int(model.count_params()), "metrics": metrics,
            "quant": q}


# ---------------------------------------------------------------------------------------------
# Fault classifier

def train_classifier(d: Steady, supported, check_edgerun: bool) -> dict:
    name = "fault_cnn"
    seed_all(name)
    F = d.X.shape[1]
    C = d.meta["features"]["channels"]
    per = F // C
    train = ~d.test & ~d.subtle
    mean, std = norm_stats(d.X[train])
    Z = np.clip(normalize(d.X, mean, std), -CLIP, CLIP).astype(np.float32)
    n_cls = len(CLASSES)
    log(f"{name}: {train.sum()} train windows (severity {d.meta['config']['severity']}) x {F} features, {n_cls} classes")

    inp = L.Input((F,), name="features")
    x = L.Reshape((C, per), name="channels")(inp)
    x = L.Permute((2, 1), name="bands_by_channel")(x)                  # [features per channel, channels]
    x = L.Conv1D(16, 5, padding="same", activation="relu", name="conv1")(x)
    x = L.MaxPooling1D(2, name="pool1")(x)
    x = L.Conv1D(24, 5, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling1D(2, name="pool2")(x)
    x = L.Conv1D(24, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.MaxPooling1D(2, name="pool3")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dropout(0.3, name="dropout")(x)
    x = L.Dense(32, activation="relu", name="dense")(x)
    out = L.Dense(n_cls, activation="softmax", name="classes")(x)
    model = tf.keras.Model(inp, out, name="fault_cnn")
    model.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    model.fit(Z[train], d.fault[train], epochs=40, batch_size=64, verbose=0, shuffle=True)
    log(f"  trained in {time.time() - t0:.0f} s, {model.count_params()} parameters")

    rng = np.random.default_rng(SEED + 1)
    rep = Z[rng.choice(np.where(train)[0], REP_SAMPLES, replace=False)]
    tfl = convert(model, F, rep)
    q = io_quant(tfl)

    def predict(mask, what):
        Qin = quantize(normalize(d.X[mask], mean, std), q["in_scale"], q["in_zp"])
        Qout = run_int8(tfl, Qin, what)
        p = (Qout.astype(np.float64) - q["out_zp"]) * q["out_scale"]
        return p, Qin

    p_train, _ = predict((d.fault == 0) & ~d.test, "healthy train")
    threshold = 0.5
    test = d.test
    p_test, Qtest = predict(test, "test")
    y, sub = d.fault[test], d.subtle[test]
    pred = p_test.argmax(1)
    main = ~sub
    cm = np.zeros((n_cls, n_cls), int)
    for a, b in zip(y[main], pred[main]):
        cm[a, b] += 1
    six = main & (y < 6)
    score = 1 - p_test[:, 0]
    metrics = {
        "testMachines": len(d.meta["split"]["test"]),
        "accuracy": r4((pred[main] == y[main]).mean()), "windows": int(main.sum()),
        "severityRange": d.meta["config"]["severity"],
        "accuracySixClasses": r4((pred[six] == y[six]).mean()), "windowsSixClasses": int(six.sum()),
        "recall": {c: r4(cm[k, k] / cm[k].sum()) for k, c in enumerate(CLASSES)},
        "confusion": {"rows": "true class", "columns": "predicted class", "labels": CLASSES, "counts": cm.tolist()},
        "anomaly": {"auc": r4(auc(score[main & (y == 0)], score[main & (y > 0)])),
                    "falsePositiveRate": r4((score[main & (y == 0)] > threshold).mean()),
                    "detectionRate": r4((score[main & (y > 0)] > threshold).mean()),
                    "trainFalsePositiveRate": r4(((1 - p_train[:, 0]) > threshold).mean())},
        "subtle": {"severityRange": d.meta["config"]["subtle"], "windows": int(sub.sum()),
                   "accuracy": r4((pred[sub] == y[sub]).mean())},
    }
    log(f"  int8 on test machines: accuracy {metrics['accuracy']} ({metrics['windows']} windows), "
        f"6 classes {metrics['accuracySixClasses']}; subtle {metrics['subtle']['accuracy']}")
    meta = pm_meta("classify", d.meta, mean, std, "1-p0", threshold, labels=CLASSES,
                   calibration={"rule": "fixed: anomaly when p(healthy) < 0.5 (argmax is then a fault class "
                                        "or no class has half the mass)",
                                "windows": int(len(p_train)),
                                "data": "healthy windows of the train machines: false-positive rate in metrics"},
                   metrics=metrics)
    pick = np.where((y == 1) & main)[0][0]  # an inner-race window of a test machine
    entry = write_model(name, tfl, meta, Qtest[pick], supported, check_edgerun)
    return {**entry, "threshold": threshold, "params": int(model.count_params()), "metrics": metrics, "quant": q}


# ---------------------------------------------------------------------------------------------
# Remaining useful life

def contexts(d: Degrade, Z: np.ndarray, mask: np.ndarray, K: int):
    """Every window with K - 1 predecessors in its run: (inputs [n, K*F] oldest first, rul, life, run)."""
    xs, ys, ls, rs = [], [], [], []
    for r in np.unique(d.run[mask]):
        idx = np.where(d.run == r)[0]
        for j in range(K - 1, len(idx)):
            xs.append(Z[idx[j - K + 1:j + 1]].reshape(-1))
            ys.append(d.rul[idx[j]])
            ls.append(d.life[idx[j]])
            rs.append(r)
    return np.stack(xs), np.array(ys, np.float64), np.array(ls, np.float64), np.array(rs)


def train_rul(d: Degrade, supported, check_edgerun: bool) -> dict:
    name = "rul"
    seed_all(name)
    F = d.X.shape[1]
    K = RUL_K
    train = ~d.test
    mean, std = norm_stats(d.X[train])
    Zf = normalize(d.X, mean, std)
    Z = np.clip(Zf, -CLIP, CLIP).astype(np.float32)
    # Early stopping on a quarter of the train machines (validation), never on test machines.
    val_machine = calibration_machines(d.machine)
    xtr, ytr, _, _ = contexts(d, Z, train & ~val_machine, K)
    xva, yva, _, _ = contexts(d, Z, train & val_machine, K)
    log(f"{name}: {len(np.unique(d.run[train]))} train runs -> {len(xtr)} train + {len(xva)} validation contexts "
        f"of {K} x {F} features")

    inp = L.Input((K * F,), name="features")
    x = L.Reshape((K, F), name="windows")(inp)
    x = L.GaussianNoise(0.3, name="noise")(x)
    x = L.Dense(8, activation="relu", name="indicators")(x)          # per-window health indicators
    x = L.Conv1D(8, K // 4, strides=K // 8, activation="relu", name="trend")(x)   # their course over the context
    x = L.Flatten(name="flatten")(x)
    x = L.Dropout(0.2, name="dropout")(x)
    x = L.Dense(16, activation="relu", name="dense")(x)
    out = L.Dense(1, name="rul")(x)
    model = tf.keras.Model(inp, out, name="rul")
    model.compile(tf.keras.optimizers.Adam(1e-3), "mse")
    stop = tf.keras.callbacks.EarlyStopping(patience=6, restore_best_weights=True)
    t0 = time.time()
    h = model.fit(xtr, ytr / RUL_SCALE_S, validation_data=(xva, yva / RUL_SCALE_S), epochs=40, batch_size=128,
                  verbose=0, shuffle=True, callbacks=[stop])
    best = int(np.argmin(h.history["val_loss"])) + 1
    log(f"  trained in {time.time() - t0:.0f} s ({len(h.history['loss'])} epochs, best {best}), "
        f"{model.count_params()} parameters")

    rng = np.random.default_rng(SEED + 2)
    rep = xtr[rng.choice(len(xtr), REP_SAMPLES, replace=False)]
    tfl = convert(model, K * F, rep)
    q = io_quant(tfl)

    def predict(mask, what):
        x, y, life, run = contexts(d, Zf, mask, K)   # unclipped: quantize() saturates as edgerun stream does
        Qin = quantize(x, q["in_scale"], q["in_zp"])
        Qout = run_int8(tfl, Qin, what)
        p = (Qout[:, 0].astype(np.float64) - q["out_zp"]) * q["out_scale"] * RUL_SCALE_S
        return p, y, life, run, Qin

    p, y, life, run, Qtest = predict(d.test, "test")
    e = p - y
    base = np.sqrt(((y - ytr.mean()) ** 2).mean())
    bands = {}
    for lo, hi in ((0, 20), (20, 40), (40, 80), (80, 180)):
        sel = (y >= lo) & (y < hi)
        bands[f"{lo}-{hi}"] = {"rmseS": r4(np.sqrt((e[sel] ** 2).mean())), "biasS": r4(e[sel].mean()),
                               "windows": int(sel.sum())}
    # Alarms: first context whose predicted RUL drops below RUL_ALARM_S, per test run.
    leads, early = [], 0
    for r in np.unique(run):
        sel = run == r
        below = np.where(p[sel] < RUL_ALARM_S)[0]
        if len(below):
            leads.append(float(y[sel][below[0]]))
    false_alarm = (p[y > 2 * RUL_ALARM_S] < RUL_ALARM_S).mean()
    runs = len(np.unique(run))
    metrics = {
        "testMachines": len(d.meta["split"]["test"]), "testRuns": runs, "windows": int(len(y)),
        "rmseS": r4(np.sqrt((e ** 2).mean())), "maeS": r4(np.abs(e).mean()),
        "rmseFractionOfLife": r4(np.sqrt(((e / life) ** 2).mean())),
        "baselineRmseS": r4(base), "baseline": "constant prediction: the mean RUL of the train contexts",
        "byTrueRulS": bands,
        "alarm": {"rule": f"predicted RUL < {RUL_ALARM_S:g} s", "runsAlarmed": len(leads),
                  "medianLeadS": r4(np.median(leads)) if leads else None,
                  "minLeadS": r4(min(leads)) if leads else None,
                  "falseAlarmRate": r4(false_alarm),
                  "falseAlarmWindows": f"contexts with true RUL > {2 * RUL_ALARM_S:g} s"},
        "lifeS": d.meta["config"]["lifeS"], "initialSeverity": d.meta["config"]["initialSeverity"],
        "faults": d.meta["config"]["faults"],
    }
    log(f"  int8 on test runs: RMSE {metrics['rmseS']} s ({metrics['rmseFractionOfLife']} of life; constant "
        f"baseline {metrics['baselineRmseS']} s); alarms {len(leads)}/{runs} runs, median lead "
        f"{metrics['alarm']['medianLeadS']} s")
    meta = pm_meta("rul", d.meta, mean, std, "value", RUL_ALARM_S, context=K, rulScaleS=RUL_SCALE_S,
                   calibration={"rule": f"fixed: maintenance due when the predicted remaining life is below "
                                        f"{RUL_ALARM_S:g} s (half the shortest life in the degradation data)"},
                   metrics=metrics)
    pick = int(np.argmin(np.abs(y - 45)))     # a test context about 45 s before failure
    entry = write_model(name, tfl, meta, Qtest[pick], supported, check_edgerun)
    return {**entry, "threshold": RUL_ALARM_S, "params": int(model.count_params()), "metrics": metrics, "quant": q,
            "context": K}


# ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", choices=MODELS)
    ap.add_argument("--no-edgerun", action="store_true", help="skip the edgerun checks (no npm run build)")
    args = ap.parse_args(argv)
    only = args.only or list(MODELS)
    check = not args.no_edgerun
    if check and not CLI.exists():
        sys.exit(f"train.py: {CLI} missing: npm run build first (or --no-edgerun)")
    supported = edgerun_ops() if check else None
    t0 = time.time()
    path = HERE / "metrics.json"
    results = json.loads(path.read_text())["models"] if path.exists() else {}
    steady = Steady() if {"anomaly_ae", "fault_cnn"} & set(only) else None
    if "anomaly_ae" in only:
        results["anomaly_ae"] = train_anomaly(steady, supported, check)
    if "fault_cnn" in only:
        results["fault_cnn"] = train_classifier(steady, supported, check)
    if "rul" in only:
        results["rul"] = train_rul(Degrade(), supported, check)
    doc = {"format": "edgerun.pm.metrics/1",
           "note": "measured on the int8 .tflite models (TFLite BUILTIN_REF) on test machines never used for "
                   "training, normalization or calibration; rebuild: node models/pm/dataset.mjs && "
                   ".venv/bin/python models/pm/train.py",
           "models": {k: results[k] for k in MODELS if k in results}}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    log(f"wrote {path.relative_to(REPO)} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
