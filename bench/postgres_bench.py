"""Engine clicks per second and p99 latency on PostgreSQL, against the raw driver doing the same I/O.

One engine click (`Engine.answer`, or `Engine.restart` after a result) is one read and one
versioned update; the baseline does exactly that with bare asyncpg on the same table and pool
size, in the same run, so the ratio is what the engine, walker, codec and store cost on top of
the database. Each of N users is one task clicking its own conversation as fast as replies come
back (closed loop), for a fixed time; every figure is the median of several interleaved runs.

    .venv/bin/python bench/postgres_bench.py                  # about 100 s, prints JSON
    .venv/bin/python bench/postgres_bench.py --seconds 1 --repeats 1   # a quick look

The database comes from --url, else ADVISOR_BENCH_POSTGRES, else ADVISOR_TEST_POSTGRES, else
postgresql://postgres@127.0.0.1:5432/test. Each run uses a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs

from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply, ResultReply
from bot.store.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "packs" / "tiny"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
POOL_SIZE = 10
"""Connections per process, for the engine's store and the baseline alike."""


@dataclass(frozen=True, slots=True)
class Sample:
    """What one process measured: its steps, how long they took, and each click's latency."""

    steps: int
    elapsed_s: float
    latencies_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Figures:
    steps_per_s: float
    p99_ms: float
    p50_ms: float


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def figures(samples: Sequence[Sample]) -> Figures:
    """Processes run side by side, so their steps add up over the longest of their times."""
    latencies = [x for s in samples for x in s.latencies_ms]
    steps = sum(s.steps for s in samples)
    return Figures(
        steps_per_s=steps / max(s.elapsed_s for s in samples),
        p99_ms=percentile(latencies, 0.99),
        p50_ms=percentile(latencies, 0.50),
    )


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))


async def closed_loop(users: Sequence[str], step: Callable[[str], Awaitable[None]], seconds: float) -> Sample:
    """Every user clicks again as soon as the previous click is answered, until time is up."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def user_loop(user: str) -> None:
        while (began := time.perf_counter()) < deadline:
            await step(user)
            latencies.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(user_loop(u) for u in users))
    return Sample(len(latencies), time.perf_counter() - began, tuple(latencies))


# --- the two workloads, as run inside one process --------------------------------------


async def prepare(url: str, users: Sequence[str]) -> tuple[Engine, PostgresStore, dict[str, Any]]:
    """Open the store and start every user's conversation (not timed)."""
    registry = PackRegistry()
    registry.load(TINY)
    store = await PostgresStore.open(url, max_size=POOL_SIZE)
    engine = Engine(store=store, registry=registry, advisor="tiny")
    replies = await asyncio.gather(*(engine.start(Actor("bench", "w1", u)) for u in users))
    return engine, store, dict(zip(users, replies, strict=True))


async def run_engine(
    url: str, users: Sequence[str], seconds: float, ready: Callable[[], Awaitable[None]]
) -> Sample:
    engine, store, replies = await prepare(url, users)
    turn = dict.fromkeys(users, 0)

    async def click(user: str) -> None:
        actor = Actor("bench", "w1", user)
        reply = replies[user]
        if isinstance(reply, QuestionReply):
            option = reply.choices[turn[user] % len(reply.choices)].id
            turn[user] += 1
            replies[user] = await engine.answer(
                actor, conversation_id=reply.conversation_id, step=reply.step, option_id=option
            )
        elif isinstance(reply, ResultReply):
            replies[user] = await engine.restart(
                actor, conversation_id=reply.conversation_id, step=reply.step
            )
        else:
            raise RuntimeError(f"unexpected reply {reply!r}")

    try:
        await ready()
        return await closed_loop(users, click, seconds)
    finally:
        await store.close()


async def run_raw(
    url: str, users: Sequence[str], seconds: float, ready: Callable[[], Awaitable[None]]
) -> Sample:
    """The floor: the same read and versioned update with no engine, walker or codec."""
    _, store, replies = await prepare(url, users)
    await store.close()
    ids = {u: r.conversation_id for u, r in replies.items()}
    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE, reset=keep_session)

    async def click(user: str) -> None:
        row = await pool.fetchrow(
            "SELECT id, platform, workspace, user_id, advisor, pack_version, answers, step, version,"
            " created_at, updated_at, expires_at FROM conversations WHERE id = $1",
            ids[user],
        )
        answers = "" if row["answers"] else "kind=api"
        now = time.time()
        status = await pool.execute(
            "UPDATE conversations SET pack_version = $3, answers = $4, step = $5,"
            " version = version + 1, updated_at = $6, expires_at = $7"
            " WHERE id = $1 AND version = $2",
            row["id"],
            row["version"],
            row["pack_version"],
            answers,
            row["step"] + 1,
            now,
            now + 86400,
        )
        if status != "UPDATE 1":
            raise RuntimeError(f"baseline conflict: {status}")

    try:
        await ready()
        return await closed_loop(users, click, seconds)
    finally:
        await pool.close()


async def keep_session(connection: Any) -> None:
    """The pool setting the store uses (no reset query on release), so only the engine differs."""


WORKLOADS = {"engine": run_engine, "raw": run_raw}


# --- orchestration ---------------------------------------------------------------------


async def fresh_schema(url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A new schema with the store's tables, and the coroutine that drops it."""
    schema = f"advisor_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    scoped = with_search_path(url, schema)
    store = await PostgresStore.open(scoped)  # migrate once, before any worker starts
    await store.close()

    async def drop() -> None:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()

    return scoped, drop


async def measure_in_process(url: str, workload: str, users: int, seconds: float) -> Figures:
    scoped, drop = await fresh_schema(url)

    async def go() -> None:
        return None

    try:
        sample = await WORKLOADS[workload](scoped, [f"u{i}" for i in range(users)], seconds, go)
    finally:
        await drop()
    return figures([sample])


async def measure_in_processes(
    url: str, workload: str, users: int, seconds: float, processes: int
) -> Figures:
    """Split the users over `processes` workers that start clicking at the same moment."""
    scoped, drop = await fresh_schema(url)
    share = users // processes
    try:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                workload,
                "--url",
                scoped,
                "--users",
                str(share),
                "--prefix",
                f"p{n}-",
                "--seconds",
                str(seconds),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for n in range(processes)
        ]
        for worker in workers:
            if worker.stdout is None or worker.stdin is None:
                raise RuntimeError("workers are spawned with pipes")
            line = await asyncio.wait_for(worker.stdout.readline(), 120)
            if json.loads(line) != {"ready": True}:
                raise RuntimeError(f"worker did not get ready: {line!r}")
        for worker in workers:
            if worker.stdin is not None:
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
        samples = []
        for worker in workers:
            out, _ = await asyncio.wait_for(worker.communicate(), seconds + 120)
            data = json.loads(out)
            samples.append(Sample(data["steps"], data["elapsed_s"], tuple(data["latencies_ms"])))
    finally:
        await drop()
    return figures(samples)


async def worker_main(args: argparse.Namespace) -> None:
    """One bench process: set up, say ready, wait for "go" on stdin, click, print the sample."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def ready() -> None:
        print(json.dumps({"ready": True}), flush=True)
        await reader.readline()

    users = [f"{args.prefix}u{i}" for i in range(args.users)]
    sample = await WORKLOADS[args.worker](args.url, users, args.seconds, ready)
    print(json.dumps(asdict(sample)), flush=True)


def summary(runs: Sequence[Figures]) -> dict[str, Any]:
    return {
        "steps_per_s": round(statistics.median(r.steps_per_s for r in runs), 1),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 2),
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 2),
        "runs": [{k: round(v, 2) for k, v in asdict(r).items()} for r in runs],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    admin = await asyncpg.connect(args.url)
    server = await admin.fetchval("SHOW server_version")
    await admin.close()
    report: dict[str, Any] = {
        "what": "engine clicks (1 read + 1 versioned update each) vs raw asyncpg doing the same I/O",
        "postgres": server,
        "python": sys.version.split()[0],
        "asyncpg": asyncpg.__version__,
        "cpus": os.cpu_count(),
        "pool_per_process": POOL_SIZE,
        "seconds_per_run": args.seconds,
        "repeats": args.repeats,
    }
    for processes in args.processes:
        section: dict[str, Any] = {}
        for users in args.users:
            runs: dict[str, list[Figures]] = {"engine": [], "raw": []}
            for _ in range(args.repeats):
                for workload in ("engine", "raw"):  # interleaved, so drift hits both alike
                    if processes == 1:
                        result = await measure_in_process(args.url, workload, users, args.seconds)
                    else:
                        result = await measure_in_processes(
                            args.url, workload, users, args.seconds, processes
                        )
                    runs[workload].append(result)
            engine, raw = summary(runs["engine"]), summary(runs["raw"])
            section[f"N={users}"] = {
                "engine": engine,
                "raw_asyncpg": raw,
                "steps_ratio_engine_to_raw": round(engine["steps_per_s"] / raw["steps_per_s"], 3),
                "p99_ratio_engine_to_raw": round(engine["p99_ms"] / raw["p99_ms"], 3),
            }
        report["1_process" if processes == 1 else f"{processes}_processes"] = section
    return report


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    env_url = os.environ.get("ADVISOR_BENCH_POSTGRES") or os.environ.get("ADVISOR_TEST_POSTGRES")
    parser.add_argument("--url", default=env_url or DEFAULT_URL)
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.worker:
        args.users = args.users[0]
        asyncio.run(worker_main(args))
        return 0
    print(json.dumps(asyncio.run(main_async(args)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
