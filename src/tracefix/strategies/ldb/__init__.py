"""The ldb strategy: debug with the runtime evidence of the failing test, block by block (after the LDB
paper, Zhong, Wang and Shang, ACL 2024).

Three formats, each a strategy of its own with its own options model, chosen by the spec's ``format``:
``hole`` (the default, ``hole.py``), ``focused`` (``focused.py``) and ``paper`` (``paper.py``). What they
share is in ``base.py``; the code only ldb uses sits beside them: the block evidence (``evidence.py``), the
findings read off the trace (``findings.py``), which part to cut (``cuts.py``), functions the test calls
(``called.py``), mending undefined names (``quickfix.py``) and reading verdicts (``verdicts.py``).
"""
