"""Team vote benchmark: bursts of N members voting on one question at once, on SQLite and PostgreSQL.

Each vote is load + pure vote + conditional save, retried on a conflict; a burst is correct
only if every member is counted exactly once. Prints JSON: per-vote latency p50/p99 and the
time for the whole burst. Baseline in the same run: the same burst done with bare aiosqlite on
one connection (read the session's JSON, add the vote, `UPDATE ... WHERE version = ?`, retry on
a conflict), so the ratio is what the engine, the codec and the store add on top of the I/O.

    python bench/team_bench.py [--members 30] [--bursts 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402

from bot.pack.registry import PackRegistry  # noqa: E402
from bot.team.engine import TeamEngine  # noqa: E402
from bot.team.replies import TeamQuestionReply  # noqa: E402

PACK = ROOT / "tests" / "packs" / "tiny"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bursts(store: Any, name: str, members: int, count: int) -> dict[str, Any]:
    registry = PackRegistry()
    registry.load(PACK)
    engine = TeamEngine(store=store, registry=registry, advisor="tiny")
    latencies: list[float] = []
    burst_times: list[float] = []
    options = ("pages", "api", "unsure")
    for n in range(count):
        start = await engine.start(engine.key(platform="bench", workspace="w", channel=f"c{n}"), starter="m0")
        assert isinstance(start, TeamQuestionReply)

        async def vote(i: int, sid: str = start.session_id) -> None:
            t0 = time.perf_counter()
            await engine.vote(session_id=sid, step=1, member=f"m{i}", option_id=options[i % 3])
            latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(vote(i) for i in range(members)))
        burst_times.append(time.perf_counter() - t0)
        status = await engine.status(start.session_id)
        assert isinstance(status, TeamQuestionReply)
        if status.tally.total != members:
            raise SystemExit(f"{name}: counted {status.tally.total} of {members} votes")
    return {
        "store": name,
        "members": members,
        "bursts": count,
        "all_counted_once": True,
        "vote_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "vote_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "burst_p50_ms": round(statistics.median(burst_times) * 1000, 2),
        "burst_max_ms": round(max(burst_times) * 1000, 2),
    }


async def raw_bursts(path: Path, members: int, count: int) -> dict[str, Any]:
    """The floor: one aiosqlite connection, a JSON row per session, versioned updates, retries."""
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("CREATE TABLE s (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)")
    latencies: list[float] = []
    burst_times: list[float] = []
    for n in range(count):
        sid = f"s{n}"
        await db.execute("INSERT INTO s VALUES (?, 1, ?)", (sid, json.dumps({"votes": []})))

        async def vote(i: int, sid: str = sid) -> None:
            t0 = time.perf_counter()
            while True:
                async with db.execute("SELECT version, data FROM s WHERE id = ?", (sid,)) as cursor:
                    row = await cursor.fetchone()
                assert row is not None
                data = json.loads(row[1])
                data["votes"].append([f"m{i}", "api"])
                cursor = await db.execute(
                    "UPDATE s SET version = version + 1, data = ? WHERE id = ? AND version = ?",
                    (json.dumps(data), sid, row[0]),
                )
                if cursor.rowcount == 1:
                    break
            latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(vote(i) for i in range(members)))
        burst_times.append(time.perf_counter() - t0)
        async with db.execute("SELECT data FROM s WHERE id = ?", (sid,)) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        assert len(json.loads(row[0])["votes"]) == members
    await db.close()
    return {
        "store": "raw aiosqlite",
        "vote_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "vote_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "burst_p50_ms": round(statistics.median(burst_times) * 1000, 2),
    }


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    from bot.store.sqlite import SqliteStore

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(Path(tmp) / "team.db")
        try:
            results.append(await bursts(store, "sqlite", args.members, args.bursts))
        finally:
            await store.close()
        results.append(await raw_bursts(Path(tmp) / "raw.db", args.members, args.bursts))
    if args.postgres:
        from bot.store.postgres import PostgresStore

        pg = await PostgresStore.open(args.postgres)
        try:
            results.append(await bursts(pg, "postgres", args.members, args.bursts))
        finally:
            await pg.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL (an empty schema is best)")
    args = parser.parse_args()
    runs = asyncio.run(main_async(args))
    sqlite, raw = runs[0], runs[1]
    summary = {
        "benchmark": "team_votes",
        "targets": [],
        "baseline_ratio_burst_p50": round(sqlite["burst_p50_ms"] / raw["burst_p50_ms"], 2),
        "runs": runs,
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
