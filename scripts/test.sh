#!/usr/bin/env bash
# Run the project's checks: ruff, mypy, a strict build of the documentation site and the test suite.
# Extra arguments go to pytest.
# Fails on zero collected tests (pytest's exit code 5), so CI never passes without testing anything.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0
"$BIN/ruff" check src tests bench docs/gen_pages.py || status=1
"$BIN/ruff" format --check src tests bench docs/gen_pages.py || status=1
"$BIN/mypy" || status=1
# The site is built outside the repository: a broken link or page, a results file the generator cannot
# publish, or a missing strategy catalog fails the check.
# (The two variables silence the banners Material and mkdocs-gen-files print about MkDocs 2.0 on every build.)
NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true \
  "$BIN/mkdocs" build --strict --site-dir "${TMPDIR:-/tmp}/tracefix-site" || status=1
"$BIN/python" -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  rc=1
fi
[ $rc -eq 0 ] || status=$rc
exit $status
