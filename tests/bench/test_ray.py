"""``tracefix bench --executor ray`` on a real local Ray cluster, the model served by llama-cpp-python's
OpenAI-compatible server with the 0.5B model (minutes).

Each run gets a server of its own: the server reuses the longest prompt prefix it holds, so a server that
already answered another run would evaluate the same prompts in other batches.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray  # noqa: F401 - the ray extra is part of the test environment (scripts/setup.sh)
from benchfakes import MINI_LDB

from tracefix.bench.store import RunStore
from tracefix.models.weights import NAMED_MODELS, ensure_gguf

sys.path.insert(0, str(Path(__file__).parents[1] / "models"))  # the real server helper, shared
from llama_server import LlamaServer

pytestmark = [pytest.mark.model, pytest.mark.slow]

TRACEFIX = [sys.executable, "-c", "from tracefix.cli import main; main()"]


@contextlib.contextmanager
def served(log: Path) -> Iterator[str]:
    """A fresh server of the 0.5B model; yields the model spec that reaches it."""
    server = LlamaServer(ensure_gguf(NAMED_MODELS["qwen2.5-coder-0.5b"], allow_hub=False), log, n_ctx=4096)
    try:
        yield f"openai-compatible:{server.url}#qwen-0.5b"
    finally:
        server.stop()


def bench(model: str, run_dir: Path, *more: str) -> subprocess.Popen[bytes]:
    command = [
        *TRACEFIX, "bench", "--dataset", "humaneval", "--data-dir", str(MINI_LDB), "--strategies", "feedback",
        "--only-failing", "--limit", "3", "--max-iters", "1", "--model", model, "--run-dir", str(run_dir), *more,
    ]  # fmt: skip
    env = {**os.environ, "TRACEFIX_CACHE": "off", "TRACEFIX_THREADS": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[bytes], timeout_s: float = 900) -> str:
    output, _ = process.communicate(timeout=timeout_s)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text


def rows(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    store = RunStore(run_dir)
    try:
        return {
            (r.task_id, r.strategy): {
                "status": r.status,
                "outcome": r.outcome,
                "passed": r.hidden.passed,
                "program": r.final_program,
                "error": r.error,
            }
            for r in store.results()
        }
    finally:
        store.close()


def test_ray_gives_the_local_runs_results_and_a_killed_worker_loses_only_its_item(tmp_path: Path) -> None:
    with served(tmp_path / "local.log") as model:
        finish(bench(model, tmp_path / "local"))
    local = rows(tmp_path / "local")
    assert {k[0] for k in local} == {"Mini/2", "Mini/3", "Mini/10"}
    assert sum(r["status"] == "done" for r in local.values()) == 2  # Mini/3 passes its visible tests

    with served(tmp_path / "ray.log") as model:
        output = finish(bench(model, tmp_path / "ray", "--executor", "ray"))
    assert rows(tmp_path / "ray") == local  # the same rows, programs included
    assert "Mini/10 feedback:" in output  # the driver's log line per item
    assert (tmp_path / "ray" / "summary.json").is_file()

    with served(tmp_path / "killed.log") as model:
        run = bench(model, tmp_path / "killed", "--executor", "ray")
        killed = kill_a_worker_running_an_item(run)
        finish(run)
        after_kill = rows(tmp_path / "killed")
        lost = [k for k, r in after_kill.items() if r["status"] == "error"]
        assert killed and len(lost) == 1 and "ray:" in (after_kill[lost[0]]["error"] or "")
        assert all(after_kill[k]["status"] == local[k]["status"] for k in local if k not in lost)  # none else
        finish(bench(model, tmp_path / "killed", "--executor", "ray", "--resume"))
    resumed = rows(tmp_path / "killed")
    assert resumed.keys() == local.keys()
    assert all(r["status"] in ("done", "not_debuggable") for r in resumed.values())
    # The rerun item met a server in another state (see the module's docstring): its outcome may differ.


def kill_a_worker_running_an_item(run: subprocess.Popen[bytes], timeout_s: float = 300) -> bool:
    """SIGKILL the first Ray worker seen running an item (its process title is ``ray::run_item``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and run.poll() is None:
        found = subprocess.run(
            ["pgrep", "-f", "ray::run_item"], capture_output=True, text=True
        ).stdout.split()
        if found:
            os.kill(int(found[0]), signal.SIGKILL)
            return True
        time.sleep(0.2)
    return False
