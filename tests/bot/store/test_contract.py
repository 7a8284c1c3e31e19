"""The store protocol's contract, run unchanged against SQLite and PostgreSQL.

Whatever backend a company picks, a user must see the same thing: their answers come back
exactly, a click applies once however many arrive together, and "forget me" forgets.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import ConversationExists, StaleAnswer, VersionConflict
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor, Conversation, ConversationKey
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply
from bot.store.base import ConversationStore
from tests.bot.store.conftest import Backend, unreachable

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)

each_backend = pytest.mark.parametrize("backend", ["sqlite_backend", "postgres_backend"], indirect=True)


def conversation(
    user: str = "alice",
    *,
    cid: str | None = None,
    workspace: str = "w1",
    platform: str = "slack",
    answers: tuple[tuple[str, str], ...] = (),
    at: datetime = NOW,
) -> Conversation:
    return Conversation(
        id=cid or f"c-{platform}-{workspace}-{user}",
        key=ConversationKey(platform, workspace, user, "tiny"),
        pack_version="v1",
        answers=answers,
        step=1 + len(answers),
        version=0,
        created_at=at,
        updated_at=at,
        expires_at=at + timedelta(hours=24),
    )


def answered(c: Conversation, question: str, option: str) -> Conversation:
    later = c.updated_at + timedelta(seconds=1)
    return replace(
        c,
        answers=(*c.answers, (question, option)),
        step=c.step + 1,
        updated_at=later,
        expires_at=later + timedelta(hours=24),
    )


@each_backend
class TestStoreContract:
    async def test_nothing_is_found_before_anything_is_created(
        self, contract_store: ConversationStore
    ) -> None:
        assert await contract_store.get(conversation().key) is None
        assert await contract_store.get_by_id("c-slack-w1-alice") is None

    async def test_created_conversation_comes_back_exactly_by_key_and_by_id(
        self, contract_store: ConversationStore
    ) -> None:
        original = conversation(answers=(("kind", "pages"), ("admin", "need")))
        created = await contract_store.create(original)
        assert created == replace(original, version=1)
        assert await contract_store.get(original.key) == created
        assert await contract_store.get_by_id(original.id) == created
        loaded = await contract_store.get_by_id(original.id)
        assert loaded is not None
        assert loaded.updated_at.tzinfo is not None
        assert loaded.updated_at.microsecond == 123456

    async def test_a_second_create_for_the_same_user_or_id_is_refused(
        self, contract_store: ConversationStore
    ) -> None:
        first = await contract_store.create(conversation())
        with pytest.raises(ConversationExists):
            await contract_store.create(conversation(cid="another-id"))
        with pytest.raises(ConversationExists):
            await contract_store.create(conversation(user="bob", cid=first.id))
        assert await contract_store.get_by_id("another-id") is None
        assert await contract_store.get(conversation(user="bob").key) is None
        assert await contract_store.get(first.key) == first

    async def test_save_at_the_read_version_applies_and_bumps_the_version(
        self, contract_store: ConversationStore
    ) -> None:
        created = await contract_store.create(conversation())
        saved = await contract_store.save(answered(created, "kind", "api"), expected_version=1)
        assert saved.version == 2
        assert await contract_store.get(created.key) == saved
        again = await contract_store.save(answered(saved, "size", "small"), expected_version=2)
        assert again.version == 3
        stored = await contract_store.get_by_id(created.id)
        assert stored is not None
        assert stored.answers == (("kind", "api"), ("size", "small"))
        assert stored.step == 3
        assert stored.updated_at == again.updated_at

    async def test_save_at_a_stale_version_changes_nothing(self, contract_store: ConversationStore) -> None:
        created = await contract_store.create(conversation())
        saved = await contract_store.save(answered(created, "kind", "api"), expected_version=1)
        with pytest.raises(VersionConflict) as caught:
            await contract_store.save(answered(created, "kind", "pages"), expected_version=1)
        assert caught.value.expected_version == 1
        assert await contract_store.get_by_id(created.id) == saved

    async def test_save_of_a_deleted_conversation_conflicts(self, contract_store: ConversationStore) -> None:
        created = await contract_store.create(conversation())
        assert await contract_store.delete(created.key) is True
        with pytest.raises(VersionConflict):
            await contract_store.save(answered(created, "kind", "api"), expected_version=1)
        assert await contract_store.get_by_id(created.id) is None

    async def test_fifty_concurrent_saves_at_one_version_apply_exactly_once(
        self, contract_store: ConversationStore
    ) -> None:
        created = await contract_store.create(conversation())
        options = [f"option{i}" for i in range(50)]

        async def click(option: str) -> str | None:
            try:
                await contract_store.save(answered(created, "kind", option), expected_version=1)
            except VersionConflict:
                return None
            return option

        outcomes = await asyncio.gather(*(click(o) for o in options))
        winners = [o for o in outcomes if o is not None]
        assert len(winners) == 1
        stored = await contract_store.get_by_id(created.id)
        assert stored is not None
        assert stored.version == 2
        assert stored.answers == (("kind", winners[0]),)

    async def test_fifty_concurrent_clicks_through_the_engine_answer_once(
        self, contract_store: ConversationStore, registry: PackRegistry
    ) -> None:
        engine = Engine(store=contract_store, registry=registry, advisor="tiny")
        alice = Actor("slack", "w1", "alice")
        first = await engine.start(alice)
        assert isinstance(first, QuestionReply)

        async def click(option: str) -> str:
            try:
                await engine.answer(
                    alice, conversation_id=first.conversation_id, step=first.step, option_id=option
                )
            except StaleAnswer:
                return "stale"
            return option

        outcomes = await asyncio.gather(*(click(("pages", "api", "unsure")[i % 3]) for i in range(50)))
        applied = [o for o in outcomes if o != "stale"]
        assert len(applied) == 1
        stored = await contract_store.get_by_id(first.conversation_id)
        assert stored is not None
        assert stored.answers == (("kind", applied[0]),)
        assert (stored.step, stored.version) == (first.step + 1, 2)

    async def test_delete_removes_one_conversation_only(self, contract_store: ConversationStore) -> None:
        alice = await contract_store.create(conversation("alice"))
        bob = await contract_store.create(conversation("bob"))
        assert await contract_store.delete(alice.key) is True
        assert await contract_store.delete(alice.key) is False
        assert await contract_store.get(alice.key) is None
        assert await contract_store.get(bob.key) == bob

    async def test_forget_user_in_one_workspace_or_all(self, contract_store: ConversationStore) -> None:
        for workspace in ("w1", "w2", "w3"):
            await contract_store.create(conversation("alice", workspace=workspace))
        bob = await contract_store.create(conversation("bob"))
        on_discord = await contract_store.create(conversation("alice", platform="discord"))

        assert await contract_store.forget_user(platform="slack", workspace="w2", user="alice") == 1
        assert await contract_store.get(conversation("alice", workspace="w2").key) is None
        assert await contract_store.get(conversation("alice", workspace="w1").key) is not None

        assert await contract_store.forget_user(platform="slack", workspace=None, user="alice") == 2
        assert await contract_store.forget_user(platform="slack", workspace=None, user="alice") == 0
        assert await contract_store.get(conversation("alice", workspace="w3").key) is None
        assert await contract_store.get(bob.key) == bob
        assert await contract_store.get(on_discord.key) == on_discord

    async def test_purge_deletes_only_conversations_idle_since_the_cutoff(
        self, contract_store: ConversationStore
    ) -> None:
        old = await contract_store.create(conversation("old", at=NOW - timedelta(days=40)))
        edge = await contract_store.create(conversation("edge", at=NOW - timedelta(days=30)))
        fresh = await contract_store.create(conversation("fresh", at=NOW - timedelta(days=40)))
        fresh = await contract_store.save(
            replace(answered(fresh, "kind", "api"), updated_at=NOW), expected_version=1
        )
        assert await contract_store.purge(older_than=NOW - timedelta(days=30)) == 1
        assert await contract_store.get(old.key) is None
        assert await contract_store.get(edge.key) == edge
        assert await contract_store.get(fresh.key) == fresh
        assert await contract_store.purge(older_than=NOW - timedelta(days=30)) == 0

    @pytest.mark.parametrize(
        "user",
        [
            "Zoë 🧪 Ünïcode",
            "o'brien\"; DROP TABLE conversations; --",
            "%_\\ wildcard and back\\slash",
            "x" * 500,
        ],
    )
    async def test_awkward_text_round_trips(self, contract_store: ConversationStore, user: str) -> None:
        answers = tuple((f"q{i}-é", f"o{i}-ß✓") for i in range(200))
        created = await contract_store.create(
            conversation(user, cid=f"id-{len(user)}-ü", workspace="T0-工作区", answers=answers)
        )
        assert await contract_store.get(created.key) == created
        assert await contract_store.get_by_id(created.id) == created
        assert await contract_store.get(conversation("x", workspace="T0-工作区").key) is None
        assert await contract_store.forget_user(platform="slack", workspace="T0-工作区", user=user) == 1

    async def test_conversations_survive_closing_and_reopening(self, backend: Backend) -> None:
        store = await backend.open()
        created = await store.create(conversation())
        saved = await store.save(answered(created, "kind", "api"), expected_version=1)
        await store.close()
        backend.opened.remove(store)
        reopened = await backend.open()
        assert await reopened.get(created.key) == saved
        with pytest.raises(VersionConflict):
            await reopened.save(answered(created, "kind", "pages"), expected_version=1)

    async def test_two_stores_on_one_location_see_each_others_writes(self, backend: Backend) -> None:
        """Two replicas: a click saved through one is stale through the other."""
        first, second = await backend.open(), await backend.open()
        created = await first.create(conversation())
        seen = await second.get_by_id(created.id)
        assert seen == created
        await second.save(answered(created, "kind", "api"), expected_version=1)
        with pytest.raises(VersionConflict):
            await first.save(answered(created, "kind", "pages"), expected_version=1)
        latest = await first.get(created.key)
        assert latest is not None
        assert latest.answers == (("kind", "api"),)


@pytest.mark.parametrize(
    ("environ", "outcome"),
    [
        ({"CI": "true"}, pytest.fail.Exception),
        ({"CI": "TRUE"}, pytest.fail.Exception),
        ({}, pytest.skip.Exception),
        ({"CI": "false"}, pytest.skip.Exception),
    ],
)
def test_missing_postgres_fails_on_ci_and_skips_elsewhere(
    environ: dict[str, str], outcome: type[BaseException]
) -> None:
    with pytest.raises(outcome, match="ADVISOR_TEST_POSTGRES"):
        unreachable("ConnectionRefusedError", environ)
