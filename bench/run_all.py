"""Run every benchmark that has a target, each in its own process, and write one JSON summary.

Each benchmark prints one JSON object with a `targets` list (see bench/targets.py); this runs
them one after another (never in parallel: they would measure each other), keeps each
benchmark's full output, and puts every target with its ratio and verdict at the top.

    .venv/bin/python bench/run_all.py [--out bench/last-run.json] [--quick] [--only store,chat]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (arguments for a measurement, arguments for --quick)
    "store": (["--users", "1,100"], ["--users", "1,100", "--quick"]),
    "chat": (["--runs", "15"], ["--runs", "5"]),
    "slack": (["--users", "50", "--rounds", "8"], ["--users", "50", "--rounds", "2"]),
    "pack": ([], ["--quick"]),
    "peers": (["--users", "1000", "--rounds", "3"], ["--users", "1000", "--rounds", "1"]),
    "team": (["--members", "30", "--bursts", "20"], ["--members", "30", "--bursts", "5"]),
}


def run(name: str, args: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}_bench.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        return {"benchmark": name, "failed": done.stderr.strip()[-2000:], "seconds": seconds, "targets": []}
    figures: dict[str, Any] = json.loads(done.stdout)
    figures["seconds"] = seconds
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=BENCH / "last-run.json")
    parser.add_argument("--quick", action="store_true", help="short runs: a look, not a measurement")
    parser.add_argument("--only", help="comma-separated benchmark names")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    results = {}
    for name in chosen:
        measure, quick = BENCHMARKS[name]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = run(name, quick if args.quick else measure)
    targets = [dict(t, benchmark=name) for name, r in results.items() for t in r.get("targets", [])]
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()},
        "quick": args.quick,
        "targets_met": sum(t["met"] for t in targets),
        "targets_total": len(targets),
        "targets": targets,
        "failed": [name for name, r in results.items() if "failed" in r],
        "results": results,
    }
    text = json.dumps(summary, indent=2)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


if __name__ == "__main__":
    main()
