"""Line diffs between two versions of a program, as rows a template can draw without logic."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

RowKind = Literal["hunk", "same", "del", "add"]


@dataclass(frozen=True)
class DiffRow:
    """One row of a unified diff with the line numbers of both sides (None where a side has no line)."""

    kind: RowKind
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True)
class Diff:
    rows: list[DiffRow]
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.removed == 0


def diff_programs(before: str, after: str, context: int = 3) -> Diff:
    """The unified diff of ``after`` against ``before``, hunk by hunk, with ``context`` lines around changes."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    rows: list[DiffRow] = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        rows.append(DiffRow("hunk", None, None, header))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(DiffRow("same", i + 1, j1 + k + 1, old[i]) for k, i in enumerate(range(i1, i2)))
                continue
            rows.extend(DiffRow("del", i + 1, None, old[i]) for i in range(i1, i2))
            rows.extend(DiffRow("add", None, j + 1, new[j]) for j in range(j1, j2))
            removed += i2 - i1
            added += j2 - j1
    return Diff(rows=rows, added=added, removed=removed)
