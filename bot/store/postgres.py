"""The shared store for several bot processes: conversations in PostgreSQL through an asyncpg pool.

Every method is one statement on a pooled connection, hence one transaction; a save is a
single conditional `UPDATE ... WHERE id = $1 AND version = $2`, so two clicks racing in two
processes apply once, and a process killed mid-click leaves the row as it was or as it
became, never half-written. asyncpg was chosen over psycopg 3 by measurement (see
docs/scaling.md). asyncpg ships no type information, so the statements go through the
typed `_Pool` and `_Record` protocols below; only opening and migrating touch asyncpg itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs; typed via _Pool

from bot.errors import ConversationExists, StoreUnavailable, TeamSessionExists, VersionConflict
from bot.pack.archive import SERVED_EVERY, StoredPack
from bot.personal.conversation import Conversation, ConversationKey
from bot.store.base import StoreStats
from bot.store.codec import (
    decode_answers,
    decode_files,
    decode_team,
    encode_answers,
    encode_files,
    encode_team,
    from_seconds,
    to_seconds,
)
from bot.store.deliveries import KEEP_SECONDS, MAX_ATTEMPTS, PURGE_EVERY, Delivery, Receipt
from bot.store.packs import KeptVersion
from bot.team.session import TeamKey, TeamSession

MIGRATION_LOCK = 0x61647669736F72
"""pg_advisory_xact_lock key ("advisor" in hex): replicas starting together migrate once."""

CONNECT_TIMEOUT_S = 10.0

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        workspace TEXT NOT NULL,
        user_id TEXT NOT NULL,
        advisor TEXT NOT NULL,
        pack_version TEXT NOT NULL,
        answers TEXT NOT NULL,
        step INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        UNIQUE (platform, workspace, user_id, advisor)
    );
    CREATE INDEX conversations_updated ON conversations (updated_at);
    CREATE INDEX conversations_user ON conversations (platform, user_id);
    """,
    """
    CREATE TABLE team_sessions (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        workspace TEXT NOT NULL,
        channel TEXT NOT NULL,
        thread TEXT NOT NULL,
        advisor TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX team_sessions_open ON team_sessions (platform, workspace, channel, thread, advisor)
        WHERE status = 'open';
    """,
    # IF NOT EXISTS: the delivery log of earlier versions created this table on its own pool.
    """
    CREATE TABLE IF NOT EXISTS delivery_claims (
        key TEXT PRIMARY KEY,
        seen_at DOUBLE PRECISION NOT NULL
    );
    """,
    # The claims become a durable record of each delivery, with what finishing it needs.
    """
    CREATE TABLE deliveries (
        key TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        payload TEXT NOT NULL,
        user_id TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL,
        valid_until DOUBLE PRECISION NOT NULL,
        lease_until DOUBLE PRECISION NOT NULL,
        resumable BOOLEAN NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        done_at DOUBLE PRECISION
    );
    CREATE INDEX deliveries_open ON deliveries (platform, lease_until) WHERE done_at IS NULL;
    CREATE INDEX deliveries_done ON deliveries (done_at) WHERE done_at IS NOT NULL;
    CREATE INDEX deliveries_user ON deliveries (platform, user_id) WHERE done_at IS NULL;
    INSERT INTO deliveries (key, platform, payload, user_id, received_at, valid_until, lease_until,
                            resumable, done_at)
        SELECT key, '', '', '', seen_at, seen_at, 0, false, seen_at FROM delivery_claims;
    DROP TABLE delivery_claims;
    """,
    """
    CREATE TABLE pack_versions (
        pack_id TEXT NOT NULL,
        version TEXT NOT NULL,
        files TEXT NOT NULL,
        stored_at DOUBLE PRECISION NOT NULL,
        served_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (pack_id, version)
    );
    CREATE INDEX conversations_pack ON conversations (advisor, pack_version);
    """,
    # Team sessions get the columns purge and pack pruning need, filled from their data.
    """
    ALTER TABLE team_sessions ADD COLUMN updated_at DOUBLE PRECISION NOT NULL DEFAULT 0;
    ALTER TABLE team_sessions ADD COLUMN pack_version TEXT NOT NULL DEFAULT '';
    UPDATE team_sessions SET updated_at = (data::json->>'updated')::double precision,
                             pack_version = data::json->>'pack';
    CREATE INDEX team_sessions_updated ON team_sessions (updated_at);
    CREATE INDEX team_sessions_pack ON team_sessions (advisor, pack_version) WHERE status = 'open';
    """,
    # Terminal team sessions were keyed by their members' names ("a,b,c"): key them by a hash
    # (bot.team.session.roster_thread computes the same value).
    """
    UPDATE team_sessions
        SET thread = 'roster-' || left(encode(sha256(convert_to(thread, 'UTF8')), 'hex'), 24)
        WHERE platform = 'terminal' AND thread NOT LIKE 'roster-%';
    """,
)
"""Append only: entry i takes the schema from version i to i + 1."""

_COLUMNS = (
    "id, platform, workspace, user_id, advisor, pack_version, answers, step, version,"
    " created_at, updated_at, expires_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM conversations"

_Row = tuple[str, str, str, str, str, str, str, int, int, float, float, float]
"""A conversations row in _COLUMNS order; NOT NULL columns, so these are the real types."""

_UPDATE = (
    "UPDATE conversations SET pack_version = $3, answers = $4, step = $5,"
    " version = version + 1, updated_at = $6, expires_at = $7"
    " WHERE id = $1 AND version = $2"
)


def _update_args(c: Conversation, expected_version: int) -> tuple[object, ...]:
    return (
        c.id,
        expected_version,
        c.pack_version,
        encode_answers(c.answers),
        c.step,
        to_seconds(c.updated_at),
        to_seconds(c.expires_at),
    )


_COMMAND_TAG = re.compile(r"^(?:DELETE|UPDATE) (\d+)$")


async def _keep_session(connection: Any) -> None:
    """Release a connection to the pool without asyncpg's reset query.

    The default reset (`RESET ALL; UNLISTEN *; CLOSE ALL; ...`) costs a round trip per
    statement: one user's clicks went from 1,342 to 1,882 per second without it. This store
    leaves no session state to reset (no SET, LISTEN, cursors or session advisory locks; the
    migration lock is transaction-scoped), and asyncpg still rolls back any transaction left
    open before the connection is reused.
    """


class _Record(Protocol):
    """An asyncpg.Record, as far as this store reads it: the values in column order."""

    def __iter__(self) -> Iterator[object]: ...


class _Connection(Protocol):
    """The part of asyncpg.Connection this store uses, typed."""

    async def fetchrow(self, query: str, *args: object) -> _Record | None: ...
    async def execute(self, query: str, *args: object) -> str: ...


class _Pool(Protocol):
    """The part of asyncpg.Pool this store uses, typed."""

    async def fetchrow(self, query: str, *args: object) -> _Record | None: ...
    async def fetch(self, query: str, *args: object) -> list[_Record]: ...
    async def execute(self, query: str, *args: object) -> str: ...
    def acquire(self) -> AbstractAsyncContextManager[_Connection]: ...
    async def close(self) -> None: ...


def _to_conversation(record: _Record) -> Conversation:
    row = cast(_Row, tuple(record))
    cid, platform, workspace, user, advisor, pack_version, answers, step, version = row[:9]
    created, updated, expires = row[9:]
    return Conversation(
        id=cid,
        key=ConversationKey(platform, workspace, user, advisor),
        pack_version=pack_version,
        answers=decode_answers(answers),
        step=step,
        version=version,
        created_at=from_seconds(created),
        updated_at=from_seconds(updated),
        expires_at=from_seconds(expires),
    )


_TEAM_COLUMNS = "id, platform, workspace, channel, thread, advisor, status, version, created_at, data"
_TeamRow = tuple[str, str, str, str, str, str, str, int, float, str]


def _to_team(record: _Record) -> TeamSession:
    sid, platform, workspace, channel, thread, advisor, status, version, _, data = cast(
        _TeamRow, tuple(record)
    )
    return decode_team(
        session_id=sid,
        key=TeamKey(platform, workspace, channel, thread, advisor),
        status=status,
        version=version,
        data=data,
    )


def _affected(status: str) -> int:
    """Rows changed, from a command tag such as "UPDATE 1" or "DELETE 3"."""
    match = _COMMAND_TAG.match(status)
    return int(match.group(1)) if match else 0


def masked(url: str) -> str:
    """The URL as safe to show: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _unavailable(location: str, error: BaseException) -> StoreUnavailable:
    if isinstance(error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return StoreUnavailable(
            location=location,
            cause="the server refused the user or password",
            fix="Check the user and password in ADVISOR_DB.",
        )
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return StoreUnavailable(
            location=location,
            cause="the database does not exist",
            fix="Create it (createdb) or name an existing one in ADVISOR_DB.",
        )
    if isinstance(error, asyncpg.InvalidSchemaNameError):
        return StoreUnavailable(
            location=location,
            cause="the schema named by search_path does not exist",
            fix="Create it (CREATE SCHEMA ...) or drop search_path from ADVISOR_DB.",
        )
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return StoreUnavailable(
            location=location,
            cause="the user may not create or change the advisor's tables",
            fix="Grant it CREATE on the schema, or use the owner's account in ADVISOR_DB.",
        )
    if isinstance(error, asyncpg.TooManyConnectionsError):
        return StoreUnavailable(
            location=location,
            cause="the server has no connection slots left",
            fix="Lower the replicas' pool sizes or raise max_connections.",
        )
    if isinstance(error, OSError | TimeoutError | asyncpg.PostgresConnectionError):
        return StoreUnavailable(
            location=location,
            cause=f"the server cannot be reached ({type(error).__name__})",
            fix="Check that PostgreSQL is running and that host and port in ADVISOR_DB are right.",
        )
    return StoreUnavailable(
        location=location,
        cause=f"{type(error).__name__}: {error}",
        fix="Check the server's log, or set ADVISOR_DB to another database.",
    )


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
)
"""Failures that mean "no usable database", shown to the user as StoreUnavailable."""


class PostgresStore:
    """Conversations in PostgreSQL, shared by every bot process that opens the same URL."""

    def __init__(self, pool: _Pool, location: str, *, clock: Callable[[], float] = time.time) -> None:
        self._pool = pool
        self._location = location
        self._clock = clock
        self._claims = 0
        self.stats = StoreStats()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
    ) -> PostgresStore:
        """Connect a pool and bring the schema up to date.

        Query parameters of `url` other than libpq's own become server settings, so
        `?search_path=tenant` puts the tables in schema `tenant`. Keep max_size x replicas
        under the server's max_connections.
        """
        location = masked(url)
        try:
            raw = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT_S,
                reset=_keep_session,
            )
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as error:
            raise _unavailable(location, error) from None
        pool = cast(_Pool, raw)
        store = cls(pool, location)
        try:
            await store._migrate(raw)
        except BaseException:
            await pool.close()
            raise
        return store

    async def _migrate(self, raw_pool: Any) -> None:
        """Apply missing migrations in one transaction under an advisory lock.

        The lock serialises replicas that start at once: the first applies the migrations,
        the others wait, then find the schema current. DDL is transactional in PostgreSQL,
        so a crash mid-migration leaves the previous schema.
        """
        try:
            async with raw_pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS advisor_schema_version (version INTEGER NOT NULL)"
                )
                found = await conn.fetchval("SELECT max(version) FROM advisor_schema_version")
                current = 0 if found is None else int(found)
                if current > len(MIGRATIONS):
                    raise StoreUnavailable(
                        location=self._location,
                        cause=f"it was written by a newer advisor (schema {current},"
                        f" this one knows {len(MIGRATIONS)})",
                        fix="Upgrade framework-advisor, or set ADVISOR_DB to another database.",
                    )
                for index in range(current, len(MIGRATIONS)):
                    await conn.execute(MIGRATIONS[index])
                    await conn.execute("INSERT INTO advisor_schema_version VALUES ($1)", index + 1)
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as error:
            raise _unavailable(self._location, error) from None

    async def _fetchrow(self, query: str, *args: object) -> Conversation | None:
        try:
            record = await self._pool.fetchrow(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return None if record is None else _to_conversation(record)

    async def _execute(self, query: str, *args: object) -> int:
        try:
            return _affected(await self._pool.execute(query, *args))
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None

    async def get(self, key: ConversationKey) -> Conversation | None:
        return await self._fetchrow(
            f"{_SELECT} WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND advisor = $4",
            key.platform,
            key.workspace,
            key.user,
            key.advisor,
        )

    async def get_by_id(self, conversation_id: str) -> Conversation | None:
        return await self._fetchrow(f"{_SELECT} WHERE id = $1", conversation_id)

    async def create(self, conversation: Conversation) -> Conversation:
        c = conversation
        try:
            await self._execute(
                f"INSERT INTO conversations ({_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11)",
                c.id,
                c.key.platform,
                c.key.workspace,
                c.key.user,
                c.key.advisor,
                c.pack_version,
                encode_answers(c.answers),
                c.step,
                to_seconds(c.created_at),
                to_seconds(c.updated_at),
                to_seconds(c.expires_at),
            )
        except asyncpg.UniqueViolationError:
            raise ConversationExists(c.id) from None
        return c.at_version(1)

    async def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        c = conversation
        changed = await self._execute(_UPDATE, *_update_args(c, expected_version))
        if changed != 1:
            self.stats.conflicts += 1
            raise VersionConflict(c.id, expected_version)
        return c.at_version(expected_version + 1)

    async def change(
        self, ref: str | ConversationKey, walk: Callable[[Conversation], Conversation | None]
    ) -> tuple[Conversation | None, Conversation | None]:
        """The read and the conditional UPDATE on one pooled connection, the walk in between.

        Two round trips and no transaction: the walk runs here, so the server cannot run it
        between them, and the UPDATE's `WHERE version` does what a row lock would, without
        holding one across a round trip.
        """
        args: tuple[str, ...]
        if isinstance(ref, str):
            query, args = f"{_SELECT} WHERE id = $1", (ref,)
        else:
            query = f"{_SELECT} WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND advisor = $4"
            args = (ref.platform, ref.workspace, ref.user, ref.advisor)
        try:
            async with self._pool.acquire() as conn:
                record = await conn.fetchrow(query, *args)
                if record is None:
                    return None, None
                before = _to_conversation(record)
                after = walk(before)
                if after is None:
                    return before, None
                changed = _affected(await conn.execute(_UPDATE, *_update_args(after, before.version)))
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        if changed != 1:
            self.stats.conflicts += 1
            raise VersionConflict(after.id, before.version)
        return before, after.at_version(before.version + 1)

    async def delete(self, key: ConversationKey) -> bool:
        deleted = await self._execute(
            "DELETE FROM conversations"
            " WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND advisor = $4",
            key.platform,
            key.workspace,
            key.user,
            key.advisor,
        )
        return deleted > 0

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        await self._execute(
            "UPDATE deliveries SET done_at = $3, payload = '', user_id = ''"
            " WHERE platform = $1 AND user_id = $2 AND done_at IS NULL",
            platform,
            user,
            self._clock(),
        )
        if workspace is None:
            return await self._execute(
                "DELETE FROM conversations WHERE platform = $1 AND user_id = $2", platform, user
            )
        return await self._execute(
            "DELETE FROM conversations WHERE platform = $1 AND workspace = $2 AND user_id = $3",
            platform,
            workspace,
            user,
        )

    async def purge(self, *, older_than: datetime) -> int:
        return await self._execute("DELETE FROM conversations WHERE updated_at < $1", to_seconds(older_than))

    # --- team sessions (TeamStore) --------------------------------------------------------

    async def _fetch_team(self, query: str, *args: object) -> TeamSession | None:
        try:
            record = await self._pool.fetchrow(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return None if record is None else _to_team(record)

    async def get_team(self, key: TeamKey) -> TeamSession | None:
        return await self._fetch_team(
            f"SELECT {_TEAM_COLUMNS} FROM team_sessions"
            " WHERE platform = $1 AND workspace = $2 AND channel = $3 AND thread = $4 AND advisor = $5"
            " ORDER BY status = 'open' DESC, created_at DESC LIMIT 1",
            key.platform,
            key.workspace,
            key.channel,
            key.thread,
            key.advisor,
        )

    async def teams_in(self, *, platform: str, workspace: str | None) -> tuple[TeamSession, ...]:
        query = f"SELECT {_TEAM_COLUMNS} FROM team_sessions WHERE platform = $1"
        args: tuple[object, ...] = (platform,)
        if workspace is not None:
            query += " AND workspace = $2"
            args = (platform, workspace)
        try:
            records = await self._pool.fetch(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return tuple(_to_team(record) for record in records)

    async def open_teams(
        self, *, platform: str, workspace: str, advisor: str, limit: int
    ) -> tuple[TeamSession, ...]:
        try:
            records = await self._pool.fetch(
                f"SELECT {_TEAM_COLUMNS} FROM team_sessions"
                " WHERE platform = $1 AND workspace = $2 AND advisor = $3 AND status = 'open'"
                " ORDER BY created_at DESC LIMIT $4",
                platform,
                workspace,
                advisor,
                limit,
            )
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return tuple(_to_team(record) for record in records)

    async def get_team_by_id(self, session_id: str) -> TeamSession | None:
        return await self._fetch_team(f"SELECT {_TEAM_COLUMNS} FROM team_sessions WHERE id = $1", session_id)

    async def create_team(self, session: TeamSession) -> TeamSession:
        s, k = session, session.key
        try:
            await self._execute(
                f"INSERT INTO team_sessions ({_TEAM_COLUMNS}, updated_at, pack_version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11)",
                s.id,
                k.platform,
                k.workspace,
                k.channel,
                k.thread,
                k.advisor,
                s.status.value,
                to_seconds(s.created_at),
                encode_team(s),
                to_seconds(s.updated_at),
                s.pack_version,
            )
        except asyncpg.UniqueViolationError:
            raise TeamSessionExists(s.id) from None
        return replace(s, version=1)

    async def save_team(self, session: TeamSession, *, expected_version: int) -> TeamSession:
        changed = await self._execute(
            "UPDATE team_sessions SET status = $3, data = $4, version = version + 1,"
            " updated_at = $5, pack_version = $6 WHERE id = $1 AND version = $2",
            session.id,
            expected_version,
            session.status.value,
            encode_team(session),
            to_seconds(session.updated_at),
            session.pack_version,
        )
        if changed != 1:
            self.stats.conflicts += 1
            raise VersionConflict(session.id, expected_version)
        return replace(session, version=expected_version + 1)

    async def purge_teams(self, *, older_than: datetime) -> int:
        return await self._execute("DELETE FROM team_sessions WHERE updated_at < $1", to_seconds(older_than))

    # --- deliveries (DeliveryLog) ---------------------------------------------------------

    async def _fetch(self, query: str, *args: object) -> list[_Record]:
        try:
            return await self._pool.fetch(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None

    async def _purge_if_due(self, now: float) -> None:
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await self._execute(
                "DELETE FROM deliveries WHERE done_at IS NOT NULL AND done_at < $1", now - KEEP_SECONDS
            )

    async def claim_delivery(self, key: str) -> bool:
        """One INSERT ... ON CONFLICT DO NOTHING: whichever replica inserts first handles it."""
        now = self._clock()
        await self._purge_if_due(now)
        try:
            status = await self._pool.execute(
                "INSERT INTO deliveries (key, platform, payload, user_id, received_at, valid_until,"
                " lease_until, resumable, done_at) VALUES ($1, '', '', '', $2, $2, 0, false, $2)"
                " ON CONFLICT (key) DO NOTHING",
                key,
                now,
            )
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return status == "INSERT 0 1"

    async def record_delivery(self, delivery: Delivery, *, lease: timedelta) -> Receipt:
        d = delivery
        received = to_seconds(d.received_at)
        until = received + lease.total_seconds()
        await self._purge_if_due(received)
        try:
            status = await self._pool.execute(
                "INSERT INTO deliveries (key, platform, payload, user_id, received_at, valid_until,"
                " lease_until, resumable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (key) DO NOTHING",
                d.key,
                d.platform,
                d.payload,
                d.user,
                received,
                to_seconds(d.valid_until),
                until,
                d.resumable,
            )
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        if status == "INSERT 0 1":
            return Receipt.FIRST
        # Seen before: take it over only if its handler's lease ran out (that process died).
        taken = await self._execute(
            "UPDATE deliveries SET lease_until = $2, attempts = attempts + 1"
            " WHERE key = $1 AND done_at IS NULL AND resumable AND lease_until < $3"
            " AND valid_until > $3 AND attempts < $4",
            d.key,
            until,
            received,
            MAX_ATTEMPTS,
        )
        return Receipt.RESUMED if taken else Receipt.SEEN

    async def mark_resumable(self, key: str) -> None:
        await self._execute("UPDATE deliveries SET resumable = true WHERE key = $1 AND done_at IS NULL", key)

    async def finish_delivery(self, key: str, *, now: datetime) -> None:
        await self._execute(
            "UPDATE deliveries SET done_at = $2, payload = '', user_id = '' WHERE key = $1",
            key,
            to_seconds(now),
        )

    async def release_delivery(self, key: str) -> None:
        await self._execute("UPDATE deliveries SET lease_until = 0 WHERE key = $1 AND done_at IS NULL", key)

    async def take_unfinished(
        self, *, platform: str, now: datetime, lease: timedelta, limit: int
    ) -> tuple[Delivery, ...]:
        at = to_seconds(now)
        # SKIP LOCKED: two replicas sweeping at once each take different records, never the same.
        records = await self._fetch(
            "UPDATE deliveries SET lease_until = $1, attempts = attempts + 1 WHERE key IN ("
            " SELECT key FROM deliveries WHERE platform = $2 AND done_at IS NULL AND resumable"
            " AND lease_until < $3 AND valid_until > $3 AND attempts < $4"
            " ORDER BY received_at LIMIT $5 FOR UPDATE SKIP LOCKED)"
            " RETURNING key, platform, payload, user_id, received_at, valid_until",
            at + lease.total_seconds(),
            platform,
            at,
            MAX_ATTEMPTS,
            limit,
        )
        taken = []
        for record in records:
            key, kind, payload, user, received, valid = cast(
                tuple[str, str, str, str, float, float], tuple(record)
            )
            taken.append(
                Delivery(
                    key=key,
                    platform=kind,
                    payload=payload,
                    user=user,
                    received_at=from_seconds(received),
                    valid_until=from_seconds(valid),
                )
            )
        return tuple(sorted(taken, key=lambda d: d.received_at))

    async def abandon_unfinishable(self, *, platform: str, now: datetime) -> int:
        return await self._execute(
            "UPDATE deliveries SET done_at = $2, payload = '', user_id = ''"
            " WHERE platform = $1 AND done_at IS NULL AND lease_until < $2"
            " AND (NOT resumable OR valid_until <= $2 OR attempts >= $3)",
            platform,
            to_seconds(now),
            MAX_ATTEMPTS,
        )

    # --- pack versions (PackStore) --------------------------------------------------------

    async def keep_pack(
        self, *, pack_id: str, version: str, files: Mapping[str, bytes], now: datetime
    ) -> None:
        await self._execute(
            "INSERT INTO pack_versions (pack_id, version, files, stored_at, served_at)"
            " VALUES ($1, $2, $3, $4, $4) ON CONFLICT (pack_id, version) DO UPDATE SET served_at = $4",
            pack_id,
            version,
            encode_files(files),
            to_seconds(now),
        )

    async def serve_pack(self, *, pack_id: str, version: str, now: datetime) -> bool:
        at = to_seconds(now)
        try:
            row = await self._pool.fetchrow(
                "WITH kept AS (SELECT served_at FROM pack_versions WHERE pack_id = $1 AND version = $2),"
                " marked AS (UPDATE pack_versions v SET served_at = $3 FROM kept"
                " WHERE v.pack_id = $1 AND v.version = $2 AND (kept.served_at < $4 OR EXISTS"
                " (SELECT 1 FROM pack_versions o WHERE o.pack_id = $1 AND o.version <> $2"
                " AND o.served_at >= kept.served_at)) RETURNING 1)"
                " SELECT count(*) FROM kept",
                pack_id,
                version,
                at,
                at - SERVED_EVERY,
            )
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        return row is not None and bool(next(iter(row)))

    async def _stored(self, query: str, *args: object) -> StoredPack | None:
        try:
            record = await self._pool.fetchrow(query, *args)
        except _CONNECTION_ERRORS as error:
            raise _unavailable(self._location, error) from None
        if record is None:
            return None
        pack_id, version, files, stored = cast(tuple[str, str, str, float], tuple(record))
        return StoredPack(
            pack_id=pack_id, version=version, files=decode_files(files), stored_at=from_seconds(stored)
        )

    async def stored_pack(self, pack_id: str, version: str) -> StoredPack | None:
        return await self._stored(
            "SELECT pack_id, version, files, stored_at FROM pack_versions"
            " WHERE pack_id = $1 AND version = $2",
            pack_id,
            version,
        )

    async def latest_pack(self, pack_id: str) -> StoredPack | None:
        return await self._stored(
            "SELECT pack_id, version, files, stored_at FROM pack_versions WHERE pack_id = $1"
            " ORDER BY served_at DESC LIMIT 1",
            pack_id,
        )

    async def kept_versions(self, pack_id: str) -> tuple[KeptVersion, ...]:
        records = await self._fetch(
            "SELECT v.version, v.stored_at, v.served_at,"
            " (SELECT count(*) FROM conversations c WHERE c.advisor = v.pack_id"
            "  AND c.pack_version = v.version),"
            " (SELECT count(*) FROM team_sessions t WHERE t.advisor = v.pack_id"
            "  AND t.pack_version = v.version AND t.status = 'open')"
            " FROM pack_versions v WHERE v.pack_id = $1 ORDER BY v.served_at DESC",
            pack_id,
        )
        kept = []
        for record in records:
            version, stored, served, conversations, sessions = cast(
                tuple[str, float, float, int, int], tuple(record)
            )
            kept.append(
                KeptVersion(
                    pack_id=pack_id,
                    version=version,
                    stored_at=from_seconds(stored),
                    served_at=from_seconds(served),
                    conversations=conversations,
                    open_sessions=sessions,
                )
            )
        return tuple(kept)

    async def prune_packs(self, pack_id: str, *, keep: Collection[str]) -> tuple[str, ...]:
        records = await self._fetch(
            "DELETE FROM pack_versions WHERE pack_id = $1 AND version <> ALL($2::text[])"
            " AND version NOT IN (SELECT pack_version FROM conversations WHERE advisor = $1)"
            " AND version NOT IN (SELECT pack_version FROM team_sessions"
            "  WHERE advisor = $1 AND status = 'open')"
            " RETURNING version",
            pack_id,
            sorted(keep),
        )
        return tuple(sorted(str(next(iter(record))) for record in records))

    # --- the database itself --------------------------------------------------------------

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    async def erase_deleted(self) -> bool:
        """PostgreSQL keeps dead rows until VACUUM (autovacuum, or the operator); nothing to do here."""
        return False

    async def close(self) -> None:
        await self._pool.close()
