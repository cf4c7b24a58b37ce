#!/usr/bin/env bash
# Build llama-cpp-python from its source distribution once and cache the wheel.
#
# Why from source with these flags: the PyPI wheels are source-only for this version, and a plain build
# on CPUs of the Sapphire Rapids class crashes in ggml_backend_amx_mul_mat at the first generation
# (llama.cpp issue #20824). On x86-64 we compile with AMX disabled; elsewhere we use llama.cpp's defaults.
# The wheel is cached under a key that includes the flags, so a crashing wheel from pip's own cache is never reused.
set -euo pipefail
VPY=${1:-.venv/bin/python}
VERSION=0.3.36
if "$VPY" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null; then
  echo "llama-cpp-python $VERSION already installed"; exit 0
fi
FLAGS=""
case "$(uname -m)" in
  x86_64|amd64) FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" ;;
esac
KEY=$(printf '%s|%s|%s' "$VERSION" "$FLAGS" "$("$VPY" -c 'import sys; print(sys.implementation.cache_tag)')" | sha256sum | cut -c1-12)
CACHE=${TRACEFIX_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracefix/wheels}/llama-$KEY
if ! ls "$CACHE"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION (about 4 minutes on 2 cores) into $CACHE"
  mkdir -p "$CACHE"
  if [ -n "$FLAGS" ]; then
    export CMAKE_ARGS="-DCMAKE_C_FLAGS='$FLAGS' -DCMAKE_CXX_FLAGS='$FLAGS'"
  fi
  "$VPY" -m pip wheel -q --no-deps --no-cache-dir -w "$CACHE" "llama-cpp-python==$VERSION"
fi
"$VPY" -m pip install -q --no-cache-dir --find-links "$CACHE" "llama-cpp-python[server]==$VERSION"
"$VPY" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'installed')"
