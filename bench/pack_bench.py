"""Pack benchmark: load + lint of the shipped pack and of generated 100, 1,000 and 10,000-question
packs; `advisor chat` on the 10,000-question pack in a fresh process, to its first question,
cold (empty pack cache) and again (the pack cache hit every later start gets); and the bytes
one conversation takes in SQLite after 10 answers.

Baseline in the same run: `yaml.load` alone (PyYAML's C loader, no marks, no checks) on the same
files, so the cost of keeping file:line:col and linting is visible as a ratio. (The same parse
with the cyclic GC paused, as the loader runs, is printed beside it for reference; the target
stays on the plain call.) Targets (issue 16): a cold load + lint of the 10,000-question pack
within 1.3x that parse; a second start under 0.2 s; lint time per question within 2x from 100
to 1,000 and from 1,000 to 10,000 questions (linear, no spikes).

    python bench/pack_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_bench import first_line_after_start  # noqa: E402
from bench.targets import bound_target, ratio_target  # noqa: E402
from bot.pack.collector import paused_gc  # noqa: E402
from bot.pack.lint import lint_pack  # noqa: E402
from bot.pack.loader import load_pack  # noqa: E402
from bot.personal.conversation import Conversation, ConversationKey  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

REAL = ROOT / "knowledge" / "python-web"
RUNS = 5
START_RUNS = 15
"""Starts of `advisor chat` timed, as in chat_bench.py: a start is ~0.2 s, and five samples of
it on a shared machine gave medians 0.08 s apart from one run to the next."""


def generate(folder: Path, questions: int, subjects: int = 12) -> None:
    """A chain of `questions` questions, 3 options each, every option with evidence; the last
    question's options end in the result. Sources and subjects are minimal but lint-clean."""
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(
        "id: big\ntitle: Big\ndescription: generated\nstart: q0\nchecked: 2026-11-25\nclose_margin: 1\n"
    )
    (folder / "sources.yaml").write_text("sources:\n  - {id: s, url: 'https://example.org', title: S}\n")
    claim = "[{text: c, sources: [s]}]"
    lines = ["subjects:"]
    for i in range(subjects):
        lines.append(
            f"  - {{id: s{i}, name: S{i}, summary: {{text: c, sources: [s]}}, url: 'https://example.org',"
            f" latest_version: '1', checked: 2026-11-25, strengths: {claim}, weaknesses: {claim},"
            f" best_for: {claim}, avoid_when: {claim}}}"
        )
    (folder / "subjects.yaml").write_text("\n".join(lines) + "\n")
    lines = ["questions:"]
    for q in range(questions):
        nxt = "result" if q == questions - 1 else f"q{q + 1}"
        lines += [f"  - id: q{q}", f"    prompt: Question {q}?", "    why: Generated.", "    options:"]
        for o in range(2):
            subject = (q * 2 + o) % subjects
            lines.append(
                f"      - {{id: o{o}, label: Option {o}, next: {nxt}, evidence: [{{subject: s{subject},"
                f" weight: {1 + (q + o) % 3}, reason: Generated reason {q}.{o}, sources: [s]}}]}}"
            )
        lines.append(f"      - {{id: unsure, label: Not sure, unsure: true, note: Generated., next: {nxt}}}")
    (folder / "questions.yaml").write_text("\n".join(lines) + "\n")


def timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def start_seconds(folder: Path, tmp: Path, cache_home: Path, run: str) -> float:
    """Seconds from starting `advisor chat --pack folder` (a new conversation, user `run`) until
    its first question is on stdout: what a user waits for. One database for every start, as a
    user has (the first start also keeps the pack version in it); the pack cache in its
    default place under `cache_home` (XDG_CACHE_HOME); bytecode cached, as an installed
    advisor's is."""
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(cache_home),
        "ADVISOR_DB": str(tmp / f"start-{folder.name}.db"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("ADVISOR_CACHE_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = Path(sys.executable).with_name("advisor")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters"]
    command += ["chat", "--pack", str(folder), "--user", run]
    return first_line_after_start(command, env, "Answer with")


def python_start(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return first_line_after_start([sys.executable, "-c", f"{code}; print('ready')"], env, "ready")


def measure(folder: Path, runs: int = RUNS) -> dict[str, float]:
    loads = [timed(lambda: load_pack(folder)) for _ in range(runs)]
    pack = load_pack(folder)
    lints = [timed(lambda: lint_pack(pack)) for _ in range(runs)]
    findings = [str(f) for f in lint_pack(pack) if f.is_error]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = [
        timed(lambda: [yaml.load(p.read_bytes(), Loader=loader) for p in folder.glob("*.yaml")])
        for _ in range(runs)
    ]
    with paused_gc():
        raw_paused = [
            timed(lambda: [yaml.load(p.read_bytes(), Loader=loader) for p in folder.glob("*.yaml")])
            for _ in range(runs)
        ]
    total = statistics.median(loads) + statistics.median(lints)
    return {
        "questions": len(pack.questions),
        "lint_errors": len(findings),
        "load_median_s": statistics.median(loads),
        "lint_median_s": statistics.median(lints),
        "load_plus_lint_s": total,
        "baseline_plain_yaml_load_s": statistics.median(raw),
        "reference_plain_yaml_load_gc_paused_s": statistics.median(raw_paused),
        "ratio_to_plain_yaml": total / statistics.median(raw),
        "lint_us_per_question": statistics.median(lints) / len(pack.questions) * 1e6,
    }


async def bytes_per_conversation(folder: Path, conversations: int = 2000) -> dict[str, float]:
    path = folder / "size.db"
    store = await SqliteStore.open(path)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    pack = load_pack(REAL)
    answers = tuple((q.id, q.options[0].id) for q in list(pack.questions.values())[:10])
    for i in range(conversations):
        await store.create(
            Conversation(
                id=f"{i:012d}",
                key=ConversationKey("slack", "T0123456789", f"U{i:010d}", "python-web"),
                pack_version=pack.version,
                answers=answers,
                step=11,
                version=0,
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(hours=24),
            )
        )
    await store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    row = conn.execute(
        "SELECT avg(length(id)+length(platform)+length(workspace)+length(user_id)+length(advisor)"
        "+length(pack_version)+length(answers)+8*5) FROM conversations"
    ).fetchone()[0]
    conn.close()
    return {
        "conversations": conversations,
        "answers_each": len(answers),
        "row_payload_bytes": row,
        "file_bytes_per_conversation": pages / conversations,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one run each: a look, not a measurement")
    args = parser.parse_args()
    runs = 1 if args.quick else RUNS
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for count in (100, 1_000, 10_000):
            folder = Path(tmp) / f"big{count}"
            generate(folder, count)
            sizes[count] = measure(folder, runs)
        cache = Path(tmp) / "cache"
        big_folder = Path(tmp) / "big10000"
        start_seconds(REAL, Path(tmp), Path(tmp) / "warm", "warm")  # bytecode written once
        cold_start = start_seconds(big_folder, Path(tmp), cache, "cold")
        seconds, bares, imports = [], [], []
        for i in range(5 if args.quick else START_RUNS):  # interleaved: a neighbour's load falls on all alike
            imports.append(python_start("import yaml, aiosqlite"))
            seconds.append(start_seconds(big_folder, Path(tmp), cache, f"again{i}"))
            bares.append(python_start("pass"))
        second_start = statistics.median(seconds)
        bare, deps = statistics.median(bares), statistics.median(imports)
        entries = sorted((cache / "framework-advisor" / "packs").glob("*.pack"))
        result = {
            "benchmark": "pack",
            "real_pack": measure(REAL, runs),
            "generated": {str(k): v for k, v in sizes.items()},
            "start_10000": {
                "command": "advisor chat --pack <10,000 questions> --user <new>, to the first question",
                "cold_s": cold_start,
                "second_median_s": second_start,
                "second_max_s": max(seconds),
                "cache_entry_bytes": entries[-1].stat().st_size if entries else 0,
                "reference_python_bare_start_s": bare,
                "reference_python_import_yaml_aiosqlite_s": deps,
            },
            "storage": asyncio.run(bytes_per_conversation(Path(tmp))),
        }
    big = sizes[10_000]
    result["targets"] = [
        ratio_target(
            "10,000-question pack: cold load + lint vs PyYAML CSafeLoader parse",
            measured=big["load_plus_lint_s"],
            baseline=big["baseline_plain_yaml_load_s"],
            at_most=1.3,
        ),
        bound_target(
            "10,000-question pack: a second start of advisor chat to its first question (cache hit)",
            measured=second_start,
            at_most=0.2,
            unit="s",
        ),
        ratio_target(
            "lint per question: 1,000 vs 100 questions (linear)",
            measured=sizes[1_000]["lint_us_per_question"],
            baseline=sizes[100]["lint_us_per_question"],
            at_most=2.0,
        ),
        ratio_target(
            "lint per question: 10,000 vs 1,000 questions (linear)",
            measured=big["lint_us_per_question"],
            baseline=sizes[1_000]["lint_us_per_question"],
            at_most=2.0,
        ),
    ]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
