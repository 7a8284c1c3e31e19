"""Store fixtures: a SQLite file and a fresh PostgreSQL schema per test, behind one `backend` fixture.

PostgreSQL comes from ADVISOR_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
When it cannot be reached the PostgreSQL cases skip with the reason, except on CI (CI=true),
where a missing database is a failure: the contract must hold on both stores before a merge.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest

from bot.store.base import Store
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url(environ: Mapping[str, str]) -> str:
    return environ.get("ADVISOR_TEST_POSTGRES") or DEFAULT_POSTGRES


def unreachable(reason: str, environ: Mapping[str, str]) -> NoReturn:
    """Skip locally, fail on CI: CI promises a database, so its absence is a broken build."""
    message = f"PostgreSQL unreachable ({reason}); set ADVISOR_TEST_POSTGRES to a reachable database"
    if environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}. CI=true, so the PostgreSQL contract run is mandatory.")
    pytest.skip(message)


def with_search_path(url: str, schema: str) -> str:
    """The URL whose connections use `schema` (asyncpg passes unknown query keys as settings)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
async def postgres_schema_url() -> AsyncIterator[str]:
    """A URL pointing at a fresh, empty schema, dropped after the test."""
    url = postgres_url(os.environ)
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        unreachable(f"{type(error).__name__}: {error}", os.environ)
    schema = f"advisor_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_search_path(url, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@dataclass
class Backend:
    """Opens stores on one location, so a test can close and reopen it; closes them at the end."""

    name: str
    open_at: Callable[[], Awaitable[Store]]
    opened: list[Store] = field(default_factory=list)

    async def open(self) -> Store:
        store = await self.open_at()
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        for store in self.opened:
            await store.close()


@pytest.fixture
async def sqlite_backend(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = Backend("sqlite", lambda: SqliteStore.open(tmp_path / "contract.db"))
    yield backend
    await backend.close_all()


@pytest.fixture
async def postgres_backend(postgres_schema_url: str) -> AsyncIterator[Backend]:
    backend = Backend("postgres", lambda: PostgresStore.open(postgres_schema_url, max_size=5))
    yield backend
    await backend.close_all()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Backend:
    """Parametrise with indirect=True over "sqlite_backend" and "postgres_backend"."""
    chosen: Backend = request.getfixturevalue(request.param)
    return chosen


@pytest.fixture
async def contract_store(backend: Backend) -> Store:
    return await backend.open()
