"""Knowledge updates strand nobody: versions kept in the store, carried over when the answers still fit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import LintFailed, PackFileError
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor, ConversationKey
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply, ResultReply
from bot.store.sqlite import SqliteStore
from tests.conftest import Clock


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "questions.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def folder(tmp_path: Path, tiny_path: Path) -> Path:
    copy = tmp_path / "tiny"
    shutil.copytree(tiny_path, copy)
    return copy


async def process(folder: Path, store: SqliteStore, clock: Clock) -> Engine:
    """What a bot process does at start: load the folder, keep its version in the store."""
    registry = PackRegistry(archive=store)
    registry.load(folder)
    await registry.keep_current("tiny", now=clock())
    return Engine(store=store, registry=registry, advisor="tiny", clock=clock)


async def pinned(store: SqliteStore, who: Actor) -> str:
    conversation = await store.get(ConversationKey.personal(who, "tiny"))
    assert conversation is not None
    return conversation.pack_version


async def test_a_wording_edit_mid_flow_carries_on_silently_after_a_restart(
    folder: Path, store: SqliteStore, clock: Clock, alice: Actor
) -> None:
    before = await process(folder, store, clock)
    await before.start(alice)
    await before.answer_text(alice, "pages")
    old = await pinned(store, alice)

    edit(folder, "Do editors need an admin?", "Will editors want an admin screen?")
    after = await process(folder, store, clock)  # a restart: only the new version on disk
    shown = await after.current(alice)
    assert isinstance(shown, QuestionReply)  # no notice, no restart offered
    assert shown.prompt == "Will editors want an admin screen?"
    done = await after.answer_text(alice, "need")
    assert isinstance(done, ResultReply)
    assert await pinned(store, alice) == after.registry.current("tiny").version != old


async def test_a_structural_edit_finishes_on_the_old_version_read_back_from_the_store(
    folder: Path, store: SqliteStore, clock: Clock, alice: Actor, bob: Actor
) -> None:
    before = await process(folder, store, clock)
    await before.start(alice)
    await before.answer_text(alice, "pages")
    old = await pinned(store, alice)

    # The option alice answered is renamed and the admin question gets another option.
    edit(folder, "- id: pages", "- id: web")
    edit(folder, "      - id: none\n        label: No admin", "      - id: later\n        label: Later")
    after = await process(folder, store, clock)
    assert after.registry.version("tiny", old) is None  # not in this process's memory
    shown = await after.current(alice)
    assert isinstance(shown, QuestionReply)
    assert shown.prompt == "Do editors need an admin?"
    assert [c.label for c in shown.choices][:2] == ["Yes, an admin", "No admin"]  # the old buttons
    done = await after.answer(alice, conversation_id=shown.conversation_id, step=shown.step, option_id="none")
    assert isinstance(done, QuestionReply)  # on the old version "none" leads to the size question
    assert await pinned(store, alice) == old

    # Someone starting now gets the new version.
    fresh = await after.start(bob)
    assert isinstance(fresh, QuestionReply)
    assert "web" in [c.id for c in fresh.choices]
    assert await pinned(store, bob) == after.registry.current("tiny").version


async def test_a_conversation_whose_answers_fit_moves_even_when_its_version_is_gone(
    folder: Path, store: SqliteStore, clock: Clock, alice: Actor
) -> None:
    before = await process(folder, store, clock)
    await before.start(alice)
    await before.answer_text(alice, "pages")
    await store.prune_packs("tiny", keep=())  # nothing kept but what is pinned...
    edit(folder, "An admin saves weeks.", "An admin saves many weeks.")
    registry = PackRegistry()  # ... and this process has no store of versions at all
    registry.load(folder)
    after = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
    assert isinstance(await after.answer_text(alice, "need"), ResultReply)


async def test_a_broken_edit_never_replaces_the_good_version(folder: Path, store: SqliteStore) -> None:
    registry = PackRegistry(archive=store)
    good = registry.load(folder)
    edit(folder, "next: result", "next: nowhere")
    with pytest.raises(LintFailed):
        registry.reload("tiny")
    assert registry.current("tiny") is good
    (folder / "questions.yaml").write_text("questions: [")
    with pytest.raises(PackFileError):
        registry.reload("tiny")
    assert registry.current("tiny") is good


async def test_a_start_with_a_broken_pack_serves_the_stored_good_version(
    folder: Path, store: SqliteStore, clock: Clock
) -> None:
    good = (await process(folder, store, clock)).registry.current("tiny")
    (folder / "questions.yaml").write_text("questions: [")
    registry = PackRegistry(archive=store)
    with pytest.raises(PackFileError) as broken:
        registry.load(folder)
    served = await registry.restore_latest("tiny", error=broken.value)
    assert served.version == good.version
    assert registry.source["tiny"] == "store"


async def test_without_a_stored_version_a_broken_pack_still_refuses_to_start(
    folder: Path, store: SqliteStore
) -> None:
    (folder / "questions.yaml").write_text("questions: [")
    registry = PackRegistry(archive=store)
    with pytest.raises(PackFileError) as broken:
        registry.load(folder)
    with pytest.raises(PackFileError):
        await registry.restore_latest("tiny", error=broken.value)


async def test_a_stored_version_whose_bytes_do_not_match_its_hash_is_not_used(
    folder: Path, store: SqliteStore, clock: Clock
) -> None:
    good = (await process(folder, store, clock)).registry.current("tiny")
    stored = await store.stored_pack("tiny", good.version)
    assert stored is not None
    tampered = {**stored.files, "questions.yaml": stored.files["questions.yaml"] + b"\n# changed\n"}
    await store.keep_pack(pack_id="tiny", version="0" * 16, files=tampered, now=clock())
    registry = PackRegistry(archive=store)
    assert await registry.find("tiny", "0" * 16) is None
    assert (await registry.find("tiny", good.version)) is not None
