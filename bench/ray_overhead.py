"""The Ray executor's overhead and scaling on this machine, against a scripted model with a fixed latency.

A scripted OpenAI-compatible server (in this process) answers every request after LATENCY seconds with the
same program, which fails its tests, so each item makes exactly ``--max-iters`` calls. The same benchmark
run (``feedback`` on the first ITEMS failing HumanEval seeds) goes through ``tracefix bench`` with the local
executor and with ``--executor ray``, side by side, for each number of items in flight; the items per minute
of each, and their ratio, go to bench/results/ray.md.

    python bench/ray_overhead.py --data-dir ../shared/data/ldb --items 16 --jobs 1,2,4,8
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPLY = "```python\ndef placeholder(*args):\n    return None\n```"


def serve(latency_s: float) -> tuple[ThreadingHTTPServer, str]:
    """A scripted OpenAI-compatible server on a free loopback port; every answer is REPLY after the latency."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency_s)
            self._send(
                {
                    "id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
                }
            )  # fmt: skip

        def _send(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"openai-compatible:http://127.0.0.1:{server.server_address[1]}/v1#scripted"


def bench(model: str, data_dir: str, items: int, max_iters: int, run_dir: Path, *more: str) -> float:
    """Wall seconds of one ``tracefix bench`` run of the scripted benchmark."""
    command = [
        sys.executable, "-c", "from tracefix.cli import main; main()", "bench", "--dataset", "humaneval",
        "--data-dir", data_dir, "--strategies", "feedback", "--only-failing", "--limit", str(items),
        "--max-iters", str(max_iters), "--model", model, "--run-dir", str(run_dir), *more,
    ]  # fmt: skip
    started = time.monotonic()
    subprocess.run(command, env={**os.environ, "TRACEFIX_CACHE": "off"}, check=True, capture_output=True)
    return time.monotonic() - started


def steady(run_dir: Path) -> float:
    """Items per minute between the first and the last debugged item's finish (start-up left out)."""
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        found = db.execute("SELECT finished_at FROM results WHERE status = 'done' ORDER BY finished_at")
        times = [datetime.fromisoformat(t) for (t,) in found]
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    return (len(times) - 1) / (span / 60) if span > 0 else float("nan")


def debugged_again(template: Path, run_dir: Path) -> int:
    """A copy of the ``template`` run with its seeds scored and no result (so a resume only debugs); the
    number of items it will run."""
    shutil.copytree(template, run_dir)
    shutil.rmtree(run_dir / "sessions", ignore_errors=True)
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        items = db.execute("SELECT count(*) FROM results").fetchone()[0]
        db.execute("DELETE FROM results")
    return int(items)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--jobs", default="1,2,4,8")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per model call")
    parser.add_argument("--max-iters", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/ray.md"))
    args = parser.parse_args()
    server, model = serve(args.latency)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp, "template")  # seeds scored once; each measured run only debugs
        bench(model, args.data_dir, args.items, args.max_iters, template, "--jobs", "8")
        for jobs in [int(j) for j in args.jobs.split(",")]:
            rates: list[float] = []
            for executor in ("local", "ray"):
                run_dir = Path(tmp, f"{executor}{jobs}")
                items = debugged_again(template, run_dir)
                more = ("--resume", "--jobs", str(jobs), "--executor", executor)
                seconds = bench(model, args.data_dir, args.items, args.max_iters, run_dir, *more)
                rates += [items / (seconds / 60), steady(run_dir)]
            rows.append((jobs, *rates))
            print(
                f"jobs {jobs}: local {rates[0]:.1f} ({rates[1]:.1f}), ray {rates[2]:.1f} ({rates[3]:.1f}) items/min"
            )
    server.shutdown()
    command = "python bench/ray_overhead.py " + shlex.join(sys.argv[1:])
    lines = [
        "# The Ray executor: overhead and scaling on one machine",
        "",
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}`. Machine: {os.cpu_count()} cores. "
        f"A scripted model server answers every call after {args.latency} s (the same failing program, so each "
        f"item makes {args.max_iters} calls); `feedback` on the first {args.items} failing HumanEval seeds, "
        "through `tracefix bench` with the local executor and with `--executor ray` (a Ray cluster started "
        "for the run on this machine), side by side for each number of items in flight. The seeds are scored "
        "once; each measured run resumes a copy with no result, so it only debugs. Items per minute include "
        "the process's start (Ray's cluster start-up is in the Ray column).",
        "",
        "Steady: between the first and the last debugged item's finish (second resolution), start-up left out.",
        "",
        "| items in flight (`--jobs`) | local: items/min | Ray: items/min | Ray / local | local, steady "
        "| Ray, steady | Ray / local, steady |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {j} | {lo:.1f} | {r:.1f} | {r / lo:.2f} | {ls:.1f} | {rs:.1f} | {rs / ls:.2f} |"
            for j, lo, ls, r, rs in rows
        ),
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
