"""Which Slack deliveries were already handled, so a resend (`X-Slack-Retry-Num`) is answered once.

Slack resends a command, click or event it believes was not acknowledged. The resend carries the
same `trigger_id` (commands, clicks) or `event_id` (events), so the first process to *claim* that
id handles it and every later copy is dropped. Claims live in the project's database (the
SQLite file, or PostgreSQL: see pg_deliveries.py), so a resend that lands on another process,
or after a restart, is still recognised.
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

KEEP_SECONDS = 3600.0
"""Slack gives up resending after a few minutes; an hour is ample."""
PURGE_EVERY = 500
"""Claims between two deletions of expired ones."""
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_deliveries (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
)
"""


class DeliveryLog(Protocol):
    async def claim(self, key: str) -> bool:
        """True the first time `key` is seen: the caller handles it. False for a resend."""
        ...

    async def close(self) -> None: ...


class MemoryDeliveryLog:
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


class SqliteDeliveryLog:
    """Claims as rows of `slack_deliveries` in the project's SQLite file (opened on first use)."""

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
            await db.execute("DELETE FROM slack_deliveries WHERE seen_at < ?", (now - KEEP_SECONDS,))
        try:
            await db.execute("INSERT INTO slack_deliveries (key, seen_at) VALUES (?, ?)", (key, now))
        except sqlite3.IntegrityError:
            return False
        return True

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


def sqlite_path(db_url: str) -> str | None:
    """The file behind ADVISOR_DB when it is SQLite (as bot.store.open_store reads it), else None."""
    scheme = urlsplit(db_url).scheme if "://" in db_url else ""
    if scheme == "":
        return db_url
    if scheme != "sqlite":
        return None
    path = db_url[len("sqlite://") :]
    if path.startswith("//"):
        path = path[1:]
    return path


def open_delivery_log(db_url: str) -> DeliveryLog:
    """Claims beside the conversations: in the SQLite file, or in PostgreSQL for replicas."""
    scheme = urlsplit(db_url).scheme if "://" in db_url else ""
    if scheme in ("postgresql", "postgres"):
        from adapters.slack.pg_deliveries import PostgresDeliveryLog

        return PostgresDeliveryLog(db_url)
    path = sqlite_path(db_url)
    if path is None or path == ":memory:":
        return MemoryDeliveryLog()
    return SqliteDeliveryLog(path)
