"""The SQLite store on a real file: pragmas, migrations, conditional saves, and files that can't be used."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import ConversationExists, StoreUnavailable, VersionConflict
from bot.personal.conversation import Conversation, ConversationKey
from bot.store import open_store
from bot.store.sqlite import BUSY_TIMEOUT_MS, MIGRATIONS, SqliteStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEY = ConversationKey("test", "w1", "alice", "tiny")


def conversation(
    cid: str = "c1", key: ConversationKey = KEY, answers: tuple[tuple[str, str], ...] = ()
) -> Conversation:
    return Conversation(
        id=cid,
        key=key,
        pack_version="v1",
        answers=answers,
        step=1,
        version=0,
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(hours=24),
    )


async def test_wal_normal_and_schema_version(store: SqliteStore, db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        raw.close()


async def test_reopening_keeps_data_and_does_not_remigrate(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.create(conversation(answers=(("kind", "api"),)))
    await store.close()
    store = await SqliteStore.open(db_path)
    try:
        loaded = await store.get(KEY)
        assert loaded is not None
        assert loaded.answers == (("kind", "api"),)
        assert loaded.created_at == NOW
        assert loaded.version == 1
    finally:
        await store.close()


async def test_create_twice_signals_the_race(store: SqliteStore) -> None:
    await store.create(conversation())
    with pytest.raises(ConversationExists):
        await store.create(conversation(cid="c2"))


async def test_save_is_conditional_on_the_version(store: SqliteStore) -> None:
    created = await store.create(conversation())
    saved = await store.save(conversation(answers=(("kind", "pages"),)), expected_version=created.version)
    assert saved.version == created.version + 1
    with pytest.raises(VersionConflict):
        await store.save(conversation(answers=(("kind", "api"),)), expected_version=created.version)
    loaded = await store.get_by_id("c1")
    assert loaded is not None
    assert loaded.answers == (("kind", "pages"),)


async def test_fifty_concurrent_saves_at_one_version_apply_once(store: SqliteStore) -> None:
    created = await store.create(conversation())
    results = await asyncio.gather(
        *(
            store.save(conversation(answers=(("kind", f"o{i}"),)), expected_version=created.version)
            for i in range(50)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conversation) for r in results) == 1
    assert sum(isinstance(r, VersionConflict) for r in results) == 49


async def test_forget_and_purge(store: SqliteStore) -> None:
    await store.create(conversation("a", ConversationKey("test", "w1", "alice", "tiny")))
    await store.create(conversation("b", ConversationKey("test", "w2", "alice", "tiny")))
    await store.create(conversation("c", ConversationKey("test", "w1", "bob", "tiny")))
    assert await store.forget_user(platform="test", workspace="w1", user="alice") == 1
    assert await store.forget_user(platform="test", workspace=None, user="alice") == 1
    assert await store.purge(older_than=NOW - timedelta(days=1)) == 0
    assert await store.purge(older_than=NOW + timedelta(seconds=1)) == 1
    assert await store.get_by_id("c") is None


async def test_ten_answers_stay_under_a_kilobyte(store: SqliteStore, db_path: Path) -> None:
    answers = tuple((f"question_{i}", f"option_{i}") for i in range(10))
    await store.create(conversation(answers=answers))
    raw = sqlite3.connect(db_path)
    try:
        row = raw.execute(
            "SELECT length(id)+length(platform)+length(workspace)+length(user_id)+length(advisor)"
            "+length(pack_version)+length(answers)+8*6 FROM conversations"
        ).fetchone()
    finally:
        raw.close()
    assert row[0] <= 1024


async def test_locked_file_gives_a_clear_error_and_loses_nothing(db_path: Path) -> None:
    store = await SqliteStore.open(db_path, busy_timeout_ms=50)
    await store.create(conversation())
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked by another program"):
            await store.save(conversation(answers=(("kind", "api"),)), expected_version=1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    loaded = await store.get_by_id("c1")
    assert loaded is not None
    assert loaded.answers == ()
    saved = await store.save(conversation(answers=(("kind", "api"),)), expected_version=1)
    assert saved.version == 2
    await store.close()


@contextmanager
def read_only(db_path: Path) -> Iterator[Path]:
    """Make the database file read-only even for root (chattr +i), restoring it afterwards."""
    if os.geteuid() != 0:
        db_path.chmod(0o444)
        yield db_path
        db_path.chmod(0o644)
        return
    done = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make a file read-only for root here: {done.stderr.decode().strip()}")
    try:
        yield db_path
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)


async def test_read_only_file_is_explained(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.create(conversation())
    await store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)

    async def try_to_write() -> None:
        reopened = await SqliteStore.open(db_path)
        try:
            await reopened.save(conversation(answers=(("kind", "api"),)), expected_version=1)
        finally:
            await reopened.close()

    with read_only(db_path), pytest.raises(StoreUnavailable, match=r"read-only|cannot be opened"):
        await try_to_write()
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT answers FROM conversations").fetchone()[0] == ""
    finally:
        raw.close()


async def test_corrupt_file_is_explained_and_left_untouched(db_path: Path) -> None:
    garbage = b"this is not a database, it is a note\n" * 200
    db_path.write_bytes(garbage)
    with pytest.raises(StoreUnavailable, match="not a usable SQLite database") as caught:
        await SqliteStore.open(db_path)
    assert "left untouched" in str(caught.value)
    assert db_path.read_bytes() == garbage


async def test_unknown_scheme_names_the_variable() -> None:
    from bot.errors import SettingsError

    with pytest.raises(SettingsError, match="ADVISOR_DB"):
        await open_store("mongodb://localhost/advisor")


async def test_sqlite_url_and_plain_path_both_work(tmp_path: Path) -> None:
    for url in (str(tmp_path / "a.db"), f"sqlite:///{tmp_path / 'b.db'}"):
        store = await open_store(url)
        await store.close()
    assert (tmp_path / "a.db").exists()
    assert (tmp_path / "b.db").exists()


async def test_a_failing_operation_in_a_batch_fails_alone(store: SqliteStore) -> None:
    """Operations queued together share one transaction; one that breaks must not take the
    others down, nor leave anyone waiting forever."""
    await store.create(conversation())

    def broken(conn: sqlite3.Connection) -> None:
        raise ZeroDivisionError("a bug in one operation")

    results = await asyncio.wait_for(
        asyncio.gather(
            store.get_by_id("c1"),
            store._run(broken),
            store.save(conversation(answers=(("kind", "api"),)), expected_version=1),
            return_exceptions=True,
        ),
        timeout=10,  # a guard: before the fix the waiters hung forever
    )
    assert isinstance(results[0], Conversation)
    assert isinstance(results[1], ZeroDivisionError)
    assert isinstance(results[2], Conversation)
    assert results[2].version == 2


@pytest.mark.parametrize("probe_every", [16, 1], ids=["inline first", "group commit first"])
async def test_a_lock_held_by_another_program_never_blocks_the_loop(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, probe_every: int
) -> None:
    """Clicks meeting another program's write lock wait for it on the store's thread (with the
    busy timeout), not on the event loop's: the loop goes on, and they apply once it is released.
    Whether a click was tried alone or in a group commit on the loop, it ends up there."""
    monkeypatch.setattr("bot.store.sqlite.PROBE_EVERY", probe_every)
    store = await SqliteStore.open(db_path)
    try:
        for cid, user in (("c1", "alice"), ("c2", "bob")):
            await store.create(conversation(cid, ConversationKey("test", "w1", user, "tiny")))
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        alone = asyncio.create_task(store.change("c1", lambda c: replace(c, step=2)))
        together = asyncio.gather(
            store.change("c2", lambda c: replace(c, step=2)),
            store.change("c2", lambda c: replace(c, step=3)),
        )
        loop = asyncio.get_running_loop()
        turned = loop.time()
        for _ in range(20):  # the loop keeps turning while they wait
            await asyncio.sleep(0)
        # Not a speed bound: waiting on the loop would have held it for the 5 s busy timeout.
        assert loop.time() - turned < BUSY_TIMEOUT_MS / 1000 / 2
        assert not alone.done()
        assert not together.done()
        blocker.execute("ROLLBACK")
        blocker.close()
        _, saved = await asyncio.wait_for(alone, timeout=10)
        assert saved is not None
        assert saved.version == 2
        results = await asyncio.wait_for(together, timeout=10)
        assert [s.step for _, s in results if s is not None] == [2, 3]
        loaded = await store.get_by_id("c2")
        assert loaded is not None
        assert (loaded.step, loaded.version) == (3, 3)
    finally:
        await store.close()


async def test_the_log_stays_short_while_writes_never_pause(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints run off the loop, and while clicks go on writing the background one cannot
    reach the end of the log; the store then finishes it on its own connection, so the log is
    restarted instead of growing with every click. Here a reader of another program keeps each
    background checkpoint short of the end, which is what writes racing it do."""
    monkeypatch.setattr("bot.store.sqlite.CHECKPOINT_EVERY", 50)
    monkeypatch.setattr("bot.store.sqlite.CHECKPOINT_FRAMES", 100)
    store = await SqliteStore.open(db_path)
    wal = Path(f"{db_path}-wal")
    reader = sqlite3.connect(db_path, isolation_level=None)
    answers = tuple((f"question_{i}", f"option_{i}") for i in range(10))
    await store.create(conversation(answers=answers))
    step = 1

    async def click() -> None:
        nonlocal step
        step += 1
        await store.change("c1", lambda c: replace(c, step=step))

    checkpoints = store._checkpoints
    assert checkpoints is not None
    try:
        while step < 1000:
            await click()
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM conversations").fetchone()  # holds its snapshot
            while (bulk := checkpoints._bulk) is None:
                await click()
            await asyncio.wrap_future(bulk)
            reader.execute("COMMIT")
        loaded = await store.get_by_id("c1")
        assert loaded is not None
        assert loaded.step == step
        # Unchecked it would hold every one of the 1,000 changes: two pages or more each.
        assert wal.stat().st_size < 1000 * 2 * 4096 / 4
    finally:
        reader.close()
        await store.close()


async def test_an_operation_racing_close_is_refused_not_run_beside_it(db_path: Path) -> None:
    """A reply finished while the bot shuts down must not touch the connection its thread is
    closing (that crashed the process with a segfault): it is refused, and the file keeps
    what was saved before."""
    store = await SqliteStore.open(db_path)
    await store.create(conversation())
    closing = asyncio.create_task(store.close())
    await asyncio.sleep(0)  # close() has started: the queue was empty, so it closes at once
    with pytest.raises(StoreUnavailable, match="shutting down"):
        await store.get(KEY)
    with pytest.raises(StoreUnavailable, match="shutting down"):
        await store.create(conversation(cid="c2", key=ConversationKey("test", "w1", "bob", "tiny")))
    await closing
    reopened = await SqliteStore.open(db_path)
    try:
        assert (await reopened.get(KEY)) is not None
        assert (await reopened.get(ConversationKey("test", "w1", "bob", "tiny"))) is None
    finally:
        await reopened.close()
