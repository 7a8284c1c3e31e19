"""Every Discord interaction is recorded before its first response and finished after its reply.

The record holds what a later process needs to finish it, the raw payload with the token, for
as long as it is unfinished and not a moment longer; a second copy of it is dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import discord
import discord.http
import pytest

from adapters.discord.deliveries import Inbox, delivery_key
from adapters.runtime.service import Runtime
from adapters.settings import Settings
from bot.pack.registry import PackRegistry
from bot.personal.engine import Engine
from bot.store.sqlite import SqliteStore
from tests.adapters.discord.conftest import ANN, BEN, SLOW_CALL, Bot, MakeBot
from tests.adapters.discord.test_flow import components, custom_id
from tests.adapters.discord.test_robustness import GatedStore
from tests.conftest import Clock
from tests.fakes.discord_api import Call, FakeDiscordApi, click_payload, command_payload


def rows(db: Path) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(db) as raw:
        raw.row_factory = sqlite3.Row
        return {r["key"]: dict(r) for r in raw.execute("SELECT * FROM deliveries")}


class WatchingApi(FakeDiscordApi):
    """The fake, looking at the database at the moment each initial response arrives."""

    def __init__(self, db: Path) -> None:
        super().__init__(on_callback=self._look)
        self.db = db
        self.seen_at_callback: dict[str, dict[str, Any]] = {}

    def _look(self, call: Call) -> None:
        if call.interaction_id is not None:
            found = rows(self.db).get(delivery_key(int(call.interaction_id)), {})
            self.seen_at_callback[call.interaction_id] = found


@pytest.fixture
async def fake_api(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> AsyncIterator[FakeDiscordApi]:
    api = WatchingApi(db_path)
    monkeypatch.setattr(discord.http.Route, "BASE", await api.start())
    yield api
    await api.close()


def at_callback(bot: Bot, interaction_id: str) -> dict[str, Any]:
    return cast(WatchingApi, bot.api).seen_at_callback[interaction_id]


@dataclass
class Slow:
    """A bot process whose store holds every read until the gate opens (a very slow disk)."""

    bot: Bot
    runtime: Runtime
    held: GatedStore

    async def settle(self) -> None:
        self.held.gate.set()
        assert await self.runtime.work.drain(5.0) == 0


@pytest.fixture
async def slow(make_bot: MakeBot, db_path: Path, registry: PackRegistry, clock: Clock) -> AsyncIterator[Slow]:
    store = await SqliteStore.open(db_path)
    held = GatedStore(store)
    engine = Engine(store=cast(SqliteStore, held), registry=registry, advisor="tiny", clock=clock)
    runtime = Runtime(clock=clock)
    made = Slow(await make_bot(engine_=engine, defer_after=SLOW_CALL, runtime=runtime), runtime, held)
    yield made
    await made.settle()
    await store.close()


async def test_an_interaction_is_recorded_with_its_payload_before_the_first_response(
    bot: Bot, db_path: Path
) -> None:
    payload = command_payload(ANN)
    await bot.api.wait_callback(bot.feed(payload))

    before = at_callback(bot, str(payload["id"]))
    assert before["platform"] == "discord"
    assert before["user_id"] == ANN["id"]  # so `forget` finds it while it is unfinished
    assert payload["token"] in before["payload"]  # what a late reply needs
    assert before["resumable"] == 0  # answered at once: nothing left for another process
    assert before["done_at"] is None


async def test_the_token_is_deleted_once_the_reply_is_sent(make_bot: MakeBot, db_path: Path) -> None:
    runtime = Runtime()
    bot = await make_bot(runtime=runtime)
    first = await bot.command(ANN)
    click = click_payload(ANN, custom_id=custom_id(first, "JSON API"), components=components(first))
    await bot.api.wait_callback(bot.feed(click))
    assert await runtime.work.drain(5.0) == 0

    stored = rows(db_path)
    assert set(stored) == {delivery_key(int(first.interaction_id or 0)), delivery_key(int(click["id"]))}
    assert [r["payload"] for r in stored.values()] == ["", ""]
    assert [r["user_id"] for r in stored.values()] == ["", ""]
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert click["token"].encode() not in db_path.read_bytes()  # secure_delete: not in the file


async def test_deferred_at_once_it_is_recorded_resumable(make_bot: MakeBot, db_path: Path) -> None:
    runtime = Runtime()
    bot = await make_bot(defer_after=0, runtime=runtime)
    payload = command_payload(ANN)
    deferred = await bot.api.wait_callback(bot.feed(payload))

    assert deferred.body == {"type": 5, "data": {"flags": 64}}
    assert at_callback(bot, str(payload["id"]))["resumable"] == 1  # before Discord heard of it
    assert await runtime.work.drain(5.0) == 0
    assert rows(db_path)[delivery_key(int(payload["id"]))]["payload"] == ""  # replied, finished


async def test_a_slow_reply_is_resumable_before_its_deferral_goes_out(slow: Slow) -> None:
    slow.held.gate.clear()
    payload = command_payload(BEN)
    assert (await slow.bot.api.wait_callback(slow.bot.feed(payload))).body["type"] == 5
    assert at_callback(slow.bot, str(payload["id"]))["resumable"] == 1


async def test_a_second_copy_of_an_interaction_is_dropped(bot: Bot, db_path: Path) -> None:
    payload = command_payload(ANN)
    await bot.api.wait_callback(bot.feed(payload))
    bot.feed(dict(payload))  # the same interaction again (a gateway replaying what it sent)
    again = command_payload(ANN)
    await bot.api.wait_callback(bot.feed(again))  # a later one is answered: the first was dropped

    assert len(bot.api.matching(lambda c: c.interaction_id == str(payload["id"]))) == 1


async def test_forget_deletes_the_token_of_an_interaction_still_in_flight(
    bot: Bot, slow: Slow, db_path: Path
) -> None:
    question = await bot.command(ANN)
    slow.held.gate.clear()
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    await slow.bot.api.wait_callback(slow.bot.feed(click))
    key = delivery_key(int(click["id"]))
    assert click["token"] in rows(db_path)[key]["payload"]

    forgotten = await bot.command(ANN, "forget")  # answered once the forgetting is done
    assert "Deleted 1 conversation(s)" in str(forgotten.body["data"])
    assert rows(db_path)[key]["payload"] == ""
    assert rows(db_path)[key]["user_id"] == ""


def test_the_inbox_keeps_payloads_only_briefly() -> None:
    inbox = Inbox(limit=2, keep=60.0)
    for n in range(3):
        inbox.put({"id": str(n), "token": f"t{n}"})
    assert len(inbox) == 2
    assert inbox.take(0) is None  # the oldest went first
    assert inbox.take(2) == {"id": "2", "token": "t2"}
    assert inbox.take(2) is None  # taken once
    old = Inbox(keep=0.0)
    old.put({"id": "1"})
    old.put({"id": "2"})
    assert old.take(1) is None


def test_the_defer_setting_takes_seconds_inside_discord_s_deadline() -> None:
    from bot.errors import SettingsError

    assert Settings.from_env({"ADVISOR_DISCORD_DEFER_SECONDS": "0"}).discord_defer_seconds == 0
    assert Settings.from_env({}).discord_defer_seconds == 1.5
    for bad in ("3", "-1", "soon"):
        with pytest.raises(SettingsError, match="ADVISOR_DISCORD_DEFER_SECONDS"):
            Settings.from_env({"ADVISOR_DISCORD_DEFER_SECONDS": bad})
