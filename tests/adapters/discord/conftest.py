"""A real discord.py client on a fake Discord REST API, fed raw INTERACTION_CREATE payloads."""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

with warnings.catch_warnings():
    # discord.py 2.7 imports the stdlib audioop (voice), deprecated in 3.11; pytest turns
    # warnings into errors, and this one is not ours to fix.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    import discord.http

from adapters.discord.client import build_client
from adapters.services import Services
from adapters.settings import Secret, Settings
from bot.personal.engine import Engine
from bot.store.base import Store
from bot.team.engine import TeamEngine
from tests.fakes.discord_api import (
    GUILD_ID,
    Call,
    FakeDiscordApi,
    click_payload,
    command_payload,
    feed_interaction,
    user,
)

BOT_TOKEN = "fake-bot-token-Zm9vYmFy.SECRET"
SLOW_CALL = 0.25
"""The `defer_after` of tests whose gated store holds one click back: long enough that an
ungated command never defers on a loaded 2-core CI machine (10 ms did, now and then), short
enough that the held click defers at once."""
ANN = user("444", "ann")
BEN = user("445", "ben")


@dataclass
class Bot:
    """One logged-in client and the fake it talks to."""

    client: discord.Client
    api: FakeDiscordApi

    def feed(self, payload: dict[str, Any]) -> str:
        feed_interaction(self.client, payload)
        return str(payload["id"])

    async def command(self, who: dict[str, Any], action: str | None = None, **kw: Any) -> Call:
        return await self.api.wait_callback(self.feed(command_payload(who, action=action, **kw)))

    async def click(
        self, who: dict[str, Any], custom_id: str, components: Any, values: list[str] | None = None, **kw: Any
    ) -> Call:
        payload = click_payload(who, custom_id=custom_id, components=components, values=values, **kw)
        return await self.api.wait_callback(self.feed(payload))


@dataclass
class Bots:
    made: list[discord.Client] = field(default_factory=list)


@pytest.fixture
async def fake_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordApi]:
    api = FakeDiscordApi()
    monkeypatch.setattr(discord.http.Route, "BASE", await api.start())
    yield api
    await api.close()


@pytest.fixture
def settings(db_path: Path, tiny_path: Path) -> Settings:
    return Settings(
        db_url=str(db_path),
        knowledge_dir=tiny_path.parent,
        advisor="tiny",
        idle_timeout=timedelta(hours=24),
        discord_token=Secret(BOT_TOKEN),
    )


MakeBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(engine: Engine, settings: Settings, fake_api: FakeDiscordApi) -> AsyncIterator[MakeBot]:
    """Build and log in a client from the production factory (call it again to 'restart')."""
    clients: list[discord.Client] = []

    async def make(*, engine_: Engine | None = None, team_engine: TeamEngine | None = None, **kw: Any) -> Bot:
        chosen = engine_ or engine
        services = Services(
            store=cast(Store, chosen.store),
            registry=chosen.registry,
            advisor=chosen.advisor,
            engine=chosen,
            team=team_engine,
        )
        client = build_client(services, settings, **kw)
        await client.login(BOT_TOKEN)
        clients.append(client)
        return Bot(client, fake_api)

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def bot(make_bot: MakeBot) -> Bot:
    return await make_bot()


@pytest.fixture(autouse=True)
def no_bugs_logged(caplog: pytest.LogCaptureFixture) -> Any:
    """discord.py logs and swallows callback exceptions: fail the test if any was logged."""
    caplog.set_level(logging.DEBUG)
    yield
    bugs = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bugs, [r.getMessage() for r in bugs]


__all__ = ["ANN", "BEN", "BOT_TOKEN", "GUILD_ID", "SLOW_CALL", "Bot", "MakeBot"]
