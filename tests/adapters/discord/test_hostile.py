"""Hostile input on Discord: no mention pings, no masked links, clear refusals, no tracebacks.

Every message goes out with mentions disabled; text from users and packs is also made inert
(`render.common.escape`), so `@everyone` and `[x](https://evil)` show as typed, never as a
ping or a link that hides where it goes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.render import personal as render_personal
from adapters.discord.render import team as render_team
from adapters.discord.render.common import Rendered, escape, masked_link
from bot.pack.registry import PackRegistry
from bot.personal.engine import Engine
from bot.personal.replies import ResultReply
from bot.store.sqlite import SqliteStore
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamClosedReply, TeamQuestionReply, TeamResultReply
from tests.adapters.discord.conftest import ANN, BEN, Bot, MakeBot
from tests.adapters.discord.test_flow import components, custom_id
from tests.adapters.discord.test_team import start_team
from tests.adapters.replies import personal_replies, team_replies
from tests.adapters.slack.test_fuzz import snapshot
from tests.conftest import Clock
from tests.fakes.discord_api import Call, click_payload, command_payload, user
from tests.hostile import DISCORD_MARKUP, LONG, poison

EPHEMERAL = 64
NOTHING_SAVED = "nothing was saved. Try again"

# --- every message kind, every field -----------------------------------------------------


@pytest.fixture
async def replies(engine: Engine, store: SqliteStore, clock: Clock) -> list[Any]:
    team = TeamEngine(store=store, registry=engine.registry, advisor="tiny", clock=clock)
    return [*await personal_replies(engine), *await team_replies(team)]


def rendered(reply: Any) -> list[Rendered]:
    if isinstance(reply, TeamAdvanced):
        return [render_team.render_team_closed(reply.closed), *rendered(reply.following)]
    if isinstance(reply, TeamQuestionReply):
        return [render_team.render_team_question(reply)]
    if isinstance(reply, TeamClosedReply):
        return [render_team.render_team_closed(reply)]
    if isinstance(reply, TeamResultReply):
        return [render_team.render_team_result(reply)]
    out = [render_personal.render(reply)]
    if isinstance(reply, ResultReply):
        out.append(render_personal.render_shared(reply, owner_mention="<@444>"))
    return out


def texts(message: Rendered) -> list[str]:
    """Every text Discord shows: content, embed titles, descriptions, fields, footers, labels."""
    found = [message.content or ""]
    for embed in message.embeds:
        found += [embed.title or "", embed.description or "", embed.footer.text or ""]
        found += [f"{f.name}\n{f.value}" for f in embed.fields]
    if message.view is not None:
        for item in message.view.children:
            found.append(str(getattr(item, "label", "") or ""))
            found += [o.label for o in getattr(item, "options", [])]
    return found


@pytest.mark.parametrize("hostile", [*DISCORD_MARKUP, "[a](<https://evil.example>)", "</help:1> <t:1:R>"])
async def test_every_field_of_every_message_is_inert(replies: list[Any], hostile: str) -> None:
    seen = []
    for reply in replies:
        for message in rendered(poison(reply, hostile)):
            for text in texts(message):
                assert hostile not in text
                assert "](https://evil" not in text
                assert "@everyone" not in text
                assert "@here" not in text
                seen.append(text)
    assert any(escape(hostile) in text for text in seen), "the text is shown, only inert"


async def test_long_text_still_fits_discords_limits(replies: list[Any]) -> None:
    for reply in replies:
        for message in rendered(poison(reply, LONG)):
            assert len(message.content or "") <= 2000
            for embed in message.embeds:
                assert len(embed) <= 6000


def test_a_source_link_cannot_hide_a_second_one() -> None:
    made = masked_link(
        escape("Docs [x](https://evil.example)"), "https://docs.example/a) [y](https://evil.example"
    )
    assert made.count("](") == 1
    assert masked_link("Docs", "javascript:alert(1)") == "Docs"


# --- through the real client -------------------------------------------------------------


def sent(bot: Bot) -> list[Call]:
    """Every message the bot sent or edited (callbacks, followups, @original edits)."""
    return bot.api.matching(lambda c: c.method in ("POST", "PATCH") and isinstance(c.body, dict))


def payload_of(call: Call) -> dict[str, Any]:
    body: dict[str, Any] = call.body
    return dict(body.get("data", body)) if "type" in body else body


async def test_every_send_and_edit_disables_mentions(bot: Bot) -> None:
    question = await start_team(bot, topic="@everyone [x](https://evil.example) <@445>")
    await bot.click(BEN, custom_id(question, "JSON API"), components(question), flags=0)
    await bot.click(ANN, custom_id(question, "Next"), components(question), flags=0)
    await bot.api.wait_for(lambda: len(sent(bot)) >= 4)
    first = await bot.command(user("446", "cat"))
    await bot.click(user("446", "cat"), custom_id(first, "JSON API"), components(first))
    messages = [
        payload_of(c) for c in sent(bot) if payload_of(c).get("content") or payload_of(c).get("embeds")
    ]
    assert len(messages) >= 5
    for message in messages:
        assert message.get("allowed_mentions") == {"parse": []}, message
        shown = str(message.get("content")) + str(message.get("embeds"))
        assert "@everyone" not in shown
        assert "](https://evil" not in shown


@pytest.mark.parametrize(
    ("who", "says"),
    [
        pytest.param(user("1" * 3000, "long"), "user id is not a valid id", id="3000-digit-user"),
        pytest.param(user("18446744073709551616", "big"), "user id is not a valid id", id="user-over-2**64"),
    ],
)
async def test_an_id_discord_would_never_send_is_refused_and_not_stored(
    bot: Bot, db_path: Path, who: dict[str, Any], says: str
) -> None:
    call = await bot.command(who)
    assert call.body["data"]["flags"] == EPHEMERAL
    assert says in call.body["data"]["content"]
    assert snapshot(db_path)["conversations"] == []


async def test_an_interaction_with_no_member_and_no_user_is_refused(bot: Bot, db_path: Path) -> None:
    payload = command_payload(ANN)
    del payload["member"]
    call = await bot.api.wait_callback(bot.feed(payload))
    assert "names no user" in call.body["data"]["content"]
    assert snapshot(db_path)["conversations"] == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda p: p["data"].update(custom_id="adv:x:1:z"), id="unknown-action"),
        pytest.param(lambda p: p["data"].update(component_type="2"), id="type-as-text"),
        pytest.param(lambda p: p["data"].update(values="api"), id="values-not-a-list"),
        pytest.param(lambda p: p.update(data=False), id="data-false"),
        pytest.param(lambda p: p.update(guild_id="1e3"), id="guild-id-1e3"),
        pytest.param(lambda p: p["data"].update(custom_id="adv:" + "x" * 200), id="custom-id-too-long"),
    ],
)
async def test_a_malformed_click_is_one_warning_and_changes_nothing(
    bot: Bot, db_path: Path, caplog: pytest.LogCaptureFixture, mutate: Any
) -> None:
    first = await bot.command(ANN)
    before = snapshot(db_path)
    payload = click_payload(ANN, custom_id=custom_id(first, "JSON API"), components=components(first))
    mutate(payload)
    for row in payload["message"]["components"]:  # the clicked component carries the same id
        for item in row["components"]:
            if isinstance(payload["data"], dict) and item["custom_id"] == custom_id(first, "JSON API"):
                item["custom_id"] = payload["data"].get("custom_id")
    caplog.clear()
    bot.feed(payload)
    await bot.command(ANN, "status")  # served after the click was handled or dropped
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("adapters")]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]
    assert warned[0].exc_info is None
    assert snapshot(db_path)["conversations"] == before["conversations"]


async def test_an_unknown_command_name_is_one_warning_and_an_explanation(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    payload = command_payload(ANN)
    payload["data"]["name"] = "rm-rf"
    call = await bot.api.wait_callback(bot.feed(payload))
    assert call.body["data"]["flags"] == EPHEMERAL
    assert "could not read this request" in call.body["data"]["content"]
    assert sum("unreadable command" in r.getMessage() for r in caplog.records) == 1


# --- a locked database ---------------------------------------------------------------------


@contextmanager
def locked(db: Path) -> Iterator[None]:
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
async def impatient(make_bot: MakeBot, db_path: Path, registry: PackRegistry, clock: Clock) -> Any:
    store = await SqliteStore.open(db_path, busy_timeout_ms=50)
    engine = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
    team = TeamEngine(store=store, registry=registry, advisor="tiny", clock=clock)
    yield await make_bot(engine_=engine, team_engine=team)
    await store.close()


async def test_a_command_click_and_vote_on_a_locked_database_say_nothing_was_saved(
    impatient: Bot, db_path: Path
) -> None:
    bot = impatient
    first = await bot.command(ANN)
    question = await start_team(bot, who=BEN)
    before = snapshot(db_path)
    with locked(db_path):
        answers = [
            await bot.command(user("446", "cat")),
            await bot.click(ANN, custom_id(first, "JSON API"), components(first)),
            await bot.click(ANN, custom_id(question, "JSON API"), components(question), flags=0),
        ]
    for call in answers:
        assert call.body["data"]["flags"] == EPHEMERAL
        assert NOTHING_SAVED in call.body["data"]["content"]
        assert str(db_path) not in call.body["data"]["content"]
    assert snapshot(db_path) == before


def test_escape_is_invisible_and_idempotent() -> None:
    for hostile in DISCORD_MARKUP:
        once = escape(hostile)
        assert escape(once) == once
        assert once.replace("\u200b", "") == hostile
    assert escape("plain text, **bold** and `code`") == "plain text, **bold** and `code`"
