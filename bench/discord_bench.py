"""Latency of the Discord adapter: raw INTERACTION_CREATE payload -> initial response at the API.

50 users (by default) go through the tiny pack at once, each one command and two clicks per
round, through discord.py's real parser, our DynamicItems, the engine and SQLite on a file.
The clock stops when the fake Discord API records the interaction callback. The same payloads
are then replayed against a baseline client whose handlers only send a fixed response, so the
ratio shows what the advisor adds over discord.py itself on this machine.

    .venv/bin/python -m bench.discord_bench [--users 50] [--rounds 4] [--pack tests/packs/tiny]

The fake API runs in its own process, as Discord's servers do not share the bot's CPU.
Prints one JSON object with four runs: "concurrent" (every user sends its next interaction the
moment the previous answer lands, so `users` interactions are always in flight: queueing
dominates), the same with the fake in the bot's process and event loop, "paced" (each user
reads for a mean of `--think` seconds before clicking, like people do) and "single_user" (one
at a time: the cost of one interaction without queueing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

# The fake Discord API lives in tests/fakes: make the checkout importable when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    import discord.http
    from discord import app_commands

from adapters.discord.client import COMMAND, build_client
from adapters.services import Services
from adapters.settings import Secret, Settings
from bot.pack.registry import PackRegistry
from bot.store.sqlite import SqliteStore
from tests.fakes.discord_api import (
    Call,
    FakeDiscordApi,
    click_payload,
    command_payload,
    feed_interaction,
    user,
)

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    ms: float


class CallbackSource(Protocol):
    async def wait_callback(self, interaction_id: str, *, guard: float = 5.0) -> Call: ...


def _fake_process(conn: Connection) -> None:
    """The fake Discord API in its own process, as the real one is: its CPU is not the bot's."""

    async def serve() -> None:
        api = FakeDiscordApi(on_callback=lambda c: conn.send((c.method, c.path, c.body, c.at)))
        conn.send(await api.start())
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop
        await api.close()

    asyncio.run(serve())


class RemoteApi:
    """The parent's view of the fake in `_fake_process`: callbacks arrive through a pipe.

    Times are time.perf_counter() in the child: CLOCK_MONOTONIC, the same clock in both processes.
    """

    def __init__(self) -> None:
        self._conn, child = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(target=_fake_process, args=(child,))
        self._calls: dict[str, Call] = {}
        self._waiting: dict[str, asyncio.Future[Call]] = {}

    async def start(self) -> str:
        self._process.start()
        loop = asyncio.get_running_loop()
        base = str(await loop.run_in_executor(None, self._conn.recv))
        loop.add_reader(self._conn.fileno(), self._receive)
        return base

    def _receive(self) -> None:
        while self._conn.poll():
            method, path, body, at = self._conn.recv()
            call = Call(method, path, body, at)
            if call.interaction_id is not None:
                self._calls.setdefault(call.interaction_id, call)
                waiter = self._waiting.pop(call.interaction_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(call)

    async def wait_callback(self, interaction_id: str, *, guard: float = 5.0) -> Call:
        if (call := self._calls.get(interaction_id)) is not None:
            return call
        waiter = self._waiting.setdefault(interaction_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(asyncio.shield(waiter), guard)

    async def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._conn.fileno())
        self._conn.send("stop")
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 10)


def _button(call: Call, index: int) -> str:
    return str(call.body["data"]["components"][0]["components"][index]["custom_id"])


async def _send(api: CallbackSource, client: discord.Client, payload: dict[str, Any]) -> tuple[Call, float]:
    started = time.perf_counter()
    feed_interaction(client, payload)
    call = await api.wait_callback(str(payload["id"]), guard=30)
    return call, (call.at - started) * 1000


async def _think(think: float, rng: random.Random) -> None:
    """A person reading before the next click (exponential, mean `think` seconds)."""
    if think > 0:
        await asyncio.sleep(rng.expovariate(1 / think))


async def _advisor_user(
    api: CallbackSource, client: discord.Client, who: dict[str, Any], rounds: int, think: float = 0.0
) -> tuple[list[Sample], list[dict[str, Any]]]:
    """Rounds of: /choose-framework restart, then the first option twice (a result on tiny)."""
    samples: list[Sample] = []
    sent: list[dict[str, Any]] = []
    rng = random.Random(who["id"])
    for _ in range(rounds):
        payload = command_payload(who, action="restart")
        await _think(think, rng)
        call, ms = await _send(api, client, payload)
        sent.append(payload)
        samples.append(Sample("command", ms))
        for _ in range(2):
            rows = call.body["data"].get("components") or []
            if not rows or call.body["type"] not in (4, 7):
                break
            payload = click_payload(who, custom_id=_button(call, 0), components=rows)
            await _think(think, rng)
            call, ms = await _send(api, client, payload)
            sent.append(payload)
            samples.append(Sample("click", ms))
    return samples, sent


async def _replay(
    api: CallbackSource,
    client: discord.Client,
    payloads: Sequence[dict[str, Any]],
    think: float = 0.0,
    seed: str = "",
) -> list[Sample]:
    """The same payloads, with the same think times as the advisor run (same seed)."""
    samples = []
    rng = random.Random(seed)
    for payload in payloads:
        await _think(think, rng)
        fresh = {**payload, "id": str(int(payload["id"]) + 10_000_000)}
        _, ms = await _send(api, client, fresh)
        samples.append(Sample("command" if payload["type"] == 2 else "click", ms))
    return samples


def _baseline_client() -> discord.Client:
    """discord.py alone: the same command and template, answered with a fixed message."""
    client = discord.Client(intents=discord.Intents.default())
    tree = app_commands.CommandTree(client)

    @tree.command(name=COMMAND, description="fixed reply")
    async def fixed(interaction: discord.Interaction, action: str | None = None) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    class Fixed(discord.ui.DynamicItem[discord.ui.Item[Any]], template=r"adv:.{1,96}"):
        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> Fixed:
            return cls(item)

        async def callback(self, interaction: discord.Interaction) -> None:
            await interaction.response.edit_message(content="ok")

    client.add_dynamic_items(Fixed)
    return client


def _stats(samples: Sequence[Sample]) -> dict[str, float | int]:
    ms = sorted(s.ms for s in samples)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))], 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


async def run(
    users: int, rounds: int, pack_dir: Path, *, think: float = 0.0, same_process: bool = False
) -> dict[str, Any]:
    api: FakeDiscordApi | RemoteApi = FakeDiscordApi() if same_process else RemoteApi()
    old_base = discord.http.Route.BASE
    discord.http.Route.BASE = await api.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "bench.db")
            registry = PackRegistry()
            pack = registry.load(pack_dir)
            services = Services(store=store, registry=registry, advisor=pack.id)
            settings = Settings(
                db_url=str(Path(tmp) / "bench.db"),
                knowledge_dir=pack_dir.parent,
                advisor=pack.id,
                idle_timeout=timedelta(hours=24),
                discord_token=Secret(TOKEN),
            )
            advisor = build_client(services, settings)
            baseline = _baseline_client()
            await advisor.login(TOKEN)
            await baseline.login(TOKEN)
            people = [user(str(10_000 + n), f"user{n}") for n in range(users)]
            try:
                # Warm-up round (first connections, first SQLite pages): not measured.
                await asyncio.gather(*(_advisor_user(api, advisor, p, 1) for p in people))
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(_advisor_user(api, advisor, p, rounds, think) for p in people)
                )
                advisor_wall = time.perf_counter() - started
                started = time.perf_counter()
                base = await asyncio.gather(
                    *(
                        _replay(api, baseline, sent, think, seed=p["id"])
                        for p, (_, sent) in zip(people, results, strict=True)
                    )
                )
                baseline_wall = time.perf_counter() - started
            finally:
                await advisor.close()
                await baseline.close()
                await store.close()
    finally:
        discord.http.Route.BASE = old_base
        await api.close()

    mine = [s for samples, _ in results for s in samples]
    theirs = [s for samples in base for s in samples]
    ours, fixed = _stats(mine), _stats(theirs)
    return {
        "benchmark": "discord interaction payload -> initial response recorded by the fake API",
        "users": users,
        "rounds": rounds,
        "mean_think_s": think,
        "fake_api": "same process" if same_process else "own process",
        "pack": pack.id,
        "advisor": ours,
        "advisor_by_kind": {k: _stats([s for s in mine if s.kind == k]) for k in ("command", "click")},
        "baseline_fixed_reply": fixed,
        "ratio_p50": round(float(ours["p50_ms"]) / float(fixed["p50_ms"]), 2),
        "ratio_p99": round(float(ours["p99_ms"]) / float(fixed["p99_ms"]), 2),
        "throughput_per_s": {
            "advisor": round(len(mine) / advisor_wall, 1),
            "baseline": round(len(theirs) / baseline_wall, 1),
        },
        "target_p99_ms": 50,
        "discord_deadline_ms": 3000,
        "python": platform.python_version(),
        "discord.py": discord.__version__,
    }


async def every_run(users: int, rounds: int, pack_dir: Path, think: float) -> dict[str, Any]:
    return {
        "concurrent": await run(users, rounds, pack_dir),
        "concurrent_fake_in_same_process": await run(users, rounds, pack_dir, same_process=True),
        "paced": await run(users, rounds, pack_dir, think=think),
        "single_user": await run(1, max(rounds, 100), pack_dir),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pack", type=Path, default=ROOT / "tests" / "packs" / "tiny")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between clicks (paced run)")
    args = parser.parse_args(argv)
    report = asyncio.run(every_run(args.users, args.rounds, args.pack, args.think))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
