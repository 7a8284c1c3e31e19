"""The store protocol's contract, run unchanged against SQLite and PostgreSQL.

Whatever backend a company picks, a user must see the same thing: their answers come back
exactly, a click applies once however many arrive together, and "forget me" forgets.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
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


def write_elsewhere(backend: Backend, conversation_id: str, option: str) -> None:
    """Another replica answers "size" with `option`, while the caller waits (a walk can't await)."""

    async def write() -> None:
        store = await backend.open_at()
        try:
            current = await store.get_by_id(conversation_id)
            assert current is not None
            await store.save(answered(current, "size", option), expected_version=current.version)
        finally:
            await store.close()

    with ThreadPoolExecutor(max_workers=1) as other_process:
        other_process.submit(asyncio.run, write()).result()


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

    # --- change: the one operation a click makes -------------------------------------------

    async def test_change_reads_walks_and_saves_in_one_call_by_id_or_by_key(
        self, contract_store: ConversationStore
    ) -> None:
        created = await contract_store.create(conversation())
        before, saved = await contract_store.change(created.id, lambda c: answered(c, "kind", "api"))
        assert before == created
        assert saved == replace(answered(created, "kind", "api"), version=2)
        assert await contract_store.get_by_id(created.id) == saved
        before, saved = await contract_store.change(created.key, lambda c: answered(c, "size", "small"))
        assert before == replace(answered(created, "kind", "api"), version=2)
        assert saved is not None
        assert (saved.answers, saved.step, saved.version) == ((("kind", "api"), ("size", "small")), 3, 3)
        assert await contract_store.get(created.key) == saved

    async def test_change_of_a_missing_conversation_walks_nothing(
        self, contract_store: ConversationStore
    ) -> None:
        walked: list[Conversation] = []

        def walk(c: Conversation) -> Conversation:
            walked.append(c)
            return c

        assert await contract_store.change("no-such-id", walk) == (None, None)
        assert await contract_store.change(conversation().key, walk) == (None, None)
        assert walked == []

    async def test_a_walk_that_declines_writes_nothing(self, contract_store: ConversationStore) -> None:
        created = await contract_store.create(conversation())
        assert await contract_store.change(created.id, lambda c: None) == (created, None)
        assert await contract_store.get_by_id(created.id) == created

    async def test_what_a_walk_raises_reaches_the_caller_and_nothing_is_written(
        self, contract_store: ConversationStore
    ) -> None:
        created = await contract_store.create(conversation())
        refusal = StaleAnswer(step=7, current_step=created.step)

        def walk(c: Conversation) -> Conversation:
            raise refusal

        with pytest.raises(StaleAnswer) as caught:
            await contract_store.change(created.id, walk)
        assert caught.value is refusal
        assert await contract_store.get_by_id(created.id) == created
        _, saved = await contract_store.change(created.id, lambda c: answered(c, "kind", "api"))
        assert saved is not None
        assert saved.version == 2  # nothing was left locked or half-done

    async def test_a_change_raced_by_another_replica_conflicts_and_theirs_stands(
        self, backend: Backend
    ) -> None:
        """The other replica writes between this one's read and its write (here: from inside
        the walk, every time it runs), so the conditional write must refuse."""
        store = await backend.open()
        created = await store.create(conversation())
        await store.change(created.id, lambda c: answered(c, "kind", "api"))  # as a click would
        theirs: list[str] = []

        def walk(c: Conversation) -> Conversation:
            theirs.append(f"theirs{len(theirs)}")
            write_elsewhere(backend, created.id, theirs[-1])
            return answered(c, "size", "ours")

        with pytest.raises(VersionConflict):
            await store.change(created.id, walk)
        stored = await store.get_by_id(created.id)
        assert stored is not None
        # A store may walk its own copy first, then the row as read: each run lost its race.
        assert stored.answers == (("kind", "api"), *(("size", option) for option in theirs))
        assert ("size", "ours") not in stored.answers

    async def test_a_change_walks_what_another_replica_wrote_since(self, backend: Backend) -> None:
        """A replica that wrote a conversation last does not walk its own copy once another
        replica has changed it."""
        first, second = await backend.open(), await backend.open()
        created = await first.create(conversation())
        _, mine = await first.change(created.id, lambda c: answered(c, "kind", "api"))
        assert mine is not None
        _, theirs = await second.change(created.id, lambda c: answered(c, "size", "large"))
        assert theirs is not None
        walked: list[Conversation] = []

        def walk(c: Conversation) -> Conversation:
            walked.append(c)
            return answered(c, "admin", "need")

        before, saved = await first.change(created.id, walk)
        assert before == theirs
        assert walked[-1] == theirs
        assert saved is not None
        assert saved.answers == (("kind", "api"), ("size", "large"), ("admin", "need"))
        assert saved.version == 4

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
