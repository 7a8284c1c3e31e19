"""Slack installations and install states in PostgreSQL, so every replica serves every workspace.

slack-sdk's PostgreSQL route is its SQLAlchemy stores. These implement the same interfaces
(`AsyncInstallationStore`, `AsyncOAuthStateStore`) on asyncpg, the driver the conversations
already use, and give what several replicas need and those stores do not: a state consumed by
exactly one callback (one `DELETE ... RETURNING`; slack-sdk selects, then deletes), an
installation written by one upsert (slack-sdk selects, then inserts or updates, so two replicas
can both insert), and tables created once when replicas start together (under
`pg_advisory_xact_lock`; SQLAlchemy's `create_all` checks, then creates).

"No enterprise" and "no team" (an org-wide install) are stored as '', as slack-sdk's SQLite
store does, so every lookup is an equality on the primary key rather than `IS NOT DISTINCT FROM`,
which no index serves. One row per workspace and installing user, and one bot row per
workspace: a reinstall replaces its row instead of adding to a history nobody reads.

Kept apart from `installs.py` so asyncpg is imported only when ADVISOR_DB is PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, cast

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs; typed via _Pool
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.errors import StoreUnavailable
from bot.store.postgres import masked

LOG = logging.getLogger(__name__)
SCHEMA_LOCK = 0x736C61636B6F61
"""pg_advisory_xact_lock key ("slackoa" in hex): replicas starting together create the tables once."""
POOL_SIZE = 4
"""Connections per replica: one lookup per Slack request, each a single indexed statement."""
CONNECT_TIMEOUT_S = 10.0
STATE_BYTES = 24

_SCHEMA = """
CREATE TABLE IF NOT EXISTS advisor_slack_installations (
    client_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    app_id TEXT,
    enterprise_name TEXT,
    enterprise_url TEXT,
    team_name TEXT,
    bot_token TEXT,
    bot_id TEXT,
    bot_user_id TEXT,
    bot_scopes TEXT,
    bot_refresh_token TEXT,
    bot_token_expires_at BIGINT,
    user_token TEXT,
    user_scopes TEXT,
    user_refresh_token TEXT,
    user_token_expires_at BIGINT,
    incoming_webhook_url TEXT,
    incoming_webhook_channel TEXT,
    incoming_webhook_channel_id TEXT,
    incoming_webhook_configuration_url TEXT,
    is_enterprise_install BOOLEAN NOT NULL,
    token_type TEXT,
    installed_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client_id, enterprise_id, team_id, user_id)
);
CREATE TABLE IF NOT EXISTS advisor_slack_bots (
    client_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    app_id TEXT,
    enterprise_name TEXT,
    team_name TEXT,
    bot_token TEXT NOT NULL,
    bot_id TEXT,
    bot_user_id TEXT,
    bot_scopes TEXT,
    bot_refresh_token TEXT,
    bot_token_expires_at BIGINT,
    is_enterprise_install BOOLEAN NOT NULL,
    installed_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client_id, enterprise_id, team_id)
);
CREATE TABLE IF NOT EXISTS advisor_slack_oauth_states (
    state TEXT PRIMARY KEY,
    expires_at DOUBLE PRECISION NOT NULL
);
"""

_KEY = ("client_id", "enterprise_id", "team_id")
_BOT_VALUES = (
    "app_id",
    "enterprise_name",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "is_enterprise_install",
    "installed_at",
)
_INSTALLATION_VALUES = (
    "app_id",
    "enterprise_name",
    "enterprise_url",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "user_token_expires_at",
    "incoming_webhook_url",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "is_enterprise_install",
    "token_type",
    "installed_at",
)
_LATEST_BOT = (
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
)
"""What find_installation takes from the workspace's bot row when the installation lacks a bot token."""


def _upsert(table: str, key: tuple[str, ...], values: tuple[str, ...]) -> str:
    """Insert, or replace the row unless it holds a newer installation (a late save never wins)."""
    columns = key + values
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in values)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        f" WHERE {table}.installed_at <= EXCLUDED.installed_at"
    )


_SAVE_BOT = _upsert("advisor_slack_bots", _KEY, _BOT_VALUES)
_SAVE_INSTALLATION = _upsert("advisor_slack_installations", (*_KEY, "user_id"), _INSTALLATION_VALUES)
_FIND_BOT = (
    f"SELECT {', '.join(_KEY + _BOT_VALUES)} FROM advisor_slack_bots"
    " WHERE client_id = $1 AND enterprise_id = $2 AND team_id = $3"
)
_FIND_INSTALLATION = (
    "SELECT "
    + ", ".join(f"i.{c}" for c in (*_KEY, "user_id", *_INSTALLATION_VALUES))
    + ", "
    + ", ".join(f"b.{c} AS latest_{c}" for c in _LATEST_BOT)
    + " FROM advisor_slack_installations i"
    " LEFT JOIN advisor_slack_bots b USING (client_id, enterprise_id, team_id)"
    " WHERE i.client_id = $1 AND i.enterprise_id = $2 AND i.team_id = $3"
    " AND ($4::text IS NULL OR i.user_id = $4)"
    " ORDER BY i.installed_at DESC LIMIT 1"
)


class _Record(Protocol):
    """An asyncpg.Record, read by column name."""

    def __getitem__(self, column: str) -> object: ...


class _Connection(Protocol):
    async def execute(self, query: str, *args: object) -> str: ...
    def transaction(self) -> AbstractAsyncContextManager[object]: ...


class _Pool(Protocol):
    """The part of asyncpg.Pool these stores use, typed."""

    async def fetchrow(self, query: str, *args: object) -> _Record | None: ...
    async def execute(self, query: str, *args: object) -> str: ...
    def acquire(self) -> AbstractAsyncContextManager[_Connection]: ...
    async def close(self) -> None: ...


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
)


def _unavailable(location: str, error: BaseException) -> StoreUnavailable:
    """What to fix, from asyncpg's error; the URL is shown with its password masked."""
    if isinstance(error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        cause = "the server refused the user or password"
        fix = "Check the user and password in ADVISOR_DB."
    elif isinstance(error, asyncpg.InvalidCatalogNameError):
        cause = "the database does not exist"
        fix = "Create it (createdb) or name an existing one in ADVISOR_DB."
    elif isinstance(error, asyncpg.InsufficientPrivilegeError):
        cause = "the user may not create the Slack installation tables"
        fix = "Grant it CREATE on the schema, or use the owner's account in ADVISOR_DB."
    elif isinstance(error, _CONNECTION_ERRORS):
        cause = f"the server cannot be reached ({type(error).__name__})"
        fix = "Check that PostgreSQL is running and that host and port in ADVISOR_DB are right."
    else:
        cause, fix = f"{type(error).__name__}: {error}", "Check the server's log."
    return StoreUnavailable(location=location, cause=f"Slack installations: {cause}", fix=fix)


async def _keep_session(connection: Any) -> None:
    """Release connections without asyncpg's reset query: these stores leave no session state
    (no SET, LISTEN or session locks), and bolt looks an installation up on every request."""


class OAuthDatabase:
    """One small pool shared by both stores, opened at server start or by the first request."""

    def __init__(self, url: str, *, max_size: int = POOL_SIZE) -> None:
        self.location = masked(url)
        self._url = url
        self._max_size = max_size
        self._pool: _Pool | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def open(self) -> None:
        await self._connected()

    async def _connected(self) -> _Pool:
        if self._pool is not None:
            return self._pool
        async with self._opening:
            if self._closed:
                raise StoreUnavailable(
                    location=self.location,
                    cause="Slack installations: the bot is shutting down",
                    fix="Send the request again; another replica or the restarted bot takes it.",
                )
            if self._pool is None:
                self._pool = await self._create()
            return self._pool

    async def _create(self) -> _Pool:
        try:
            raw = await asyncpg.create_pool(
                self._url,
                min_size=1,
                max_size=self._max_size,
                timeout=CONNECT_TIMEOUT_S,
                reset=_keep_session,
            )
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as error:
            raise _unavailable(self.location, error) from None
        pool = cast(_Pool, raw)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await conn.execute(_SCHEMA)
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as error:
            await pool.close()
            raise _unavailable(self.location, error) from None
        except BaseException:
            await pool.close()
            raise
        return pool

    async def fetchrow(self, query: str, *args: object) -> _Record | None:
        pool = await self._connected()
        try:
            return await pool.fetchrow(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self.location, error) from None

    async def execute(self, query: str, *args: object) -> None:
        pool = await self._connected()
        try:
            await pool.execute(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self.location, error) from None

    async def execute_together(self, *statements: tuple[str, tuple[object, ...]]) -> None:
        """Several statements in one transaction: all of them or none."""
        pool = await self._connected()
        try:
            async with pool.acquire() as conn, conn.transaction():
                for query, args in statements:
                    await conn.execute(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self.location, error) from None

    async def close(self) -> None:
        async with self._opening:
            self._closed = True
            if self._pool is not None:
                await self._pool.close()
                self._pool = None


def _key(
    enterprise_id: str | None, team_id: str | None, *, is_enterprise_install: bool | None = False
) -> tuple[str, str]:
    """The stored key; an org-wide install is found under its enterprise alone, as in slack-sdk."""
    if is_enterprise_install or team_id is None:
        team_id = None
    return enterprise_id or "", team_id or ""


def _text(record: _Record, column: str) -> str | None:
    value = record[column]
    return None if value is None else str(value)


def _seconds(record: _Record, column: str) -> int | None:
    return cast(int | None, record[column])  # BIGINT: asyncpg returns an int


def _joined(scopes: Sequence[str] | None) -> str | None:
    return ",".join(scopes) if scopes else None


def _split(scopes: str | None) -> list[str]:
    return scopes.split(",") if scopes else []


def _bot_values(bot: Bot) -> tuple[object, ...]:
    return (
        bot.app_id,
        bot.enterprise_name,
        bot.team_name,
        bot.bot_token,
        bot.bot_id,
        bot.bot_user_id,
        _joined(bot.bot_scopes),
        bot.bot_refresh_token,
        bot.bot_token_expires_at,
        bool(bot.is_enterprise_install),
        float(bot.installed_at),
    )


def _installation_values(i: Installation) -> tuple[object, ...]:
    return (
        i.app_id,
        i.enterprise_name,
        i.enterprise_url,
        i.team_name,
        i.bot_token,
        i.bot_id,
        i.bot_user_id,
        _joined(i.bot_scopes),
        i.bot_refresh_token,
        i.bot_token_expires_at,
        i.user_token,
        _joined(i.user_scopes),
        i.user_refresh_token,
        i.user_token_expires_at,
        i.incoming_webhook_url,
        i.incoming_webhook_channel,
        i.incoming_webhook_channel_id,
        i.incoming_webhook_configuration_url,
        bool(i.is_enterprise_install),
        i.token_type,
        float(i.installed_at),
    )


def _to_bot(record: _Record) -> Bot:
    return Bot(
        app_id=_text(record, "app_id"),
        enterprise_id=_text(record, "enterprise_id") or None,
        enterprise_name=_text(record, "enterprise_name"),
        team_id=_text(record, "team_id") or None,
        team_name=_text(record, "team_name"),
        bot_token=str(record["bot_token"]),
        # slack-sdk types these str, yet its own Installation.to_bot() passes None through.
        bot_id=cast(str, _text(record, "bot_id")),
        bot_user_id=cast(str, _text(record, "bot_user_id")),
        bot_scopes=_text(record, "bot_scopes") or "",
        bot_refresh_token=_text(record, "bot_refresh_token"),
        bot_token_expires_at=_seconds(record, "bot_token_expires_at"),
        is_enterprise_install=bool(record["is_enterprise_install"]),
        installed_at=cast(float, record["installed_at"]),
    )


def _to_installation(record: _Record) -> Installation:
    return Installation(
        app_id=_text(record, "app_id"),
        enterprise_id=_text(record, "enterprise_id") or None,
        enterprise_name=_text(record, "enterprise_name"),
        enterprise_url=_text(record, "enterprise_url"),
        team_id=_text(record, "team_id") or None,
        team_name=_text(record, "team_name"),
        bot_token=_text(record, "bot_token"),
        bot_id=_text(record, "bot_id"),
        bot_user_id=_text(record, "bot_user_id"),
        bot_scopes=_text(record, "bot_scopes") or "",
        bot_refresh_token=_text(record, "bot_refresh_token"),
        bot_token_expires_at=_seconds(record, "bot_token_expires_at"),
        user_id=str(record["user_id"]),
        user_token=_text(record, "user_token"),
        user_scopes=_text(record, "user_scopes") or "",
        user_refresh_token=_text(record, "user_refresh_token"),
        user_token_expires_at=_seconds(record, "user_token_expires_at"),
        incoming_webhook_url=_text(record, "incoming_webhook_url"),
        incoming_webhook_channel=_text(record, "incoming_webhook_channel"),
        incoming_webhook_channel_id=_text(record, "incoming_webhook_channel_id"),
        incoming_webhook_configuration_url=_text(record, "incoming_webhook_configuration_url"),
        is_enterprise_install=bool(record["is_enterprise_install"]),
        token_type=_text(record, "token_type"),
        installed_at=cast(float, record["installed_at"]),
    )


class PostgresInstallationStore(AsyncInstallationStore):
    """Every workspace's installation, shared by the replicas on one database.

    Each method is one statement (a save: one transaction), and nothing here logs a token.
    """

    def __init__(self, database: OAuthDatabase, *, client_id: str) -> None:
        self.database = database
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return LOG

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()

    async def async_save(self, installation: Installation) -> None:
        enterprise, team = _key(installation.enterprise_id, installation.team_id)
        key = (self.client_id, enterprise, team)
        statements: list[tuple[str, tuple[object, ...]]] = [
            (_SAVE_INSTALLATION, (*key, installation.user_id, *_installation_values(installation)))
        ]
        if installation.bot_token is not None:
            # A user-only installation has no bot token: it must not replace the workspace's bot.
            statements.append((_SAVE_BOT, (*key, *_bot_values(installation.to_bot()))))
        await self.database.execute_together(*statements)

    async def async_save_bot(self, bot: Bot) -> None:
        if bot.bot_token is None:
            return  # nothing a request could authorise with; keep the bot already stored
        enterprise, team = _key(bot.enterprise_id, bot.team_id)
        await self.database.execute(_SAVE_BOT, self.client_id, enterprise, team, *_bot_values(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install=is_enterprise_install)
        record = await self.database.fetchrow(_FIND_BOT, self.client_id, enterprise, team)
        return None if record is None else _to_bot(record)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation in the workspace (or `user_id`'s), with the workspace's bot.

        One statement: the bot row comes in by a join, where slack-sdk's stores make a second
        query. As there, a user's installation, or one without a bot token, takes the
        workspace's latest bot token (bolt-python issue #664).
        """
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install=is_enterprise_install)
        record = await self.database.fetchrow(_FIND_INSTALLATION, self.client_id, enterprise, team, user_id)
        if record is None:
            return None
        installation = _to_installation(record)
        latest = _text(record, "latest_bot_token")
        wants_latest = user_id is not None or installation.bot_token is None
        if wants_latest and latest is not None and latest != installation.bot_token:
            installation.bot_token = latest
            installation.bot_id = _text(record, "latest_bot_id")
            installation.bot_user_id = _text(record, "latest_bot_user_id")
            installation.bot_scopes = _split(_text(record, "latest_bot_scopes"))
            installation.bot_refresh_token = _text(record, "latest_bot_refresh_token")
            installation.bot_token_expires_at = _seconds(record, "latest_bot_token_expires_at")
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        enterprise, team = enterprise_id or "", team_id or ""
        await self.database.execute(
            "DELETE FROM advisor_slack_bots WHERE client_id = $1 AND enterprise_id = $2 AND team_id = $3",
            self.client_id,
            enterprise,
            team,
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self.database.execute(
            "DELETE FROM advisor_slack_installations"
            " WHERE client_id = $1 AND enterprise_id = $2 AND team_id = $3"
            " AND ($4::text IS NULL OR user_id = $4)",
            self.client_id,
            enterprise_id or "",
            team_id or "",
            user_id,
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's bot and every installation in it, in one statement (uninstalls)."""
        await self.database.execute(
            "WITH bots AS (DELETE FROM advisor_slack_bots"
            " WHERE client_id = $1 AND enterprise_id = $2 AND team_id = $3)"
            " DELETE FROM advisor_slack_installations"
            " WHERE client_id = $1 AND enterprise_id = $2 AND team_id = $3",
            self.client_id,
            enterprise_id or "",
            team_id or "",
        )


class PostgresOAuthStateStore(AsyncOAuthStateStore):
    """Install links' states: any replica may serve the callback, and only one callback passes.

    The times come from the replica's clock (`clock`, seconds): a few seconds of skew between
    replicas is nothing against a ten-minute state.
    """

    def __init__(
        self,
        database: OAuthDatabase,
        *,
        expiration_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.expiration_seconds = expiration_seconds
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return LOG

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state; states that expired are deleted on the way, so the table stays small."""
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self._clock()
        await self.database.execute(
            "WITH expired AS (DELETE FROM advisor_slack_oauth_states WHERE expires_at <= $3)"
            " INSERT INTO advisor_slack_oauth_states (state, expires_at) VALUES ($1, $2)",
            state,
            now + self.expiration_seconds,
            now,
        )
        return state

    async def async_consume(self, state: str) -> bool:
        """True for one caller only, and only before the state expires."""
        record = await self.database.fetchrow(
            "DELETE FROM advisor_slack_oauth_states WHERE state = $1 AND expires_at > $2 RETURNING state",
            state,
            self._clock(),
        )
        return record is not None
