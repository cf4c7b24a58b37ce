#!/usr/bin/env bash
# Run the project's checks: ruff, mypy and the test suite. Extra arguments go to pytest.
# Fails on zero collected tests (pytest's exit code 5), so CI never passes without testing anything.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0
"$BIN/ruff" check src tests bench || status=1
"$BIN/ruff" format --check src tests bench || status=1
"$BIN/mypy" || status=1
"$BIN/python" -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  rc=1
fi
[ $rc -eq 0 ] || status=$rc
exit $status
