#!/usr/bin/env python3
"""Build the README quick-start sample: models/kws_dscnn.tflite plus one input and its expected output.

Reuses the golden generator (tests/golden/generate.py): same DS-CNN builder, same conversion
(full-integer int8 in/out), same op-list check, same oracle (TFLite BUILTIN_REF reference kernels).
The result is byte-identical to the fixture NETWORK/n000-kws-dscnn.

Usage: .venv/bin/python models/build_samples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "golden"))

import generate as golden  # noqa: E402


def main() -> int:
    (case,) = [c for c in golden.build_cases("NETWORK") if c.config["network"] == "kws-dscnn"]
    model_bytes, model, _ = golden.build_model(case)
    inputs = golden.make_inputs(model, case)
    outputs, _ = golden.run_reference(model_bytes, model, inputs, f"models/{case.id}")
    (HERE / "samples").mkdir(exist_ok=True)
    (HERE / "kws_dscnn.tflite").write_bytes(model_bytes)
    golden.save_npy(HERE / "samples" / "kws_dscnn_input.npy", inputs[0])
    golden.save_npy(HERE / "samples" / "kws_dscnn_expected.npy", outputs[0])
    print(f"kws_dscnn.tflite: {len(model_bytes)} B, ops: {' > '.join(case.ops)}")
    print(f"input {inputs[0].dtype}{list(inputs[0].shape)} -> expected {outputs[0].dtype}{list(outputs[0].shape)}: "
          f"{outputs[0].ravel().tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
