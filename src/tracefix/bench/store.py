"""The run store: everything a benchmark run did, in one directory, safe to kill and resume.

Run directory layout (what ``tracefix report RUN_DIR`` and other readers may rely on)::

    RUN_DIR/
      run.sqlite                     the store (SQLite, WAL journal); tables below
      sessions/<strategy>/<id>.json  one tracefix.records.Session per debugged (problem, strategy), where <id>
                                     is the task id with "/" replaced by "_" (HumanEval/0 -> HumanEval_0.json)
      summary.json                   written by tracefix.bench.report at the end of a run (and by --resume)
      results.csv                    one row per (problem, strategy), same numbers as the results table
                                     (and a last column, category, when the problems have one)

Tables of ``run.sqlite``:

* ``meta(key, value)``: ``config`` holds the :class:`RunConfig` as JSON; ``schema`` the store's version.
* ``seeds``: one :class:`SeedRow` per problem whose seed was scored: the seed program, where it came from,
  the problem's category (when its dataset has them), its hidden-test score (JSON of ``HiddenScore``:
  passed, tests, failed, error), its visible-test counts and results, and ``selected`` (1 when the
  strategies run on it in this run).
* ``results``: one :class:`ResultRow` per finished (problem, strategy): ``status`` is ``done`` (the strategy
  ran; ``outcome`` is the session's), ``not_debuggable`` (the seed passes every visible test, so no strategy
  can start and the seed's result stands) or ``error`` (the strategy raised, or its session ended on a model
  error; its session, when there is one, is kept, and the item is retried on ``--resume``), the
  final program's hidden score, usage, iterations and wall time, and the session file's path (relative).

``summary.json`` (see :func:`tracefix.bench.report.summarize`)::

    {
      "config": {...RunConfig...},
      "problems": int,            # problems scored (the pass@1 denominator)
      "selected": int,            # problems the strategies were run on
      "debuggable": int,          # selected seeds that fail a visible test
      "broken_seeds": [task ids],  # debuggable seeds failing only visible tests no program can pass
      "seed": {"passed": int, "pass_at_1": float, "failed_hidden": int, "failed_visible": int,
               "claimed_passed": int | null},    # the seed file's own is_solved count, when it has one
      "strategies": {
        "<name>": {
          "passed": int, "pass_at_1": float,           # hidden tests, whole run, after debugging
          "repaired": int, "repair_rate_hidden": float,    # seeds failing hidden tests now passing them
          "repaired_debuggable": int, "repair_rate_visible": float,  # same, over seeds failing a visible test
          "regressed": int,                             # seeds passing hidden tests that no longer do
          "fixed_visible": int, "errors": int, "cached_calls": int,  # replies from the response cache
          "broken_tests": int,          # runs ending with only broken visible tests failing
          "runs": int, "pending": int,   # runs debugged; selected problems not finished yet (stopped run)
          "calls": {"mean": float, "median": float}, "prompt_tokens": {...}, "completion_tokens": {...},
          "iterations": {...}, "wall_s": {"mean": float, "median": float, "total": float},
          "repaired_ids": [task ids]
        }
      },
      "only_fixed_by": {"<a>": {"<b>": [task ids repaired by a and not by b]}},
      "categories": {             # only when the problems have categories (HumanEvalFix: the bug type)
        "<category>": {           # most seeds first; seeds without a category under "(none)"
          "seeds": int, "selected": int, "failed_hidden": int, "debuggable": int,  # as above, per category
          "strategies": {"<name>": {"debugged": int, "repaired": int}}  # runs and repaired, per category
        }
      }
    }

Per-problem means and medians are over the runs a strategy actually debugged (seeds failing a visible test).
Every finished item is committed on its own, session file first, so a killed run loses only the items in flight.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from tracefix.bench.scoring import HiddenScore
from tracefix.records import Record, Session

SCHEMA_VERSION = "1"
DB_NAME = "run.sqlite"

ResultStatus = Literal["done", "not_debuggable", "error"]

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seeds (
    task_id TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL, selected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS results (
    task_id TEXT NOT NULL, strategy TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL,
    finished_at TEXT NOT NULL, PRIMARY KEY (task_id, strategy)
);
"""


class RunConfig(Record):
    """How a run was made: enough to repeat it, and to refuse resuming it with different settings."""

    dataset: str
    data_dir: str | None = None
    seeds: str
    """The seed file's path, or "generate"."""
    seeds_sha256: str | None = None
    strategies: list[str]
    model: str
    model_identity: str = ""
    max_iters: int
    limit: int | None = None
    only_failing: bool = False
    sample: int | None = None
    sample_seed: int = 0
    exclude: list[str] = Field(default_factory=list)
    """Task ids left out of the selection (``--exclude-run``), sorted."""
    temperature: float = 0.0
    retry_temperature: float | None = None
    """The engine's temperature for asking again after an unchanged or unusable reply (seeded, cached)."""
    tracefix_version: str
    created: str = ""
    """UTC date and time the run started (ISO 8601)."""

    @model_validator(mode="before")
    @classmethod
    def _no_run_wide_format(cls, data: Any) -> Any:
        """Runs made before every option lived in the spec stored ldb's ``level`` and ``format`` for the
        whole run. Where they are what a bare spec means today (block, hole) they say nothing and are
        dropped; otherwise the run's bare ``ldb`` labels mean something else, and the run must be relabelled
        (``bench/relabel.py``: ``ldb`` -> ``ldb[format=focused]``) and those keys removed."""
        if not isinstance(data, dict):
            return data
        legacy = {"level": "block", "format": "hole"}
        data = dict(data)
        for key, today in legacy.items():
            value = data.pop(key, today)
            if value != today:
                raise ValueError(
                    f"this run was made with {key}={value} for all its ldb strategies; relabel them with "
                    f"bench/relabel.py (ldb -> ldb[{key}={value}]) and remove {key!r} from its config"
                )
        return data

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share with the stored run (not paths, dates or versions)."""
        return self.model_dump(exclude={"data_dir", "seeds", "strategies", "created", "tracefix_version"})


class SeedRow(Record):
    """One problem's seed and how it scored before any debugging."""

    task_id: str
    position: int
    program: str
    source: str
    claimed_solved: bool | None = None
    category: str | None = None
    """The problem's category, when its dataset has them (HumanEvalFix: the bug type); runs made before it
    existed, and datasets without categories, have None."""
    hidden: HiddenScore
    visible_passed: int
    visible_total: int
    visible_errors: list[str] = Field(default_factory=list)
    """One line per failing visible test (the test and what went wrong), for the report."""

    @property
    def debuggable(self) -> bool:
        """A seed can be debugged from its visible tests only when it fails one of them."""
        return self.visible_passed < self.visible_total


class ResultRow(Record):
    """One strategy's result on one problem."""

    task_id: str
    strategy: str
    status: ResultStatus
    outcome: str = ""
    hidden: HiddenScore
    final_program: str = ""
    calls: int = 0
    cached_calls: int = 0
    """Model calls answered from the response cache (their tokens were paid by an earlier run; time was not)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    iterations: int = 0
    duration_s: float = 0.0
    error: str | None = None
    session_path: str | None = None


def session_relpath(strategy: str, task_id: str) -> str:
    """Where a session lives inside the run directory."""
    return f"sessions/{strategy}/{task_id.replace('/', '_')}.json"


class ConfigMismatch(Exception):
    """``--resume`` with settings that differ from the stored run (the message names them)."""


def selected_ids(run_dir: Path) -> list[str]:
    """The task ids another run selected, read without writing to it (``--exclude-run``): opening a
    ``RunStore`` would stamp its schema, changing a committed run's file though nothing in it changed."""
    uri = f"{(run_dir / DB_NAME).resolve().as_uri()}?mode=ro"
    db = sqlite3.connect(uri, uri=True)
    try:
        rows = db.execute("SELECT task_id FROM seeds WHERE selected = 1 ORDER BY position").fetchall()
    finally:
        db.close()
    return [r[0] for r in rows]


class RunStore:
    """The SQLite store of one run directory; safe to use from several threads."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(run_dir / DB_NAME, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_TABLES)
        self._set_meta("schema", SCHEMA_VERSION)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ config

    def config(self) -> RunConfig | None:
        """The stored run configuration, or None for a new run directory."""
        value = self._get_meta("config")
        return RunConfig.model_validate_json(value) if value else None

    def start(self, config: RunConfig, *, resume: bool) -> RunConfig:
        """Record ``config`` for a new run, or check it against the stored one on resume.

        A resumed run may add strategies (they run on the same seeds); any other difference is refused.
        """
        stored = self.config()
        if stored is None:
            config = config.model_copy(update={"created": config.created or _now()})
        elif not resume:
            raise ConfigMismatch(
                f"{self.run_dir} already holds a run: pass --resume, or choose another --run-dir"
            )
        else:
            _check_same(stored, config)
            strategies = list(dict.fromkeys([*stored.strategies, *config.strategies]))
            config = stored.model_copy(update={"strategies": strategies})
        self._set_meta("config", config.model_dump_json())
        return config

    # ------------------------------------------------------------------ seeds

    def save_seed(self, row: SeedRow) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO seeds(task_id, position, data, selected) VALUES (?, ?, ?, "
                "COALESCE((SELECT selected FROM seeds WHERE task_id = ?), 0))",
                (row.task_id, row.position, row.model_dump_json(), row.task_id),
            )

    def seeds(self) -> list[SeedRow]:
        """Every scored seed, in the run's problem order."""
        with self._lock:
            rows = self._db.execute("SELECT data FROM seeds ORDER BY position").fetchall()
        return [SeedRow.model_validate_json(r[0]) for r in rows]

    def select(self, task_ids: list[str]) -> None:
        """Mark the problems the strategies run on (all others keep their seed's result)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("UPDATE seeds SET selected = 0")
            self._db.executemany("UPDATE seeds SET selected = 1 WHERE task_id = ?", [(t,) for t in task_ids])
            self._db.execute("COMMIT")

    def selected(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id FROM seeds WHERE selected = 1 ORDER BY position"
            ).fetchall()
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ results

    def save_result(self, row: ResultRow, session: Session | None = None) -> None:
        """Store one finished item: the session file first, then the row (one transaction)."""
        if session is not None:
            relpath = session_relpath(row.strategy, row.task_id)
            write_atomic(self.run_dir / relpath, session.model_dump_json(indent=1))
            row = row.model_copy(update={"session_path": relpath})
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results(task_id, strategy, status, data, finished_at) VALUES (?,?,?,?,?)",
                (row.task_id, row.strategy, row.status, row.model_dump_json(), _now()),
            )

    def results(self) -> list[ResultRow]:
        """Every stored result, in problem order then strategy name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.data FROM results r LEFT JOIN seeds s USING (task_id) ORDER BY s.position, r.strategy"
            ).fetchall()
        return [ResultRow.model_validate_json(r[0]) for r in rows]

    def finished(self) -> set[tuple[str, str]]:
        """(task id, strategy) pairs that need no more work; errors are not finished (resume retries them)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id, strategy FROM results WHERE status != 'error'"
            ).fetchall()
        return {(r[0], r[1]) for r in rows}

    def load_session(self, row: ResultRow) -> Session | None:
        """The session a result points to, when it has one."""
        if row.session_path is None:
            return None
        return Session.model_validate_json((self.run_dir / row.session_path).read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ helpers

    def _get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def _check_same(stored: RunConfig, new: RunConfig) -> None:
    old, now = stored.identity(), new.identity()
    changed = [_describe_change(k, old[k], now[k]) for k in old if old[k] != now[k]]
    if changed:
        raise ConfigMismatch(
            "cannot resume with different settings (" + "; ".join(changed) + "); use another --run-dir"
        )


def _describe_change(key: str, old: Any, now: Any) -> str:
    """One changed setting, named by its command-line option."""
    if key == "exclude":
        # The run stores the task ids that --exclude-run left out, not the run directories.
        return f"--exclude-run: {len(old)} task ids left out -> {len(now)}"
    return f"--{key.replace('_', '-')}: {old!r} -> {now!r}"


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a kill never leaves half a session on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def dump_json(path: Path, data: Any) -> None:
    """Write JSON data atomically (used for summary.json)."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
