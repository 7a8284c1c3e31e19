"""What only the PostgreSQL store has: URL selection, migrations under a lock, and its error messages."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest

from bot.errors import StoreUnavailable
from bot.store import open_store
from bot.store.postgres import MIGRATIONS, PostgresStore, masked


async def test_advisor_db_postgresql_url_opens_the_postgres_store(postgres_schema_url: str) -> None:
    store = await open_store(postgres_schema_url)
    try:
        assert isinstance(store, PostgresStore)
    finally:
        await store.close()


async def test_replicas_starting_at_once_migrate_once(postgres_schema_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_schema_url, max_size=2) for _ in range(6)))
    for store in stores:
        await store.close()
    conn = await asyncpg.connect(postgres_schema_url)
    try:
        rows = await conn.fetch("SELECT version FROM advisor_schema_version")
    finally:
        await conn.close()
    assert [r["version"] for r in rows] == list(range(1, len(MIGRATIONS) + 1))


async def test_a_schema_from_a_newer_advisor_is_refused_with_the_fix(postgres_schema_url: str) -> None:
    store = await PostgresStore.open(postgres_schema_url)
    await store.close()
    conn = await asyncpg.connect(postgres_schema_url)
    try:
        await conn.execute("INSERT INTO advisor_schema_version VALUES ($1)", len(MIGRATIONS) + 1)
    finally:
        await conn.close()
    with pytest.raises(StoreUnavailable, match=r"newer advisor.*Upgrade framework-advisor"):
        await PostgresStore.open(postgres_schema_url)


async def test_unreachable_server_names_the_fix_and_hides_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = "postgresql://advisor:s3cret-pw@127.0.0.1:1/advisor"
    with pytest.raises(StoreUnavailable) as caught:
        await PostgresStore.open(url)
    message = str(caught.value)
    assert "cannot be reached" in message
    assert "postgresql://advisor:***@127.0.0.1:1/advisor" in message
    assert "s3cret-pw" not in message
    assert caught.value.__cause__ is None
    assert "s3cret-pw" not in caplog.text


async def test_a_missing_database_is_named(postgres_schema_url: str) -> None:
    url = urlunsplit(urlsplit(postgres_schema_url)._replace(path="/advisor_no_such_db"))
    with pytest.raises(StoreUnavailable, match=r"database does not exist.*createdb"):
        await PostgresStore.open(url)


async def test_a_missing_schema_is_named(postgres_schema_url: str) -> None:
    url = postgres_schema_url.replace("search_path=advisor_test_", "search_path=advisor_absent_", 1)
    with pytest.raises(StoreUnavailable, match=r"schema named by search_path does not exist"):
        await PostgresStore.open(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/db?x=1", "postgresql://u:***@h:5432/db?x=1"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://:pw@h/db", "postgresql://:***@h/db"),
    ],
)
def test_masked_url_never_shows_a_password(url: str, shown: str) -> None:
    assert masked(url) == shown
