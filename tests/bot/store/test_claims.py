"""Delivery claims: a resent request is handled once, in one process or across replicas."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest

from bot.store import sqlite_path
from bot.store.claims import MemoryClaimLog, SqliteClaimLog, open_claim_log


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/data/a.db", "/data/a.db"),
        ("sqlite:///data/a.db", "/data/a.db"),
        ("sqlite:////data/a.db", "/data/a.db"),
        ("postgresql://u@h/db", None),
    ],
)
def test_sqlite_path_reads_advisor_db_as_the_store_does(url: str, expected: str | None) -> None:
    assert sqlite_path(url) == expected


async def test_claims_are_first_come_and_outlive_the_connection(tmp_path: Any) -> None:
    log = SqliteClaimLog(tmp_path / "a.db")
    assert await log.claim("k") is True
    assert await log.claim("k") is False
    await log.close()
    again = SqliteClaimLog(tmp_path / "a.db")
    assert await again.claim("k") is False  # another process sees the first claim
    assert await again.claim("other") is True
    await again.close()


async def test_memory_claims_are_bounded() -> None:
    log = MemoryClaimLog(size=2)
    assert [await log.claim(k) for k in ("a", "b", "a", "c", "a")] == [True, True, False, True, True]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh schema on ADVISOR_TEST_POSTGRES (as tests/bot/store does), dropped afterwards."""
    url = os.environ.get("ADVISOR_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable on CI: {error}")
        pytest.skip(f"PostgreSQL unreachable ({error}); set ADVISOR_TEST_POSTGRES")
    schema = f"slack_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{url}{'&' if '?' in url else '?'}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def test_replicas_sharing_postgres_claim_each_delivery_once(postgres_url: str) -> None:
    first, second = open_claim_log(postgres_url), open_claim_log(postgres_url)
    try:
        outcomes = await asyncio.gather(*(log.claim("trigger:T1:9") for log in (first, second) * 5))
        assert sorted(outcomes) == [False] * 9 + [True]
        assert await second.claim("trigger:T1:10") is True
    finally:
        await first.close()
        await second.close()
