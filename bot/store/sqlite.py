"""The default store: one SQLite file through aiosqlite, safe for many tasks and several processes.

Every operation is one synchronous function; writes are single conditional statements
(`... WHERE version = ?`), which is what makes concurrent clicks apply exactly once, even across
processes. Operations queued while the worker thread is busy run together in one thread hop and
one explicit `BEGIN IMMEDIATE ... COMMIT` (group commit): each statement is still atomic on its
own, no task ever holds a transaction open across an await, and a thousand concurrent clicks
cost a few hops instead of two thousand.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.errors import ConversationExists, StoreUnavailable, TeamSessionExists, VersionConflict
from bot.personal.conversation import Conversation, ConversationKey
from bot.store.codec import decode_answers, decode_team, encode_answers, encode_team, from_seconds, to_seconds
from bot.store.deliveries import KEEP_SECONDS, PURGE_EVERY
from bot.team.session import TeamKey, TeamSession

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000

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
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        UNIQUE (platform, workspace, user_id, advisor)
    );
    CREATE INDEX conversations_updated ON conversations (updated_at);
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
        created_at REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX team_sessions_open ON team_sessions (platform, workspace, channel, thread, advisor)
        WHERE status = 'open';
    """,
    # IF NOT EXISTS: the delivery log of earlier versions created this table on its own connection.
    """
    CREATE TABLE IF NOT EXISTS delivery_claims (
        key TEXT PRIMARY KEY,
        seen_at REAL NOT NULL
    );
    """,
)

_COLUMNS = (
    "id, platform, workspace, user_id, advisor, pack_version, answers, step, version,"
    " created_at, updated_at, expires_at"
)


def _row_to_conversation(row: tuple[object, ...]) -> Conversation:
    (
        cid,
        platform,
        workspace,
        user,
        advisor,
        pack_version,
        answers,
        step,
        version,
        created,
        updated,
        expires,
    ) = row
    return Conversation(
        id=str(cid),
        key=ConversationKey(str(platform), str(workspace), str(user), str(advisor)),
        pack_version=str(pack_version),
        answers=decode_answers(str(answers)),
        step=int(step),  # type: ignore[call-overload]  # sqlite returns int for INTEGER columns
        version=int(version),  # type: ignore[call-overload]
        created_at=from_seconds(float(created)),  # type: ignore[arg-type]
        updated_at=from_seconds(float(updated)),  # type: ignore[arg-type]
        expires_at=from_seconds(float(expires)),  # type: ignore[arg-type]
    )


_TEAM_COLUMNS = "id, platform, workspace, channel, thread, advisor, status, version, created_at, data"


def _row_to_team(row: tuple[object, ...]) -> TeamSession:
    sid, platform, workspace, channel, thread, advisor, status, version, _, data = row
    return decode_team(
        session_id=str(sid),
        key=TeamKey(str(platform), str(workspace), str(channel), str(thread), str(advisor)),
        status=str(status),
        version=int(version),  # type: ignore[call-overload]  # sqlite returns int for INTEGER columns
        data=str(data),
    )


def _explain(location: str, error: sqlite3.Error) -> StoreUnavailable:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return StoreUnavailable(
            location=location,
            cause="the file is locked by another program",
            fix="Close the other program using it, or set ADVISOR_DB to another file.",
        )
    if "readonly" in text or "read-only" in text:
        return StoreUnavailable(
            location=location,
            cause="the file or its folder is read-only",
            fix="Make it writable, or set ADVISOR_DB to a writable path.",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreUnavailable(
            location=location,
            cause="the file is not a usable SQLite database (corrupt?)",
            fix="It was left untouched: move it away to start afresh, or set ADVISOR_DB to another file.",
        )
    if "unable to open" in text:
        return StoreUnavailable(
            location=location,
            cause="the file cannot be opened",
            fix="Check that its folder exists and is writable, or set ADVISOR_DB elsewhere.",
        )
    return StoreUnavailable(
        location=location, cause=str(error), fix="Check the file, or set ADVISOR_DB elsewhere."
    )


def _apply_batch(
    conn: sqlite3.Connection, *, operations: Sequence[Callable[[sqlite3.Connection], object]]
) -> list[tuple[bool, object]]:
    """Run queued operations; one of them failing (a duplicate key) does not undo the others.

    Any exception of an operation goes back to its own caller, never to the rest of the batch.
    """
    if len(operations) == 1:
        try:
            return [(True, operations[0](conn))]
        except Exception as error:  # returned to the operation's caller
            return [(False, error)]
    outcomes: list[tuple[bool, object]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for operation in operations:
            try:
                outcomes.append((True, operation(conn)))
            except Exception as error:  # returned to the operation's caller
                outcomes.append((False, error))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


class SqliteStore:
    """Conversations in one SQLite file (WAL, synchronous=NORMAL, busy_timeout)."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        location: str,
        *,
        busy_timeout_ms: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._clock = clock
        self._claims = 0
        self._location = location
        self._busy_timeout_ms = busy_timeout_ms
        self._queue: list[tuple[Callable[[sqlite3.Connection], object], asyncio.Future[object]]] = []
        self._drainer: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> SqliteStore:
        """Open (creating if needed) and migrate; a locked, read-only or corrupt file raises
        StoreUnavailable and is left exactly as it was."""
        location = str(path)
        if location != ":memory:":
            try:
                Path(location).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreUnavailable(
                    location=location,
                    cause=f"its folder can't be created ({error.strerror})",
                    fix="Set ADVISOR_DB to a path in a writable folder.",
                ) from error
        try:
            db = await aiosqlite.connect(location, isolation_level=None, timeout=busy_timeout_ms / 1000)
        except sqlite3.Error as error:
            raise _explain(location, error) from error
        store = cls(db, location, busy_timeout_ms=busy_timeout_ms)
        try:
            await store._hop(store._migrate)
        except BaseException:
            await db.close()
            raise
        return store

    async def _hop(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the connection's own thread in one hop (aiosqlite's internal queue)."""
        conn = self._db._conn

        def call() -> T:
            return fn(conn)

        try:
            result: T = await self._db._execute(call)  # type: ignore[no-untyped-call]  # one hop
        except sqlite3.Error as error:
            raise _explain(self._location, error) from error
        return result

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Queue one operation; the drainer runs everything queued so far in one transaction."""
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queue.append((fn, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        try:
            result = await future
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise _explain(self._location, error) from error
        return result  # type: ignore[return-value]  # the future holds fn's own result

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                outcomes = await self._hop(
                    functools.partial(_apply_batch, operations=[fn for fn, _ in batch])
                )
            except Exception as error:  # every waiter hears it; none waits forever
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)  # type: ignore[arg-type]  # a failed op's exception

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise StoreUnavailable(
                location=self._location,
                cause=f"it was written by a newer advisor (schema {current},"
                f" this one knows {len(MIGRATIONS)})",
                fix="Upgrade framework-advisor, or set ADVISOR_DB to another file.",
            )
        if current == len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for index in range(current, len(MIGRATIONS)):
                for statement in MIGRATIONS[index].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def get(self, key: ConversationKey) -> Conversation | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                f"SELECT {_COLUMNS} FROM conversations"
                " WHERE platform = ? AND workspace = ? AND user_id = ? AND advisor = ?",
                (key.platform, key.workspace, key.user, key.advisor),
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_conversation(row)

    async def get_by_id(self, conversation_id: str) -> Conversation | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                f"SELECT {_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_conversation(row)

    async def create(self, conversation: Conversation) -> Conversation:
        c = conversation
        created = Conversation(
            id=c.id,
            key=c.key,
            pack_version=c.pack_version,
            answers=c.answers,
            step=c.step,
            version=1,
            created_at=c.created_at,
            updated_at=c.updated_at,
            expires_at=c.expires_at,
        )

        def fn(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO conversations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.id,
                    c.key.platform,
                    c.key.workspace,
                    c.key.user,
                    c.key.advisor,
                    c.pack_version,
                    encode_answers(c.answers),
                    c.step,
                    1,
                    to_seconds(c.created_at),
                    to_seconds(c.updated_at),
                    to_seconds(c.expires_at),
                ),
            )

        try:
            await self._run(fn)
        except sqlite3.IntegrityError as error:
            raise ConversationExists(c.id) from error
        return created

    async def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        c = conversation

        def fn(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE conversations SET pack_version = ?, answers = ?, step = ?,"
                " version = version + 1, updated_at = ?, expires_at = ?"
                " WHERE id = ? AND version = ?",
                (
                    c.pack_version,
                    encode_answers(c.answers),
                    c.step,
                    to_seconds(c.updated_at),
                    to_seconds(c.expires_at),
                    c.id,
                    expected_version,
                ),
            )
            return cursor.rowcount

        if await self._run(fn) != 1:
            raise VersionConflict(c.id, expected_version)
        return Conversation(
            id=c.id,
            key=c.key,
            pack_version=c.pack_version,
            answers=c.answers,
            step=c.step,
            version=expected_version + 1,
            created_at=c.created_at,
            updated_at=c.updated_at,
            expires_at=c.expires_at,
        )

    async def delete(self, key: ConversationKey) -> bool:
        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM conversations"
                " WHERE platform = ? AND workspace = ? AND user_id = ? AND advisor = ?",
                (key.platform, key.workspace, key.user, key.advisor),
            ).rowcount

        return await self._run(fn) > 0

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        def fn(conn: sqlite3.Connection) -> int:
            if workspace is None:
                return conn.execute(
                    "DELETE FROM conversations WHERE platform = ? AND user_id = ?", (platform, user)
                ).rowcount
            return conn.execute(
                "DELETE FROM conversations WHERE platform = ? AND workspace = ? AND user_id = ?",
                (platform, workspace, user),
            ).rowcount

        return await self._run(fn)

    async def purge(self, *, older_than: datetime) -> int:
        cutoff = to_seconds(older_than)

        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,)).rowcount

        return await self._run(fn)

    # --- team sessions (TeamStore) --------------------------------------------------------

    async def get_team(self, key: TeamKey) -> TeamSession | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                f"SELECT {_TEAM_COLUMNS} FROM team_sessions"
                " WHERE platform = ? AND workspace = ? AND channel = ? AND thread = ? AND advisor = ?"
                " ORDER BY status = 'open' DESC, created_at DESC LIMIT 1",
                (key.platform, key.workspace, key.channel, key.thread, key.advisor),
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_team(row)

    async def get_team_by_id(self, session_id: str) -> TeamSession | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                f"SELECT {_TEAM_COLUMNS} FROM team_sessions WHERE id = ?", (session_id,)
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_team(row)

    async def create_team(self, session: TeamSession) -> TeamSession:
        s, k = session, session.key

        def fn(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO team_sessions ({_TEAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    s.id,
                    k.platform,
                    k.workspace,
                    k.channel,
                    k.thread,
                    k.advisor,
                    s.status.value,
                    to_seconds(s.created_at),
                    encode_team(s),
                ),
            )

        try:
            await self._run(fn)
        except sqlite3.IntegrityError as error:
            raise TeamSessionExists(s.id) from error
        return replace(s, version=1)

    async def save_team(self, session: TeamSession, *, expected_version: int) -> TeamSession:
        s = session

        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE team_sessions SET status = ?, data = ?, version = version + 1"
                " WHERE id = ? AND version = ?",
                (s.status.value, encode_team(s), s.id, expected_version),
            ).rowcount

        if await self._run(fn) != 1:
            raise VersionConflict(s.id, expected_version)
        return replace(s, version=expected_version + 1)

    async def teams_in(self, *, platform: str, workspace: str | None) -> tuple[TeamSession, ...]:
        def fn(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            if workspace is None:
                return conn.execute(
                    f"SELECT {_TEAM_COLUMNS} FROM team_sessions WHERE platform = ?", (platform,)
                ).fetchall()
            return conn.execute(
                f"SELECT {_TEAM_COLUMNS} FROM team_sessions WHERE platform = ? AND workspace = ?",
                (platform, workspace),
            ).fetchall()

        return tuple(_row_to_team(row) for row in await self._run(fn))

    async def open_teams(
        self, *, platform: str, workspace: str, advisor: str, limit: int
    ) -> tuple[TeamSession, ...]:
        def fn(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            # The partial index team_sessions_open covers exactly these rows.
            return conn.execute(
                f"SELECT {_TEAM_COLUMNS} FROM team_sessions"
                " WHERE platform = ? AND workspace = ? AND advisor = ? AND status = 'open'"
                " ORDER BY created_at DESC LIMIT ?",
                (platform, workspace, advisor, limit),
            ).fetchall()

        return tuple(_row_to_team(row) for row in await self._run(fn))

    # --- deliveries (DeliveryLog) ---------------------------------------------------------

    async def claim_delivery(self, key: str) -> bool:
        """One INSERT OR IGNORE in the group commit: the primary key decides who was first."""
        now = self._clock()
        self._claims += 1
        purge = self._claims % PURGE_EVERY == 0

        def fn(conn: sqlite3.Connection) -> bool:
            if purge:
                conn.execute("DELETE FROM delivery_claims WHERE seen_at < ?", (now - KEEP_SECONDS,))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO delivery_claims (key, seen_at) VALUES (?, ?)", (key, now)
            )
            return cursor.rowcount == 1

        return await self._run(fn)

    async def close(self) -> None:
        if self._drainer is not None:
            await self._drainer
        await self._db.close()
