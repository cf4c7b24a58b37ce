"""The benchmark runs committed to the repository (``bench/runs/*/run.sqlite`` that git tracks).

A run still in progress in a working copy (its database not committed yet) is not one of them; outside a git
checkout every run found counts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS_DIR = ROOT / "bench" / "runs"


def committed_runs() -> list[Path]:
    found = sorted(db.parent for db in RUNS_DIR.glob("*/run.sqlite"))
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", "bench/runs"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return found
    tracked = {(ROOT / path).parent for path in listed if path.endswith("/run.sqlite")}
    return [run for run in found if run in tracked]
