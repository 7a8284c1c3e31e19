"""Delivery records, pack versions and purges on both stores: once, after a restart, across replicas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.privacy import purge_idle
from bot.store import sqlite_path
from bot.store.deliveries import Delivery, Receipt
from tests.bot.store.conftest import Backend
from tests.conftest import TINY, Clock

BOTH = pytest.mark.parametrize("backend", ["sqlite_backend", "postgres_backend"], indirect=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/data/a.db", "/data/a.db"),
        ("sqlite:///data/a.db", "/data/a.db"),
        ("sqlite:////data/a.db", "/data/a.db"),
        ("postgresql://u@h/db", None),
    ],
)
def test_sqlite_path_reads_advisor_db_as_the_store_does(url: str, expected: str | None) -> None:
    assert sqlite_path(url) == expected


@BOTH
async def test_claims_are_first_come_and_outlive_the_connection(backend: Backend) -> None:
    store = await backend.open()
    assert await store.claim_delivery("k") is True
    assert await store.claim_delivery("k") is False
    await store.close()
    backend.opened.remove(store)
    again = await backend.open()
    assert await again.claim_delivery("k") is False  # a restarted process sees the first claim
    assert await again.claim_delivery("other") is True


@BOTH
async def test_replicas_sharing_a_database_claim_each_delivery_once(backend: Backend) -> None:
    first, second = await backend.open(), await backend.open()
    outcomes = await asyncio.gather(*(s.claim_delivery("trigger:T1:9") for s in (first, second) * 5))
    assert sorted(outcomes) == [False] * 9 + [True]
    assert await second.claim_delivery("trigger:T1:10") is True


@BOTH
async def test_a_claim_racing_a_click_in_the_same_batch_keeps_both(backend: Backend) -> None:
    """On SQLite claims share the clicks' group commit: a refused claim must not undo the others."""
    store = await backend.open()
    await store.claim_delivery("dup")
    outcomes = await asyncio.gather(*(store.claim_delivery(k) for k in ("dup", "a", "dup", "b")))
    assert outcomes == [False, True, False, True]
    assert await store.claim_delivery("a") is False


def _delivery(key: str, *, at: datetime, user: str = "U1", resumable: bool = True) -> Delivery:
    return Delivery(
        key=key,
        platform="slack",
        payload='{"response_url": "http://127.0.0.1/x"}',
        user=user,
        received_at=at,
        valid_until=at + timedelta(minutes=30),
        resumable=resumable,
    )


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@BOTH
async def test_a_record_is_leased_then_taken_over_by_exactly_one_process(backend: Backend) -> None:
    first, second, third = await backend.open(), await backend.open(), await backend.open()
    assert await first.record_delivery(_delivery("d1", at=NOW), lease=LEASE) is Receipt.FIRST
    assert await second.record_delivery(_delivery("d1", at=NOW), lease=LEASE) is Receipt.SEEN  # a resend
    # Within the lease nobody takes it: its process may still be working on it.
    assert await second.take_unfinished(platform="slack", now=NOW + LEASE / 2, lease=LEASE, limit=10) == ()
    later = NOW + LEASE * 2  # the first process died; two others sweep at once
    taken = await asyncio.gather(
        *(s.take_unfinished(platform="slack", now=later, lease=LEASE, limit=10) for s in (second, third) * 3)
    )
    assert sorted(len(t) for t in taken) == [0, 0, 0, 0, 0, 1]
    (record,) = next(t for t in taken if t)
    assert record.key == "d1"
    assert record.payload == '{"response_url": "http://127.0.0.1/x"}'
    await third.finish_delivery("d1", now=later)
    assert await second.take_unfinished(platform="slack", now=later + LEASE * 2, lease=LEASE, limit=10) == ()
    assert await second.record_delivery(_delivery("d1", at=later), lease=LEASE) is Receipt.SEEN


@BOTH
async def test_a_resend_after_the_lease_resumes_the_delivery(backend: Backend) -> None:
    store = await backend.open()
    await store.record_delivery(_delivery("d2", at=NOW), lease=LEASE)
    assert await store.record_delivery(_delivery("d2", at=NOW + LEASE * 2), lease=LEASE) is Receipt.RESUMED
    assert await store.record_delivery(_delivery("d2", at=NOW + LEASE * 2), lease=LEASE) is Receipt.SEEN


@BOTH
async def test_released_records_are_taken_at_once_and_unfinishable_ones_given_up(backend: Backend) -> None:
    store = await backend.open()
    await store.record_delivery(_delivery("gone", at=NOW), lease=LEASE)
    await store.release_delivery("gone")  # a graceful shutdown gave it back
    taken = await store.take_unfinished(platform="slack", now=NOW, lease=LEASE, limit=10)
    assert [d.key for d in taken] == ["gone"]
    await store.finish_delivery("gone", now=NOW)
    await store.record_delivery(_delivery("not-deferred", at=NOW, resumable=False), lease=LEASE)
    await store.record_delivery(_delivery("too-old", at=NOW - timedelta(hours=1)), lease=LEASE)
    assert await store.take_unfinished(platform="slack", now=NOW + LEASE * 2, lease=LEASE, limit=10) == ()
    assert await store.abandon_unfinishable(platform="slack", now=NOW + LEASE * 2) == 2
    assert await store.abandon_unfinishable(platform="slack", now=NOW + LEASE * 2) == 0


@BOTH
async def test_forgetting_a_user_drops_their_unfinished_records(backend: Backend) -> None:
    store = await backend.open()
    await store.record_delivery(_delivery("mine", at=NOW, user="U9"), lease=LEASE)
    await store.record_delivery(_delivery("theirs", at=NOW, user="U8"), lease=LEASE)
    await store.forget_user(platform="slack", workspace=None, user="U9")
    taken = await store.take_unfinished(platform="slack", now=NOW + LEASE * 2, lease=LEASE, limit=10)
    assert [d.key for d in taken] == ["theirs"]


@BOTH
async def test_pack_versions_are_kept_counted_and_pruned(backend: Backend) -> None:
    from bot.pack.registry import PackRegistry

    store = await backend.open()
    registry = PackRegistry(archive=store)
    pack = registry.load(TINY)
    await registry.keep_current("tiny", now=NOW)
    await store.keep_pack(pack_id="tiny", version="f" * 16, files={"pack.yaml": b"x"}, now=NOW)
    stored = await store.stored_pack("tiny", pack.version)
    assert stored is not None
    assert stored.files == dict(registry._files[("tiny", pack.version)])
    assert (await store.latest_pack("tiny")) is not None
    engine = Engine(store=store, registry=registry, advisor="tiny")
    await engine.start(Actor("slack", "w", "u1"))
    kept = {k.version: k.conversations for k in await store.kept_versions("tiny")}
    assert kept == {pack.version: 1, "f" * 16: 0}
    assert await store.prune_packs("tiny", keep=()) == ("f" * 16,)
    assert [k.version for k in await store.kept_versions("tiny")] == [pack.version]  # pinned: kept


@BOTH
async def test_serving_a_kept_version_again_marks_it_without_sending_its_files(backend: Backend) -> None:
    store = await backend.open()
    assert await store.serve_pack(pack_id="tiny", version="a" * 16, now=NOW) is False
    await store.keep_pack(pack_id="tiny", version="a" * 16, files={"pack.yaml": b"a"}, now=NOW)
    await store.keep_pack(pack_id="tiny", version="b" * 16, files={"pack.yaml": b"b"}, now=NOW)
    assert (await store.latest_pack("tiny")) is not None
    later = NOW + timedelta(minutes=5)
    assert await store.serve_pack(pack_id="tiny", version="a" * 16, now=later) is True
    latest = await store.latest_pack("tiny")
    assert latest is not None
    assert latest.version == "a" * 16, "the one served last is what a broken pack falls back to"
    assert latest.files == {"pack.yaml": b"a"}
    assert {k.version: k.served_at for k in await store.kept_versions("tiny")}["a" * 16] == later
    # Served again soon while still the latest: nothing is written (a start costs no row rewrite).
    assert await store.serve_pack(pack_id="tiny", version="a" * 16, now=later + timedelta(minutes=1)) is True
    assert {k.version: k.served_at for k in await store.kept_versions("tiny")}["a" * 16] == later
    # b served after a: b is the fallback now, and a served again becomes it again at once.
    assert await store.serve_pack(pack_id="tiny", version="b" * 16, now=later + timedelta(minutes=2)) is True
    assert (await store.latest_pack("tiny")).version == "b" * 16  # type: ignore[union-attr]
    assert await store.serve_pack(pack_id="tiny", version="a" * 16, now=later + timedelta(minutes=3)) is True
    assert (await store.latest_pack("tiny")).version == "a" * 16  # type: ignore[union-attr]
    hour_on = later + timedelta(minutes=3, hours=2)
    assert await store.serve_pack(pack_id="tiny", version="a" * 16, now=hour_on) is True
    assert {k.version: k.served_at for k in await store.kept_versions("tiny")}["a" * 16] == hour_on


@BOTH
async def test_purge_removes_idle_team_sessions(backend: Backend) -> None:
    from bot.pack.registry import PackRegistry
    from bot.team.engine import TeamEngine

    store = await backend.open()
    registry = PackRegistry()
    registry.load(TINY)
    clock = Clock()
    teams = TeamEngine(store=store, registry=registry, advisor="tiny", clock=clock)
    await teams.start(teams.key(platform="slack", workspace="w", channel="c1"), starter="U1")
    clock.advance(timedelta(days=40))
    await teams.start(teams.key(platform="slack", workspace="w", channel="c2"), starter="U2")
    purged = await purge_idle(conversations=store, teams=store, older_than=clock.now - timedelta(days=30))
    assert purged.teams == 1
    left = await store.teams_in(platform="slack", workspace=None)
    assert [s.key.channel for s in left] == ["c2"]
