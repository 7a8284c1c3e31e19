"""The pack cache: a second start reads the loaded, linted pack back instead of parsing and linting.

What a user notices: the pack the cache gives back is the pack the files give (every field,
every location, the progress tables); an entry that is damaged, truncated, from another
advisor version or not written with this user's key is never trusted, the pack is loaded
from its files and the entry rewritten; a key file anyone else could read turns the cache
off; deleting the folder is always safe.
"""

from __future__ import annotations

import dataclasses
import logging
import marshal
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.pack import cache as cache_module
from bot.pack import codec, loader
from bot.pack.archive import StoredPack
from bot.pack.cache import PackCache
from bot.pack.files import read_pack_files
from bot.pack.loader import load_pack
from bot.pack.model import Pack
from bot.pack.registry import PackRegistry, check_pack, pack_from_archive
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply
from bot.store.sqlite import SqliteStore


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders the YAML loader parsed: empty when the cache served the pack."""
    seen: list[Path] = []
    real = loader.parse_pack

    def counting(raw: object, *, folder: Path, findings: object = None) -> object:
        seen.append(folder)
        return real(raw, folder=folder, findings=findings)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "parse_pack", counting)
    return seen


def entry(root: Path, pack: Pack) -> Path:
    return root / "packs" / f"{pack.version}.pack"


def every_slot(pack: Pack) -> dict[str, object]:
    """Every field of the pack, the derived tables included (but the memo of tables built on
    use, `_derived`), and each question's own."""
    out: dict[str, object] = {
        f.name: getattr(pack, f.name) for f in dataclasses.fields(Pack) if f.name != "_derived"
    }
    out["questions"] = {k: (q, q._by_id) for k, q in pack.questions.items()}
    return out


def test_a_second_start_reads_the_pack_from_the_cache_unparsed(
    python_web_dir: Path, tmp_path: Path, parses: list[Path]
) -> None:
    root = tmp_path / "cache"
    first = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert parses == [python_web_dir]
    assert entry(root, first).is_file()
    second = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert parses == [python_web_dir], "the second start parsed nothing"
    assert every_slot(second) == every_slot(first)
    assert second.position((("existing", "fresh"),)) == first.position((("existing", "fresh"),))


def test_the_cached_pack_names_the_files_of_the_folder_it_was_loaded_from(
    python_web_dir: Path, tmp_path: Path, parses: list[Path]
) -> None:
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    moved = tmp_path / "elsewhere" / "python-web"
    shutil.copytree(python_web_dir, moved)
    pack = PackRegistry(cache=PackCache(root)).load(moved)
    assert parses == [python_web_dir], "same content, same entry"
    assert every_slot(pack) == every_slot(load_pack(moved))
    assert pack.questions[pack.start].at.file == str(moved / "questions.yaml")


def test_an_edited_pack_is_a_new_version_and_loads_from_its_files(
    python_web_dir: Path, tmp_path: Path, parses: list[Path]
) -> None:
    root = tmp_path / "cache"
    before = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    questions = python_web_dir / "questions.yaml"
    questions.write_text(questions.read_text().replace("Is there existing code", "Is there old code", 1))
    after = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert after.version != before.version
    assert len(parses) == 2
    assert "old code" in after.questions[after.start].prompt


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-5] + bytes(b ^ 1 for b in data[-5:]), id="one-byte-flipped"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\x00" * len(data), id="zeroed"),
    ],
)
def test_a_damaged_entry_just_reloads_and_is_rewritten(
    python_web_dir: Path, tmp_path: Path, parses: list[Path], damage: object
) -> None:
    root = tmp_path / "cache"
    good = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    path = entry(root, good)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert every_slot(again) == every_slot(good)
    assert len(parses) == 2
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert len(parses) == 2, "the rewritten entry is good"


def test_an_entry_not_written_with_this_users_key_is_never_unmarshalled(
    python_web_dir: Path, tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's cache (or a planted file) holds valid marshal data under another key:
    its bytes are not decoded at all."""
    theirs, mine = tmp_path / "theirs", tmp_path / "mine"
    pack = PackRegistry(cache=PackCache(theirs)).load(python_web_dir)
    PackCache(mine).get("0" * 16, folder=python_web_dir)  # makes my key
    (mine / "packs").mkdir()
    shutil.copy(entry(theirs, pack), entry(mine, pack))
    decoded: list[bytes] = []
    monkeypatch.setattr(marshal, "loads", lambda data: decoded.append(data))
    assert PackCache(mine).get(pack.version, folder=python_web_dir) is None
    assert decoded == []


def test_an_entry_from_another_advisor_version_just_reloads(
    python_web_dir: Path, tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    monkeypatch.setattr(codec, "FORMAT", codec.FORMAT + 1)
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert len(parses) == 2
    cache_module.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another-lint-rule")
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert len(parses) == 3


def test_a_key_file_others_can_read_turns_the_cache_off(
    python_web_dir: Path, tmp_path: Path, parses: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "cache"
    PackCache(root).get("0" * 16, folder=python_web_dir)
    os.chmod(root / "key", 0o644)
    with caplog.at_level(logging.WARNING, logger="bot.pack.cache"):
        PackRegistry(cache=PackCache(root)).load(python_web_dir)
        PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert len(parses) == 2
    assert list((root / "packs").glob("*.pack")) == []
    assert "not a private file of this user; the pack cache is off" in caplog.text
    assert (root / "key").stat().st_mode & 0o777 == 0o644, "left for the user to look at"


def test_the_key_is_private_and_deleting_the_folder_is_safe(
    python_web_dir: Path, tmp_path: Path, parses: list[Path]
) -> None:
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert (root / "key").stat().st_mode & 0o777 == 0o600
    assert entry(root, load_pack(python_web_dir)).stat().st_mode & 0o777 == 0o600
    shutil.rmtree(root)
    pack = PackRegistry(cache=PackCache(root)).load(python_web_dir)
    assert pack.version == load_pack(python_web_dir).version
    assert entry(root, pack).is_file()


def test_an_unwritable_cache_folder_only_costs_the_cache(python_web_dir: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    pack = check_pack(python_web_dir, cache=PackCache(blocked / "cache")).pack
    assert pack.version == load_pack(python_web_dir).version


def test_a_pack_that_fails_lint_is_never_cached(python_web_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    questions = python_web_dir / "questions.yaml"
    questions.write_text(questions.read_text().replace("next: result", "next: nowhere", 1))
    with pytest.raises(Exception, match="nowhere"):
        check_pack(python_web_dir, cache=PackCache(root))
    assert list((root / "packs").glob("*.pack")) == []


def test_a_version_read_from_the_store_is_cached_too(
    python_web_dir: Path, tmp_path: Path, parses: list[Path]
) -> None:
    raw, _ = read_pack_files(python_web_dir)
    assert raw is not None
    pack = load_pack(python_web_dir)
    stored = StoredPack(pack.id, pack.version, raw, datetime(2026, 12, 1, tzinfo=UTC))
    cache = PackCache(tmp_path / "cache")
    PackRegistry(cache=cache).load(python_web_dir)
    parses.clear()
    from_store = pack_from_archive(stored, cache=cache)
    assert from_store is not None
    assert parses == []
    assert [q.prompt for q in from_store.questions.values()] == [q.prompt for q in pack.questions.values()]


def test_the_codec_restores_every_table_the_model_derives(python_web_dir: Path) -> None:
    """A table `Pack` gains must be restored by bot/pack/codec.py, or a cached start decodes
    every question of a 10,000-question pack again (correct, but slow)."""
    derived = {f.name for f in dataclasses.fields(Pack) if not f.init}
    assert derived == codec._RESTORED, "teach bot/pack/codec.py the new table"
    pack = load_pack(python_web_dir)
    again = codec.loads(codec.dumps(pack, folder=str(python_web_dir)), folder=str(python_web_dir))
    assert every_slot(again) == every_slot(pack)


def test_bytes_the_codec_did_not_write_are_a_decode_error() -> None:
    for data in (b"", b"\x00garbage", marshal.dumps((99, (), (), (), (), (), (), {}, {}))):
        with pytest.raises(codec.DecodeError):
            codec.loads(data, folder="x")


def test_without_the_advisors_sources_nothing_is_cached(
    python_web_dir: Path, tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without .py files can't say which code wrote an entry: no cache, no crash."""
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: None)
    root = tmp_path / "cache"
    versions = {PackRegistry(cache=PackCache(root)).load(python_web_dir).version for _ in range(2)}
    assert len(versions) == 1
    assert len(parses) == 2
    assert not (root / "packs").exists()


async def test_a_start_on_a_cached_pack_decodes_only_the_question_it_shows(
    python_web_dir: Path, tmp_path: Path, store: SqliteStore
) -> None:
    """What makes a 10,000-question pack start fast: the first question is read, not the others
    (presenting and the engine look questions up one at a time)."""
    root = tmp_path / "cache"
    PackRegistry(cache=PackCache(root)).load(python_web_dir)
    registry = PackRegistry(cache=PackCache(root))
    pack = registry.load(python_web_dir)
    engine = Engine(store=store, registry=registry, advisor=pack.id)
    reply = await engine.start(Actor("terminal", "local", "ann"))
    assert isinstance(reply, QuestionReply)
    assert reply.question_id == pack.start
    assert "1 of 15 decoded" in repr(pack.questions)
