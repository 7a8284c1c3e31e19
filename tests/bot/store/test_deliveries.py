"""Delivery claims: a resent request is handled once, in one process, after a restart, across replicas."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import sqlite_path
from tests.bot.store.conftest import Backend

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
