#!/usr/bin/env python3
"""Pruned 1x1-heavy network (issue 7): a DS-CNN fault classifier whose pointwise convolutions are
magnitude-pruned in 4x16 tiles, next to its dense twin. Reuses models/prune.py (data, masks,
schedule, conversion checks, edgerun measurement).

  - data: prune.py's synthetic gearbox vibration windows (5 frames x 128 log-power bins),
    labelled with their class: normal or one of the five faults (6 classes), standardized per
    feature with the training set's mean and std, input shape 5 x 128 x 1.
  - model (DS-CNN, KWS-style): Conv2D 64 (3x4, stride 1x4) -> 5 x 32 x 64, then BLOCKS x
    [DepthwiseConv2D 3x3 + BN + ReLU, Conv2D 1x1 64 + BN + ReLU], AveragePooling 5 x 32, Dense 6,
    Softmax. The 1x1 convolutions hold ~94 % of the weights and ~80 % of the MACs.
  - variants, each from the base weights, fine-tuned FINE_EPOCHS: dense twin; the pointwise
    kernels pruned in 4x16 tiles (four output channels x 16 input channels) to 50 % and 80 %
    (prune.py's polynomial schedule and mask); all other layers dense.
  - conversion with [DEFAULT, EXPERIMENTAL_SPARSITY] (the converter stores sparse CONV_2D filters
    as CSR behind DENSIFY; edgerun folds DENSIFY, re-blocks the weights and finds the 4x16 tiles);
    every sparse tensor is checked against a dense conversion of the same Keras model.
  - metrics: test accuracy in float and int8 (TFLite BUILTIN_REF); with --edgerun, edgerun ROM and
    latency (prune.py's interleaved rounds of `edgerun bench --json`).

Writes models/pruned_dscnn/<name>.tflite, .input.npy, .expected.npy (BUILTIN_REF output),
manifest.json, and with --edgerun edgerun.json.

Usage: .venv/bin/python models/prune_dscnn.py [--edgerun] [--edgerun-only] [--rounds N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import prune as P  # noqa: E402

np, tf, golden = P.np, P.tf, P.golden
OUT = HERE / "pruned_dscnn"
CLASSES = ("normal",) + P.FAULTS
N_TRAIN, N_TEST = 3072, 768
CHANNELS = 128
BLOCKS = 4
BASE_EPOCHS = 12
FINE_EPOCHS = 16
FINE_LR = 1e-3
INPUT = (5, 128, 1)
VARIANTS = [("dscnn_dense", 0.0), ("dscnn_4x16_50", 0.5), ("dscnn_4x16_80", 0.8)]


def make_data():
    def labelled(name, n):
        x, _, kinds = P.dataset(name, n, anomalous_fraction=5 / 6)
        return x, np.array([CLASSES.index(k) for k in kinds])
    xtr, ytr = labelled("dscnn-train", N_TRAIN)
    xte, yte = labelled("dscnn-test", N_TEST)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-3
    z = lambda a: ((a - mean) / std).astype(np.float32).reshape(-1, *INPUT)  # noqa: E731
    return z(xtr), ytr, z(xte), yte


def build_model():
    import keras
    L = keras.layers
    keras.backend.clear_session()
    keras.utils.set_random_seed(P.seed_of("dscnn", "init") % 2**31)
    inp = keras.Input(INPUT, name="input")
    y = L.Conv2D(CHANNELS, (3, 4), strides=(1, 4), padding="same", name="conv0")(inp)
    y = L.ReLU()(L.BatchNormalization()(y))
    for k in range(BLOCKS):
        y = L.DepthwiseConv2D(3, padding="same", name=f"dw{k}")(y)
        y = L.ReLU()(L.BatchNormalization()(y))
        y = L.Conv2D(CHANNELS, 1, name=f"pw{k}")(y)
        y = L.ReLU()(L.BatchNormalization()(y))
    y = L.AveragePooling2D((INPUT[0], INPUT[1] // 4))(y)
    y = L.Flatten()(y)
    y = L.Dense(len(CLASSES), name="fc")(y)
    y = L.Softmax()(y)
    return keras.Model(inp, y, name="dscnn")


def pointwise(model):
    return [model.get_layer(f"pw{k}") for k in range(BLOCKS)]


def train(model, x, y, epochs, lr, tag, callbacks=()):
    import keras
    keras.utils.set_random_seed(P.seed_of("keras", tag) % 2**31)
    order = np.random.default_rng(P.seed_of("order", tag))
    idx = np.concatenate([order.permutation(len(x)) for _ in range(epochs)])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy")
    h = model.fit(x[idx], y[idx], batch_size=P.BATCH, epochs=1, shuffle=False, verbose=0,
                  callbacks=list(callbacks)).history
    return float(h["loss"][-1])


def convert(model, xtr, sparsity):
    return P.convert_int8(model, (1, *INPUT), xtr[:P.REP_SAMPLES], sparsity)


def int8_accuracy(model_bytes, x, y):
    m = golden.read_model(model_bytes)
    sg = m.subgraphs[0]
    si, zi = P.quant(m, sg.inputs[0])
    it = golden.make_interpreter(model_bytes)
    pred = []
    for s in x:
        it.set_tensor(int(sg.inputs[0]), np.clip(np.round(s / si) + zi, -128, 127).astype(np.int8)[None])
        it.invoke()
        pred.append(int(np.argmax(it.get_tensor(int(sg.outputs[0]))[0])))
    return round(float((np.array(pred) == y).mean()), 4)


def main(argv=None):
    global CHANNELS, FINE_EPOCHS, FINE_LR, OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgerun", action="store_true")
    ap.add_argument("--edgerun-only", action="store_true")
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--channels", type=int, default=CHANNELS)
    ap.add_argument("--fine-epochs", type=int, default=FINE_EPOCHS)
    ap.add_argument("--fine-lr", type=float, default=FINE_LR)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    CHANNELS, FINE_EPOCHS, FINE_LR, OUT = args.channels, args.fine_epochs, args.fine_lr, args.out.resolve()
    if args.edgerun_only:
        entries = json.loads((OUT / "manifest.json").read_text())["models"]
    else:
        t0 = time.time()
        xtr, ytr, xte, yte = make_data()
        print(f"data {xtr.shape} {xte.shape}, {time.time() - t0:.0f} s", flush=True)
        model = build_model()
        loss = train(model, xtr, ytr, BASE_EPOCHS, P.LEARNING_RATE, "dscnn-base")
        base = model.get_weights()
        acc = lambda m: round(float((np.argmax(m.predict(xte, verbose=0), 1) == yte).mean()), 4)  # noqa: E731
        print(f"base loss {loss:.4f} acc {acc(model)}, {time.time() - t0:.0f} s", flush=True)
        entries, files = [], {}
        for name, target in VARIANTS:
            model = build_model()
            model.set_weights(base)
            steps = FINE_EPOCHS * (N_TRAIN // P.BATCH)
            end = int(steps * P.PRUNE_END_FRACTION)
            log, cbs = [], []
            if target:
                cbs.append(P.make_pruning_callback(pointwise(model), "4x16", target, end, log, log_every=0))
            loss = train(model, xtr, ytr, FINE_EPOCHS, FINE_LR, f"dscnn-fine:{name}", cbs)
            facc = acc(model)
            mb = convert(model, xtr, bool(target))
            db = convert(model, xtr, False)
            expect = ["dense"] + sum([["dense", golden.expected_encoding("CONV_2D", "4x16", target) if target else "dense"]
                                      for _ in range(BLOCKS)], []) + ["dense"]
            layout = P.check_sparse(mb, db, expect, name)
            iacc = int8_accuracy(mb, xte, yte)
            m = golden.read_model(mb)
            si, zi = P.quant(m, m.subgraphs[0].inputs[0])
            q = np.clip(np.round(xte[0] / si) + zi, -128, 127).astype(np.int8)[None]
            out, _ = golden.run_reference(mb, m, [q], name)
            pw = [layer.kernel.numpy() for layer in pointwise(model)]
            entries.append({
                "name": name, "file": f"{name}.tflite",
                "pruning": None if not target else {"structure": "4x16", "target_sparsity": target,
                                                     "layers": [f"pw{k}" for k in range(BLOCKS)],
                                                     "schedule_end": log},
                "pointwise_density": round(sum(int(np.count_nonzero(k)) for k in pw) / sum(k.size for k in pw), 4),
                "fine_tune": {"epochs": FINE_EPOCHS, "learning_rate": FINE_LR, "final_loss": round(loss, 5)},
                "float_accuracy": facc, "int8_accuracy": iacc, "bytes": len(mb),
                "sha256": hashlib.sha256(mb).hexdigest(),
                "encodings": [{k: f.get(k) for k in ("op", "encoding", "weights_shape", "density")} for f in layout]})
            files[f"{name}.tflite"] = mb
            files[f"{name}.input.npy"] = q
            files[f"{name}.expected.npy"] = out[0]
            print(f"{name}: float acc {facc}, int8 acc {iacc}, {len(mb):,} B, {time.time() - t0:.0f} s", flush=True)
        OUT.mkdir(exist_ok=True)
        for fname, d in files.items():
            if isinstance(d, bytes):
                (OUT / fname).write_bytes(d)
            else:
                golden.save_npy(OUT / fname, d)
        head = {"generator": "models/prune_dscnn.py", "tensorflow": tf.__version__, "classes": list(CLASSES),
                "train": N_TRAIN, "test": N_TEST, "base_epochs": BASE_EPOCHS, "channels": CHANNELS,
                "blocks": BLOCKS, "oracle": "tf.lite.Interpreter, OpResolverType.BUILTIN_REF"}
        (OUT / "manifest.json").write_text(json.dumps({**head, "models": entries}, indent=1) + "\n")
    if args.edgerun or args.edgerun_only:
        P.OUT = OUT
        bench = P.measure_and_save([{**e} for e in entries], args.iterations, args.rounds)
        d = bench["dscnn_dense"]
        for e in entries:
            b = bench[e["name"]]
            if "error" in b:
                print(e["name"], b["error"])
                continue
            mem, dm = b["memory"], d["memory"]
            print(f"{e['name']}: int8 acc {e['int8_accuracy']}, ROM data {mem['romDataBytes']:,} "
                  f"({mem['romDataBytes'] / dm['romDataBytes']:.2f}), weights {mem['weightsBytes']:,} "
                  f"({mem['weightsBytes'] / dm['weightsBytes']:.2f}), median {b['medianMs']:.4f} ms "
                  f"({b['medianMs'] / d['medianMs']:.2f}), best {b['bestMs']:.4f} ({b['bestMs'] / d['bestMs']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
