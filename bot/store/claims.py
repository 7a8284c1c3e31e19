"""Which deliveries were already handled, so a resent request is acted on once.

Chat platforms resend what they believe was not acknowledged (Slack's `X-Slack-Retry-Num`). A
resend carries the same delivery id (Slack: `trigger_id` for commands and clicks, `event_id` for
events), so the first process to *claim* that id handles it and every later copy is dropped.
Claims live in the project's database (the SQLite file, or PostgreSQL: see postgres_claims.py),
so a resend that lands on another process, or after a restart, is still recognised.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import aiosqlite

from bot.store import sqlite_path

KEEP_SECONDS = 3600.0
"""Platforms give up resending after a few minutes (Slack: 3 retries); an hour is ample."""
PURGE_EVERY = 500
"""Claims between two deletions of expired ones."""
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery_claims (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
)
"""


class ClaimLog(Protocol):
    async def claim(self, key: str) -> bool:
        """True the first time `key` is seen: the caller handles it. False for a resend."""
        ...

    async def close(self) -> None: ...


class MemoryClaimLog:
    """One process only (used when the database is not SQLite): the newest claims, bounded."""

    def __init__(self, *, size: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    async def claim(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    async def close(self) -> None:
        self._seen.clear()


class SqliteClaimLog:
    """Claims as rows of `delivery_claims` in the project's SQLite file (opened on first use).

    A claim is one INSERT on its own (autocommit): the primary key decides who was first, in this
    process or any other on the same file.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self._path = str(path)
        self._clock = clock
        self._db: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()
        self._claims = 0

    async def _connection(self) -> aiosqlite.Connection:
        async with self._opening:
            if self._db is None:
                db = await aiosqlite.connect(self._path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
                await db.execute("PRAGMA journal_mode = WAL")
                await db.execute("PRAGMA synchronous = NORMAL")
                await db.execute(_SCHEMA)
                self._db = db
            return self._db

    async def claim(self, key: str) -> bool:
        db = await self._connection()
        now = self._clock()
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await db.execute("DELETE FROM delivery_claims WHERE seen_at < ?", (now - KEEP_SECONDS,))
        try:
            await db.execute("INSERT INTO delivery_claims (key, seen_at) VALUES (?, ?)", (key, now))
        except sqlite3.IntegrityError:
            return False
        return True

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


def open_claim_log(db_url: str) -> ClaimLog:
    """Claims beside the conversations: in the SQLite file, or in PostgreSQL for replicas."""
    scheme = urlsplit(db_url).scheme if "://" in db_url else ""
    if scheme in ("postgresql", "postgres"):
        from bot.store.postgres_claims import PostgresClaimLog

        return PostgresClaimLog(db_url)
    path = sqlite_path(db_url)
    if path is None or path == ":memory:":
        return MemoryClaimLog()
    return SqliteClaimLog(path)
