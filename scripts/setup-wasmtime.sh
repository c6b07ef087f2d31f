#!/usr/bin/env bash
# Make libwasmtime available to the wasmtime runtime: the wasmtime==49.0.0 Python wheel (which
# ships the C API library as wasmtime/<platform>/_libwasmtime.*) in the repository's git-ignored
# .venv, the same venv the golden-data generator uses. Only that wheel is installed (it has no
# dependencies); nothing happens when it is already there. Uses the machine's local package index
# (/opt/pypi, /opt/pypi-more) when present, plain pip otherwise. Set WASMTIME_LIB instead to use
# another libwasmtime. Prints the library's path.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
PY="$VENV/bin/python"
VERSION=49.0.0

if [ ! -x "$PY" ]; then
  echo "setup-wasmtime: creating $VENV" >&2
  python3 -m venv "$VENV"
fi

if ! "$PY" - "$VERSION" <<'PY' 2>/dev/null; then
import importlib.metadata as md, sys
assert md.version("wasmtime") == sys.argv[1]
PY
  PIP_ARGS=()
  if [ -d /opt/pypi/simple ]; then
    PIP_ARGS+=(--index-url file:///opt/pypi/simple)
    if [ -d /opt/pypi-more/simple ]; then
      PIP_ARGS+=(--extra-index-url file:///opt/pypi-more/simple)
    fi
  fi
  echo "setup-wasmtime: installing wasmtime==$VERSION into $VENV" >&2
  # (pip warns about every local index that lacks the package: not an error)
  "$PY" -m pip install --disable-pip-version-check --no-deps --quiet ${PIP_ARGS[@]+"${PIP_ARGS[@]}"} "wasmtime==$VERSION" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
fi

LIB="$(ls "$VENV"/lib/python*/site-packages/wasmtime/*/_libwasmtime.* 2>/dev/null | head -n 1)"
if [ -z "$LIB" ]; then
  echo "setup-wasmtime: the wasmtime wheel holds no _libwasmtime for this platform" >&2
  exit 1
fi
echo "$LIB"
