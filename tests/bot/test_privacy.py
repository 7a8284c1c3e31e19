"""Forgotten means gone from the files too; purge reaches team sessions; a vanished database is noticed."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import StoreUnavailable
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.privacy import forget_user
from bot.store.deliveries import Delivery
from bot.store.sqlite import MIGRATIONS, SqliteStore
from bot.team.engine import TeamEngine
from bot.team.session import roster_thread
from tests.conftest import Clock

WHO = "U-forget-me-4711"
NAME = "Zelda Forgetme"
ANSWERS = b"kind=pages;admin=none"


def file_bytes(db: Path) -> bytes:
    """The database file and its write-ahead log, as a disk reader would see them."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_a_forgotten_user_leaves_no_id_name_or_answer_in_the_file_or_the_wal(
    db_path: Path, registry: PackRegistry, clock: Clock
) -> None:
    store = await SqliteStore.open(db_path)
    try:
        engine = Engine(store=store, team_store=store, registry=registry, advisor="tiny", clock=clock)
        teams = TeamEngine(store=store, registry=registry, advisor="tiny", clock=clock)
        them = Actor("slack", "T1", WHO)
        await engine.start(them)
        await engine.answer_text(them, "pages")
        await engine.answer_text(them, "no")
        session = await teams.start(
            teams.key(platform="slack", workspace="T1", channel="C1", thread="1.1"),
            starter="U-other",
            starter_name="Other",
        )
        await teams.vote(
            session_id=session.session_id, step=session.step, member=WHO, option_id="api", name=NAME
        )
        await store.record_delivery(
            Delivery(
                key="trigger:T1:1",
                platform="slack",
                payload=f'{{"user_id": "{WHO}", "user_name": "{NAME}"}}',
                user=WHO,
                received_at=clock(),
                valid_until=clock() + timedelta(minutes=30),
            ),
            lease=timedelta(seconds=30),
        )
        before = file_bytes(db_path)
        assert WHO.encode() in before  # the test can fail: it is all there now
        assert NAME.encode() in before
        assert ANSWERS in before

        forgotten = await forget_user(
            conversations=store, teams=store, platform="slack", workspace=None, user=WHO
        )
        assert (forgotten.conversations, forgotten.teams, forgotten.erased) == (1, 1, True)
        after = file_bytes(db_path)
        assert WHO.encode() not in after
        assert NAME.encode() not in after
        assert ANSWERS not in after
        assert b"Other" in after  # everyone else is still there
    finally:
        await store.close()


async def test_the_terminal_team_key_holds_no_names_and_old_keys_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:  # a database from before the roster hash
        for step in MIGRATIONS[:-1]:
            assert isinstance(step, str)
            raw.executescript(step)
        raw.execute(
            "INSERT INTO team_sessions (id, platform, workspace, channel, thread, advisor, status, version,"
            " created_at, data, updated_at, pack_version)"
            " VALUES ('s1', 'terminal', 'local', 'team', 'alice-q,bob-q', 'tiny', 'open', 1, 0, '{}', 0, 'v')"
        )
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    raw.close()
    store = await SqliteStore.open(path)
    await store.close()
    with sqlite3.connect(path) as raw:
        (thread,) = raw.execute("SELECT thread FROM team_sessions WHERE id = 's1'").fetchone()
    raw.close()
    assert thread == roster_thread(["alice-q", "bob-q"])
    assert "alice" not in thread


async def test_a_database_deleted_under_a_running_store_is_reported_and_nothing_is_lost_silently(
    db_path: Path, engine: Engine, alice: Actor, store: SqliteStore
) -> None:
    await engine.start(alice)
    os.remove(db_path)
    with pytest.raises(StoreUnavailable, match="deleted or replaced while the bot was running") as raised:
        await engine.answer_text(alice, "pages")
    assert "nothing was saved" in str(raised.value)
    assert "Restart the bot" in str(raised.value)


async def test_a_database_replaced_under_a_running_store_is_reported(
    db_path: Path, engine: Engine, alice: Actor, store: SqliteStore, tmp_path: Path
) -> None:
    await engine.start(alice)
    other = tmp_path / "restored.db"
    sqlite3.connect(other).close()
    os.replace(other, db_path)  # a backup restored over it while the bot runs
    with pytest.raises(StoreUnavailable, match="deleted or replaced"):
        await engine.status(alice)
