"""``tracefix bench`` end to end on the mini data directory, with a child-process executor and fake strategies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from benchfakes import MINI_LDB, ChildExecutor, OracleStrategy, oracle, wait_for_item
from click.testing import CliRunner

import tracefix.cli.bench as cli_bench
from tracefix.bench.store import RunStore
from tracefix.cli import main
from tracefix.records import GenParams, Message, Reply, Usage


class FakeModel:
    """Writes every seed as ``return 2 * x`` (so only ``double`` comes out right)."""

    name = identity = "fake-model"
    max_concurrency = 1
    context_size = None

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        self.prompts.append(messages[-1].content)
        entry = messages[-1].content.split("Write the complete Python function `")[1].split("`")[0]
        return Reply(text=f"```python\ndef {entry}(x, *rest):\n    return 2 * x\n```", usage=Usage())

    def close(self) -> None:
        pass


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    made: dict[str, Any] = {"model": FakeModel(), "strategies": {}}

    def make_strategies(
        names: list[str], model: object, executor: object, config: object
    ) -> dict[str, OracleStrategy]:
        made["strategies"] = {
            n: oracle(n, ["Mini/2"] if n == "feedback" else ["Mini/2", "Mini/10"]) for n in names
        }
        return made["strategies"]

    monkeypatch.setattr(cli_bench, "_open_executor", ChildExecutor)
    monkeypatch.setattr(cli_bench, "open_model", lambda spec: made["model"])
    monkeypatch.setattr(cli_bench, "make_strategies", make_strategies)
    return made


def bench(*args: str) -> Any:
    return CliRunner().invoke(main, ["bench", "--dataset", "humaneval", "--data-dir", str(MINI_LDB), *args])


def test_bench_runs_and_prints_the_summary_as_json(tmp_path: Path, fakes: dict[str, Any]) -> None:
    result = bench(
        "--strategies", "ldb,feedback", "--run-dir", str(tmp_path / "run"), "--json", "--jobs", "2"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["state"] == "complete"
    assert summary["seed"]["pass_at_1"] == 40.0
    assert summary["strategies"]["ldb"]["repaired"] == 2
    assert summary["strategies"]["feedback"]["repaired"] == 1
    assert summary["config"]["seeds"].endswith("seed.jsonl")
    assert summary["config"]["seeds_sha256"]
    assert "Mini/2 ldb: fixed, repaired, 2 calls" in result.stderr  # not a terminal: a line per item
    assert (tmp_path / "run" / "summary.json").exists()
    assert (tmp_path / "run" / "results.csv").exists()


def test_rerun_needs_resume_and_resume_does_no_work_twice(tmp_path: Path, fakes: dict[str, Any]) -> None:
    run_dir = str(tmp_path / "run")
    assert bench("--strategies", "explain", "--run-dir", run_dir).exit_code == 0
    again = bench("--strategies", "explain", "--run-dir", run_dir)
    assert again.exit_code == 2
    assert "--resume" in again.output
    resumed = bench("--strategies", "explain", "--run-dir", run_dir, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert fakes["strategies"]["explain"].seen == []
    changed = bench("--strategies", "explain", "--run-dir", run_dir, "--resume", "--max-iters", "3")
    assert changed.exit_code == 2
    assert "--max-iters: 10 -> 3" in changed.output


def test_only_failing_with_a_sample(tmp_path: Path, fakes: dict[str, Any]) -> None:
    args = [
        "--strategies",
        "ldb",
        "--run-dir",
        str(tmp_path / "r"),
        "--sample",
        "2",
        "--sample-seed",
        "3",
        "--json",
    ]
    result = bench(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["problems"] == 5  # every seed scored: pass@1 stays over the whole dataset
    assert summary["selected"] == 2


def selected(run_dir: Path) -> list[str]:
    store = RunStore(run_dir)
    try:
        return store.selected()
    finally:
        store.close()


def test_a_hold_out_sample_leaves_out_what_another_run_debugged(
    tmp_path: Path, fakes: dict[str, Any]
) -> None:
    dev, held = tmp_path / "dev", tmp_path / "held"
    common = ["--strategies", "ldb", "--sample", "2", "--sample-seed", "3", "--json"]
    assert bench(*common, "--run-dir", str(dev)).exit_code == 0
    before = (dev / "run.sqlite").read_bytes()
    result = bench(*common, "--run-dir", str(held), "--exclude-run", str(dev))
    assert (dev / "run.sqlite").read_bytes() == before  # the other run is read, never written
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert len(selected(dev)) == 2 and summary["selected"] == 1  # three seeds fail their hidden tests
    assert not set(selected(held)) & set(selected(dev))
    assert summary["config"]["exclude"] == sorted(selected(dev))
    missing = bench(*common, "--run-dir", str(tmp_path / "x"), "--exclude-run", str(tmp_path))
    assert missing.exit_code == 2 and "holds no run" in missing.output


def test_generated_seeds_come_from_the_model(tmp_path: Path, fakes: dict[str, Any]) -> None:
    result = bench(
        "--seeds", "generate", "--strategies", "feedback", "--run-dir", str(tmp_path / "g"), "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["config"]["seeds"] == "generate"
    assert summary["seed"]["passed"] == 1  # only double is right with `2 * x`
    assert len(fakes["model"].prompts) == 5
    assert all("def check" not in p for p in fakes["model"].prompts)


def test_user_mistakes_are_usage_errors(tmp_path: Path, fakes: dict[str, Any]) -> None:
    unknown = bench("--strategies", "magic", "--run-dir", str(tmp_path / "x"))
    assert unknown.exit_code == 2
    assert "unknown strategy 'magic'" in unknown.output
    bad_option = bench("--strategies", "feedback,ldb[prefil=on]", "--run-dir", str(tmp_path / "y"))
    assert bad_option.exit_code == 2 and "ldb has no option 'prefil'" in bad_option.output
    no_dir = CliRunner().invoke(main, ["bench", "--dataset", "mbpp", "--resume"])
    assert no_dir.exit_code == 2
    assert "--run-dir" in no_dir.output
    stray = bench("--address", "auto", "--run-dir", str(tmp_path / "z"))
    assert stray.exit_code == 2 and "--address is for --executor ray" in stray.output


def test_the_ray_executor_without_ray_installed_says_how_to_install_it(
    tmp_path: Path, fakes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracefix.bench.ray_items import RayMissing

    def missing() -> None:
        raise RayMissing("--executor ray needs Ray: pip install 'tracefix[ray]'")

    monkeypatch.setattr(cli_bench, "ray_module", missing)
    result = bench("--strategies", "feedback", "--executor", "ray", "--run-dir", str(tmp_path / "r"))
    assert result.exit_code == 2 and "pip install 'tracefix[ray]'" in result.output


CLI_SCRIPT = """
import signal, sys, time
# A shell that starts the suite in the background leaves SIGINT ignored, and children inherit that.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {tests!r})
import tracefix.cli.bench as cli_bench
from tracefix.bench.store import RunStore
from benchfakes import ChildExecutor, OracleStrategy
from test_cli_bench import FakeModel
from tracefix.cli import main

class Slow(OracleStrategy):
    def __call__(self, task, program):
        time.sleep({sleep})
        return super().__call__(task, program)

cli_bench._open_executor = ChildExecutor
cli_bench.open_model = lambda spec: FakeModel()
cli_bench.make_strategies = lambda names, *rest: {{n: Slow(n, {{"Mini/2", "Mini/10"}}) for n in names}}
main(["bench", "--dataset", "humaneval", "--data-dir", {data!r}, "--strategies", "ldb", "--run-dir", {run_dir!r}])
"""


@pytest.mark.parametrize(("interrupts", "sleep", "expected_done"), [(1, 4.0, 1), (2, 60, 0)])
def test_ctrl_c_on_the_command(tmp_path: Path, interrupts: int, sleep: float, expected_done: int) -> None:
    """One Ctrl-C finishes the item in flight; a second drops it at once. Either way: exit 130, resumable."""
    script = CLI_SCRIPT.format(
        tests=str(Path(__file__).parent), data=str(MINI_LDB), run_dir=str(tmp_path), sleep=sleep
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for_item(tmp_path, ("Mini/1", "ldb"))  # not debuggable: stored just before Mini/2 starts
    for _ in range(interrupts):
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume --run-dir" in err
    store = RunStore(tmp_path)
    assert len([r for r in store.results() if r.status == "done"]) == expected_done
    assert (
        json.loads((tmp_path / "summary.json").read_text())["strategies"]["ldb"]["pending"]
        == 4 - expected_done  # Mini/1 (not debuggable) is stored before Mini/2 starts
    )


def test_a_model_error_while_generating_seeds_is_a_clear_error(tmp_path: Path, fakes: dict[str, Any]) -> None:
    from tracefix.models.base import ServerUnavailable

    def fail(messages: object, params: object) -> Reply:
        raise ServerUnavailable("no server at http://localhost:1")

    fakes["model"].complete = fail
    result = bench("--seeds", "generate", "--strategies", "feedback", "--run-dir", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert "model error: no server" in result.output
    assert "--resume" in result.output


def test_a_resume_runs_the_strategies_it_names_and_without_names_every_stored_one(
    tmp_path: Path, fakes: dict[str, Any]
) -> None:
    run_dir = str(tmp_path / "run")
    assert bench("--strategies", "explain", "--run-dir", run_dir, "--limit", "2").exit_code == 0
    # A strategy named on resume joins the run; the stored one is not run again.
    resumed = bench("--strategies", "feedback", "--run-dir", run_dir, "--limit", "2", "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert list(fakes["strategies"]) == ["feedback"]
    assert fakes["strategies"]["feedback"].seen
    summary = json.loads(resumed.stdout)
    assert summary["config"]["strategies"] == ["explain", "feedback"]
    # Without --strategies, a resume runs every stored strategy (all finished here: nothing is asked).
    again = bench("--run-dir", run_dir, "--limit", "2", "--resume", "--json")
    assert again.exit_code == 0, again.output
    assert list(fakes["strategies"]) == ["explain", "feedback"]
    assert all(not s.seen for s in fakes["strategies"].values())
    empty = bench("--run-dir", str(tmp_path / "empty"), "--resume")
    assert empty.exit_code == 2
    assert "no run to resume" in empty.output
    assert (
        bench("--strategies", "explain", "--run-dir", str(tmp_path / "empty"), "--limit", "1").exit_code == 0
    )


def test_variants_of_a_strategy_run_side_by_side_under_their_canonical_names(
    tmp_path: Path, fakes: dict[str, Any]
) -> None:
    specs = "ldb, ldb[past=false,blocks=4], ldb[blocks=4,past=off]"
    result = bench("--strategies", specs, "--run-dir", str(tmp_path / "v"), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary["strategies"]) == ["ldb", "ldb[blocks=4,past=off]"]
    assert summary["config"]["strategies"] == ["ldb", "ldb[blocks=4,past=off]"]


def test_the_printed_summary_keeps_spec_brackets(tmp_path: Path, fakes: dict[str, Any]) -> None:
    result = bench("--strategies", "feedback,ldb[blocks=4]", "--run-dir", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    assert "repaired by ldb[blocks=4], not by feedback (1): Mini/10" in result.output
    assert "ldb[blocks=4]" in result.output.split("repaired by")[0]  # the table's row too
