"""The default store: one SQLite file through aiosqlite, safe for many tasks and several processes.

Every operation is one synchronous function; writes are single conditional statements
(`... WHERE version = ?`), which is what makes concurrent clicks apply exactly once, even across
processes. A click is one operation (`change`): read, the engine's pure walk, conditional write.

An operation runs inline, on the event loop's thread, when the connection is idle: WAL with
synchronous=NORMAL commits without an fsync, so a write costs some tens of microseconds, less
than the two thread hops it would otherwise need. When other tasks use the store too, their
operations run together in one inline `BEGIN IMMEDIATE ... COMMIT` per turn of the loop (group
commit): each statement is still atomic on its own and no transaction is ever held across an
await. Inline tries use no busy timeout: a file locked by another process (SQLITE_BUSY) sends
the operations to the connection's own thread instead, with the real timeout, so a lock held
elsewhere never blocks the loop. Delivery records and pack versions go through the same path,
so recording a delivery costs no connection or transaction of its own.

The rows this store wrote last are kept decoded beside their columns. A click on one walks
that copy and writes conditionally on every column of it, which applies only if the file
still holds exactly that row; else the row is read and walked as usual.

Checkpoints fsync, so the loop's connection never runs one: automatic checkpoints are off and
a PASSIVE checkpoint runs on a second connection in a worker thread every few hundred changed
rows (see _Checkpoints). `secure_delete` is on, so deleted rows are overwritten in the file
(and `erase_deleted` empties the log), and every operation first checks that the path still
names the file this store opened: a database deleted or replaced under a running bot fails
loudly instead of swallowing every later write.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

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

if TYPE_CHECKING:  # the team model is imported where a session is read: `advisor chat` never loads it
    from bot.team.session import TeamKey, TeamSession

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000
CHECKPOINT_FRAMES = 1000
"""Pages in the write-ahead log when a checkpoint starts (SQLite's own wal_autocheckpoint)."""
CHECKPOINT_EVERY = 300
"""Changed rows before the first checkpoint; each checkpoint then sets the next interval."""
PROBE_EVERY = 16
"""Inline operations in a row before one waits a turn of the loop to see whether others join it."""
REMEMBERED = 4096
"""Conversations kept decoded beside the row they came from. A user's next click reads back the
row their last click wrote; when nobody changed it since, decoding it again is skipped."""

log = logging.getLogger(__name__)


class _Contended(Exception):
    """Another connection holds the lock an inline operation needed: run it on the thread."""


def _is_contention(error: sqlite3.OperationalError) -> bool:
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class _Checkpoints:
    """Checkpoints that never fsync on the event loop's thread, where writes run.

    When the log holds about CHECKPOINT_FRAMES pages, a PASSIVE checkpoint starts on a second
    connection in a worker thread: it copies the log's pages into the database and fsyncs both
    while writes go on. Writes that never pause would never let it reach the end of the log,
    and only a log checkpointed to its end is restarted from its beginning by the next write
    (else it grows without bound), so once it is done the store's next operation first runs a
    second PASSIVE checkpoint on its own connection, in that connection's thread, for the few
    pages written meanwhile (about a millisecond, during which operations queue).

    Python's sqlite3 cannot tell how long the log is, so the store counts changed rows and
    each checkpoint, which reports the log's length, sets how many rows make the next one due:
    a row changed alone writes three pages or so, a hundred in one group commit a handful.
    """

    def __init__(self, path: str, changes: int) -> None:
        self._path = path
        self._mark = changes
        self._every = CHECKPOINT_EVERY
        self._conn: sqlite3.Connection | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._bulk: Future[int] | None = None

    def after(self, changes: int) -> None:
        """Called after each write with the connection's total of changed rows."""
        if self._bulk is not None or changes - self._mark < self._every:
            return
        self._mark = changes
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="advisor-checkpoint")
        self._bulk = self._worker.submit(self._checkpoint)

    def catch_up_due(self) -> bool:
        """True once, when the background checkpoint has finished (the caller catches up)."""
        bulk = self._bulk
        if bulk is None or not bulk.done():
            return False
        self._bulk = None
        if (error := bulk.exception()) is not None:
            log.warning("a background checkpoint failed (the next one retries): %s", error)
            return False
        frames = max(bulk.result(), 1)
        self._every = max(16, min(100_000, self._every * CHECKPOINT_FRAMES // frames))
        return True

    def _checkpoint(self) -> int:
        """The checkpoint; returns how many pages the log held."""
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        _, frames, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)

    async def close(self) -> None:
        if self._bulk is not None:
            await asyncio.wait([asyncio.wrap_future(self._bulk)])
        if self._worker is not None:
            self._worker.shutdown()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _passive_checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _no_automatic_checkpoints(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_autocheckpoint = 0")


def _hash_rosters(conn: sqlite3.Connection) -> None:
    """Terminal team sessions were keyed by their members' names ("a,b,c"): key them by a hash."""
    rows = conn.execute(
        "SELECT id, thread FROM team_sessions WHERE platform = 'terminal' AND thread NOT LIKE 'roster-%'"
    ).fetchall()
    if not rows:  # a new database: no team code to import
        return
    from bot.team.session import roster_thread

    for session_id, thread in rows:
        conn.execute(
            "UPDATE team_sessions SET thread = ? WHERE id = ?",
            (roster_thread(str(thread).split(",")), session_id),
        )


MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
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
    # The claims become a durable record of each delivery, with what finishing it needs.
    """
    CREATE TABLE deliveries (
        key TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        payload TEXT NOT NULL,
        user_id TEXT NOT NULL,
        received_at REAL NOT NULL,
        valid_until REAL NOT NULL,
        lease_until REAL NOT NULL,
        resumable INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        done_at REAL
    );
    CREATE INDEX deliveries_open ON deliveries (platform, lease_until) WHERE done_at IS NULL;
    CREATE INDEX deliveries_done ON deliveries (done_at) WHERE done_at IS NOT NULL;
    CREATE INDEX deliveries_user ON deliveries (platform, user_id) WHERE done_at IS NULL;
    INSERT INTO deliveries (key, platform, payload, user_id, received_at, valid_until, lease_until,
                            resumable, done_at)
        SELECT key, '', '', '', seen_at, seen_at, 0, 0, seen_at FROM delivery_claims;
    DROP TABLE delivery_claims;
    """,
    """
    CREATE TABLE pack_versions (
        pack_id TEXT NOT NULL,
        version TEXT NOT NULL,
        files TEXT NOT NULL,
        stored_at REAL NOT NULL,
        served_at REAL NOT NULL,
        PRIMARY KEY (pack_id, version)
    );
    CREATE INDEX conversations_pack ON conversations (advisor, pack_version);
    """,
    # Team sessions get the columns purge and pack pruning need, filled from their data.
    """
    ALTER TABLE team_sessions ADD COLUMN updated_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE team_sessions ADD COLUMN pack_version TEXT NOT NULL DEFAULT '';
    UPDATE team_sessions SET updated_at = json_extract(data, '$.updated'),
                             pack_version = json_extract(data, '$.pack');
    CREATE INDEX team_sessions_updated ON team_sessions (updated_at);
    CREATE INDEX team_sessions_pack ON team_sessions (advisor, pack_version) WHERE status = 'open';
    """,
    _hash_rosters,
)
"""Append only: entry i takes the schema from version i to i + 1 (SQL, or a Python step)."""


_COLUMNS = (
    "id, platform, workspace, user_id, advisor, pack_version, answers, step, version,"
    " created_at, updated_at, expires_at"
)
_BY_ID = f"SELECT {_COLUMNS} FROM conversations WHERE id = ?"
_SET = "UPDATE conversations SET answers = ?, step = ?, version = version + 1, updated_at = ?, expires_at = ?"
_AT_VERSION = " WHERE id = ? AND version = ?"
_AT_ROW = (
    " WHERE id = ? AND platform = ? AND workspace = ? AND user_id = ? AND advisor = ?"
    " AND pack_version = ? AND answers = ? AND step = ? AND version = ?"
    " AND created_at = ? AND updated_at = ? AND expires_at = ?"
)
"""Conditional on the whole row this store remembers, so it applies only to that very row."""
_UPDATE_VERSION = _SET + _AT_VERSION
_UPDATE_ROW = _SET + _AT_ROW
_MOVE_VERSION = _SET + ", pack_version = ?" + _AT_VERSION
_MOVE_ROW = _SET + ", pack_version = ?" + _AT_ROW
"""The pack version is set only when it changes: setting an indexed column, even to its own
value, rewrites its index entry."""
_UPDATE = _MOVE_VERSION
_BY_KEY = (
    f"SELECT {_COLUMNS} FROM conversations"
    " WHERE platform = ? AND workspace = ? AND user_id = ? AND advisor = ?"
)


_Row = tuple[str, str, str, str, str, str, str, int, int, float, float, float]
"""A conversations row in _COLUMNS order: every column is NOT NULL and of its declared type."""


def _row_to_conversation(row: _Row) -> Conversation:
    cid, platform, workspace, user, advisor, pack_version, answers, step, version = row[:9]
    return Conversation(
        id=cid,
        key=ConversationKey(platform, workspace, user, advisor),
        pack_version=pack_version,
        answers=decode_answers(answers),
        step=step,
        version=version,
        created_at=from_seconds(row[9]),
        updated_at=from_seconds(row[10]),
        expires_at=from_seconds(row[11]),
    )


def _is_utc(conversation: Conversation) -> bool:
    """Whether decoding its row gives back these very values (the store reads times as UTC)."""
    return (
        conversation.created_at.tzinfo is UTC
        and conversation.updated_at.tzinfo is UTC
        and conversation.expires_at.tzinfo is UTC
    )


_TEAM_COLUMNS = "id, platform, workspace, channel, thread, advisor, status, version, created_at, data"
_TEAM_WRITE = f"{_TEAM_COLUMNS}, updated_at, pack_version"


def _row_to_team(row: tuple[object, ...]) -> TeamSession:
    from bot.team.session import TeamKey

    sid, platform, workspace, channel, thread, advisor, status, version, _, data = row
    return decode_team(
        session_id=str(sid),
        key=TeamKey(str(platform), str(workspace), str(channel), str(thread), str(advisor)),
        status=str(status),
        version=int(version),  # type: ignore[call-overload]  # sqlite returns int for INTEGER columns
        data=str(data),
    )


def _row_to_delivery(row: tuple[object, ...]) -> Delivery:
    key, platform, payload, user, received, valid = row
    return Delivery(
        key=str(key),
        platform=str(platform),
        payload=str(payload),
        user=str(user),
        received_at=from_seconds(float(received)),  # type: ignore[arg-type]  # REAL columns
        valid_until=from_seconds(float(valid)),  # type: ignore[arg-type]
    )


def _row_to_stored(pack_id: str, row: tuple[object, ...]) -> StoredPack:
    version, files, stored = row
    return StoredPack(
        pack_id=pack_id,
        version=str(version),
        files=decode_files(str(files)),
        stored_at=from_seconds(float(stored)),  # type: ignore[arg-type]  # a REAL column
    )


def _purge_finished(conn: sqlite3.Connection, now: float) -> None:
    conn.execute("DELETE FROM deliveries WHERE done_at IS NOT NULL AND done_at < ?", (now - KEEP_SECONDS,))


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
    conn: sqlite3.Connection,
    *,
    operations: Sequence[Callable[[sqlite3.Connection], object]],
    guard: Callable[[], None],
) -> list[tuple[bool, object]]:
    """Run queued operations; one of them failing (a duplicate key) does not undo the others.

    Any exception of an operation goes back to its own caller, never to the rest of the batch.
    `guard` runs first and fails the whole batch (nothing is written) when the file is gone.
    """
    guard()
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


_Queued = tuple[Callable[[sqlite3.Connection], object], "asyncio.Future[object]"]


def _settle(future: asyncio.Future[object], ok: bool, value: object) -> None:
    if future.done():  # its caller stopped waiting
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)  # type: ignore[arg-type]  # a failed operation's exception


def _fail(batch: Sequence[_Queued], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


_SERVE = (
    "UPDATE pack_versions SET served_at = ? WHERE pack_id = ? AND version = ? AND (served_at < ?"
    " OR EXISTS (SELECT 1 FROM pack_versions o WHERE o.pack_id = ? AND o.version <> ?"
    " AND o.served_at >= pack_versions.served_at))"
)
"""Mark a version served unless it is the latest served already and its mark is recent (see
`PackArchive.serve_pack`): a start then writes nothing."""


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
        self._conn: sqlite3.Connection = db._conn
        self._clock = clock
        self._claims = 0
        self._location = location
        self._busy_timeout_ms = busy_timeout_ms
        self._timeout_set = busy_timeout_ms
        """The busy timeout the connection has now: 0 inline, the real one on its thread."""
        self._queue: list[_Queued] = []
        self._drainer: asyncio.Task[None] | None = None
        """Group commits on the connection's thread (after a lock held elsewhere)."""
        self._flush_due: asyncio.Handle | None = None
        """A group commit on the loop's next turn."""
        self._batching = False
        """The last group commit held more than one operation: others are clicking too."""
        self._inline_run = 0
        self._in_thread: set[object] = set()
        """Tokens of functions handed to the connection's thread and not finished there yet
        (the thread removes its own): while any is left the loop must not touch the connection."""
        self.stats = StoreStats()
        self._identity: tuple[int, int] | None = None
        """(device, inode) of the file when opened: compared with the path's before each write."""
        self._known: dict[str, tuple[_Row, Conversation]] = {}
        self._ids: dict[tuple[str, ...], str] = {}
        """(platform, workspace, user, advisor) -> id, for the conversations in `_known`."""
        self._checkpoints: _Checkpoints | None = None
        self._closing = False
        """Set once close() has finished what was queued: the connection's thread closes it
        while the loop could run an operation inline on it, so every later operation is refused."""

    @classmethod
    async def open(
        cls, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, create_folder: bool = False
    ) -> SqliteStore:
        """Open (creating the file if needed) and migrate; a locked, read-only or corrupt file
        raises StoreUnavailable and is left exactly as it was.

        A missing folder is created only when asked (the default data directory): a path
        someone typed whose folder does not exist is far more often a typo than a wish.
        """
        location = str(path)
        folder = Path(location).parent
        if location != ":memory:" and not folder.is_dir() and not create_folder:
            raise StoreUnavailable(
                location=location,
                cause=f"its folder {folder} does not exist",
                fix="Create the folder first, or set ADVISOR_DB to a file in an existing folder.",
            )
        if location != ":memory:":
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreUnavailable(
                    location=location,
                    cause=f"its folder can't be created ({error.strerror})",
                    fix="Set ADVISOR_DB to a path in a writable folder.",
                ) from error
        try:
            # check_same_thread=False: the loop's thread uses it too, never at the same time
            # as the connection's own thread (see _run).
            db = await aiosqlite.connect(
                location, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise _explain(location, error) from error
        store = cls(db, location, busy_timeout_ms=busy_timeout_ms)
        try:
            await store._hop(store._migrate)
            store._identity = store._file_identity()
            if store._identity is not None:  # a file a second connection can open
                await store._hop(_no_automatic_checkpoints)
                store._checkpoints = _Checkpoints(location, store._conn.total_changes)
        except BaseException:
            await db.close()
            raise
        return store

    def _file_identity(self) -> tuple[int, int] | None:
        if self._location == ":memory:" or self._location.startswith("file:"):
            return None
        try:
            found = os.stat(self._location)
        except FileNotFoundError:
            return None
        return (found.st_dev, found.st_ino)

    def _check_file(self) -> None:
        """Refuse to write into a file nobody will read again (deleted, or replaced by another)."""
        identity = self._identity
        if identity is None:
            return
        try:
            found = os.stat(self._location)
        except FileNotFoundError:
            found = None
        if found is None or found.st_ino != identity[1] or found.st_dev != identity[0]:
            raise StoreUnavailable(
                location=self._location,
                cause="the database file was deleted or replaced while the bot was running,"
                " so nothing was saved",
                fix="Restart the bot to open the file now at that path"
                " (restore it from a backup first if it was removed by mistake).",
            )

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise StoreUnavailable(
                location=self._location,
                cause="the bot is shutting down and has closed the database, so nothing was saved",
                fix="Try again in a moment, once the bot is running again.",
            )

    async def _hop(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the connection's own thread in one hop (aiosqlite's internal queue),
        with the real busy timeout. The loop keeps off the connection until `fn` has returned
        there, even if the caller stops waiting (a cancelled task)."""
        self._refuse_if_closing()
        conn = self._conn
        token = object()
        self._in_thread.add(token)

        def call() -> T:
            try:
                if self._timeout_set != self._busy_timeout_ms:
                    conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                    self._timeout_set = self._busy_timeout_ms
                return fn(conn)
            finally:
                self._in_thread.discard(token)

        try:
            result: T = await self._db._execute(call)  # type: ignore[no-untyped-call]  # one hop
        except sqlite3.Error as error:
            raise _explain(self._location, error) from error
        except BaseException:
            if not self._db._running:  # the thread is gone: nothing will ever finish there
                self._in_thread.discard(token)
            raise
        return result

    def _inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` here, on the loop's thread, without waiting for any lock.

        Raises _Contended, having written nothing that `fn` run again would not write the
        same, when another connection holds the lock (the caller hands `fn` to the thread).
        """
        conn = self._conn
        if self._timeout_set != 0:
            conn.execute("PRAGMA busy_timeout = 0")
            self._timeout_set = 0
        self._check_file()
        try:
            result = fn(conn)
        except sqlite3.OperationalError as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _is_contention(error):
                raise _Contended() from error
            raise
        if self._checkpoints is not None:
            self._checkpoints.after(conn.total_changes)
        return result

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run one operation, at once and inline when the connection is idle and nobody else
        is using the store, else in the next group commit (inline too, unless contended).

        Every PROBE_EVERY-th operation of a run of inline ones waits for the next turn of the
        loop instead, so that operations of other tasks join it: then the store batches until
        a group commit finds itself alone again. (It also keeps a task that loops over the
        store from holding the loop for long.)
        """
        self._refuse_if_closing()
        if self._checkpoints is not None and self._checkpoints.catch_up_due():
            await self._hop(_passive_checkpoint)
        thread = False
        if not self._queue and not self._in_thread and self._idle_thread():
            self._inline_run += 1
            if not self._batching and self._inline_run % PROBE_EVERY:
                try:
                    return self._inline(fn)
                except _Contended:
                    thread = True  # another process holds the lock: wait for it there, not here
                except sqlite3.IntegrityError:
                    raise
                except sqlite3.Error as error:
                    raise _explain(self._location, error) from error
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queue.append((fn, future))
        self._schedule(thread=thread)
        try:
            result = await future
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise _explain(self._location, error) from error
        return result  # type: ignore[return-value]  # the future holds fn's own result

    def _idle_thread(self) -> bool:
        return self._drainer is None or self._drainer.done()

    def _schedule(self, *, thread: bool) -> None:
        """Make sure something takes the queue: the drainer if it is running (or the
        connection's thread is needed), else a group commit on the loop's next turn."""
        if not self._idle_thread() or self._flush_due is not None:
            return
        if thread or self._in_thread:
            self._drainer = asyncio.create_task(self._drain())
        else:
            self._flush_due = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """One group commit of everything queued, on the loop's thread, waiting for no lock;
        what met a lock held elsewhere goes to the connection's thread."""
        self._flush_due = None
        batch, self._queue = self._queue, []
        if not batch:
            return
        self._batching = len(batch) > 1
        self._inline_run = 0
        if self._in_thread or not self._idle_thread():  # the connection is busy on its thread
            self._queue = batch + self._queue
            self._schedule(thread=True)
            return
        conn = self._conn
        if self._timeout_set != 0:
            conn.execute("PRAGMA busy_timeout = 0")
            self._timeout_set = 0
        try:
            outcomes = _apply_batch(conn, operations=[fn for fn, _ in batch], guard=self._check_file)
        except sqlite3.OperationalError as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if not _is_contention(error):
                _fail(batch, _explain(self._location, error))
                return
            outcomes = [(False, error)] * len(batch)
        except Exception as error:  # the guard: every waiter hears it
            _fail(batch, error)
            return
        if self._checkpoints is not None:
            self._checkpoints.after(conn.total_changes)
        again = []
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            if not ok and isinstance(value, sqlite3.OperationalError) and _is_contention(value):
                again.append(item)
            else:
                _settle(item[1], ok, value)
        if again:
            self._queue = again + self._queue
            self._schedule(thread=True)

    async def _drain(self) -> None:
        """One group commit on the connection's thread, with the real busy timeout; what
        queued meanwhile goes back to the loop's group commits (contended, it comes back)."""
        batch, self._queue = self._queue, []
        try:
            outcomes = await self._hop(
                functools.partial(_apply_batch, operations=[fn for fn, _ in batch], guard=self._check_file)
            )
        except Exception as error:  # every waiter hears it; none waits forever
            _fail(batch, error)
        else:
            if self._checkpoints is not None:
                self._checkpoints.after(self._conn.total_changes)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                _settle(future, ok, value)
        finally:
            self._drainer = None
            if self._queue:
                self._schedule(thread=False)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        # Explicit, not the build's default: forgotten data is overwritten, not just unlinked.
        conn.execute("PRAGMA secure_delete = ON")
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
                step = MIGRATIONS[index]
                if callable(step):
                    step(conn)
                    continue
                for statement in step.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # --- conversations (ConversationStore) -----------------------------------------------

    def _decoded(self, row: _Row) -> Conversation:
        """The row as a Conversation; decoded again only when it differs from the one remembered.

        Called only inside operations, which have the connection (and so this memory) to themselves.
        """
        known = self._known.get(row[0])
        if known is not None and known[0] == row:
            return known[1]
        conversation = _row_to_conversation(row)
        self._remember(row, conversation)
        return conversation

    def _remember(self, row: _Row, conversation: Conversation) -> None:
        known = self._known
        if known.pop(row[0], None) is None:
            if len(known) >= REMEMBERED:
                oldest = next(iter(known))  # the least recently read or written
                self._ids.pop(known.pop(oldest)[0][1:5], None)
            self._ids[row[1:5]] = row[0]
        known[row[0]] = (row, conversation)

    def _forget_all(self) -> None:
        self._known.clear()
        self._ids.clear()

    def _write(
        self, conn: sqlite3.Connection, after: Conversation, *, read: _Row, before: Conversation, exact: bool
    ) -> Conversation | None:
        """The conditional UPDATE from the row `read` (decoded: `before`) to `after`; None when
        the row is no longer at that version (`exact`: no longer that very row, every column
        compared, for a row remembered rather than just read). Remembers what it saved.

        Only what a walk changes is written: the key and the creation time stay as read.
        """
        answers = encode_answers(after.answers)
        step, pack_version, updated_at, expires_at = (
            after.step,
            after.pack_version,
            after.updated_at,
            after.expires_at,
        )
        updated, expires = updated_at.timestamp(), expires_at.timestamp()
        if pack_version == read[5]:
            if exact:
                changed = conn.execute(_UPDATE_ROW, (answers, step, updated, expires, *read)).rowcount
            else:
                changed = conn.execute(
                    _UPDATE_VERSION, (answers, step, updated, expires, read[0], read[8])
                ).rowcount
        else:
            where = read if exact else (read[0], read[8])
            sql = _MOVE_ROW if exact else _MOVE_VERSION
            changed = conn.execute(sql, (answers, step, updated, expires, pack_version, *where)).rowcount
        if changed != 1:
            return None
        version = read[8] + 1
        saved = Conversation(
            id=before.id,
            key=before.key,
            pack_version=pack_version,
            answers=after.answers,
            step=step,
            version=version,
            created_at=before.created_at,
            updated_at=updated_at,
            expires_at=expires_at,
        )
        if updated_at.tzinfo is UTC and expires_at.tzinfo is UTC:  # as a read decodes them
            cid, platform, workspace, user, advisor = read[:5]
            row = (
                cid,
                platform,
                workspace,
                user,
                advisor,
                pack_version,
                answers,
                step,
                version,
                read[9],
                updated,
                expires,
            )
            self._remember(row, saved)
        return saved

    async def get(self, key: ConversationKey) -> Conversation | None:
        args = (key.platform, key.workspace, key.user, key.advisor)

        def fn(conn: sqlite3.Connection) -> Conversation | None:
            row: _Row | None = conn.execute(_BY_KEY, args).fetchone()
            return None if row is None else self._decoded(row)

        return await self._run(fn)

    async def get_by_id(self, conversation_id: str) -> Conversation | None:
        args = (conversation_id,)

        def fn(conn: sqlite3.Connection) -> Conversation | None:
            row: _Row | None = conn.execute(_BY_ID, args).fetchone()
            return None if row is None else self._decoded(row)

        return await self._run(fn)

    async def change(
        self, ref: str | ConversationKey, walk: Callable[[Conversation], Conversation | None]
    ) -> tuple[Conversation | None, Conversation | None]:
        """Read, walk and conditionally write in one operation, inline or in a group commit: no
        other operation of this store runs between the read and the write.

        When this store wrote the row last, the read is the remembered row and the write is
        conditional on every column of it, so it applies only if the file still holds exactly
        that row; else (or if the walk refused or stopped) the row is read from the file.
        """
        args: tuple[str, ...]
        if isinstance(ref, str):
            query, args = _BY_ID, (ref,)
        else:
            query, args = _BY_KEY, (ref.platform, ref.workspace, ref.user, ref.advisor)

        def fn(conn: sqlite3.Connection) -> tuple[Conversation | None, Conversation | None]:
            cid = ref if isinstance(ref, str) else self._ids.get(args)
            known = None if cid is None else self._known.get(cid)
            outcome: Conversation | BaseException | None = None
            if known is not None:
                try:
                    outcome = walk(known[1])
                except Exception as error:  # a refusal on what may be an old copy: see below
                    outcome = error
                if isinstance(outcome, Conversation):
                    saved = self._write(conn, outcome, read=known[0], before=known[1], exact=True)
                    if saved is not None:
                        return known[1], saved
            row: _Row | None = conn.execute(query, args).fetchone()
            if row is None:
                return None, None
            if known is not None and known[0] == row and not isinstance(outcome, Conversation):
                before = known[1]  # what was walked is what the file holds: that answer stands
                if isinstance(outcome, BaseException):
                    raise outcome
            else:
                before = self._decoded(row)
                outcome = walk(before)
            if outcome is None:
                return before, None
            saved = self._write(conn, outcome, read=row, before=before, exact=False)
            if saved is None:
                raise VersionConflict(row[0], row[8])
            return before, saved

        try:
            return await self._run(fn)
        except VersionConflict:
            self.stats.conflicts += 1
            raise

    async def create(self, conversation: Conversation) -> Conversation:
        c, k = conversation, conversation.key
        created = Conversation(
            id=c.id,
            key=k,
            pack_version=c.pack_version,
            answers=c.answers,
            step=c.step,
            version=1,
            created_at=c.created_at,
            updated_at=c.updated_at,
            expires_at=c.expires_at,
        )
        answers = encode_answers(c.answers)
        times = (to_seconds(c.created_at), to_seconds(c.updated_at), to_seconds(c.expires_at))
        row: _Row = (
            c.id,
            k.platform,
            k.workspace,
            k.user,
            k.advisor,
            c.pack_version,
            answers,
            c.step,
            1,
            *times,
        )

        def fn(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO conversations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
            )
            if _is_utc(c):
                self._remember(row, created)

        try:
            await self._run(fn)
        except sqlite3.IntegrityError as error:
            raise ConversationExists(c.id) from error
        return created

    async def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        c = conversation
        args = (
            encode_answers(c.answers),
            c.step,
            to_seconds(c.updated_at),
            to_seconds(c.expires_at),
            c.pack_version,
            c.id,
            expected_version,
        )

        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute(_UPDATE, args).rowcount

        if await self._run(fn) != 1:
            self.stats.conflicts += 1
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
            self._forget_all()  # nothing of a deleted conversation stays in memory either
            return conn.execute(
                "DELETE FROM conversations"
                " WHERE platform = ? AND workspace = ? AND user_id = ? AND advisor = ?",
                (key.platform, key.workspace, key.user, key.advisor),
            ).rowcount

        return await self._run(fn) > 0

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        now = self._clock()

        def fn(conn: sqlite3.Connection) -> int:
            self._forget_all()  # nothing of a forgotten user stays in memory either
            conn.execute(
                "UPDATE deliveries SET done_at = ?, payload = '', user_id = ''"
                " WHERE platform = ? AND user_id = ? AND done_at IS NULL",
                (now, platform, user),
            )
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
            self._forget_all()
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
                f"INSERT INTO team_sessions ({_TEAM_WRITE}) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
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
                    to_seconds(s.updated_at),
                    s.pack_version,
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
                "UPDATE team_sessions SET status = ?, data = ?, version = version + 1,"
                " updated_at = ?, pack_version = ? WHERE id = ? AND version = ?",
                (
                    s.status.value,
                    encode_team(s),
                    to_seconds(s.updated_at),
                    s.pack_version,
                    s.id,
                    expected_version,
                ),
            ).rowcount

        if await self._run(fn) != 1:
            self.stats.conflicts += 1
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

    async def purge_teams(self, *, older_than: datetime) -> int:
        cutoff = to_seconds(older_than)

        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM team_sessions WHERE updated_at < ?", (cutoff,)).rowcount

        return await self._run(fn)

    # --- deliveries (DeliveryLog) ---------------------------------------------------------

    def _purge_due(self) -> bool:
        self._claims += 1
        return self._claims % PURGE_EVERY == 0

    async def claim_delivery(self, key: str) -> bool:
        """One INSERT OR IGNORE in the group commit: the primary key decides who was first."""
        now = self._clock()
        purge = self._purge_due()

        def fn(conn: sqlite3.Connection) -> bool:
            if purge:
                _purge_finished(conn, now)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO deliveries (key, platform, payload, user_id, received_at,"
                " valid_until, lease_until, resumable, done_at) VALUES (?, '', '', '', ?, ?, 0, 0, ?)",
                (key, now, now, now),
            )
            return cursor.rowcount == 1

        return await self._run(fn)

    async def record_delivery(self, delivery: Delivery, *, lease: timedelta) -> Receipt:
        d = delivery
        received = to_seconds(d.received_at)
        until = received + lease.total_seconds()
        purge = self._purge_due()

        def fn(conn: sqlite3.Connection) -> Receipt:
            if purge:
                _purge_finished(conn, received)
            inserted = conn.execute(
                "INSERT OR IGNORE INTO deliveries (key, platform, payload, user_id, received_at,"
                " valid_until, lease_until, resumable) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d.key,
                    d.platform,
                    d.payload,
                    d.user,
                    received,
                    to_seconds(d.valid_until),
                    until,
                    d.resumable,
                ),
            ).rowcount
            if inserted:
                return Receipt.FIRST
            # Seen before: take it over only if its handler's lease ran out (that process died).
            taken = conn.execute(
                "UPDATE deliveries SET lease_until = ?, attempts = attempts + 1"
                " WHERE key = ? AND done_at IS NULL AND resumable = 1 AND lease_until < ?"
                " AND valid_until > ? AND attempts < ?",
                (until, d.key, received, received, MAX_ATTEMPTS),
            ).rowcount
            return Receipt.RESUMED if taken else Receipt.SEEN

        return await self._run(fn)

    async def mark_resumable(self, key: str) -> None:
        def fn(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE deliveries SET resumable = 1 WHERE key = ? AND done_at IS NULL", (key,))

        await self._run(fn)

    async def finish_delivery(self, key: str, *, now: datetime) -> None:
        done = to_seconds(now)

        def fn(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE deliveries SET done_at = ?, payload = '', user_id = '' WHERE key = ?", (done, key)
            )

        await self._run(fn)

    async def release_delivery(self, key: str) -> None:
        def fn(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE deliveries SET lease_until = 0 WHERE key = ? AND done_at IS NULL", (key,))

        await self._run(fn)

    async def take_unfinished(
        self, *, platform: str, now: datetime, lease: timedelta, limit: int
    ) -> tuple[Delivery, ...]:
        at = to_seconds(now)

        def fn(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            # One statement: two processes sweeping at once never take the same record.
            return conn.execute(
                "UPDATE deliveries SET lease_until = ?, attempts = attempts + 1 WHERE key IN ("
                " SELECT key FROM deliveries WHERE platform = ? AND done_at IS NULL AND resumable = 1"
                " AND lease_until < ? AND valid_until > ? AND attempts < ?"
                " ORDER BY received_at LIMIT ?)"
                " RETURNING key, platform, payload, user_id, received_at, valid_until",
                (at + lease.total_seconds(), platform, at, at, MAX_ATTEMPTS, limit),
            ).fetchall()

        rows = await self._run(fn)
        return tuple(
            sorted(
                (_row_to_delivery(row) for row in rows), key=lambda d: d.received_at
            )  # RETURNING: any order
        )

    async def abandon_unfinishable(self, *, platform: str, now: datetime) -> int:
        at = to_seconds(now)

        def fn(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE deliveries SET done_at = ?, payload = '', user_id = ''"
                " WHERE platform = ? AND done_at IS NULL AND lease_until < ?"
                " AND (resumable = 0 OR valid_until <= ? OR attempts >= ?)",
                (at, platform, at, at, MAX_ATTEMPTS),
            ).rowcount

        return await self._run(fn)

    # --- pack versions (PackStore) --------------------------------------------------------

    async def keep_pack(
        self, *, pack_id: str, version: str, files: Mapping[str, bytes], now: datetime
    ) -> None:
        at = to_seconds(now)
        encoded = encode_files(files)

        def fn(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO pack_versions (pack_id, version, files, stored_at, served_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (pack_id, version) DO UPDATE SET served_at = ?",
                (pack_id, version, encoded, at, at, at),
            )

        await self._run(fn)

    async def serve_pack(self, *, pack_id: str, version: str, now: datetime) -> bool:
        at = to_seconds(now)

        def fn(conn: sqlite3.Connection) -> bool:
            kept = conn.execute(  # the primary key's index alone: the row's files are not read
                "SELECT 1 FROM pack_versions WHERE pack_id = ? AND version = ?", (pack_id, version)
            ).fetchone()
            if kept is None:
                return False
            conn.execute(_SERVE, (at, pack_id, version, at - SERVED_EVERY, pack_id, version))
            return True

        return await self._run(fn)

    async def stored_pack(self, pack_id: str, version: str) -> StoredPack | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                "SELECT version, files, stored_at FROM pack_versions WHERE pack_id = ? AND version = ?",
                (pack_id, version),
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_stored(pack_id, row)

    async def latest_pack(self, pack_id: str) -> StoredPack | None:
        def fn(conn: sqlite3.Connection) -> tuple[object, ...] | None:
            row: tuple[object, ...] | None = conn.execute(
                "SELECT version, files, stored_at FROM pack_versions WHERE pack_id = ?"
                " ORDER BY served_at DESC LIMIT 1",
                (pack_id,),
            ).fetchone()
            return row

        row = await self._run(fn)
        return None if row is None else _row_to_stored(pack_id, row)

    async def kept_versions(self, pack_id: str) -> tuple[KeptVersion, ...]:
        def fn(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            return conn.execute(
                "SELECT v.version, v.stored_at, v.served_at,"
                " (SELECT count(*) FROM conversations c WHERE c.advisor = v.pack_id"
                "  AND c.pack_version = v.version),"
                " (SELECT count(*) FROM team_sessions t WHERE t.advisor = v.pack_id"
                "  AND t.pack_version = v.version AND t.status = 'open')"
                " FROM pack_versions v WHERE v.pack_id = ? ORDER BY v.served_at DESC",
                (pack_id,),
            ).fetchall()

        return tuple(
            KeptVersion(
                pack_id=pack_id,
                version=str(version),
                stored_at=from_seconds(float(stored)),  # type: ignore[arg-type]  # REAL columns
                served_at=from_seconds(float(served)),  # type: ignore[arg-type]
                conversations=int(conversations),  # type: ignore[call-overload]  # count(*)
                open_sessions=int(sessions),  # type: ignore[call-overload]
            )
            for version, stored, served, conversations, sessions in await self._run(fn)
        )

    async def prune_packs(self, pack_id: str, *, keep: Collection[str]) -> tuple[str, ...]:
        kept = json.dumps(sorted(keep))

        def fn(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            return conn.execute(
                "DELETE FROM pack_versions WHERE pack_id = ?"
                " AND version NOT IN (SELECT value FROM json_each(?))"
                " AND version NOT IN (SELECT pack_version FROM conversations WHERE advisor = ?)"
                " AND version NOT IN (SELECT pack_version FROM team_sessions"
                "  WHERE advisor = ? AND status = 'open')"
                " RETURNING version",
                (pack_id, kept, pack_id, pack_id),
            ).fetchall()

        return tuple(sorted(str(row[0]) for row in await self._run(fn)))

    # --- the file itself ------------------------------------------------------------------

    async def ping(self) -> None:
        def fn(conn: sqlite3.Connection) -> None:
            conn.execute("SELECT 1").fetchone()

        await self._run(fn)

    async def erase_deleted(self) -> bool:
        """Checkpoint and empty the write-ahead log, whose old frames still hold deleted rows."""

        def fn(conn: sqlite3.Connection) -> bool:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return int(busy) == 0

        return await self._hop(fn)

    async def close(self) -> None:
        while True:  # finish every operation queued so far
            if self._flush_due is not None:
                self._flush_due.cancel()
                self._flush()
            elif self._drainer is not None:
                await self._drainer
            elif self._queue:
                self._schedule(thread=True)
            else:
                break
        self._closing = True  # no await since the queue was found empty: nothing slipped in
        if self._checkpoints is not None:
            await self._checkpoints.close()
        self._forget_all()
        await self._db.close()
