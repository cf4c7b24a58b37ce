"""Run a library's tests with plain pytest, the benchmark's own judge (never tracefix's runner).

``python -B -m pytest FILES`` runs with the tree as working directory, so the tree is first on ``sys.path`` as
in the repository mode, under tracefix's own interpreter. The plugin ``plugin/realbugs_collect.py`` records
each test's outcome (subtests included) as it ends; pytest-timeout stops a test that runs longer than
``per_test_s`` (a hang), and a wall timeout kills the whole process group as a last resort.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"
MEMORY_BYTES = 4 * 1024 * 1024 * 1024
FAILED = ("failed", "error", "timeout")


@dataclass
class TestRun:
    """What one pytest run of a tree said."""

    outcomes: dict[str, str] = field(default_factory=dict)
    """Node id -> "passed", "failed", "error", "timeout" or "skipped", in the order the tests ran."""
    messages: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    subtest: set[str] = field(default_factory=set)
    """Tests that failed only through their subtests."""
    collect_errors: list[str] = field(default_factory=list)
    killed: str | None = None
    """The test that was running when the wall timeout killed the run ("" if none had started)."""
    exit_code: int = 0
    seconds: float = 0.0
    cover: dict[str, dict[str, list[int]]] | None = None

    @property
    def failing(self) -> list[str]:
        """Failing node ids, in run order; a test the wall timeout killed comes last."""
        failing = [nodeid for nodeid, outcome in self.outcomes.items() if outcome in FAILED]
        if self.killed and self.killed not in failing:
            failing.append(self.killed)
        return failing

    @property
    def hangs(self) -> list[str]:
        hung = [nodeid for nodeid, outcome in self.outcomes.items() if outcome == "timeout"]
        if self.killed and self.killed not in hung:
            hung.append(self.killed)
        return hung

    @property
    def passed(self) -> bool:
        """Every test ran and none failed (skips allowed)."""
        return (
            bool(self.outcomes)
            and not self.failing
            and not self.collect_errors
            and self.killed is None
            and self.exit_code in (0, 5)
        )

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts


def wait_or_kill(child: subprocess.Popen[Any], seconds: float) -> bool:
    """Wait for ``child`` (started in a session of its own) at most ``seconds``, then kill its whole process
    group either way (whatever it left running goes too); True when the time ran out."""
    try:
        child.wait(timeout=seconds)
        ran_out = False
    except subprocess.TimeoutExpired:
        ran_out = True
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return ran_out


def run_tests(
    root: Path,
    files: list[str],
    *,
    per_test_s: float | None = 10.0,
    wall_s: float = 300.0,
    cover: Path | None = None,
) -> TestRun:
    """Run ``files`` (paths or node ids relative to ``root``) with pytest in ``root``."""
    with tempfile.TemporaryDirectory(prefix="realbugs-pytest-") as scratch:
        events = Path(scratch) / "events.jsonl"
        events.touch()
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if key in os.environ}
        env.update(
            PYTHONPATH=str(PLUGIN_DIR),
            PYTHONHASHSEED="0",
            PYTHONDONTWRITEBYTECODE="1",
            REALBUGS_EVENTS=str(events),
            TMPDIR=scratch,
        )
        if cover is not None:
            env["REALBUGS_COVER"] = str(cover)
        command = [sys.executable, "-B", "-m", "pytest", *files, "-p", "realbugs_collect"]
        command += ["-p", "no:cacheprovider", "-q", "--no-header", f"--rootdir={root}"]
        if per_test_s:
            command += [f"--timeout={per_test_s:g}", "--timeout-method=signal"]
        started = time.monotonic()
        with open(Path(scratch) / "output.txt", "w") as output:
            child = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_limits,
            )
            killed = wait_or_kill(child, wall_s)
        run = parse_events(events.read_text(encoding="utf-8"))
        run.exit_code = -1 if killed else child.returncode
        run.seconds = time.monotonic() - started
        if killed:
            starts = [
                event["start"] for event in _events(events.read_text(encoding="utf-8")) if "start" in event
            ]
            run.killed = next((nodeid for nodeid in reversed(starts) if nodeid not in run.outcomes), "")
        if not run.outcomes and not run.collect_errors and not killed and run.exit_code not in (0, 5):
            tail = (Path(scratch) / "output.txt").read_text(errors="replace")[-1500:]
            run.collect_errors.append(f"pytest exited {run.exit_code}: {tail}")
        return run


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _events(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            events.append(json.loads(line))
    return events


def parse_events(text: str) -> TestRun:
    run = TestRun()
    for event in _events(text):
        if "end" in event:
            nodeid = event["end"]
            run.outcomes[nodeid] = event["outcome"]
            if event.get("message"):
                run.messages[nodeid] = event["message"]
            run.durations[nodeid] = float(event.get("duration", 0.0))
            if event.get("subtest"):
                run.subtest.add(nodeid)
        elif "collect_error" in event:
            run.collect_errors.append(f"{event['collect_error']}: {event.get('message', '')}")
        elif "cover" in event:
            run.cover = event["cover"]
    return run
