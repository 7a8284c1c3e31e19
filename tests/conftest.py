"""Fixtures shared by every test: the tiny pack, a real SQLite store on a file, a clock we move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.store.sqlite import SqliteStore

TESTS = Path(__file__).parent
TINY = TESTS / "packs" / "tiny"
PYTHON_WEB = TESTS.parent / "knowledge" / "python-web"


@dataclass
class Clock:
    """A clock tests move by hand, so expiry is tested without waiting."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(autouse=True, scope="session")
def _pack_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`advisor` processes the tests start keep their pack cache in a folder of the run, not in
    the user's ~/.cache (tests of the cache itself pass their own folder)."""
    import os

    before = os.environ.get("ADVISOR_CACHE_DIR")
    os.environ["ADVISOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("pack-cache"))
    yield
    if before is None:
        os.environ.pop("ADVISOR_CACHE_DIR", None)
    else:
        os.environ["ADVISOR_CACHE_DIR"] = before


@pytest.fixture
def tiny_path() -> Path:
    return TINY


@pytest.fixture
def registry() -> PackRegistry:
    registry = PackRegistry()
    registry.load(TINY)
    return registry


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "advisor.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(db_path)
    yield store
    await store.close()


@pytest.fixture
def engine(store: SqliteStore, registry: PackRegistry, clock: Clock) -> Engine:
    return Engine(store=store, registry=registry, advisor="tiny", clock=clock)


@pytest.fixture
def alice() -> Actor:
    return Actor("test", "w1", "alice")


@pytest.fixture
def bob() -> Actor:
    return Actor("test", "w1", "bob")
