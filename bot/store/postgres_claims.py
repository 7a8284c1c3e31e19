"""Delivery claims in PostgreSQL, for several replicas sharing one database.

Kept apart from `claims.py` so asyncpg is imported only when ADVISOR_DB is PostgreSQL.
A claim is one `INSERT ... ON CONFLICT DO NOTHING`: whichever replica inserts first handles the
delivery, every other copy finds the row and is dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs

from bot.store.claims import KEEP_SECONDS, PURGE_EVERY

SCHEMA_LOCK = 0x636C61696D73
"""pg_advisory_xact_lock key ("claims"): replicas starting together create the table once."""
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS delivery_claims (key TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL)"
)


class PostgresClaimLog:
    """A small pool of its own on the store's URL, opened on first use."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        self._url = url
        self._clock = clock
        self._pool: Any = None
        self._opening = asyncio.Lock()
        self._claims = 0

    async def _connection_pool(self) -> Any:
        async with self._opening:
            if self._pool is None:
                pool = await asyncpg.create_pool(self._url, min_size=1, max_size=4)
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                    await conn.execute(_SCHEMA)
                self._pool = pool
            return self._pool

    async def claim(self, key: str) -> bool:
        pool = await self._connection_pool()
        now = self._clock()
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await pool.execute("DELETE FROM delivery_claims WHERE seen_at < $1", now - KEEP_SECONDS)
        status = await pool.execute(
            "INSERT INTO delivery_claims (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            key,
            now,
        )
        return bool(status == "INSERT 0 1")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
