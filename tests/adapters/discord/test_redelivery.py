"""A Discord interaction its process acknowledged but never answered is finished by the next one.

The first process here is a real client whose work is stopped where a crash would stop it (or
whose record is left in the store exactly as a dead process leaves it); the next process is a
fresh client on the same database whose sweeper takes the record and feeds its payload through
discord.py's parser again. What the user sees is what the fake Discord API received.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from adapters.discord.deliveries import REPLAY_MARGIN, TOKEN_VALID, InteractionLog, delivery_key
from adapters.discord.redaction import install_token_redaction, remove_token_redaction
from adapters.discord.redelivery import discord_finisher
from adapters.runtime.redelivery import Redelivery
from adapters.runtime.service import Runtime
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor, ConversationKey
from bot.personal.engine import Engine
from bot.store.base import TeamStore
from bot.store.deliveries import Delivery
from bot.store.sqlite import SqliteStore
from bot.team.engine import TeamEngine
from tests.adapters.discord.conftest import ANN, BEN, GUILD_ID, SLOW_CALL, Bot, MakeBot
from tests.adapters.discord.test_flow import components, custom_id
from tests.adapters.discord.test_robustness import GatedStore
from tests.adapters.discord.test_team import start_team, vote
from tests.conftest import Clock
from tests.fakes.discord_api import APP_ID, Call, FakeDiscordApi, click_payload, command_payload, user

LEASE = timedelta(seconds=30)
ANN_ACTOR = Actor("discord", GUILD_ID, ANN["id"])


@dataclass
class Process:
    """One bot process: its client, its record of interactions, its sweeper."""

    bot: Bot
    runtime: Runtime
    interactions: InteractionLog
    redelivery: Redelivery


@pytest.fixture
def spawn(make_bot: MakeBot, engine: Engine, clock: Clock) -> Any:
    """A bot process on the test database (`engine_`: another engine on the same file)."""

    async def start(*, engine_: Engine | None = None, **kw: Any) -> Process:
        chosen = engine_ if engine_ is not None else engine
        runtime = Runtime(lease=LEASE, clock=clock)
        interactions = InteractionLog(deliveries=cast(SqliteStore, chosen.store), runtime=runtime)
        bot = await make_bot(engine_=chosen, runtime=runtime, interactions=interactions, **kw)
        redelivery = Redelivery(
            deliveries=cast(SqliteStore, chosen.store),
            platform="discord",
            finish=discord_finisher(bot.client, interactions),
            runtime=runtime,
        )
        return Process(bot, runtime, interactions, redelivery)

    return start


@pytest.fixture
async def gated(
    db_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[tuple[Engine, GatedStore]]:
    """An engine whose store holds every read until the test opens the gate: the work of a
    process stops there, after the deferral, as a crash would stop it."""
    store = await SqliteStore.open(db_path)
    held = GatedStore(store)
    yield Engine(store=cast(SqliteStore, held), registry=registry, advisor="tiny", clock=clock), held
    await store.close()


def row(db: Path, interaction_id: str) -> dict[str, Any]:
    with sqlite3.connect(db) as raw:
        raw.row_factory = sqlite3.Row
        found = raw.execute("SELECT * FROM deliveries WHERE key = ?", (delivery_key(int(interaction_id)),))
        return dict(found.fetchone())


def on_token(api: FakeDiscordApi, payload: dict[str, Any], method: str | None = None) -> list[Call]:
    """The edits, follow-ups and looks sent with this interaction's token."""
    token = payload["token"]
    return api.matching(lambda c: c.token == token and (method is None or c.method == method))


def callbacks_for(api: FakeDiscordApi, payload: dict[str, Any]) -> list[Call]:
    return api.matching(lambda c: c.interaction_id == str(payload["id"]))


async def settled(process: Process) -> None:
    """Wait for the work the process runs now (started: the fake saw a request from it)."""
    assert await process.runtime.work.drain(5.0) == 0


async def crash(kind: str = "discord click") -> None:
    """The process dies where its work is: the task is gone, nothing is finished or released."""
    stuck = [t for t in asyncio.all_tasks() if t.get_name() == kind and not t.done()]
    assert stuck, f"no {kind!r} work in flight"
    for task in stuck:
        task.cancel()
    await asyncio.wait(stuck)


async def recorded(store: SqliteStore, payload: dict[str, Any], clock: Clock, *, resumable: bool) -> None:
    """The record a dead process leaves: payload and token kept, never finished."""
    delivery = Delivery(
        key=delivery_key(int(payload["id"])),
        platform="discord",
        payload=json.dumps(payload),
        user=str((payload.get("member") or payload)["user"]["id"]),
        received_at=clock(),
        valid_until=clock() + TOKEN_VALID - REPLAY_MARGIN,
        resumable=resumable,
    )
    await store.record_delivery(delivery, lease=LEASE)


async def test_a_deferred_click_whose_process_died_is_finished_by_the_next_process_once(
    spawn: Any, gated: tuple[Engine, GatedStore], store: SqliteStore, db_path: Path, clock: Clock
) -> None:
    engine, held = gated
    first = await spawn(engine_=engine, defer_after=SLOW_CALL)
    question = await first.bot.command(ANN)
    held.gate.clear()
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    deferred = await first.bot.api.wait_callback(first.bot.feed(click))
    assert deferred.body == {"type": 6}  # acknowledged: Discord now waits up to 15 minutes
    await crash()
    assert row(db_path, click["id"])["resumable"] == 1
    assert row(db_path, click["id"])["done_at"] is None

    second = await spawn()
    assert await second.redelivery.sweep() == 0  # the dead process's lease still runs
    clock.advance(LEASE * 2)
    assert await second.redelivery.sweep() == 1
    api = second.bot.api
    await api.wait_for(lambda: bool(on_token(api, click, "PATCH")))

    (edit,) = on_token(api, click, "PATCH")  # the clicked message, edited to the next question
    assert edit.path == f"webhooks/{APP_ID}/{click['token']}/messages/@original"
    assert "Do editors need an admin?" in edit.body["embeds"][0]["description"]
    assert len(callbacks_for(api, click)) == 1  # no second initial response: Discord would refuse it
    await settled(second)
    assert row(db_path, click["id"])["done_at"] is not None
    assert row(db_path, click["id"])["payload"] == ""  # the token is gone with it
    conversation = await store.get(ConversationKey.personal(ANN_ACTOR, "tiny"))
    assert conversation is not None
    assert conversation.answers == (("kind", "pages"),)  # applied once
    clock.advance(LEASE * 2)
    assert await second.redelivery.sweep() == 0  # finished: never again


async def test_a_click_the_dead_process_had_applied_is_shown_as_it_stands_not_applied_again(
    spawn: Any, bot: Bot, engine: Engine, store: SqliteStore, db_path: Path, clock: Clock
) -> None:
    question = await bot.command(ANN)
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    # The dead process recorded it, deferred it, applied the answer, and died before replying.
    await recorded(store, click, clock, resumable=True)
    shown = await engine.current(ANN_ACTOR)
    await engine.answer(ANN_ACTOR, conversation_id=shown.conversation_id, step=1, option_id="pages")

    clock.advance(LEASE * 2)
    later = await spawn()
    assert await later.redelivery.sweep() == 1
    await bot.api.wait_for(lambda: bool(on_token(bot.api, click, "PATCH")))

    (edit,) = on_token(bot.api, click, "PATCH")
    assert "Do editors need an admin?" in edit.body["embeds"][0]["description"]  # where it stands
    conversation = await store.get(ConversationKey.personal(ANN_ACTOR, "tiny"))
    assert conversation is not None
    assert conversation.answers == (("kind", "pages"),)
    await settled(later)
    assert row(db_path, click["id"])["payload"] == ""


async def test_one_marked_resumable_but_never_acknowledged_is_given_up_with_nothing_applied(
    spawn: Any, bot: Bot, store: SqliteStore, db_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The dead process marked it resumable and died before its deferral reached Discord."""
    question = await bot.command(ANN)
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    bot.api.track(click)  # Discord's rules: this token was never acknowledged
    await recorded(store, click, clock, resumable=True)

    clock.advance(LEASE * 2)
    later = await spawn()
    assert await later.redelivery.sweep() == 1
    await bot.api.wait_for(lambda: bool(bot.api.refused))
    await settled(later)
    assert row(db_path, click["id"])["done_at"] is not None

    assert [c.method for c, _ in bot.api.refused] == ["GET"]  # one look at the original response
    assert on_token(bot.api, click) == []  # no edit, no follow-up
    assert callbacks_for(bot.api, click) == []
    conversation = await store.get(ConversationKey.personal(ANN_ACTOR, "tiny"))
    assert conversation is not None
    assert conversation.answers == ()  # nothing applied for a user who saw "interaction failed"
    assert row(db_path, click["id"])["payload"] == ""
    assert "never acknowledged; given up" in caplog.text


async def test_one_never_responded_to_is_given_up_unanswered_and_its_token_deleted(
    spawn: Any, bot: Bot, store: SqliteStore, db_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Recorded, then the process died within the 3 seconds: the token can never answer it."""
    question = await bot.command(ANN)
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    await recorded(store, click, clock, resumable=False)

    clock.advance(LEASE * 2)
    later = await spawn()
    assert await later.redelivery.sweep() == 0
    assert on_token(bot.api, click) == []  # not even a look: there is nothing to finish
    assert row(db_path, click["id"])["payload"] == ""
    assert row(db_path, click["id"])["done_at"] is not None
    assert "could not be finished in time" in caplog.text


async def test_two_processes_sweeping_at_once_finish_each_interaction_exactly_once(
    spawn: Any, bot: Bot, store: SqliteStore, db_path: Path, clock: Clock
) -> None:
    clicks = []
    for n in range(12):
        who = user(str(700 + n), f"user{n}")
        question = await bot.command(who)
        click = click_payload(who, custom_id=custom_id(question, "JSON API"), components=components(question))
        await recorded(store, click, clock, resumable=True)
        clicks.append(click)

    clock.advance(LEASE * 2)
    one, two = await spawn(), await spawn()
    taken = await asyncio.gather(one.redelivery.sweep(), two.redelivery.sweep())
    assert sum(taken) == len(clicks)

    api = bot.api
    await api.wait_for(lambda: all(on_token(api, c, "PATCH") for c in clicks))
    await settled(one)
    await settled(two)
    assert all(row(db_path, c["id"])["done_at"] is not None for c in clicks)
    assert [len(on_token(api, c, "PATCH")) for c in clicks] == [1] * len(clicks)
    for n in range(len(clicks)):
        actor = Actor("discord", GUILD_ID, str(700 + n))
        conversation = await store.get(ConversationKey.personal(actor, "tiny"))
        assert conversation is not None
        assert conversation.answers == (("kind", "api"),)


async def test_a_graceful_stop_hands_an_unfinished_interaction_to_the_next_process_at_once(
    spawn: Any, bot: Bot, gated: tuple[Engine, GatedStore], store: SqliteStore, db_path: Path
) -> None:
    question = await bot.command(ANN)
    engine, held = gated
    first = await spawn(engine_=engine, defer_after=0)  # deferred at once: resumable from the start
    held.gate.clear()
    click = click_payload(ANN, custom_id=custom_id(question, "Web pages"), components=components(question))
    await first.bot.api.wait_callback(first.bot.feed(click))
    assert row(db_path, click["id"])["resumable"] == 1

    assert await first.runtime.work.drain(0.01) == 1  # SIGTERM: the bound ran out, handed back
    later = await spawn()
    assert await later.redelivery.sweep() == 1  # no lease to wait out
    api = later.bot.api
    await api.wait_for(lambda: bool(on_token(api, click, "PATCH")))
    assert "Do editors need an admin?" in on_token(api, click, "PATCH")[0].body["embeds"][0]["description"]


async def test_a_replayed_restart_never_restarts_twice(
    spawn: Any, bot: Bot, engine: Engine, store: SqliteStore, clock: Clock
) -> None:
    await bot.command(ANN)
    restart = command_payload(ANN, action="restart")
    await recorded(store, restart, clock, resumable=True)
    await engine.restart(ANN_ACTOR)  # the dead process's run of it
    shown = await engine.current(ANN_ACTOR)
    clock.advance(timedelta(seconds=5))
    await engine.answer(ANN_ACTOR, conversation_id=shown.conversation_id, step=shown.step, option_id="api")

    clock.advance(LEASE * 2)
    later = await spawn()
    assert await later.redelivery.sweep() == 1
    await bot.api.wait_for(lambda: bool(on_token(bot.api, restart, "PATCH")))

    assert "How big is it?" in on_token(bot.api, restart, "PATCH")[0].body["embeds"][0]["description"]
    conversation = await store.get(ConversationKey.personal(ANN_ACTOR, "tiny"))
    assert conversation is not None
    assert conversation.answers == (("kind", "api"),)  # the answer after the restart is kept


async def test_a_replayed_next_that_had_closed_the_question_shows_the_next_one(
    spawn: Any, bot: Bot, engine: Engine, registry: PackRegistry, store: SqliteStore, clock: Clock
) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    next_ = click_payload(ANN, custom_id=custom_id(q1, "Next"), components=components(q1), flags=0)
    await recorded(store, next_, clock, resumable=True)
    team = TeamEngine(store=cast(TeamStore, store), registry=registry, advisor="tiny", clock=clock)
    sid = custom_id(q1, "Next").split(":")[1]
    await team.advance(session_id=sid, step=1, member=ANN["id"], can_manage=False)  # then it died

    clock.advance(LEASE * 2)
    later = await spawn(team_engine=team)
    assert await later.redelivery.sweep() == 1
    await bot.api.wait_for(lambda: bool(on_token(bot.api, next_, "PATCH")))

    (edit,) = on_token(bot.api, next_, "PATCH")
    assert "Do editors need an admin?" in edit.body["embeds"][0]["description"]  # the lost post's question
    session = await team.session(sid)
    assert len(session.closed) == 1  # advanced once


async def test_a_replay_never_logs_the_interaction_token(
    spawn: Any, bot: Bot, store: SqliteStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    attached = install_token_redaction()  # as `advisor discord` does: discord.py's own debug lines
    try:
        await _replay_one(spawn, bot, store, clock, caplog)
    finally:
        remove_token_redaction(attached)


async def _replay_one(
    spawn: Any, bot: Bot, store: SqliteStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    question = await bot.command(BEN)
    click = click_payload(BEN, custom_id=custom_id(question, "Not sure"), components=components(question))
    await recorded(store, click, clock, resumable=True)
    clock.advance(LEASE * 2)
    later = await spawn()
    await later.redelivery.sweep()
    await bot.api.wait_for(lambda: bool(on_token(bot.api, click, "PATCH")))
    assert click["token"] not in caplog.text
