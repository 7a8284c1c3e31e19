"""Sequential updates at 1,000 users: our engine beside the state stores other chat-bot frameworks use.

Each of 1,000 users has a conversation; the users click one after another (one update in flight
at a time), round after round. In the same run, on the same machine:

- **opsdroid-style** key/value store on aiosqlite with WAL: each update is a `put`, i.e.
  `DELETE` + `INSERT` of the user's JSON, as opsdroid's `DatabaseSqlite.put` does, on one
  persistent connection, SQLite's default synchronous=FULL as opsdroid leaves it. The target
  (issue 16): our engine at least 2x this store's updates/s. Reported beside it: the same with
  synchronous=NORMAL (as our store runs: the strongest form), a bot that reads before it
  writes (`get` then `put`), and opsdroid as shipped (a connection per call).
- **python-telegram-bot's PicklePersistence** (optional extra `peers`): `update_conversation`
  with `on_flush=False` (the whole pickle is rewritten per update, which is what makes it
  durable) and with `on_flush=True` (memory only until flush: not durable, for reference).

Our engine's update is a whole click: load, check the step, walk the pack, conditional save.

    python bench/peers_bench.py [--users 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.targets import ratio_target  # noqa: E402
from bot.pack.registry import PackRegistry  # noqa: E402
from bot.personal.conversation import Actor  # noqa: E402
from bot.personal.engine import Engine  # noqa: E402
from bot.personal.replies import QuestionReply  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

PACK = ROOT / "knowledge" / "python-web"


async def engine_updates(path: Path, users: int, rounds: int) -> dict[str, float]:
    registry = PackRegistry()
    registry.load(PACK)
    store = await SqliteStore.open(path)
    engine = Engine(store=store, registry=registry, advisor="python-web")
    actors = [Actor("bench", "w", f"user{u}") for u in range(users)]
    replies: list[Any] = [await engine.start(actor) for actor in actors]
    updates = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for index, actor in enumerate(actors):
            reply = replies[index]
            if isinstance(reply, QuestionReply):
                reply = await engine.answer(
                    actor,
                    conversation_id=reply.conversation_id,
                    step=reply.step,
                    option_id=reply.choices[0].id,
                )
            else:
                reply = await engine.restart(actor)
            replies[index] = reply
            updates += 1
    elapsed = time.perf_counter() - started
    await store.close()
    return {"updates": updates, "updates_per_s": updates / elapsed}


class OpsdroidStyleStore:
    """opsdroid's SQLite memory: a key/text table, `put` = DELETE then INSERT, JSON values."""

    def __init__(self, path: Path, *, persistent: bool, fast: bool) -> None:
        self.path, self.persistent, self.fast = path, persistent, fast
        self._db: aiosqlite.Connection | None = None

    async def connect(self) -> None:
        db = await aiosqlite.connect(self.path, isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        if self.fast:
            await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("CREATE TABLE IF NOT EXISTS opsdroid (key text PRIMARY KEY, data text)")
        if self.persistent:
            self._db = db
        else:
            await db.close()

    async def _run(self, work: Any) -> Any:
        if self._db is not None:
            return await work(self._db)
        async with aiosqlite.connect(self.path, isolation_level=None) as db:
            return await work(db)

    async def get(self, key: str) -> Any:
        async def work(db: aiosqlite.Connection) -> Any:
            async with db.execute("SELECT data FROM opsdroid WHERE key=?", (key,)) as cursor:
                row = await cursor.fetchone()
            return json.loads(row[0]) if row else None

        return await self._run(work)

    async def put(self, key: str, data: Any) -> None:
        text = json.dumps(data)

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM opsdroid WHERE key=?", (key,))
            await db.execute("INSERT INTO opsdroid VALUES (?, ?)", (key, text))

        await self._run(work)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()


async def opsdroid_updates(
    path: Path, users: int, rounds: int, *, persistent: bool, read_first: bool, fast: bool = False
) -> dict[str, float]:
    store = OpsdroidStyleStore(path, persistent=persistent, fast=fast)
    await store.connect()
    keys = [f"user{u}" for u in range(users)]
    for key in keys:
        await store.put(key, {"answers": [], "step": 1})
    updates = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for key in keys:
            state = await store.get(key) if read_first else {"answers": [["q", "o"]] * (updates // users + 1)}
            state["step"] = updates
            await store.put(key, state)
            updates += 1
    elapsed = time.perf_counter() - started
    await store.close()
    return {"updates": updates, "updates_per_s": updates / elapsed}


async def ptb_updates(path: Path, users: int, rounds: int, *, on_flush: bool) -> dict[str, Any]:
    try:
        from telegram.ext import PicklePersistence
    except ImportError:
        return {"skipped": "python-telegram-bot is not installed: pip install '.[peers]'"}
    persistence: Any = PicklePersistence(filepath=path, single_file=True, on_flush=on_flush)
    await persistence.get_conversations("advisor")
    for u in range(users):
        await persistence.update_conversation("advisor", (u,), ((), 1))
    updates = 0
    started = time.perf_counter()
    for r in range(rounds):
        for u in range(users):
            await persistence.update_conversation("advisor", (u,), ((("q", "o"),) * (r + 1), r + 2))
            updates += 1
    if on_flush:
        await persistence.flush()
    elapsed = time.perf_counter() - started
    return {"updates": updates, "updates_per_s": updates / elapsed, "durable_per_update": not on_flush}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = asyncio.run(engine_updates(folder / "engine.db", args.users, args.rounds))
        opsdroid = asyncio.run(
            opsdroid_updates(folder / "ops.db", args.users, args.rounds, persistent=True, read_first=False)
        )
        opsdroid_fast = asyncio.run(
            opsdroid_updates(
                folder / "ops3.db", args.users, args.rounds, persistent=True, read_first=False, fast=True
            )
        )
        opsdroid_read = asyncio.run(
            opsdroid_updates(folder / "ops1.db", args.users, args.rounds, persistent=True, read_first=True)
        )
        opsdroid_shipped = asyncio.run(
            opsdroid_updates(folder / "ops2.db", args.users, 1, persistent=False, read_first=True)
        )
        ptb = asyncio.run(ptb_updates(folder / "ptb.pickle", args.users, 1, on_flush=False))
        ptb_memory = asyncio.run(ptb_updates(folder / "ptb2.pickle", args.users, args.rounds, on_flush=True))
    print(
        json.dumps(
            {
                "benchmark": "peers",
                "users": args.users,
                "targets": [
                    ratio_target(
                        "sequential updates at 1k users: engine vs opsdroid-style DELETE+INSERT store",
                        measured=ours["updates_per_s"],
                        baseline=opsdroid["updates_per_s"],
                        at_least=2.0,
                    )
                ],
                "engine_on_sqlite": ours,
                "opsdroid_style_put_only": opsdroid,
                "opsdroid_style_put_only_synchronous_normal": opsdroid_fast,
                "opsdroid_style_get_then_put": opsdroid_read,
                "opsdroid_as_shipped_connection_per_call": opsdroid_shipped,
                "ptb_pickle_persistence_on_every_update": ptb,
                "ptb_pickle_persistence_memory_until_flush": ptb_memory,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
