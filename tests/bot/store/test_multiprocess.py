"""Several bot processes on one PostgreSQL database, as replicas behind a load balancer run.

Each worker is a real OS process running its own Engine and PostgresStore; the test plays the
load balancer, sending users' clicks as JSON lines to whichever process it likes and reading
the replies. Duplicate clicks (a double-click, a retried webhook) go to two processes at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest

from bot.errors import AdvisorError, StaleAnswer
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor, ConversationKey
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply, Reply, ResultReply
from bot.store.postgres import MIGRATIONS, PostgresStore

ROOT = Path(__file__).resolve().parents[3]
TINY = ROOT / "tests" / "packs" / "tiny"
GUARD_S = 30.0
"""Generous: a guard against a hung worker, not a delay; tests finish in about a second."""

WORKER = (
    "import asyncio, sys\n"
    "from tests.bot.store.test_multiprocess import serve\n"
    "asyncio.run(serve(sys.argv[1]))\n"
)


# --- the worker process ------------------------------------------------------------------


def _describe(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, QuestionReply):
        return {"kind": "question", "cid": reply.conversation_id, "step": reply.step, "q": reply.question_id}
    if isinstance(reply, ResultReply):
        return {"kind": "result", "cid": reply.conversation_id, "step": reply.step}
    return {"kind": type(reply).__name__}


async def _handle(engine: Engine, command: dict[str, Any]) -> dict[str, Any]:
    actor = Actor("slack", "w1", command["user"])
    try:
        if command["op"] == "start":
            reply = await engine.start(actor)
        elif command["op"] == "current":
            reply = await engine.current(actor)
        else:
            reply = await engine.answer(
                actor, conversation_id=command["cid"], step=command["step"], option_id=command["option"]
            )
    except StaleAnswer:
        return {"kind": "stale"}
    except AdvisorError as error:
        return {"kind": "error", "error": type(error).__name__}
    return _describe(reply)


async def serve(url: str) -> None:
    """One bot replica: answer each command line on stdin concurrently, one JSON line each."""
    registry = PackRegistry()
    registry.load(TINY)
    store = await PostgresStore.open(url, max_size=4)
    engine = Engine(store=store, registry=registry, advisor="tiny")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def send(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async def run(command: dict[str, Any]) -> None:
        try:
            outcome = await _handle(engine, command)
        except Exception as error:  # a bug: report it so the test fails with the cause
            outcome = {"kind": "bug", "error": repr(error)}
        send({"id": command["id"], "pid": os.getpid(), **outcome})

    send({"ready": os.getpid()})
    tasks: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        task = asyncio.create_task(run(json.loads(line)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    await store.close()


# --- the load balancer (the test side) ---------------------------------------------------


class Replica:
    """A worker process and the replies it owes, matched to commands by id."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.replied = 0
        self.replied_enough = asyncio.Event()
        self.enough = 0
        self._next = 0
        self._ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._reading = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, url: str) -> Replica:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            url,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def ready(self) -> int:
        return await asyncio.wait_for(asyncio.shield(self._ready), GUARD_S)

    async def _read(self) -> None:
        stdout = self.process.stdout
        if stdout is None:
            raise RuntimeError("the worker was spawned without a stdout pipe")
        while line := await stdout.readline():
            message = json.loads(line)
            if "ready" in message:
                self._ready.set_result(message["ready"])
                continue
            self.replied += 1
            if self.enough and self.replied >= self.enough:
                self.replied_enough.set()
            self.pending.pop(message["id"]).set_result(message)
        if not self._ready.done():
            self._ready.set_exception(RuntimeError("the worker exited before it was ready"))

    def send(self, **command: Any) -> asyncio.Future[dict[str, Any]]:
        """Write one command now; the future resolves with the worker's reply."""
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self._next] = future
        stdin = self.process.stdin
        if stdin is None:
            raise RuntimeError("the worker was spawned without a stdin pipe")
        stdin.write((json.dumps({"id": self._next, **command}) + "\n").encode())
        return future

    async def call(self, **command: Any) -> dict[str, Any]:
        return await asyncio.wait_for(self.send(**command), GUARD_S)

    async def stop(self) -> None:
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), GUARD_S)
        await self._reading
        for future in self.pending.values():
            future.cancel()

    async def kill(self) -> None:
        self.process.kill()
        await self.stop()


@pytest.fixture
async def spawn(postgres_schema_url: str) -> AsyncIterator[Any]:
    """Start replicas on one fresh schema all at once; stops (or reaps) them afterwards."""
    started: list[Replica] = []

    async def start(count: int) -> list[Replica]:
        replicas = [await Replica.spawn(postgres_schema_url) for _ in range(count)]
        started.extend(replicas)
        await asyncio.gather(*(r.ready() for r in replicas))
        return replicas

    yield start
    for replica in started:
        if replica.process.returncode is None:
            replica.process.kill()
        await replica.stop()


def tiny_options() -> dict[str, list[str]]:
    """Each question of the tiny pack and its option ids."""
    pack = PackRegistry().load(TINY)
    return {q.id: [o.id for o in q.options] for q in pack.questions.values()}


async def test_clicks_spread_over_three_processes_apply_once(spawn: Any, postgres_schema_url: str) -> None:
    replicas: list[Replica] = await spawn(3)
    rng = random.Random(8)
    users = [f"user{i}" for i in range(60)]
    options = tiny_options()
    chosen: dict[str, list[str]] = {}
    served_by: dict[int, int] = {}

    async def walk(user: str) -> None:
        reply = await rng.choice(replicas).call(op="start", user=user)
        chosen[user] = []
        while reply["kind"] == "question":
            first, second = rng.sample(replicas, 2)
            option_a, option_b = rng.sample(options[reply["q"]], 2)
            click = {"op": "answer", "user": user, "cid": reply["cid"], "step": reply["step"]}
            outcomes = await asyncio.gather(
                first.call(**click, option=option_a), second.call(**click, option=option_b)
            )
            applied = [
                (o, opt)
                for o, opt in zip(outcomes, (option_a, option_b), strict=True)
                if o["kind"] != "stale"
            ]
            assert len(applied) == 1, outcomes
            reply, option = applied[0]
            assert reply["kind"] in ("question", "result"), reply
            served_by[reply["pid"]] = served_by.get(reply["pid"], 0) + 1
            chosen[user].append(option)

    await asyncio.wait_for(asyncio.gather(*(walk(u) for u in users)), GUARD_S)

    conn = await asyncpg.connect(postgres_schema_url)
    try:
        migrations = await conn.fetchval("SELECT count(*) FROM advisor_schema_version")
    finally:
        await conn.close()
    assert migrations == len(MIGRATIONS), "three replicas started at once must migrate once"

    store = await PostgresStore.open(postgres_schema_url)
    try:
        for user in users:
            stored = await store.get(ConversationKey("slack", "w1", user, "tiny"))
            assert stored is not None, f"{user}'s conversation was lost"
            assert [option for _, option in stored.answers] == chosen[user]
            assert stored.version == 1 + len(chosen[user]), "a click was applied twice or lost"
            assert stored.step == stored.version
    finally:
        await store.close()
    assert sum(served_by.values()) == sum(len(c) for c in chosen.values())
    assert len(served_by) >= 2, "clicks must have been applied by more than one process"


async def test_a_process_killed_mid_click_leaves_every_conversation_consistent(
    spawn: Any, postgres_schema_url: str
) -> None:
    victim, survivor = await spawn(2)
    users = [f"user{i}" for i in range(200)]
    path = [("kind", "api"), ("size", "large")]
    starts = await asyncio.gather(*(survivor.call(op="start", user=u) for u in users))
    cids = {u: s["cid"] for u, s in zip(users, starts, strict=True)}

    victim.enough = 20
    in_flight = {
        (user, step): victim.send(op="answer", user=user, cid=cids[user], step=step, option=option)
        for user in users
        for step, (_, option) in enumerate(path, start=1)
    }
    await asyncio.wait_for(victim.replied_enough.wait(), GUARD_S)
    await victim.kill()
    acknowledged = {key for key, f in in_flight.items() if f.done() and not f.cancelled()}
    applied = {key for key in acknowledged if in_flight[key].result()["kind"] != "stale"}
    assert 20 <= len(acknowledged) < len(in_flight), "the kill must land while clicks are in flight"

    store = await PostgresStore.open(postgres_schema_url)
    try:
        for user in users:
            stored = await store.get_by_id(cids[user])
            assert stored is not None
            assert stored.answers == tuple(path[: len(stored.answers)]), "answers must fit the pack"
            assert stored.step == stored.version == 1 + len(stored.answers), "half-written conversation"
            for who, step in applied:
                if who == user:
                    assert len(stored.answers) >= step, "an acknowledged click was lost"
    finally:
        await store.close()

    async def finish(user: str) -> str:
        reply = await survivor.call(op="current", user=user)
        while reply["kind"] == "question":
            option = dict(path)[reply["q"]]
            reply = await survivor.call(
                op="answer", user=user, cid=reply["cid"], step=reply["step"], option=option
            )
        return str(reply["kind"])

    outcomes = await asyncio.gather(*(finish(u) for u in users))
    assert outcomes == ["result"] * len(users), "every conversation must carry on after the crash"
