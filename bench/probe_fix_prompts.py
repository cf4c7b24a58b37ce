"""Exploratory probe that led to ldb's ``hole`` format (kept as run, so its figures can be reproduced).

For each HumanEval GPT-3.5 seed given (ids after ``HumanEval/``) that fails a visible test, one request at
temperature 0 per prompt variant, first reply only (no retry, no iteration), on the configured model:
- ``base``: ldb's focused prompt with the trace findings above the blocks (``ldb[hints=on]``);
- ``think``: the same evidence, asking for a short comparison of values with the task before the program;
- ``hole``: no block listing: the program with the blamed block cut out and a TODO saying why, plus the
  findings (a first version of ``strategies/hole.py``: target = the raising block, else the block that put
  the first wrong element into the result, else the most suspicious plain block; only the block's own lines).
Records whether the reply changed the program, passes the visible tests, and passes the hidden tests
(scoring only). One JSON line per (problem, variant) to bench/results/probe_fix_prompts.jsonl and stdout.

    TRACEFIX_THREADS=1 .venv/bin/python bench/probe_fix_prompts.py 36,39,54,84,90,93,95,97,100,108,110,111 base,think,hole
"""

import json
import sys
import time
from pathlib import Path

from tracefix.analysis.cfg import build_cfg
from tracefix.bench.datasets import load_problems
from tracefix.bench.scoring import score
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.execution.sandbox import Executor
from tracefix.models.resolve import load_model
from tracefix.records import GenParams, Message
from tracefix.strategies.extract import extract_program, normalized
from tracefix.strategies.ldb import evidence as ev
from tracefix.strategies.ldb import findings as fd
from tracefix.strategies.ldb.base import parameters_of
from tracefix.strategies.templates import render
from tracefix.strategies.tests import describe_failure, first_failing, split_assert

SYSTEM = render("system")


def problem_text(task, program, failing, failure):
    return (
        f"Task:\n{task.description.strip()}\n\nProgram:\n```python\n{program.strip()}\n```\n\n"
        f"It fails this test:\n{failing.test.strip()}\n{failure}"
    )


def hole_program(program, block_lines, note):
    lines = program.splitlines()
    first = min(block_lines)
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    out = []
    for n, line in enumerate(lines, 1):
        if n in block_lines:
            if n == first:
                out.append(
                    " " * indent + f"# TODO: the code that was here is wrong ({note}); write the correct code"
                )
            continue
        out.append(line)
    return "\n".join(out)


def variants(task, program, failing, failure, cfg, trace, passing):
    gathered = ev.gather(program, cfg, trace, passing)
    shown, hidden = ev.select(gathered, 8)
    blocks = ev.render_focused(shown, hidden)
    e = split_assert(failing.test)
    found = fd.findings(
        program, cfg, trace, parameters_of(program, task.entry_point), e.expected if e else None
    )
    found = [f.text for f in found]  # findings were plain strings when the probe ran
    hints = ("What the trace shows:\n" + "\n".join(f"- {f}" for f in found) + "\n\n") if found else ""
    head = problem_text(task, program, failing, failure)
    evid = (
        "Here is what the program really did on this test. For each block: its code, then after each run "
        "the variables it changed and the branch it took.\n" + hints + blocks
    )
    out = {}
    out["base"] = (
        f"Fix the bug in this Python program.\n\n{head}\n\n{evid}\n\nCompare these values with what the task requires. Answer in this format:\n"
        "WRONG BLOCK: <the number of the first block whose values are wrong>\nREASON: <one sentence: what that block should compute instead>\n```python\n<the complete corrected program>\n```"
    )
    out["think"] = (
        f"Fix the bug in this Python program.\n\n{head}\n\n{evid}\n\nFirst, in at most 5 short lines, compare these values with what the task requires: "
        "which block computes a wrong value, and what it must compute instead. Then reply with the complete corrected program in one ```python block; it must differ from the program above."
    )
    # hole: the most suspicious non-header block
    import re

    ranked = sorted(gathered, key=lambda b: (-b.suspicion, -b.block))
    by_id = {b.block: b for b in gathered}
    m = re.search(r"put there by BLOCK (\d+)", " ".join(found))
    if trace.exception and trace.exception.block in by_id and not trace.exception.in_test:
        target = by_id[trace.exception.block]
    elif m and int(m.group(1)) in by_id:
        target = by_id[int(m.group(1))]
    else:
        body = [
            b
            for b in ranked
            if b.kind not in ("for", "while", "if", "async for") and not b.code.strip().startswith("return")
        ] or ranked
        target = body[0]
    note = "; ".join(target.notes) or "its values are wrong"
    holed = hole_program(program, target.lines, note)
    out["hole"] = (
        f"Complete this Python program: one part of it was wrong and has been removed (see the TODO).\n\n"
        f"Task:\n{task.description.strip()}\n\nProgram:\n```python\n{holed}\n```\n\n"
        f"The old program failed this test:\n{failing.test.strip()}\n{failure}\n{hints}"
        "Reply with the complete program, the TODO replaced by correct code (change other lines too if they are wrong), in one ```python block."
    )
    return out


def main():
    ids = sys.argv[1].split(",")
    chosen = sys.argv[2].split(",")
    d = Path("../shared/data/ldb")
    probs = {p.task_id: p for p in load_problems("humaneval", d)}
    seeds = load_seed_file(default_seed_file(d, "humaneval"))
    model = load_model(None)
    with Executor() as ex:
        for tid in ids:
            tid = f"HumanEval/{tid}"
            p = probs[tid]
            t = p.task
            prog = seeds[tid].program
            res = ex.run_tests(prog, t.visible_tests, prelude=t.prelude)
            f = first_failing(res)
            if f is None:
                continue
            cfg = build_cfg(prog, t.entry_point)
            tr = ex.trace(prog, t.entry_point, f.test, prelude=t.prelude)
            passing = [
                set(ex.trace(prog, t.entry_point, r.test, prelude=t.prelude).block_counts)
                for r in res
                if r.passed
            ][:3]
            vs = variants(t, prog, f, describe_failure(f), cfg, tr, passing)
            for name in chosen:
                msgs = [Message(role="system", content=SYSTEM), Message(role="user", content=vs[name])]
                t0 = time.time()
                r = model.complete(msgs, GenParams(max_tokens=768))
                prog2 = extract_program(r.text, t.entry_point, prog).program
                changed = prog2 is not None and normalized(prog2) != normalized(prog)
                vis = hid = False
                if changed:
                    rr = ex.run_tests(prog2, t.visible_tests, prelude=t.prelude)
                    vis = all(x.passed for x in rr)
                    hid = score(ex, prog2, p.hidden, entry_point=t.entry_point, prelude=t.prelude).passed
                row = dict(
                    task=tid,
                    variant=name,
                    changed=changed,
                    visible=vis,
                    hidden=hid,
                    tokens=r.usage.total_tokens,
                    s=round(time.time() - t0),
                    cached=r.cached,
                )
                print(json.dumps(row), flush=True)
                with open("bench/results/probe_fix_prompts.jsonl", "a") as fh:
                    fh.write(json.dumps(row) + "\n")
                if name == chosen[-1] and len(sys.argv) > 3:
                    print(vs[name])
                    print(r.text)


if __name__ == "__main__":
    main()
