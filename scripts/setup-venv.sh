#!/usr/bin/env bash
# Create the Python venv used by the golden-data generator ($REPO/.venv, git-ignored) if missing,
# and make sure it holds tensorflow_cpu 2.21.0 and numpy. Uses the machine's local package index
# (/opt/pypi, /opt/pypi-more) when present, plain pip otherwise.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
  echo "setup-venv: creating $VENV" >&2
  python3 -m venv "$VENV"
fi

if "$PY" - <<'PY' 2>/dev/null; then
import importlib.metadata as md
assert md.version("tensorflow_cpu") == "2.21.0"
import numpy  # noqa: F401
PY
  exit 0
fi

PIP_ARGS=()
if [ -d /opt/pypi/simple ]; then
  PIP_ARGS+=(--index-url file:///opt/pypi/simple)
  if [ -d /opt/pypi-more/simple ]; then
    PIP_ARGS+=(--extra-index-url file:///opt/pypi-more/simple)
  fi
fi
echo "setup-venv: installing tensorflow_cpu==2.21.0 numpy (takes minutes)" >&2
"$PY" -m pip install --disable-pip-version-check ${PIP_ARGS[@]+"${PIP_ARGS[@]}"} "tensorflow_cpu==2.21.0" numpy
