"""Fuzzing interactions through discord.py's own parser: malformed ones never hurt.

Every example is a real interaction (a command, an answer click, a team vote or Next) with at
least one mutation that makes it unreadable (a field of the wrong type or gone, an id that is
not a snowflake, a custom_id we never made, an option the command does not have) plus noise.
None may log at ERROR, and none may change the database, whatever the rest of it says.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import discord
import discord.http
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.client import build_client
from adapters.discord.render.team import START_MODAL_ID
from adapters.services import Services
from adapters.settings import Settings
from bot.pack.registry import PackRegistry
from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from tests.adapters.discord.conftest import ANN, BEN, BOT_TOKEN
from tests.adapters.discord.test_flow import components, custom_id
from tests.adapters.slack.test_fuzz import json_values, snapshot
from tests.conftest import Clock
from tests.fakes.discord_api import (
    FakeDiscordApi,
    click_payload,
    command_payload,
    feed_interaction,
    modal_submit_payload,
    user,
)
from tests.hostile import HOSTILE

EXAMPLES = 1000
CAT = user("446", "cat")
DISCORD_WORK = ("CommandTree-invoker", "discord-ui-", "discord.py: ", "discord ")

Payload = dict[str, Any]
Path_ = tuple[str | int, ...]

numbers = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False))


def _is_not_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return bool(text)  # "" reads as "no id" to discord.py, which is no breakage
    return False


NOT_A_NUMBER = st.one_of(
    st.text(max_size=12).filter(_is_not_int),
    st.lists(numbers, min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), numbers, min_size=1, max_size=2),
)
"""discord.py reads ids with int(): 13, 1.5, True and "1_000" are ids to it, "abc" and [1] are not."""
NOT_TEXT = st.one_of(numbers, st.lists(numbers, max_size=3), st.dictionaries(st.text(max_size=5), numbers))
NOT_OBJECT = st.one_of(numbers, st.text(max_size=10), st.lists(numbers, max_size=3))
NOT_LIST = st.one_of(numbers, st.text(max_size=10), st.dictionaries(st.text(max_size=5), numbers))
BAD_SNOWFLAKES = st.one_of(
    st.sampled_from(
        ["", "abc", "-1", "1" * 3000, "9" * 21, "1e3", "0x10", "\x00", "<@1>", "18446744073709551616"]
    ),
    st.integers(min_value=2**64, max_value=10**3000).map(str),
)
BAD_CUSTOM_IDS = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(["adv:", "adv:x:1:z", "adv:x:1:a", "adv:x:99999999999:a:y", "adv:" + "x" * 200]),
    st.text(max_size=100).map(lambda s: "adv:" + s),
)


def deep(depth: int) -> Any:
    value: Any = 1
    for index in range(depth):
        value = [value] if index % 2 else {"d": value}
    return value


def get(payload: Any, path: Path_) -> Any:
    for part in path:
        payload = payload[part]
    return payload


def put(payload: Any, path: Path_, value: Any) -> None:
    get(payload, path[:-1])[path[-1]] = value


def remove(payload: Any, path: Path_) -> None:
    parent = get(payload, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


Breaker = tuple[Path_, st.SearchStrategy[Any] | None]


def common_breakers(*, dm: bool = False) -> list[Breaker]:
    """`dm`: a direct message carries `user` where a server interaction carries `member.user`."""
    who: Path_ = ("user",) if dm else ("member", "user")
    return [
        (who, None),
        (who, NOT_OBJECT),
        ((*who, "id"), None),
        ((*who, "id"), NOT_A_NUMBER),
        ((*who, "id"), BAD_SNOWFLAKES),
        (("id",), None),
        (("id",), NOT_A_NUMBER),
        (("type",), None),
        (("type",), st.one_of(st.integers(min_value=6, max_value=99), st.text(max_size=3), st.none())),
        (("token",), None),
        (("token",), NOT_TEXT),
        (("application_id",), NOT_A_NUMBER),
        (("data",), None),
        (("data",), NOT_OBJECT),
        (("channel_id",), NOT_A_NUMBER),
        (("channel",), NOT_OBJECT),
        (("attachment_size_limit",), None),
        (("app_permissions",), st.sampled_from(["x", "1.5", "0x5"])),
        *(
            []
            if dm
            else [
                (("guild_id",), BAD_SNOWFLAKES),
                (("guild_id",), NOT_A_NUMBER),
                (("member",), NOT_OBJECT),
                (("member", "permissions"), st.text(max_size=8).filter(_is_not_int)),
                (
                    ("member", "roles"),
                    st.one_of(numbers, st.text(min_size=1, max_size=8).filter(_is_not_int)),
                ),
            ]
        ),
    ]


def command_breakers(*, dm: bool = False) -> list[Breaker]:
    return [
        *common_breakers(dm=dm),
        (("data", "name"), None),
        (("data", "name"), NOT_TEXT),
        (("data", "name"), st.sampled_from(["choose", "other-command", "", "\x00"])),
        (("data", "options"), NOT_LIST),
        (("data", "options"), st.lists(NOT_OBJECT, min_size=1, max_size=2)),
        (("data", "options", 0, "value"), NOT_TEXT),
        (("data", "options", 0, "value"), st.sampled_from(["nonsense", "team2", "", "\x00", "a" * 5000])),
        # An option the command does not have is ignored by discord.py (not a breakage): not here.
        (("data", "options", 0, "type"), st.one_of(st.integers(min_value=4, max_value=20), NOT_TEXT)),
        (("data", "type"), st.one_of(st.integers(min_value=2, max_value=9), st.text(max_size=3))),
    ]


def click_breakers(*, select: bool = False) -> list[Breaker]:
    breakers = [
        *common_breakers(),
        (("data", "custom_id"), None),
        (("data", "custom_id"), NOT_TEXT),
        (("data", "custom_id"), BAD_CUSTOM_IDS),
        (("data", "component_type"), None),
        (("data", "component_type"), st.one_of(st.text(max_size=3), st.none(), st.floats())),
        (("message",), NOT_OBJECT),
        (("message", "id"), NOT_A_NUMBER),
        (("message", "components"), NOT_LIST),
        (("message", "author"), NOT_OBJECT),
        (("data", "values"), NOT_LIST),
    ]
    if select:
        breakers.append((("data", "values"), st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=2)))
    return breakers


def modal_breakers() -> list[Breaker]:
    return [
        *common_breakers(),
        (("data", "custom_id"), None),
        (("data", "custom_id"), NOT_TEXT),
        (("data", "components"), st.integers(min_value=1, max_value=60).map(deep)),
    ]


def _objects(payload: Any, path: Path_ = ()) -> list[Path_]:
    found: list[Path_] = []
    if isinstance(payload, dict):
        found.append(path)
        for key, value in payload.items():
            found += _objects(value, (*path, key))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found += _objects(value, (*path, index))
    return found


@st.composite
def broken_interactions(draw: st.DrawFn, bases: list[tuple[Payload, list[Breaker]]]) -> Payload:
    base, breakers = draw(st.sampled_from(bases))
    payload = copy.deepcopy(base)
    payload["id"] = str(draw(st.integers(min_value=10**17, max_value=10**18)))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        where = draw(st.sampled_from(_objects(payload)))
        noise = draw(st.one_of(json_values, st.integers(min_value=1, max_value=40).map(deep)))
        put(payload, (*where, "x_" + draw(st.text(max_size=5))), noise)
    path, values = draw(st.sampled_from(breakers))
    try:
        if values is None:
            remove(payload, path)
        elif path == ("data", "custom_id"):
            forged = draw(values)
            relabel(payload, payload["data"]["custom_id"], forged)
            payload["data"]["custom_id"] = forged
        else:
            put(payload, path, draw(values))
    except (KeyError, IndexError, TypeError):
        put(payload, path[:1], draw(NOT_OBJECT))
    return payload


def relabel(payload: Payload, old: str, new: Any) -> None:
    """The clicked component carries the forged custom_id too, as a real click on it would."""
    for row in payload.get("message", {}).get("components", []):
        for item in row.get("components", []):
            if item.get("custom_id") == old:
                item["custom_id"] = new


def _is_work(task: asyncio.Task[Any]) -> bool:
    return (
        task.get_name().startswith(DISCORD_WORK) or getattr(task.get_coro(), "__name__", "") == "_explained"
    )


async def settle() -> None:
    """Wait until every interaction discord.py dispatched has been handled (each wait is guarded)."""
    while pending := [t for t in asyncio.all_tasks() if not t.done() and _is_work(t)]:
        await asyncio.wait(pending, timeout=5)


async def handle(bot: Bot, payload: Payload) -> None:
    """Feed one payload as the gateway would (inside the running loop) and wait for its handling."""
    feed_interaction(bot.client, payload)
    await settle()


@dataclass
class Bot:
    client: discord.Client
    api: FakeDiscordApi
    store: SqliteStore


async def _bot(db: Path, registry: PackRegistry, clock: Clock) -> Bot:
    api = FakeDiscordApi()
    discord.http.Route.BASE = await api.start()
    store = await SqliteStore.open(db)
    services = Services(store=cast(Store, store), registry=registry, advisor="tiny", clock=clock)
    settings_ = Settings(
        db_url=str(db), knowledge_dir=db.parent, advisor="tiny", idle_timeout=timedelta(hours=24)
    )
    client = build_client(services, settings_)
    await client.login(BOT_TOKEN)
    return Bot(client, api, store)


async def _bases(bot: Bot) -> list[tuple[Payload, list[Breaker]]]:
    """Valid interactions, each of which would change the database if it were read."""

    async def feed(payload: Payload) -> Any:
        feed_interaction(bot.client, payload)
        return await bot.api.wait_callback(str(payload["id"]))

    first = await feed(command_payload(ANN))
    answer = click_payload(ANN, custom_id=custom_id(first, "JSON API"), components=components(first))
    team = command_payload(ANN, action="team")
    team["data"]["options"].append({"name": "topic", "type": 3, "value": "Fuzz"})
    question = await feed(team)
    vote = click_payload(
        BEN, custom_id=custom_id(question, "JSON API"), components=components(question), flags=0
    )
    next_ = click_payload(
        ANN, custom_id=custom_id(question, "Next"), components=components(question), flags=0
    )
    await settle()
    # The start form in another channel: read, it would open a session there.
    modal = modal_submit_payload(
        CAT, custom_id=START_MODAL_ID, values={"topic": "Fuzzed", "anonymous": False}
    )
    modal["channel_id"] = "334"
    modal["channel"] = dict(modal["channel"], id="334")
    new_user = command_payload(CAT, action="start")
    dm = command_payload(CAT, action="start", guild_id=None)
    return [
        (new_user, command_breakers()),
        (dm, command_breakers(dm=True)),
        (answer, click_breakers()),
        (vote, click_breakers()),
        (next_, click_breakers()),
        (modal, modal_breakers()),
    ]


def test_mutated_interactions_never_hurt(
    tmp_path: Path,
    registry: PackRegistry,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)  # restored afterwards
    caplog.set_level(logging.WARNING)
    tried = 0
    with asyncio.Runner() as runner:
        bot = runner.run(_bot(tmp_path / "advisor.db", registry, clock))
        try:
            bases = runner.run(_bases(bot))
            with sqlite3.connect(tmp_path / "advisor.db") as reader:
                start = snapshot(reader)
                seen = len(caplog.records)

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(payload=broken_interactions(bases))
                def one(payload: Payload) -> None:
                    nonlocal tried, seen
                    before = snapshot(reader)
                    runner.run(handle(bot, payload))
                    tried += 1
                    errors = [r.getMessage() for r in caplog.records[seen:] if r.levelno >= logging.ERROR]
                    seen = len(caplog.records)
                    assert errors == []
                    assert snapshot(reader) == before

                one()
                assert snapshot(reader) == start
        finally:
            runner.run(_close(bot))
    assert tried >= EXAMPLES


async def _close(bot: Bot) -> None:
    await bot.client.close()
    await bot.store.close()
    await bot.api.close()
