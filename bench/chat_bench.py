"""`advisor chat` time to first question: process start until the first question is on stdout.

Runs the installed `advisor` console script, as a user does (falling back to `python -m adapters`
when it is not installed). Baselines in the same run: a bare `python -c pass` start, and
`python -c "import yaml, aiosqlite"` (what the chat path cannot avoid); the target is a new
conversation's first question within 1.6x that baseline, on a start that finds its pack in the
pack cache and its database in place (every start but the first, as in pack_bench.py): a
user nobody has seen yet. The first starts are reported beside it: without a pack cache (it
loads, lints and caches the pack, and creates the database) and without a database (it
creates and migrates the file). Also reports which chat SDKs and team modules the chat path
imported (must be none).

Every process runs with Python's bytecode cache on, as an installed advisor does (pip compiles
site-packages, where the baseline's modules live, and an editable install writes __pycache__
on first use): a PYTHONDONTWRITEBYTECODE=1 in the caller's environment would otherwise make
every advisor start compile its ~60 modules while the baseline's stay compiled.

    python bench/chat_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.targets import ratio_target  # noqa: E402

TARGET_RATIO = 1.6


def first_line_after_start(command: list[str], env: dict[str, str], marker: str) -> float:
    """Seconds from spawning `command` until a stdout line containing `marker` arrives."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        if marker in raw.decode():
            elapsed = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"{command} ended without printing {marker!r}")
    proc.kill()
    proc.wait()
    proc.stdout.close()
    if proc.stdin is not None:
        proc.stdin.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ADVISOR_DB": str(Path(tmp) / "chat.db"),
            "ADVISOR_CACHE_DIR": str(Path(tmp) / "cache"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        script = Path(python).with_name("advisor")
        chat = [str(script)] if script.exists() else [python, "-m", "adapters"]
        chat += ["chat", "--user", "bench"]
        first_line_after_start(chat, env, "Answer with")  # the database, the pack cache, bytecode
        baseline = [python, "-c", "import yaml, aiosqlite; print('ready')"]
        cold: list[float] = []
        resumed: list[float] = []
        uncached: list[float] = []
        new_db: list[float] = []
        bare: list[float] = []
        deps: list[float] = []
        # One round measures each in turn, baselines included, so a neighbour's load that comes
        # and goes on this shared machine falls on all of them alike.
        for run in range(args.runs):
            deps.append(first_line_after_start(baseline, env, "ready"))
            new_user = [*chat[:-1], f"new{run}"]  # a conversation nobody has started yet
            cold.append(first_line_after_start(new_user, env, "Answer with"))
            resumed.append(first_line_after_start(chat, env, "Answer with"))
            bare.append(first_line_after_start([python, "-c", "print('ready')"], env, "ready"))
            env_first = {**env, "ADVISOR_CACHE_DIR": str(Path(tmp) / f"cache{run}")}
            env_first["ADVISOR_DB"] = str(Path(tmp) / f"first{run}.db")
            uncached.append(first_line_after_start(chat, env_first, "Answer with"))
            env_db = {**env, "ADVISOR_DB": str(Path(tmp) / f"new{run}.db")}
            new_db.append(first_line_after_start(chat, env_db, "Answer with"))
        probe = subprocess.run(
            [
                python,
                "-c",
                "import io, sys\nfrom adapters.cli import main\n"
                "main(['chat', '--user', 'probe'], stdin=io.StringIO(''), stdout=io.StringIO())\n"
                "sdks = {'discord', 'slack_bolt', 'slack_sdk', 'aiohttp', 'asyncpg', 'prometheus_client',"
                " 'argcomplete'}\n"
                "import json\n"
                "print(json.dumps([sorted(m for m in sys.modules if m.split('.')[0] in sdks),"
                " sorted(m for m in sys.modules if m.startswith('bot.team.'))]))",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
    median_new = statistics.median(cold)
    sdks, team = json.loads(probe.stdout.strip().splitlines()[-1])
    result = {
        "benchmark": "chat_first_question",
        "runs": args.runs,
        "new_conversation_median_ms": median_new * 1000,
        "new_conversation_max_ms": max(cold) * 1000,
        "resumed_conversation_median_ms": statistics.median(resumed) * 1000,
        "first_start_no_pack_cache_median_ms": statistics.median(uncached) * 1000,
        "first_start_no_database_median_ms": statistics.median(new_db) * 1000,
        "baseline_bare_python_median_ms": statistics.median(bare) * 1000,
        "baseline_imports_only_median_ms": statistics.median(deps) * 1000,
        "advisor_own_ms": (median_new - statistics.median(deps)) * 1000,
        "command": " ".join(Path(c).name for c in chat),
        "targets": [
            ratio_target(
                "advisor chat to the first question vs python -c 'import yaml, aiosqlite'",
                measured=median_new,
                baseline=statistics.median(deps),
                at_most=TARGET_RATIO,
            )
        ],
        "chat_sdks_imported": sdks,
        "team_modules_imported": team,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
