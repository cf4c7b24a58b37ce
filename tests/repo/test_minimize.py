"""Undoing the hunks of a passing patch that the tests do not need."""

from __future__ import annotations

from tracefix.repo.minimize import hunks, minimize, undo

BEFORE = "def f(xs):\n    total = 0\n    for x in xs:\n        total = x\n    return total\n"
# The fix is `total += x`; the model also rewrote the first and the last line.
AFTER = "def f(xs):\n    total = 0 * 1\n    for x in xs:\n        total += x\n    return int(total)\n"


def test_hunks_are_the_changed_runs_of_lines_and_undo_puts_one_back() -> None:
    assert hunks(BEFORE, AFTER) == [(1, 2, 1, 2), (3, 5, 3, 5)]  # lines 4 and 5 changed together
    assert undo(BEFORE, AFTER, (1, 2, 1, 2)) == AFTER.replace("0 * 1", "0")


def test_every_hunk_the_tests_do_not_need_is_undone() -> None:
    runs: list[str] = []

    def passes(text: str) -> bool:
        runs.append(text)
        namespace: dict[str, object] = {}
        exec(text, namespace)
        f = namespace["f"]
        return f([1, 2]) == 3  # type: ignore[operator]

    patched, undone = minimize(BEFORE, AFTER, passes)
    assert patched == AFTER.replace("0 * 1", "0") and undone == 1
    assert len(runs) == 2  # one run per hunk; the second hunk (the fix) is needed
    assert minimize(BEFORE, BEFORE.replace("total = x", "total += x"), passes) == (
        BEFORE.replace("total = x", "total += x"),
        0,
    )  # one hunk: nothing to try
    # Undoing either bracket alone would not compile: both stay, and the tests never run.
    before = "def g():\n    x = (1,\n         2,\n         3)\n    return x\n"
    after = "def g():\n    x = [1,\n         2,\n         3]\n    return x\n"
    never: list[str] = []
    assert minimize(before, after, lambda text: never.append(text) is None) == (after, 0) and never == []
