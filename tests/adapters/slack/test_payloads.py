"""Reading payloads is pure: table-driven cases of what Slack sends and what we take from it."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest

from adapters.ids import MalformedAction
from adapters.slack.deliveries import MemoryDeliveryLog, SqliteDeliveryLog, open_delivery_log, sqlite_path
from adapters.slack.payloads import MalformedRequest, actor_of, channel_of, clicked_value, delivery_key
from bot.conversation import Actor


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"team_id": "T1", "user_id": "U1"}, Actor("slack", "T1", "U1")),  # slash command
        ({"team": {"id": "T1"}, "user": {"id": "U2", "team_id": "T1"}}, Actor("slack", "T1", "U2")),  # click
        ({"user": {"id": "U3", "team_id": "T7"}, "team": None}, Actor("slack", "T7", "U3")),  # team null
        (
            {"team_id": "T1", "enterprise_id": "E1", "user_id": "U1"},
            Actor("slack", "E1/T1", "U1"),  # Enterprise Grid: the org is part of the workspace
        ),
        (
            {"team": {"id": "T1"}, "enterprise": {"id": "E2"}, "user": {"id": "U1"}},
            Actor("slack", "E2/T1", "U1"),
        ),
    ],
)
def test_actor_of(body: dict[str, Any], expected: Actor) -> None:
    assert actor_of(body) == expected


@pytest.mark.parametrize("body", [{"user_id": "U1"}, {"team_id": "T1"}, {"team_id": "", "user_id": "U1"}, {}])
def test_actor_of_refuses_a_payload_without_team_or_user(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedRequest, match="can't tell whose it is"):
        actor_of(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"actions": [{"value": "adv:c:1:w"}]}, "adv:c:1:w"),
        ({"actions": [{"selected_option": {"value": "adv:c:1:a:x"}}]}, "adv:c:1:a:x"),
    ],
)
def test_clicked_value(body: dict[str, Any], expected: str) -> None:
    assert clicked_value(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"actions": []},
        {"actions": "x"},
        {"actions": [{}]},
        {"actions": [{"value": 3}]},
        {"actions": [None]},
    ],
)
def test_clicked_value_refuses_malformed_actions(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedAction):
        clicked_value(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"event_id": "Ev1", "team_id": "T1"}, "event:Ev1"),
        ({"trigger_id": "1.2", "team_id": "T1"}, "trigger:T1:1.2"),
        ({"trigger_id": "1.2", "team": {"id": "T2"}}, "trigger:T2:1.2"),
        ({"team_id": "T1"}, None),
    ],
)
def test_delivery_key(body: dict[str, Any], expected: str | None) -> None:
    assert delivery_key(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"channel": {"id": "C1"}}, "C1"),
        ({"container": {"channel_id": "C2"}}, "C2"),
        ({"channel_id": "C3"}, "C3"),
        ({}, None),
    ],
)
def test_channel_of(body: dict[str, Any], expected: str | None) -> None:
    assert channel_of(body) == expected


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


async def test_claims_are_first_come_and_outlive_the_connection(tmp_path: Any) -> None:
    log = SqliteDeliveryLog(tmp_path / "a.db")
    assert await log.claim("k") is True
    assert await log.claim("k") is False
    await log.close()
    again = SqliteDeliveryLog(tmp_path / "a.db")
    assert await again.claim("k") is False  # another process sees the first claim
    assert await again.claim("other") is True
    await again.close()


async def test_memory_claims_are_bounded() -> None:
    log = MemoryDeliveryLog(size=2)
    assert [await log.claim(k) for k in ("a", "b", "a", "c", "a")] == [True, True, False, True, True]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh schema on ADVISOR_TEST_POSTGRES (as tests/bot/store does), dropped afterwards."""
    url = os.environ.get("ADVISOR_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable on CI: {error}")
        pytest.skip(f"PostgreSQL unreachable ({error}); set ADVISOR_TEST_POSTGRES")
    schema = f"slack_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{url}{'&' if '?' in url else '?'}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def test_replicas_sharing_postgres_claim_each_delivery_once(postgres_url: str) -> None:
    first, second = open_delivery_log(postgres_url), open_delivery_log(postgres_url)
    try:
        outcomes = await asyncio.gather(*(log.claim("trigger:T1:9") for log in (first, second) * 5))
        assert sorted(outcomes) == [False] * 9 + [True]
        assert await second.claim("trigger:T1:10") is True
    finally:
        await first.close()
        await second.close()
