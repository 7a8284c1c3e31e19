"""Multi-workspace installs through bolt's OAuth flow, with installations in the project's database.

ADVISOR_DB decides where: a SQLite file for one process, PostgreSQL for several replicas (see
`installs_postgres.py`). On SQLite, slack-sdk's stores create their own tables
(`slack_installations`, `slack_bots`, `oauth_states`) beside the conversations, so one file
holds everything the bot keeps. Their "async" methods run blocking sqlite3 calls on the event
loop, and bolt looks the installation up on every request, so the subclasses below run them on
a worker thread (each call opens its own connection, so threads never share one).
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from adapters.settings import Settings
from adapters.slack.manifest import BOT_SCOPES
from bot.errors import SettingsError, StoreUnavailable
from bot.store import sqlite_path

STATE_SECONDS = 600
"""How long an install link stays valid."""
STATE_BYTES = 24
POSTGRES_SCHEMES = ("postgresql", "postgres")


class ThreadedInstallationStore(SQLite3InstallationStore):
    """slack-sdk's SQLite installation store, its blocking work moved off the event loop."""

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found: Bot | None = await asyncio.to_thread(
            self.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await asyncio.to_thread(
            self.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


class ThreadedStateStore(SQLite3OAuthStateStore):
    """slack-sdk's SQLite state table, each state good for one callback, the work off the event loop.

    slack-sdk selects the state, then deletes it, so two callbacks carrying one state on two
    threads could both pass; here one `DELETE ... RETURNING` decides. The clock (seconds) is
    injectable, and states that expired are deleted when a new one is issued.
    """

    def __init__(
        self, *, database: str, expiration_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(database=database, expiration_seconds=expiration_seconds)
        self._clock = clock

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self._clock()
        expires = now + self.expiration_seconds
        self._write(
            ("DELETE FROM oauth_states WHERE expire_at <= ?", (now,)),
            ("INSERT INTO oauth_states (state, expire_at) VALUES (?, ?)", (state, expires)),
        )
        return state

    def consume(self, state: str) -> bool:
        consume = "DELETE FROM oauth_states WHERE state = ? AND expire_at > ? RETURNING id"
        found = self._write((consume, (state, self._clock())))
        return found is not None

    def _write(self, *statements: tuple[str, tuple[object, ...]]) -> object:
        """The statements in one transaction; the last one's first row, if any."""
        row: object = None
        try:
            with closing(sqlite3.connect(self.database)) as conn, conn:
                for query, args in statements:
                    row = conn.execute(query, args).fetchone()
        except sqlite3.Error as error:
            raise StoreUnavailable(
                location=self.database,
                cause=f"Slack install states: {type(error).__name__}: {error}",
                fix="Check that the file is writable and not locked by another program.",
            ) from None
        return row

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.issue, *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.consume, state)


@runtime_checkable
class PooledStore(Protocol):
    """A store holding connections: opened before serving, closed after (PostgreSQL)."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...


async def open_oauth_stores(oauth: AsyncOAuthSettings) -> None:
    """Connect before the first request, so a wrong ADVISOR_DB stops the start-up with its fix."""
    for store in (oauth.installation_store, oauth.state_store):
        if isinstance(store, PooledStore):
            await store.open()


async def close_oauth_stores(oauth: AsyncOAuthSettings) -> None:
    for store in (oauth.installation_store, oauth.state_store):
        if isinstance(store, PooledStore):
            await store.close()


def oauth_settings(settings: Settings, *, clock: Callable[[], float] = time.time) -> AsyncOAuthSettings:
    """bolt's OAuth settings with stores in ADVISOR_DB: a SQLite file or PostgreSQL.

    On PostgreSQL nothing connects here: `open_oauth_stores` does, when the server starts
    (or the first request, if nobody called it). `clock` dates install states, in seconds.
    """
    if not settings.slack_client_id or settings.slack_client_secret is None:
        raise SettingsError(name="SLACK_CLIENT_SECRET", expected="the app's client secret")
    installations, states = _stores(settings.db_url, client_id=settings.slack_client_id, clock=clock)
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.reveal(),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
    )


def _stores(
    url: str, *, client_id: str, clock: Callable[[], float]
) -> tuple[AsyncInstallationStore, AsyncOAuthStateStore]:
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme in POSTGRES_SCHEMES:
        from adapters.slack.installs_postgres import (
            OAuthDatabase,
            PostgresInstallationStore,
            PostgresOAuthStateStore,
        )

        database = OAuthDatabase(url)
        return (
            PostgresInstallationStore(database, client_id=client_id),
            PostgresOAuthStateStore(database, expiration_seconds=STATE_SECONDS, clock=clock),
        )
    path = sqlite_path(url)
    if path is None or path == ":memory:":
        raise SettingsError(
            name="ADVISOR_DB",
            expected="a SQLite file path or a postgresql:// URL when installing through OAuth"
            " (SLACK_CLIENT_ID): installations must outlive the process and be seen by every replica",
            # Only the scheme: the rest of a URL may hold a password.
            got=path if path == ":memory:" else f"{scheme}://…",
        )
    installations = ThreadedInstallationStore(database=path, client_id=client_id)
    states = ThreadedStateStore(database=path, expiration_seconds=STATE_SECONDS, clock=clock)
    # Create the tables now, at start-up: lazily, two first requests on two threads would race.
    installations.init()  # type: ignore[no-untyped-call]  # slack-sdk leaves init() unannotated
    states.init()  # type: ignore[no-untyped-call]
    return installations, states
