"""Pack benchmark: load + lint of the shipped pack and of generated 100, 1,000 and 10,000-question
packs; a start's pack load in a fresh process, cold and again (the second may hit a cache); and
the bytes one conversation takes in SQLite after 10 answers.

Baseline in the same run: `yaml.load` alone (PyYAML's C loader, no marks, no checks) on the same
files, so the cost of keeping file:line:col and linting is visible as a ratio. Targets (issue 16):
a cold load + lint of the 10,000-question pack within 1.3x that parse; a second start under
0.2 s; lint time per question at 10,000 questions within 2x of that at 1,000 (linear, no spikes).

    python bench/pack_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.targets import bound_target, ratio_target  # noqa: E402
from bot.pack.lint import lint_pack  # noqa: E402
from bot.pack.loader import load_pack  # noqa: E402
from bot.personal.conversation import Conversation, ConversationKey  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

REAL = ROOT / "knowledge" / "python-web"
RUNS = 5
START_PROBE = """
import sys, time
t0 = time.perf_counter()
from bot.pack.registry import PackRegistry
PackRegistry().load(__import__("pathlib").Path(sys.argv[1]))
print(time.perf_counter() - t0)
"""


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


def start_load(folder: Path, cache_home: Path) -> float:
    """Seconds a fresh process spends importing the pack code and loading (+ linting) the pack."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", START_PROBE, str(folder)], capture_output=True, text=True, env=env, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


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
    total = statistics.median(loads) + statistics.median(lints)
    return {
        "questions": len(pack.questions),
        "lint_errors": len(findings),
        "load_median_s": statistics.median(loads),
        "lint_median_s": statistics.median(lints),
        "load_plus_lint_s": total,
        "baseline_plain_yaml_load_s": statistics.median(raw),
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
        cold_start = start_load(Path(tmp) / "big10000", cache)
        second_start = start_load(Path(tmp) / "big10000", cache)
        result = {
            "benchmark": "pack",
            "real_pack": measure(REAL, runs),
            "generated": {str(k): v for k, v in sizes.items()},
            "start_10000": {"cold_s": cold_start, "second_s": second_start},
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
            "10,000-question pack: a second start (cache hit)", measured=second_start, at_most=0.2, unit="s"
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
