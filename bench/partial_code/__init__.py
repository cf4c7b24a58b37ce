"""The partial-code benchmark (issue #27 item 4): code that cannot run as it is, executed by ``tracefix exec``.

Entry script: ``bench/partial_code.py``. ``build.py`` makes ``fragments.jsonl`` from the real-bugs benchmark's
pinned libraries (bench/realbugs/manifest.json: six pure-Python libraries from PyPI, by version and sha256);
``run.py`` executes every fragment with each predictor side by side and appends one JSON line per
(fragment, predictor); ``report.py`` writes ``bench/results/partial-code-<name>.md``.
"""
