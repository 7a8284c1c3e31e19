"""A cache-hit start of a pack whose files have not changed reads none of them, and a start
after any change reads and hashes them again; the cache entry's lazily read records never fail
a conversation.

What a user notices: the second start of a big pack is fast; an edit is always picked up,
whatever its size or modification time; the store still keeps the files of the version served.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import PackFileError
from bot.pack import cache as cache_module
from bot.pack import codec, registry
from bot.pack.cache import PackCache, folder_state
from bot.pack.files import read_pack_files
from bot.pack.loader import load_pack
from bot.pack.registry import PackRegistry, check_pack
from bot.store.sqlite import SqliteStore

NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once (instead of two seconds after their last change)."""
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders whose pack files were read."""
    seen: list[Path] = []

    def counting(folder: Path) -> object:
        seen.append(folder)
        return read_pack_files(folder)

    monkeypatch.setattr(registry, "read_pack_files", counting)
    return seen


def edit_keeping_size_and_mtime(file: Path, old: str, new: str) -> None:
    """An edit `stat` can only see by the change time: same size, modification time put back."""
    assert len(old) == len(new)
    before = file.stat()
    file.write_text(file.read_text().replace(old, new, 1))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert file.stat().st_size == before.st_size


@pytest.mark.usefixtures("settled")
def test_an_unchanged_folder_is_not_read_again(
    python_web_dir: Path, tmp_path: Path, reads: list[Path]
) -> None:
    root = tmp_path / "cache"
    first = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert reads == [python_web_dir]
    second = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert reads == [python_web_dir], "the second start read no pack file"
    assert second.version == first.version
    assert second.questions[second.start] == first.questions[first.start]


@pytest.mark.usefixtures("settled")
def test_any_edit_is_seen_even_with_the_same_size_and_modification_time(
    python_web_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    before = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    edit_keeping_size_and_mtime(
        python_web_dir / "questions.yaml", "Is there existing code", "Is there old code abcd"
    )
    after = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert after.version != before.version
    assert after.version == load_pack(python_web_dir).version
    assert "old code abcd" in after.questions[after.start].prompt


@pytest.mark.usefixtures("settled")
def test_an_added_file_is_seen(python_web_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    (python_web_dir / "extra.yaml").write_text("x: 1\n")
    with pytest.raises(PackFileError, match=r"unexpected file extra\.yaml"):
        PackRegistry(cache=PackCache(root)).load(python_web_dir)


def test_files_changed_moments_ago_are_hashed_every_start(
    python_web_dir: Path, tmp_path: Path, reads: list[Path]
) -> None:
    """A write in the same clock tick as the note could go unseen by `stat`: not trusted."""
    assert folder_state(python_web_dir) is None
    root = tmp_path / "cache"
    for _ in range(2):
        PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert reads == [python_web_dir, python_web_dir]


@pytest.mark.usefixtures("settled")
def test_a_folder_with_a_linked_file_is_hashed_every_start(python_web_dir: Path, tmp_path: Path) -> None:
    """What a link points to can change without the folder's `stat` changing."""
    outside = tmp_path / "scenarios.yaml"
    (python_web_dir / "scenarios.yaml").rename(outside)
    (python_web_dir / "scenarios.yaml").symlink_to(outside)
    assert folder_state(python_web_dir) is None


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), id="flipped"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
    ],
)
@pytest.mark.usefixtures("settled")
def test_a_damaged_folder_note_only_costs_reading_the_files(
    python_web_dir: Path, tmp_path: Path, reads: list[Path], damage: object
) -> None:
    root = tmp_path / "cache"
    good = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    (note,) = (root / "folders").glob("*.folder")
    note.write_bytes(damage(note.read_bytes()))  # type: ignore[operator]
    again = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert again.version == good.version
    assert reads == [python_web_dir, python_web_dir]
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert reads == [python_web_dir, python_web_dir], "the note was written again"


@pytest.mark.usefixtures("settled")
def test_a_folder_note_from_another_users_cache_is_not_trusted(
    python_web_dir: Path, tmp_path: Path, reads: list[Path]
) -> None:
    theirs, mine = tmp_path / "theirs", tmp_path / "mine"
    PackRegistry(cache=PackCache(theirs)).load(python_web_dir)
    PackRegistry(cache=PackCache(mine)).load(python_web_dir)
    (their_note,) = (theirs / "folders").glob("*.folder")
    shutil.copy(their_note, mine / "folders" / their_note.name)
    PackRegistry(cache=PackCache(mine)).load(python_web_dir)
    assert reads == [python_web_dir, python_web_dir, python_web_dir]


@pytest.mark.usefixtures("settled")
async def test_the_store_still_keeps_the_files_of_a_version_served_unread(
    python_web_dir: Path, tmp_path: Path, store: SqliteStore, reads: list[Path]
) -> None:
    """A new database (or one pruned) lacks the version: its files are read then, once."""
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    served = PackRegistry(store, cache=PackCache(root))
    pack = served.load(python_web_dir)
    assert reads == [python_web_dir]
    await served.keep_current(pack.id, now=NOW)
    stored = await store.stored_pack(pack.id, pack.version)
    raw, _ = read_pack_files(python_web_dir)
    assert stored is not None
    assert dict(stored.files) == raw


@pytest.mark.usefixtures("settled")
async def test_files_edited_during_a_start_are_never_kept_under_the_old_version(
    python_web_dir: Path, tmp_path: Path, store: SqliteStore
) -> None:
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    served = PackRegistry(store, cache=PackCache(root))
    pack = served.load(python_web_dir)
    questions = python_web_dir / "questions.yaml"
    questions.write_text(questions.read_text().replace("Is there existing code", "Is there old code", 1))
    with pytest.raises(PackFileError, match="changed while the advisor started"):
        await served.keep_current(pack.id, now=NOW)
    assert await store.stored_pack(pack.id, pack.version) is None


def test_damage_in_a_question_read_later_reloads_at_start(python_web_dir: Path, tmp_path: Path) -> None:
    """The whole entry is checked before any of it is used, so a record decoded mid-conversation
    (the last question's, here) can't be damaged: the start reloads from the files instead."""
    root = tmp_path / "cache"
    good = check_pack(python_web_dir, cache=PackCache(root)).pack
    path = root / "packs" / f"{good.version}.pack"
    data = bytearray(path.read_bytes())
    last = list(good.questions)[-1]
    at = data.rindex(last.encode())  # inside the last question's record
    data[at] ^= 0x20
    path.write_bytes(bytes(data))
    assert PackCache(root).get(good.version, folder=python_web_dir) is None
    again = check_pack(python_web_dir, cache=PackCache(root)).pack
    assert again.questions[last] == good.questions[last]


@pytest.mark.parametrize("count", [0, 1, 7, 3000])
def test_the_question_index_finds_every_id_and_nothing_else(count: int) -> None:
    keys = (*(f"q{i}" for i in range(count)), "été", "a\udcffb")  # accents, a lone surrogate
    index = codec._Index(*codec._index_of(keys))
    assert [index.find(key) for key in keys] == list(range(len(keys)))
    assert index.keys() == keys
    for absent in ("", "q", f"q{count}", "ete", "Q0"):
        assert index.find(absent) == -1
    assert index.find(3) == -1  # type: ignore[arg-type]
