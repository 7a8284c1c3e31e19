"""Store benchmark: N users completing flows through the engine on SQLite, against raw sqlite3.

Baseline (same run, same machine): plain `sqlite3`, WAL, synchronous=NORMAL, one read plus one
versioned UPDATE per step, autocommit, in one thread. The engine also runs on an in-memory dict
store, the pure-Python ceiling (no I/O at all), reported beside the targets
(`dict_store_ceiling`: the engine on SQLite can't beat it). Prints JSON: steps/s, p50/p99 per
click, the ratio to the baseline with its target (N=1: >= 0.3, N=100: >= 0.5), and a 50-task
race on one conversation (applied must be exactly 1). Uses the shipped python-web pack.

    python bench/store_bench.py [--users 1,100,1000] [--flows 1] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.targets import percentile, ratio_target  # noqa: E402
from bot.errors import (  # noqa: E402
    ConversationExists,
    StaleAnswer,
    VersionConflict,
)
from bot.pack.registry import PackRegistry  # noqa: E402
from bot.personal.conversation import (  # noqa: E402
    Actor,
    Conversation,
    ConversationKey,
)
from bot.personal.engine import Engine  # noqa: E402
from bot.personal.replies import QuestionReply, ResultReply  # noqa: E402
from bot.store.sqlite import MIGRATIONS, SqliteStore  # noqa: E402

PACK = ROOT / "knowledge" / "python-web"
TARGETS = {1: 0.3, 100: 0.5}
"""Engine steps/s over raw sqlite3 steps/s, per number of concurrent users (issue 16)."""


class DictStore:
    """Conversations in a dict: the engine's cost with no I/O at all, the ceiling of pure Python."""

    def __init__(self) -> None:
        self._by_id: dict[str, Conversation] = {}
        self._by_key: dict[ConversationKey, str] = {}

    async def get(self, key: ConversationKey) -> Conversation | None:
        cid = self._by_key.get(key)
        return None if cid is None else self._by_id[cid]

    async def get_by_id(self, conversation_id: str) -> Conversation | None:
        return self._by_id.get(conversation_id)

    async def create(self, conversation: Conversation) -> Conversation:
        if conversation.key in self._by_key:
            raise ConversationExists(conversation.id)
        created = conversation.at_version(1)
        self._by_id[created.id], self._by_key[created.key] = created, created.id
        return created

    async def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        stored = self._by_id.get(conversation.id)
        if stored is None or stored.version != expected_version:
            raise VersionConflict(conversation.id, expected_version)
        saved = conversation.at_version(expected_version + 1)
        self._by_id[saved.id] = saved
        return saved

    async def change(
        self, ref: str | ConversationKey, walk: Callable[[Conversation], Conversation | None]
    ) -> tuple[Conversation | None, Conversation | None]:
        cid = ref if isinstance(ref, str) else self._by_key.get(ref)
        before = None if cid is None else self._by_id.get(cid)
        if before is None:
            return None, None
        after = walk(before)
        if after is None:
            return before, None
        saved = after.at_version(before.version + 1)
        self._by_id[saved.id] = saved
        return before, saved

    async def delete(self, key: ConversationKey) -> bool:
        cid = self._by_key.pop(key, None)
        return cid is not None and self._by_id.pop(cid, None) is not None

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        return 0

    async def purge(self, *, older_than: object) -> int:
        return 0

    async def close(self) -> None:
        self._by_id.clear()


def raw_baseline(
    path: Path, users: int, steps_per_user: int, *, transaction: bool = False
) -> dict[str, float]:
    """The store's own table, one full-row read and one versioned UPDATE per step, no asyncio.

    With `transaction`, each step is BEGIN IMMEDIATE; SELECT; UPDATE; COMMIT, as a
    read-modify-write written the cautious way would be (the engine needs no such lock: its
    UPDATE is conditional on the version it read)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    for u in range(users):
        conn.execute(
            "INSERT INTO conversations VALUES (?, 'bench', 'w', ?, 'python-web', 'v', '', 1, 1, 0, 0, 0)",
            (f"u{u}", f"user{u}"),
        )
    order = [u for _ in range(steps_per_user) for u in range(users)]
    latencies = []
    start = time.perf_counter()
    for u in order:
        t0 = time.perf_counter()
        cid = f"u{u}"
        if transaction:
            conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchone()
        answers, step, version = row[6], row[7], row[8]
        conn.execute(
            "UPDATE conversations SET pack_version = ?, answers = ?, step = ?, version = version + 1,"
            " updated_at = ?, expires_at = ? WHERE id = ? AND version = ?",
            ("v", (answers + ";q=o").lstrip(";"), step + 1, time.time(), time.time() + 86400, cid, version),
        )
        if transaction:
            conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    conn.close()
    return {
        "steps": len(order),
        "steps_per_s": len(order) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def engine_run(path: Path | None, users: int, flows: int) -> dict[str, float]:
    """On SQLite at `path`, or on the dict store when `path` is None."""
    registry = PackRegistry()
    registry.load(PACK)
    store = DictStore() if path is None else await SqliteStore.open(path)
    engine = Engine(store=store, registry=registry, advisor="python-web")  # type: ignore[arg-type]
    rng = random.Random(7)
    latencies: list[float] = []
    steps = 0

    async def user(index: int) -> None:
        nonlocal steps
        actor = Actor("bench", "w", f"user{index}")
        for _ in range(flows):
            reply = await engine.start(actor)
            if isinstance(reply, ResultReply):
                reply = await engine.restart(actor)
            while isinstance(reply, QuestionReply):
                choice = rng.choice(reply.choices)
                t0 = time.perf_counter()
                reply = await engine.answer(
                    actor, conversation_id=reply.conversation_id, step=reply.step, option_id=choice.id
                )
                latencies.append(time.perf_counter() - t0)
                steps += 1
            reply = await engine.restart(actor)

    # Conversations exist before timing starts, so creation is not counted as a click.
    await asyncio.gather(*(engine.start(Actor("bench", "w", f"user{i}")) for i in range(users)))
    start = time.perf_counter()
    await asyncio.gather(*(user(i) for i in range(users)))
    elapsed = time.perf_counter() - start
    await store.close()
    return {
        "steps": steps,
        "steps_per_s": steps / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def paced_run(path: Path, users: int, rate: float, seconds: float) -> dict[str, float]:
    """Open loop: `users` people clicking at `rate` clicks/s in all (Poisson think times), so the
    latency is what one click costs under that load rather than the length of a queue."""
    registry = PackRegistry()
    registry.load(PACK)
    store = await SqliteStore.open(path)
    engine = Engine(store=store, registry=registry, advisor="python-web")
    rng = random.Random(11)
    latencies: list[float] = []
    replies = await asyncio.gather(*(engine.start(Actor("bench", "w", f"p{i}")) for i in range(users)))
    deadline = time.perf_counter() + seconds

    async def user(index: int, reply: object) -> None:
        actor = Actor("bench", "w", f"p{index}")
        while time.perf_counter() < deadline:
            await asyncio.sleep(rng.expovariate(rate / users))
            if not isinstance(reply, QuestionReply):
                reply = await engine.restart(actor)
                continue
            t0 = time.perf_counter()
            reply = await engine.answer(
                actor,
                conversation_id=reply.conversation_id,
                step=reply.step,
                option_id=rng.choice(reply.choices).id,
            )
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(user(i, r) for i, r in enumerate(replies)))
    await store.close()
    return {
        "users": users,
        "offered_clicks_per_s": rate,
        "clicks": len(latencies),
        "achieved_clicks_per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def race(path: Path, tasks: int = 50) -> dict[str, int]:
    registry = PackRegistry()
    registry.load(PACK)
    store = await SqliteStore.open(path)
    engine = Engine(store=store, registry=registry, advisor="python-web")
    actor = Actor("bench", "w", "racer")
    first = await engine.start(actor)
    assert isinstance(first, QuestionReply)
    outcomes = await asyncio.gather(
        *(
            engine.answer(
                actor,
                conversation_id=first.conversation_id,
                step=first.step,
                option_id=first.choices[i % len(first.choices)].id,
            )
            for i in range(tasks)
        ),
        return_exceptions=True,
    )
    stored = await store.get_by_id(first.conversation_id)
    await store.close()
    return {
        "tasks": tasks,
        "applied": sum(isinstance(o, QuestionReply | ResultReply) for o in outcomes),
        "already_answered": sum(isinstance(o, StaleAnswer) for o in outcomes),
        "stored_answers": len(stored.answers) if stored else -1,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", default="1,100,1000")
    parser.add_argument("--flows", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1000.0, help="clicks/s offered in the paced run")
    parser.add_argument("--quick", action="store_true", help="fewer flows: a look, not a measurement")
    args = parser.parse_args()
    results = []
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, users in enumerate(int(u) for u in args.users.split(",")):
            flows = max(args.flows, {1: 100, 100: 10}.get(users, 2) // (5 if args.quick else 1))
            engine = asyncio.run(engine_run(Path(tmp) / f"engine{n}.db", users, flows))
            ceiling = asyncio.run(engine_run(None, users, flows))
            steps_per_user = max(1, engine["steps"] // users)
            raw = raw_baseline(Path(tmp) / f"raw{n}.db", users, steps_per_user)
            raw_tx = raw_baseline(Path(tmp) / f"rawtx{n}.db", users, steps_per_user, transaction=True)
            results.append(
                {
                    "users": users,
                    "engine": engine,
                    "engine_on_dict_store": ceiling,
                    "raw_sqlite3": raw,
                    "raw_sqlite3_in_transaction": raw_tx,
                    "ratio_steps_per_s": engine["steps_per_s"] / raw["steps_per_s"],
                    "ratio_dict_store_to_raw": ceiling["steps_per_s"] / raw["steps_per_s"],
                    "ratio_to_transactional_raw": engine["steps_per_s"] / raw_tx["steps_per_s"],
                }
            )
            if users in TARGETS:
                targets.append(
                    ratio_target(
                        f"engine on SQLite, N={users}: steps/s vs raw sqlite3",
                        measured=engine["steps_per_s"],
                        baseline=raw["steps_per_s"],
                        at_least=TARGETS[users],
                    )
                )
        contention = asyncio.run(race(Path(tmp) / "race.db"))
        paced = asyncio.run(paced_run(Path(tmp) / "paced.db", 1000, args.rate, 1.0 if args.quick else 3.0))
    print(
        json.dumps(
            {
                "benchmark": "store",
                "pack": PACK.name,
                "targets": targets,
                "dict_store_ceiling": [
                    {
                        "users": r["users"],
                        "steps_per_s": round(r["engine_on_dict_store"]["steps_per_s"], 1),
                        "ratio_to_raw": round(r["ratio_dict_store_to_raw"], 3),
                        "engine_on_sqlite_share_of_it": round(
                            r["engine"]["steps_per_s"] / r["engine_on_dict_store"]["steps_per_s"], 3
                        ),
                    }
                    for r in results
                ],
                "runs": results,
                "paced_1000_users": paced,
                "race_50_tasks": contention,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
