"""The TeamStore contract, run unchanged against SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest

from bot.errors import TeamSessionExists, VersionConflict
from bot.store.base import TeamStore
from bot.team.session import Acceptance, ClosedQuestion, TeamKey, TeamSession, TeamStatus
from tests.bot.store.conftest import Backend

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
KEY = TeamKey("discord", "g1", "c1", "", "tiny")

each_backend = pytest.mark.parametrize("backend", ["sqlite_backend", "postgres_backend"], indirect=True)


def session(sid: str = "t1", *, key: TeamKey = KEY) -> TeamSession:
    return TeamSession(
        id=sid,
        key=key,
        topic="Shop | rewrite ✓",
        starter="444",
        anonymous=True,
        quorum=3,
        pack_version="v1",
        path=(("kind", "pages"),),
        closed=(
            ClosedQuestion("kind", "pages", (("444", "pages"), ("445", "api")), ("pages", "api"), "444"),
        ),
        votes=(("445", "need"),),
        names=(("444", "ann"), ("445", "bén")),
        step=2,
        version=0,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
async def team_store(backend: Backend) -> TeamStore:
    return cast(TeamStore, await backend.open())


@each_backend
class TestTeamStoreContract:
    async def test_a_session_comes_back_exactly_by_key_and_by_id(self, team_store: TeamStore) -> None:
        created = await team_store.create_team(session())
        assert created == replace(session(), version=1)
        assert await team_store.get_team(KEY) == created
        assert await team_store.get_team_by_id("t1") == created
        assert await team_store.get_team(replace(KEY, thread="other")) is None

    async def test_save_is_conditional_on_the_version_read(self, team_store: TeamStore) -> None:
        created = await team_store.create_team(session())
        voted = replace(created, votes=(*created.votes, ("446", "none")))
        saved = await team_store.save_team(voted, expected_version=1)
        assert saved.version == 2
        with pytest.raises(VersionConflict):
            await team_store.save_team(replace(created, votes=()), expected_version=1)
        assert await team_store.get_team_by_id("t1") == saved

    async def test_one_open_session_per_key_but_finished_ones_stay_readable(
        self, team_store: TeamStore
    ) -> None:
        first = await team_store.create_team(session("t1"))
        with pytest.raises(TeamSessionExists):
            await team_store.create_team(session("t2"))
        await team_store.save_team(replace(first, status=TeamStatus.FINISHED), expected_version=1)
        second = await team_store.create_team(session("t2"))
        assert await team_store.get_team(KEY) == second
        finished = await team_store.get_team_by_id("t1")
        assert finished is not None
        assert finished.is_finished

    async def test_open_teams_lists_one_workspace_s_open_sessions_newest_first(
        self, team_store: TeamStore
    ) -> None:
        later = NOW.replace(hour=13)
        older = await team_store.create_team(session("t1", key=replace(KEY, channel="c1")))
        newer = await team_store.create_team(
            replace(session("t2", key=replace(KEY, channel="c2")), created_at=later, updated_at=later)
        )
        done = await team_store.create_team(session("t3", key=replace(KEY, channel="c3")))
        await team_store.save_team(replace(done, status=TeamStatus.FINISHED), expected_version=1)
        await team_store.create_team(session("t4", key=replace(KEY, workspace="other")))
        await team_store.create_team(session("t5", key=replace(KEY, platform="slack")))
        await team_store.create_team(session("t6", key=replace(KEY, advisor="another", channel="c9")))

        found = await team_store.open_teams(platform="discord", workspace="g1", advisor="tiny", limit=10)
        assert found == (newer, older)
        assert await team_store.open_teams(platform="discord", workspace="g1", advisor="tiny", limit=1) == (
            newer,
        )
        assert await team_store.open_teams(platform="discord", workspace="g2", advisor="tiny", limit=5) == ()


async def test_a_database_from_before_team_sessions_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    from bot.store.sqlite import MIGRATIONS, SqliteStore

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:
        first = MIGRATIONS[0]
        assert isinstance(first, str)
        for statement in first.split(";"):
            if statement.strip():
                raw.execute(statement)
        raw.execute(
            "INSERT INTO conversations VALUES"
            " ('c1', 'slack', 'w1', 'u1', 'tiny', 'v1', 'kind=pages', 2, 1, 0, 0, 9e9)"
        )
        raw.execute("PRAGMA user_version = 1")
    raw.close()

    store = await SqliteStore.open(path)
    try:
        kept = await store.get_by_id("c1")
        assert kept is not None
        assert kept.answers == (("kind", "pages"),)
        assert await store.create_team(session()) == replace(session(), version=1)
    finally:
        await store.close()


@each_backend
async def test_who_left_survives_the_round_trip(team_store: TeamStore) -> None:
    created = await team_store.create_team(session())
    gone = replace(created, left=("bob",))
    await team_store.save_team(gone, expected_version=created.version)
    loaded = await team_store.get_team_by_id("t1")
    assert loaded is not None
    assert loaded.left == ("bob",)


@each_backend
async def test_a_waiting_tie_and_an_acceptance_survive_the_round_trip(team_store: TeamStore) -> None:
    created = await team_store.create_team(session())
    changed = replace(
        created,
        awaiting_decision=True,
        status=TeamStatus.FINISHED,
        finished_at=NOW,
        accepted=Acceptance("444", NOW, "alpha"),
    )
    await team_store.save_team(changed, expected_version=created.version)
    loaded = await team_store.get_team_by_id("t1")
    assert loaded is not None
    assert loaded.awaiting_decision
    assert loaded.finished_at == NOW
    assert loaded.accepted == Acceptance("444", NOW, "alpha")
    assert loaded.closed[0].tied == ("pages", "api")
    assert loaded.closed[0].decided_by == "444"


def test_a_tie_stored_before_ties_waited_reads_as_tied_without_a_decider() -> None:
    """Rows written before this change hold [question, chosen, votes, tie_broken]."""
    import json

    from bot.store.codec import decode_team, encode_team

    raw = json.loads(encode_team(replace(session(), status=TeamStatus.FINISHED)))
    raw["closed"] = [
        ["kind", "pages", [["444", "pages"], ["445", "api"]], True],
        ["size", "small", [["444", "small"]], False],
    ]
    raw.pop("finished", None)
    old = decode_team(session_id="t1", key=KEY, status="finished", version=3, data=json.dumps(raw))
    assert old.closed[0].tied == ("pages", "api")
    assert old.closed[0].decided_by == ""
    assert old.closed[1].tied == ()
    assert old.finished_at == old.updated_at
