#!/usr/bin/env python3
"""Build the benchmark network set: int8 models with the MLPerf Tiny reference architectures.

Five full-integer int8 .tflite models (int8 input and output, batch fixed at 1) that edgerun,
LiteRT.js and tfjs-tflite can all run on identical bytes:

    kws_dscnn            DS-CNN keyword spotting, 49x10x1 (byte-identical to models/kws_dscnn.tflite)
    vww_mobilenetv1_025  MobileNetV1 alpha 0.25, 96x96x3, 2 classes
    ic_resnet8           ResNet-8 (MLPerf Tiny / EEMBC CIFAR-10), 32x32x3, 10 classes
    ad_autoencoder       FC autoencoder 640-128x4-8-128x4-640
    ww_dscnn1d           1-D DS-CNN streaming wake word, 30x1x40, 3 classes

Weights: seeded random start, made well scaled by data-dependent initialization (every
BatchNorm layer gets the measured per-channel mean and variance of its input over synthetic
inputs; classifier logits spread ~2 across inputs; the autoencoder's output follows its input's
statistics), then a short supervised run (Adam, a few epochs over 1024 samples) on a synthetic task
that resembles the real one: person-like figure or not (VWW), 5 shapes x 2 colours (IC), wake word
/ other word / background in log-mel patches (WW), reconstruction of machine-sound log-mel frames
(AD). Label smoothing keeps softmax outputs off saturation. Finally BatchNorm statistics are
measured again on the calibration inputs. These are benchmark and test vehicles, not useful
classifiers. kws_dscnn is not retrained: it is the golden NETWORK case, byte for byte.

BatchNorm always folds into the preceding convolution / fully connected layer. Calibration
(post-training full-integer quantization, converter defaults: per-channel weights, including
FULLY_CONNECTED) uses 32 synthetic inputs: natural-image-like pictures in [0, 1] with 8-bit steps,
log-mel spectrogram patches. Each model's op list is checked against the architecture (exact
order) and against the set edgerun supports, int8 input/output, batch 1, no dynamic
shape_signature, and a non-degenerate output; the run fails loudly otherwise.

Writes models/bench/<name>.tflite, <name>.input.npy (one int8 input spanning the full int8 range),
<name>.expected.npy (output of TFLite's reference kernels, OpResolverType.BUILTIN_REF) and
models/bench/manifest.json. Deterministic: rerunning gives byte-identical files.

Reuses the Keras builder, conversion helpers and checks of tests/golden/generate.py.

Usage: .venv/bin/python models/build_bench_models.py [--only NAME ...] [--list]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "golden"))

import generate as golden  # noqa: E402

np, tf, schema = golden.np, golden.tf, golden.schema
tf.config.threading.set_intra_op_parallelism_threads(1)  # float stats independent of core count
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

OUT = HERE / "bench"
MASTER_SEED = 0x424E4348  # "BNCH"
CALIB_SAMPLES = 64         # synthetic inputs for BatchNorm statistics and calibration
TRAIN_SAMPLES = 1024       # synthetic labelled inputs for the short training run
REP_SAMPLES = 32           # of those, fed to the converter as the representative dataset
WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


class BenchError(RuntimeError):
    pass


def seed_of(*parts) -> int:
    text = ":".join(str(p) for p in (MASTER_SEED, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


# ---------------------------------------------------------------------------------------------
# Networks

class BenchNet(golden.KerasNet):
    """golden.KerasNet plus the variants the MLPerf Tiny models need (valid padding, no BN)."""

    def conv(self, y, filters, kernel, strides=1, act="relu", padding="same"):
        self.ops.append("CONV_2D")
        y = self.k.layers.Conv2D(filters, kernel, strides, padding=padding, use_bias=False,
                                 name=self._name("conv"))(y)
        return self._bn_act(y, act)

    def dw(self, y, kernel, strides=1, act="relu", padding="same", bn=True):
        self.ops.append("DEPTHWISE_CONV_2D")
        y = self.k.layers.DepthwiseConv2D(kernel, strides, padding=padding, use_bias=False,
                                          name=self._name("dw"))(y)
        return self._bn_act(y, act) if bn else y

    def dense_bn(self, y, units, act="relu"):
        self.ops.append("FULLY_CONNECTED")
        y = self.k.layers.Dense(units, name=self._name("fc"))(y)
        return self._bn_act(y, act)


def build_vww_mobilenetv1_025(rng):
    """MobileNetV1 alpha 0.25 (MLPerf Tiny VWW): 96x96x3 in, 2 classes."""
    net = BenchNet(rng)
    inp = net.k.Input((96, 96, 3), batch_size=1, name="input")
    y = net.conv(inp, 8, 3, 2)
    blocks = ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2),
              (128, 1), (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1))
    for filters, stride in blocks:
        y = net.dw(y, 3, stride)
        y = net.conv(y, filters, 1)
    y = net.avg_pool(y, (3, 3))
    y = net.softmax(net.dense(y, 2))
    return net.finish(inp, y, "vww_mobilenetv1_025"), net.ops


def build_ic_resnet8(rng):
    """ResNet-8 (MLPerf Tiny IC, EEMBC resnet_v1): 32x32x3 in, 10 classes."""
    net = BenchNet(rng)
    inp = net.k.Input((32, 32, 3), batch_size=1, name="input")
    x = net.conv(inp, 16, 3)
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = net.conv(x, filters, 3, stride)
        y = net.conv(y, filters, 3, 1, act=None)
        if stride != 1:
            x = net.conv(x, filters, 1, stride, act=None)
        x = net.add(x, y)
    x = net.avg_pool(x, (8, 8))
    y = net.softmax(net.dense(x, 10))
    return net.finish(inp, y, "ic_resnet8"), net.ops


def build_ad_autoencoder(rng):
    """MLPerf Tiny AD FC autoencoder: 640-128x4-8-128x4-640, Dense+BN+ReLU hidden layers."""
    net = BenchNet(rng)
    inp = net.k.Input((640,), batch_size=1, name="input")
    y = inp
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        y = net.dense_bn(y, units)
    y = net.dense(y, 640)
    return net.finish(inp, y, "ad_autoencoder"), net.ops


def build_ww_dscnn1d(rng):
    """MLPerf Tiny streaming wake word DS-TCN: 30x1x40 in, (k,1) depthwise + 1x1 conv blocks,
    kernels 3/5/10/15 (valid: time 30 -> 28 -> 24 -> 15 -> 1), filters 128/128/128/32, 3 classes."""
    net = BenchNet(rng)
    inp = net.k.Input((30, 1, 40), batch_size=1, name="input")
    y = inp
    for kernel, filters in ((3, 128), (5, 128), (10, 128), (15, 32)):
        y = net.dw(y, (kernel, 1), padding="valid", bn=False)  # no BN/ReLU after the depthwise
        y = net.conv(y, filters, 1, padding="valid")
    y = net.softmax(net.dense(y, 3))
    return net.finish(inp, y, "ww_dscnn1d"), net.ops


# ---------------------------------------------------------------------------------------------
# Synthetic inputs that resemble plausible ones

def smooth_field(rng, h, w, octaves=((4, 1.0), (8, 0.5), (16, 0.25))):
    """Band-limited noise: bilinear upsampling of coarse random grids."""
    out = np.zeros((h, w))
    for cells, amp in octaves:
        g = rng.normal(size=(cells + 1, cells + 1))
        ys, xs = np.linspace(0, cells, h), np.linspace(0, cells, w)
        y0, x0 = np.minimum(ys.astype(int), cells - 1), np.minimum(xs.astype(int), cells - 1)
        fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
        a = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
        b = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
        out += amp * (a * (1 - fy) + b * fy)
    return out


def shape_mask(kind: str, yy, xx, rng):
    """Soft mask of one object: 'person' (head over torso), 'disk', 'hbar', 'vbar', 'ring', 'stripes'."""
    cy, cx, r = rng.uniform(0.3, 0.7), rng.uniform(0.25, 0.75), rng.uniform(0.12, 0.25)
    if kind == "person":
        head = ((yy - (cy - 1.3 * r)) ** 2 + (xx - cx) ** 2) < (0.4 * r) ** 2
        torso = ((yy - (cy + 0.3 * r)) / (1.2 * r)) ** 2 + ((xx - cx) / (0.6 * r)) ** 2 < 1
        return (head | torso).astype(float)
    d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    if kind == "disk":
        return (d < r).astype(float)
    if kind == "hbar":
        return ((abs(yy - cy) < 0.3 * r) & (abs(xx - cx) < 1.6 * r)).astype(float)
    if kind == "vbar":
        return ((abs(xx - cx) < 0.3 * r) & (abs(yy - cy) < 1.6 * r)).astype(float)
    if kind == "ring":
        return ((d < r) & (d > 0.6 * r)).astype(float)
    return ((d < 1.4 * r) & (np.sin((yy + xx) * 60 * rng.uniform(0.8, 1.2)) > 0)).astype(float)


IC_SHAPES = ("disk", "hbar", "vbar", "ring", "stripes")


def images(rng, n, h, w, task: str):
    """Natural-image-like RGB pictures in [0, 1] (8-bit steps): textured background, lighting
    gradient, correlated color channels, sensor noise, one foreground object; each stretched to
    the full range. task 'vww': label 1 = a person-like figure, 0 = some other object or none.
    task 'ic': 10 classes = 5 object shapes x (warm | cool) object color."""
    res = np.empty((n, h, w, 3), np.float32)
    classes = 2 if task == "vww" else 10
    labels = rng.integers(0, classes, size=n)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    for i in range(n):
        lum = smooth_field(rng, h, w) + rng.normal() * (yy - 0.5) * 2 + rng.normal() * (xx - 0.5) * 2
        tint = rng.uniform(0.6, 1.4, size=3)
        img = np.stack([lum * tint[c] + 0.3 * smooth_field(rng, h, w, ((6, 1.0),)) for c in range(3)], -1)
        if task == "vww":
            kind = "person" if labels[i] == 1 else str(rng.choice(["disk", "hbar", "ring", "none"]))
            color = rng.normal(0, 1.5, size=3)
        else:
            kind = IC_SHAPES[labels[i] % 5]
            warm = labels[i] < 5
            color = np.array([2.0, 0.8, -1.0] if warm else [-1.0, 0.8, 2.0]) + rng.normal(0, 0.4, 3)
        if kind != "none":
            m = shape_mask(kind, yy, xx, rng)[..., None]
            img = img * (1 - m) + (color * img.std() * 1.5 + img.mean()) * m
        img += rng.normal(0, 0.03, size=img.shape)
        img = (img - img.min()) / (img.max() - img.min())
        res[i] = np.round(img * 255) / 255
    return res, labels


WAKE_WORD = ((0.15, 0.35), (0.45, 0.25), (0.6, 0.7))  # formant centre tracks (start, end)


def log_mel(rng, frames, bins, formants=None):
    """Log-mel spectrogram patch (dB): spectral tilt, noise floor, harmonic ridges and,
    optionally, a spoken word: formant bands moving along `formants` inside an onset/offset
    envelope."""
    f = np.arange(bins) / bins
    t = np.arange(frames)[:, None]
    spec = -20 - 40 * f[None, :] + rng.normal(0, 3, size=(frames, bins))
    f0 = rng.uniform(0.03, 0.08)
    for k in range(1, 8):  # machine hum / voiced harmonics
        spec += rng.uniform(3, 12) / k * np.exp(-((f[None, :] - k * f0) / 0.01) ** 2)
    if formants is not None:
        on = rng.uniform(0, frames * 0.4)
        off = on + rng.uniform(frames * 0.4, frames * 0.6)
        env = 1 / (1 + np.exp(-(t - on))) * 1 / (1 + np.exp(t - off))
        for c0, c1 in formants:
            c0, c1 = c0 + rng.normal(0, 0.03), c1 + rng.normal(0, 0.03)
            centre = c0 + (c1 - c0) * np.clip((t - on) / max(off - on, 1), 0, 1)
            spec += rng.uniform(18, 30) * env * np.exp(-((f[None, :] - centre) / 0.05) ** 2)
    return spec.astype(np.float32)


def ww_features(rng, n):
    """40 log-mel features x 30 frames as [30, 1, 40], scaled to roughly -3..3.
    Labels: 0 = the wake word, 1 = another word, 2 = background only."""
    labels = rng.integers(0, 3, size=n)
    out = []
    for lab in labels:
        formants = (WAKE_WORD if lab == 0 else
                    tuple(tuple(rng.uniform(0.05, 0.75, 2)) for _ in range(3)) if lab == 1 else None)
        out.append(log_mel(rng, 30, 40, formants))
    return ((np.stack(out) + 45) / 15)[:, :, None, :].astype(np.float32), labels


def ad_features(rng, n):
    """5 frames x 128 log-mel bins (dB) of a running machine, flattened to 640 as the MLPerf AD
    front end does. The autoencoder's target is its input."""
    x = np.stack([log_mel(rng, 5, 128).reshape(640) for _ in range(n)]).astype(np.float32)
    return x, x


# ---------------------------------------------------------------------------------------------
# Benchmark table

@dataclass
class Bench:
    name: str
    architecture: str
    mlperf_macs: int
    builder: Callable
    data: Callable  # (rng, n) -> (float32 [n, *input shape without batch], labels or targets)
    head: str       # "classifier" (softmax, sparse labels) or "reconstruction" (MSE to input)
    epochs: int = 0


BENCHES = [
    Bench("kws_dscnn",
          "DS-CNN KWS: conv 10x4/2 64 > 4x (dw 3x3 + pw 1x1, 64) > avgpool 25x5 > FC 12 > softmax",
          2_660_000, None, None, "classifier"),
    Bench("vww_mobilenetv1_025",
          "MobileNetV1 a=0.25 VWW: conv 3x3/2 8 > 13x (dw 3x3 + pw 1x1, 16..256) > avgpool 3x3 > FC 2 > softmax",
          7_490_000, build_vww_mobilenetv1_025, lambda r, n: images(r, n, 96, 96, "vww"), "classifier", 4),
    Bench("ic_resnet8",
          "ResNet-8 IC: conv 3x3 16 > 3 residual stacks (16; 32/2; 64/2, 1x1 conv shortcuts) > avgpool 8x8 > FC 10 > softmax",
          12_500_000, build_ic_resnet8, lambda r, n: images(r, n, 32, 32, "ic"), "classifier", 6),
    Bench("ad_autoencoder",
          "FC autoencoder AD: 640 > 4x FC 128 > FC 8 > 4x FC 128 > FC 640 (ReLU hidden, BN folded)",
          260_000, build_ad_autoencoder, ad_features, "reconstruction", 10),
    Bench("ww_dscnn1d",
          "1D DS-CNN streaming wake word: 4x (dw (k,1) valid k=3/5/10/15 + pw 1x1, 128/128/128/32) > FC 3 > softmax",
          830_000, build_ww_dscnn1d, ww_features, "classifier", 6),
]
BY_NAME = {b.name: b for b in BENCHES}


# ---------------------------------------------------------------------------------------------
# Data-dependent initialization, short training, BatchNorm recalibration

def layer_input(model, layer, x):
    import keras
    sub = keras.Model(model.inputs, layer.input)
    return np.asarray(sub(tf.constant(x), training=False), np.float64)


def set_bn_stats(model, x, rng=None) -> None:
    """BatchNorm moving stats := measured per-channel stats of its input over x (in layer order,
    so each layer sees the already-normalized layers before it); gamma/beta drawn if rng given."""
    import keras
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            a = layer_input(model, layer, x)
            axes = tuple(range(a.ndim - 1))
            gamma, beta, _, _ = layer.get_weights()
            if rng is not None:
                gamma, beta = rng.uniform(0.7, 1.3, gamma.shape), rng.normal(0.0, 0.3, beta.shape)
            layer.set_weights([np.asarray(w, np.float32) for w in
                               (gamma, beta, a.mean(axes), np.maximum(a.var(axes), 1e-6))])


def init_from_data(model, x, rng, head: str) -> None:
    """Well-scaled start: BatchNorm stats from data; logits spread ~2 across inputs, or each
    reconstructed unit following its input unit's mean and spread."""
    import keras
    set_bn_stats(model, x, rng)
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)][-1]
    feats = layer_input(model, dense, x).reshape(len(x), -1)
    w, b = (np.asarray(v, np.float64) for v in dense.get_weights())
    out = feats @ w
    if head == "classifier":
        w = w * (2.0 / max(out.std(0).mean(), 1e-6))
        b = -(feats @ w).mean(0) + rng.normal(0, 0.5, w.shape[1])
    else:
        target = x.reshape(len(x), -1)
        w = w * (target.std(0) / np.maximum(out.std(0), 1e-6))
        b = target.mean(0) - (feats @ w).mean(0)
    dense.set_weights([w.astype(np.float32), b.astype(np.float32)])


def train(model, bench: Bench) -> str:
    """A short supervised run on the synthetic task (Adam, batch 32, fixed sample order)."""
    import keras
    x, y = bench.data(np.random.default_rng(seed_of(bench.name, "train")), TRAIN_SAMPLES)
    keras.utils.set_random_seed(seed_of(bench.name, "keras") % 2**31)
    if bench.head == "classifier":  # label smoothing keeps the softmax off saturation
        y = np.eye(int(y.max()) + 1, dtype=np.float32)[y]
        loss, metrics = keras.losses.CategoricalCrossentropy(label_smoothing=0.2), ["accuracy"]
    else:
        loss, metrics = "mse", []
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=metrics)
    hist = model.fit(x, y, batch_size=32, epochs=bench.epochs, shuffle=False, verbose=0).history
    return ", ".join(f"{k} {v[-1]:.3f}" for k, v in hist.items())


# ---------------------------------------------------------------------------------------------
# Convert, check, measure

def convert(fn, samples: np.ndarray) -> bytes:
    def representative():
        for s in samples[:REP_SAMPLES]:
            yield [s[None].astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with golden.quiet_stderr():
        return conv.convert()


def check_io(model, where: str) -> None:
    sg = model.subgraphs[0]
    for kind, idx in (("input", sg.inputs), ("output", sg.outputs)):
        if len(idx) != 1:
            raise BenchError(f"{where}: {len(idx)} {kind}s, expected 1")
        t = sg.tensors[int(idx[0])]
        if t.type != schema.TensorType.INT8:
            raise BenchError(f"{where}: {kind} is {golden.TYPE_NAME.get(t.type, t.type)}, expected int8")
        if int(t.shape[0]) != 1:
            raise BenchError(f"{where}: {kind} batch is {int(t.shape[0])}, expected 1")
    for k, t in enumerate(sg.tensors):
        sig = t.shapeSignature
        if sig is not None and any(int(d) < 0 for d in sig):
            raise BenchError(f"{where}: tensor {k} ({t.name.decode()}) has dynamic shape_signature "
                             f"{[int(d) for d in sig]}; LiteRT.js rejects it")


def count_work(model) -> tuple[int, int]:
    """MACs (per conv/dw/fc output element x kernel work) and weight+bias element count."""
    sg = model.subgraphs[0]
    macs = params = 0
    for o in sg.operators:
        name = golden.op_name(model, o)
        if name not in WEIGHT_OPS:
            continue
        ins = [int(i) for i in o.inputs]
        w = [int(d) for d in sg.tensors[ins[1]].shape]
        out = int(np.prod([int(d) for d in sg.tensors[int(o.outputs[0])].shape]))
        if name == "CONV_2D":            # filter [cout, kh, kw, cin]
            per_out = w[1] * w[2] * w[3]
        elif name == "DEPTHWISE_CONV_2D":  # filter [1, kh, kw, cout]
            per_out = w[1] * w[2]
        else:                            # weights [units, inputs]
            per_out = w[1]
        macs += out * per_out
        params += int(np.prod(w))
        if len(ins) > 2 and ins[2] >= 0:
            params += int(np.prod([int(d) for d in sg.tensors[ins[2]].shape]))
    return macs, params


def quant(model, ti) -> tuple[float, int]:
    q = model.subgraphs[0].tensors[int(ti)].quantization
    return float(q.scale[0]), int(q.zeroPoint[0])


def full_range_input(model, sample: np.ndarray) -> np.ndarray:
    """One plausible input, stretched onto the input's calibrated range, quantized to int8;
    the int8 extremes -128 and 127 both occur."""
    scale, zp = quant(model, model.subgraphs[0].inputs[0])
    lo, hi = (-128 - zp) * scale, (127 - zp) * scale
    x = (sample - sample.min()) / (sample.max() - sample.min()) * (hi - lo) + lo
    q = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    assert q.min() == -128 and q.max() == 127
    return q[None]


def output_spread(model_bytes, model, samples: np.ndarray) -> dict:
    """How the int8 output varies over quantized calibration inputs (degeneracy check)."""
    it = golden.make_interpreter(model_bytes)
    sg = model.subgraphs[0]
    scale, zp = quant(model, sg.inputs[0])
    outs = []
    for s in samples[:16]:
        q = np.clip(np.round(s / scale) + zp, -128, 127).astype(np.int8)[None]
        it.set_tensor(int(sg.inputs[0]), q)
        it.invoke()
        outs.append(np.array(it.get_tensor(int(sg.outputs[0]))).ravel())
    o = np.stack(outs).astype(np.int32)
    return {"distinct": int(len(np.unique(o))), "min": int(o.min()), "max": int(o.max()),
            "argmax": sorted({int(a) for a in o.argmax(1)})}


def build_kws(bench: Bench):
    """kws_dscnn: the golden NETWORK case, byte-identical to models/kws_dscnn.tflite."""
    (case,) = [c for c in golden.build_cases("NETWORK") if c.config["network"] == "kws-dscnn"]
    model_bytes, model, _ = golden.build_model(case)
    committed = HERE / "kws_dscnn.tflite"
    if committed.exists() and committed.read_bytes() != model_bytes:
        raise BenchError("kws_dscnn: rebuilt bytes differ from models/kws_dscnn.tflite")
    inputs = golden.make_inputs(model, case)
    rng = np.random.default_rng(seed_of(bench.name, "spread"))
    samples = rng.uniform(-1.0, 1.0, size=(16, 49, 10, 1)).astype(np.float32)  # its calibration range
    return model_bytes, model, case.ops, inputs[0], samples, "not trained (golden NETWORK case)"


def build_bench(bench: Bench):
    rng = np.random.default_rng(seed_of(bench.name, "weights"))
    keras_model, ops = bench.builder(rng)
    x, _ = bench.data(np.random.default_rng(seed_of(bench.name, "calibration")), CALIB_SAMPLES)
    init_from_data(keras_model, x, rng, bench.head)
    fit = train(keras_model, bench)
    set_bn_stats(keras_model, x)  # exact inference statistics after the short run
    fn = golden.keras_fn(keras_model, (1, *x.shape[1:]))
    model_bytes = convert(fn, x)
    model = golden.read_model(model_bytes)
    sample = bench.data(np.random.default_rng(seed_of(bench.name, "input")), 1)[0][0]
    return model_bytes, model, ops, full_range_input(model, sample), x, fit


def make_entry(bench: Bench) -> tuple[dict, dict, str]:
    where = f"bench/{bench.name}"
    if bench.name == "kws_dscnn":
        model_bytes, model, ops, inp, samples, fit = build_kws(bench)
    else:
        model_bytes, model, ops, inp, samples, fit = build_bench(bench)
    golden.verify_ops(model, golden.make_interpreter(model_bytes), ops, where)
    check_io(model, where)
    outputs, _ = golden.run_reference(model_bytes, model, [inp], where)
    expected = outputs[0]
    macs, params = count_work(model)
    sg = model.subgraphs[0]
    tin, tout = sg.tensors[int(sg.inputs[0])], sg.tensors[int(sg.outputs[0])]
    (isc, izp), (osc, ozp) = quant(model, sg.inputs[0]), quant(model, sg.outputs[0])
    spread = output_spread(model_bytes, model, samples)
    if spread["distinct"] < 3:
        raise BenchError(f"{where}: degenerate output over calibration inputs: {spread}")
    distinct = list(dict.fromkeys(ops))
    entry = {
        "name": bench.name, "file": f"{bench.name}.tflite", "input": f"{bench.name}.input.npy",
        "expected": f"{bench.name}.expected.npy", "architecture": bench.architecture,
        "macs": macs, "params": params, "ops": distinct,
        "opCounts": {o: ops.count(o) for o in distinct},
        "inputShape": [int(d) for d in tin.shape], "outputShape": [int(d) for d in tout.shape],
        "inputQuant": {"scale": isc, "zeroPoint": izp},
        "outputQuant": {"scale": osc, "zeroPoint": ozp},
        "mlperfTinyReferenceMacs": bench.mlperf_macs,
        "bytes": len(model_bytes), "sha256": hashlib.sha256(model_bytes).hexdigest(),
    }
    files = {entry["file"]: model_bytes, entry["input"]: inp, entry["expected"]: expected}
    note = (f"{bench.name}: {macs:,} MACs (MLPerf Tiny {bench.mlperf_macs / 1e6:.2f} M), {params:,} params, "
            f"{len(model_bytes):,} B, {len(ops)} ops; training: {fit}; int8 output over 16 inputs: {spread}")
    return entry, files, note


def write_outputs(entries: list[dict], files: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        if isinstance(data, (bytes, bytearray)):
            (OUT / fname).write_bytes(data)
        else:
            golden.save_npy(OUT / fname, data)
    manifest_path = OUT / "manifest.json"
    names = [e["name"] for e in entries]
    kept = []
    if manifest_path.exists():
        kept = [e for e in json.loads(manifest_path.read_text())["models"] if e["name"] not in names]
    order = {b.name: k for k, b in enumerate(BENCHES)}
    models = sorted(kept + entries, key=lambda e: order.get(e["name"], len(order)))
    manifest = {"tensorflow": tf.__version__, "generator": "models/build_bench_models.py",
                "oracle": "tf.lite.Interpreter, OpResolverType.BUILTIN_REF", "models": models}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Build the int8 benchmark network set (MLPerf Tiny architectures).")
    ap.add_argument("--only", action="append", metavar="NAME", help="only this model (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the models and exit, without converting")
    args = ap.parse_args(argv)
    names = args.only or [b.name for b in BENCHES]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown model {unknown}; choose from {', '.join(BY_NAME)}")
    if args.list:
        for n in names:
            b = BY_NAME[n]
            print(f"{b.name:20s} {b.mlperf_macs / 1e6:5.2f} M  {b.architecture}")
        return 0
    if tf.__version__ != "2.21.0":
        print(f"warning: TensorFlow {tf.__version__}; the committed models were built with 2.21.0",
              file=sys.stderr)
    entries, files = [], {}
    try:
        for n in names:
            entry, fs, note = make_entry(BY_NAME[n])
            entries.append(entry)
            files.update(fs)
            print(note, flush=True)
    except (BenchError, golden.GoldenError) as e:
        print(f"FAIL {e} (files in {OUT} left unchanged)", file=sys.stderr)
        return 1
    write_outputs(entries, files)
    print(f"wrote {len(entries)} model(s) to {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
