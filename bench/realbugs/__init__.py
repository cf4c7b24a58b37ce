"""The real-bugs benchmark (issue #28 item 4): single-line bugs in real libraries, offline and reproducible.

The entry script is ``bench/realbugs.py`` (fetch, generate, run, report). This package:

- ``manifest.json``: the libraries, pinned by version and sdist sha256, the directories mutated, the test
  files used and those left out (with the reason), the seed; also the candidates rejected, and why.
- ``libs.py``: ``pip download --no-binary :all: --no-deps NAME==VERSION`` into a cache outside the repository,
  sha256 check, unpack (a src layout gets a root ``conftest.py`` that puts ``src`` on ``sys.path``).
- ``pytests.py`` and ``plugin/realbugs_collect.py``: the benchmark's own pytest runs (outcomes per test,
  subtests counted, hangs stopped by pytest-timeout, line coverage per test file).
- ``mutate.py``: the AST mutator (why not mutmut or cosmic-ray: its docstring).
- ``generate.py``: baseline, candidates on covered lines, seeded selection, kill check -> ``mutants.jsonl``
  (one mutant a line) and ``libraries.json`` (per library: version, sha256, test command, tests, suite
  seconds, candidates, tries and kept mutants per kind, hangs, the command that made them).
- ``driver.py``: one ``tracefix pytest NODEID --root COPY --apply --json`` per mutant and strategy, scored.
- ``report.py``: ``bench/results/realbugs-<name>.md``.

The committed mutants were made with (each library's entry in ``libraries.json`` records its command)::

    python bench/realbugs.py generate --jobs 2
    python bench/realbugs.py generate --jobs 2 --library toolz --library inflection --library boltons \
        --library cachetools --library humanize

the second after the hang pass learned to try loop-breaking kinds first (more-itertools had its two hangs
from the main selection, so its hang pass never ran, and the one command ``generate --jobs 2`` remakes all).
The selection is deterministic given the test outcomes; a test near the per-test timeout (20 s, or 4x its
baseline time) on a loaded machine can flip a ``hangs`` flag.

A mutant record (``mutants.jsonl``): ``id``, ``library``, ``version``, ``file`` (relative to the tree),
``line``, ``function`` (as the repository mode names it), ``kind`` (HumanEvalFix's six), ``operator``,
``original`` and ``mutated`` (the line's text; ``mutated`` null when the line is deleted), ``test_file``,
``failing`` (node ids; the first is the one given to tracefix: a test that hangs first, then tests that fail
by themselves, then tests that fail only in ``unittest`` subtests), ``failing_count``, ``message`` (the first
failure), ``hangs``, ``subtests_only`` (the first failing test fails only in subtests, which pytest and
tracefix's repository mode report as passed), ``in_while`` (the line is in a ``while`` loop), ``seconds``.
"""
