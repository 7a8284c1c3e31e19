"""Two bot processes on one PostgreSQL database both switch to an edited pack, and strand nobody.

Each process is `advisor slack --http` with its own copy of the pack files, as replicas of a
rolling deploy are. After an edit, one reloads by its file poll and the other on SIGHUP; both
then serve the new version, conversations pinned to the old one finish on it from either
process (and from a process started after the edit, which never had it on disk: it reads it
back from the database), and after a wording-only edit a conversation carries on with no notice.
"""

from __future__ import annotations

import itertools
import json
import shutil
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest
from aiohttp import ClientSession

from tests.adapters.slack.bot_process import ROOT, BotProcess, bot_environment, buttons, click, command
from tests.bot.store.conftest import postgres_schema_url
from tests.fakes.slack_api import FakeSlack, WebhookPost

__all__ = ["postgres_schema_url"]  # the fixture, for pytest

SIZE = "How big is it?"
ADMIN = "Do editors need an admin?"
ADMIN_REWORDED = "Will editors want an admin screen?"
_hooks = itertools.count(1)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    started = await FakeSlack().start()
    yield started
    await started.close()


def copy_pack(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "tests" / "packs" / "tiny", folder / "tiny")
    return folder


def edit(folders: list[Path], *changes: tuple[str, str]) -> None:
    """The same change in every replica's files (a deploy of the new pack), each file replaced
    at once as a deploy does, so a poll never reads half a change."""
    for folder in folders:
        path = folder / "tiny" / "questions.yaml"
        text = path.read_text()
        for old, new in changes:
            assert old in text
            text = text.replace(old, new)
        staged = path.with_suffix(".staged")
        staged.write_text(text)
        staged.replace(path)


def reloaded(why: str, *, since: str = "") -> Callable[[str], bool]:
    """The log line of a successful reload (not "not reloaded ..."), from version `since`."""
    return lambda line: f" reloaded ({why}): version {since}" in line and "not reloaded" not in line


class User:
    """Someone clicking in Slack; each request goes to whichever replica the test names."""

    def __init__(self, fake: FakeSlack, http: ClientSession, name: str) -> None:
        self.fake, self.http, self.name = fake, http, name
        self.shown: dict[str, str] = {}

    async def _send(self, bot: BotProcess, body: str) -> WebhookPost:
        assert await bot.post(self.http, body) == 200
        post = await self.fake.next_post()
        self.shown = buttons(post.body)
        return post

    async def start(self, bot: BotProcess) -> WebhookPost:
        hook = f"{self.name}-{next(_hooks)}"
        return await self._send(bot, command(self.fake, user=self.name, hook=hook, trigger=hook))

    async def press(self, bot: BotProcess, label: str) -> WebhookPost:
        hook = f"{self.name}-{next(_hooks)}"
        value = self.shown[label]
        return await self._send(bot, click(self.fake, value, user=self.name, hook=hook, trigger=hook))


async def serving(bot: BotProcess, http: ClientSession) -> str:
    status, text = await bot.get(http, "/readyz")
    assert status == 200, text
    return str(json.loads(text)["pack"]["version"])


async def pins(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT user_id, pack_version FROM conversations")
    finally:
        await conn.close()
    return {row["user_id"]: row["pack_version"] for row in rows}


async def test_two_processes_on_postgresql_both_switch_and_strand_nobody(
    fake: FakeSlack, tmp_path: Path, postgres_schema_url: str
) -> None:
    files_a, files_b = copy_pack(tmp_path, "a"), copy_pack(tmp_path, "b")

    def env(files: Path, poll: str) -> dict[str, str]:
        return bot_environment(fake, db=postgres_schema_url, knowledge=files, ADVISOR_PACK_POLL_SECONDS=poll)

    a = BotProcess(env(files_a, "0.1"))  # reloads when its files change
    b = BotProcess(env(files_b, "0"))  # reloads on SIGHUP only
    c: BotProcess | None = None
    await a.start()
    await b.start()
    try:
        async with ClientSession() as http:
            old = await serving(a, http)
            assert await serving(b, http) == old
            u1, u2, u3, u4, u5 = (User(fake, http, f"U{n}") for n in range(1, 6))
            for who, where in ((u1, a), (u2, b), (u5, a)):
                await who.start(where)
                assert ADMIN in (await who.press(where, "Web pages")).text

            # A structural edit: the option they answered is renamed, the admin question changes.
            edit(
                [files_a, files_b],
                ("- id: pages", "- id: web"),
                ("- id: none\n        label: No admin", "- id: later\n        label: Later"),
            )
            await a.logged(reloaded("its files changed"))
            b.signal(signal.SIGHUP)
            await b.logged(reloaded("SIGHUP"))
            new = await serving(a, http)
            assert new != old
            assert await serving(b, http) == new

            # Both serve the new version to someone starting now ...
            for who, where in ((u3, a), (u4, b)):
                await who.start(where)
                assert who.shown["Web pages"].endswith(":a:web")
            # ... and each old conversation finishes on its own version, on the other replica.
            for who, where in ((u1, b), (u2, a)):
                assert SIZE in (await who.press(where, "No admin")).text  # "none" leads on, on the old one
                assert "Top pick" in (await who.press(where, "A single file")).text
            # A replica started after the edit never had the old files: it reads them back.
            c = BotProcess(env(files_a, "0.1"))
            await c.start()
            assert await serving(c, http) == new
            assert SIZE in (await u5.press(c, "No admin")).text
            pinned = await pins(postgres_schema_url)
            assert [pinned[u] for u in ("U1", "U2", "U5")] == [old] * 3
            assert [pinned[u] for u in ("U3", "U4")] == [new] * 2

            # A wording-only edit: both switch again, and a conversation carries on silently.
            edit([files_a, files_b], (ADMIN, ADMIN_REWORDED))
            await a.logged(reloaded("its files changed", since=new[:8]))
            b.signal(signal.SIGHUP)
            await b.logged(reloaded("SIGHUP", since=new[:8]))
            reworded = await serving(a, http)
            assert reworded not in (old, new)
            assert await serving(b, http) == reworded
            shown = (await u3.press(b, "Web pages")).text
            assert ADMIN_REWORDED in shown
            assert "updated" not in shown
            assert "no longer" not in shown
            assert (await pins(postgres_schema_url))["U3"] == reworded
    finally:
        for bot in (a, b, c):
            if bot is not None:
                await bot.stop()
