"""What must never hurt: malformed payloads, slow storage, secrets in logs; and where it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.redaction import install_token_redaction, remove_token_redaction
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.store.sqlite import SqliteStore
from tests.adapters.discord.conftest import ANN, BOT_TOKEN, GUILD_ID, SLOW_CALL, Bot, MakeBot
from tests.adapters.discord.test_flow import components, custom_id, embed
from tests.conftest import Clock
from tests.fakes.discord_api import Call, click_payload, command_payload

EPHEMERAL = 64


async def test_a_malformed_payload_is_logged_and_ignored_and_the_bot_carries_on(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    broken = command_payload(ANN)
    del broken["data"]["name"]
    broken_click = click_payload(ANN, custom_id="adv:x:1:a:y", components=[])
    del broken_click["data"]["custom_id"]

    bot.feed(broken)  # raises inside discord.py's parser without the guard
    bot.feed(broken_click)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("Ignored a malformed INTERACTION_CREATE" in w for w in warnings) == 2  # once each
    call = await bot.command(ANN)  # the same client still answers
    assert call.body["type"] == 4
    assert not bot.api.callback_for(broken["id"])


async def test_a_custom_id_we_did_not_make_gets_a_private_explanation(
    bot: Bot, caplog: pytest.LogCaptureFixture, engine: Engine
) -> None:
    first = await bot.command(ANN)
    forged = "adv:not-a-real:step:zz"
    rows = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": forged}]}]

    call = await bot.click(ANN, forged, rows)

    assert call.body["type"] == 4
    assert call.body["data"]["flags"] == EPHEMERAL
    assert "not one this advisor understands" in call.body["data"]["content"]
    assert any("malformed custom_id" in r.getMessage() for r in caplog.records)
    status = await engine.status(Actor("discord", GUILD_ID, ANN["id"]))
    assert status.step == int(custom_id(first, "Web pages").split(":")[2])


async def test_no_token_reaches_the_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    first = await bot.command(ANN)
    second = await bot.click(ANN, custom_id(first, "Web pages"), components(first))
    await bot.click(ANN, custom_id(second, "Yes, an admin"), components(second))
    broken = command_payload(ANN)
    del broken["type"]
    bot.feed(broken)

    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the flow logs at debug level, so this test would notice a leak"
    assert BOT_TOKEN not in logged
    mine = [r for r in caplog.records if r.name.startswith("adapters")]
    assert mine
    assert all(broken["token"] not in r.getMessage() for r in mine)


async def test_interaction_tokens_are_redacted_from_discord_debug_logs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    installed = install_token_redaction()  # as `advisor discord run` does
    try:
        payload = command_payload(ANN)
        first = await bot.api.wait_callback(bot.feed(payload))
        await bot.click(ANN, custom_id(first, "Web pages"), components(first))
    finally:
        remove_token_redaction(installed)

    callbacks = [r.getMessage() for r in caplog.records if "/callback" in r.getMessage()]
    assert callbacks, "discord.py logs each callback URL at debug level"
    assert all(f"/interactions/{payload['id']}/***/callback" in m for m in callbacks[:1])
    assert "interaction-token-" not in caplog.text


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("help", "asks a few questions"),
        ("status", "Your answers so far (1)"),
        ("result", "Top pick:"),
        ("forget", "Deleted 1 conversation(s)"),
        ("restart", "Question 1"),
        ("start", "Question 2"),
    ],
)
async def test_command_actions_answer_privately(bot: Bot, action: str, expected: str) -> None:
    first = await bot.command(ANN)
    await bot.click(ANN, custom_id(first, "Web pages"), components(first))

    call = await bot.command(ANN, action)

    data = call.body["data"]
    assert call.body["type"] == 4
    assert data["flags"] == EPHEMERAL
    shown = (data.get("content") or "") + "".join(e.get("title", "") for e in data.get("embeds", []))
    assert expected in shown


async def test_status_before_starting_says_how_to_start(bot: Bot) -> None:
    call = await bot.command(ANN, "status")
    assert "You have no advisor conversation yet" in call.body["data"]["content"]


async def test_works_in_a_dm_with_its_own_conversation(bot: Bot) -> None:
    in_guild = await bot.command(ANN)
    await bot.click(ANN, custom_id(in_guild, "Web pages"), components(in_guild))

    first = await bot.command(ANN, guild_id=None)
    assert "What are you building?" in embed(first)["description"]  # not the guild's question 2
    second = await bot.click(ANN, custom_id(first, "JSON API"), components(first), guild_id=None)
    assert "How big is it?" in embed(second)["description"]


async def test_a_sharded_client_answers_the_same_way(make_bot: MakeBot) -> None:
    bot = await make_bot(sharded=True)
    assert isinstance(bot.client, discord.AutoShardedClient)
    call = await bot.command(ANN)
    assert "What are you building?" in embed(call)["description"]


class GatedStore:
    """The real SQLite store, held at its next read until the test opens the gate."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.gate = asyncio.Event()
        self.gate.set()

    async def get(self, key: Any) -> Any:
        await self.gate.wait()
        return await self._store.get(key)

    async def get_by_id(self, conversation_id: str) -> Any:
        await self.gate.wait()
        return await self._store.get_by_id(conversation_id)

    async def change(self, ref: Any, walk: Any) -> Any:
        await self.gate.wait()
        return await self._store.change(ref, walk)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture
async def gated(
    db_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[tuple[Engine, GatedStore]]:
    store = await SqliteStore.open(db_path)
    gated = GatedStore(store)
    yield Engine(store=gated, registry=registry, advisor="tiny", clock=clock), gated
    await store.close()


async def test_a_slow_click_is_deferred_then_the_message_is_edited(
    make_bot: MakeBot, gated: tuple[Engine, GatedStore]
) -> None:
    engine, store = gated
    bot = await make_bot(engine_=engine, defer_after=SLOW_CALL)
    first = await bot.command(ANN)
    store.gate.clear()

    click_id = bot.feed(
        click_payload(ANN, custom_id=custom_id(first, "Web pages"), components=components(first))
    )
    deferred = await bot.api.wait_callback(click_id)
    assert deferred.body == {"type": 6}  # acknowledged in time, no loading state
    store.gate.set()

    def edits() -> list[Call]:
        return bot.api.matching(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))

    await bot.api.wait_for(lambda: bool(edits()))
    assert "Do editors need an admin?" in edits()[0].body["embeds"][0]["description"]


async def test_a_slow_command_shows_thinking_then_fills_in_the_question(
    make_bot: MakeBot, gated: tuple[Engine, GatedStore]
) -> None:
    engine, store = gated
    bot = await make_bot(engine_=engine, defer_after=SLOW_CALL)
    store.gate.clear()

    command_id = bot.feed(command_payload(ANN))
    deferred = await bot.api.wait_callback(command_id)
    assert deferred.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    store.gate.set()

    def edits() -> list[Call]:
        return bot.api.matching(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))

    await bot.api.wait_for(lambda: bool(edits()))
    assert "What are you building?" in edits()[0].body["embeds"][0]["description"]


async def test_an_expired_conversation_offers_resume_or_start_over(bot: Bot, clock: Clock) -> None:
    first = await bot.command(ANN)
    clock.advance(timedelta(hours=25))

    call = await bot.click(ANN, custom_id(first, "Web pages"), components(first))

    assert call.body["type"] == 7
    assert "Resume where you were, or start over?" in call.body["data"]["content"]
    resumed = await bot.click(ANN, custom_id(call, "Resume"), components(call))
    assert "What are you building?" in embed(resumed)["description"]
