"""The team engine on real stores: every vote of a burst counts once, and a restart carries on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import pytest

from bot.errors import NoTeamSession, RetriesExhausted, StoreUnavailable, VersionConflict, VoteClosed
from bot.pack.registry import PackRegistry
from bot.store.base import TeamStore
from bot.store.sqlite import SqliteStore
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamResultReply
from bot.team.session import TeamSession
from tests.bot.store.conftest import (  # noqa: F401  # fixtures, used by name
    Backend,
    backend,
    postgres_backend,
    postgres_schema_url,
    sqlite_backend,
)
from tests.conftest import TINY, Clock

each_backend = pytest.mark.parametrize("backend", ["sqlite_backend", "postgres_backend"], indirect=True)
MEMBERS = [f"m{n:02d}" for n in range(30)]


def engine_on(store: object, registry: PackRegistry, clock: Clock) -> TeamEngine:
    return TeamEngine(store=cast(TeamStore, store), registry=registry, advisor="tiny", clock=clock)


@each_backend
async def test_thirty_members_voting_at_once_are_all_counted_once(
    backend: Backend,  # noqa: F811  # the fixture imported above
    registry: PackRegistry,
    clock: Clock,
) -> None:
    engine = engine_on(await backend.open(), registry, clock)
    start = await engine.start(engine.key(platform="test", workspace="w1", channel="c1"), starter="m00")
    assert isinstance(start, TeamQuestionReply)
    options = ["pages", "api", "unsure"]

    await asyncio.gather(
        *(
            engine.vote(session_id=start.session_id, step=1, member=m, option_id=options[i % 3])
            for i, m in enumerate(MEMBERS)
        )
    )
    # A second burst: everyone presses the same button again (a double click, a retry).
    await asyncio.gather(
        *(
            engine.vote(session_id=start.session_id, step=1, member=m, option_id=options[i % 3])
            for i, m in enumerate(MEMBERS)
        )
    )

    status = await engine.status(start.session_id)
    assert isinstance(status, TeamQuestionReply)
    assert status.tally.total == 30
    assert [(c.option_id, c.count) for c in status.tally.counts] == [
        ("pages", 10),
        ("api", 10),
        ("unsure", 10),
    ]
    assert sorted(v for c in status.tally.counts for v in c.voters) == MEMBERS


async def test_a_restart_mid_session_carries_on(db_path: Path, registry: PackRegistry, clock: Clock) -> None:
    store = await SqliteStore.open(db_path)
    engine = engine_on(store, registry, clock)
    key = engine.key(platform="test", workspace="w1", channel="c1")
    start = await engine.start(key, starter="ann", topic="Shop rewrite")
    assert isinstance(start, TeamQuestionReply)
    await engine.vote(session_id=start.session_id, step=1, member="ann", option_id="pages")
    await engine.vote(session_id=start.session_id, step=1, member="ben", option_id="pages")
    await store.close()

    # A new process: new store object, new registry, new engine; only the file is the same.
    again = await SqliteStore.open(db_path)
    try:
        fresh = PackRegistry()
        fresh.load(TINY)
        engine = engine_on(again, fresh, clock)
        shown = await engine.start(key, starter="ben")
        assert isinstance(shown, TeamQuestionReply)
        assert shown.session_id == start.session_id
        assert "already open" in shown.notice
        assert shown.tally.total == 2

        advanced = await engine.advance(session_id=start.session_id, step=1, member="ann", can_manage=False)
        assert isinstance(advanced, TeamAdvanced)
        assert advanced.closed.chosen == "Web pages"
        assert isinstance(advanced.following, TeamQuestionReply)
        assert advanced.following.prompt == "Do editors need an admin?"
        with pytest.raises(VoteClosed):
            await engine.vote(session_id=start.session_id, step=1, member="cy", option_id="api")

        done = await engine.vote(session_id=start.session_id, step=2, member="ann", option_id="need")
        assert isinstance(done, TeamQuestionReply)
        final = await engine.advance(session_id=start.session_id, step=2, member="ann", can_manage=False)
        assert isinstance(final, TeamAdvanced)
        assert isinstance(final.following, TeamResultReply)
        assert final.following.finished
        assert final.following.ranking.top.name == "Alpha"
        record = await engine.record(start.session_id)
        assert "\n# Shop rewrite: Alpha\n" in record

        # A finished session frees the channel for the next one; the old one stays readable.
        new = await engine.start(key, starter="ben")
        assert isinstance(new, TeamQuestionReply)
        assert new.session_id != start.session_id
        assert (await engine.result(start.session_id)).finished
    finally:
        await again.close()


async def test_an_unknown_session_says_how_to_start_one(
    store: SqliteStore, registry: PackRegistry, clock: Clock
) -> None:
    engine = engine_on(store, registry, clock)
    with pytest.raises(NoTeamSession, match="Start one with `/choose-framework team`"):
        await engine.vote(session_id="nope", step=1, member="ann", option_id="pages")


@each_backend
async def test_forget_takes_a_member_out_of_team_sessions_but_keeps_the_counts(
    backend: Backend,  # noqa: F811  # the fixture imported above
    registry: PackRegistry,
    clock: Clock,
) -> None:
    from bot.personal.conversation import Actor
    from bot.personal.engine import Engine

    store = await backend.open()
    teams = engine_on(store, registry, clock)
    start = await teams.start(
        teams.key(platform="test", workspace="w1", channel="c1"), starter="alice", starter_name="Alice"
    )
    assert isinstance(start, TeamQuestionReply)
    sid = start.session_id
    await teams.vote(session_id=sid, step=1, member="alice", option_id="pages", name="Alice")
    await teams.vote(session_id=sid, step=1, member="bob", option_id="api", name="Bob")
    await teams.advance(session_id=sid, step=1, member="alice", can_manage=False)  # a tie: it waits
    await teams.decide(session_id=sid, step=1, member="alice", option_id="pages", can_manage=False)
    await teams.vote(session_id=sid, step=2, member="alice", option_id="need", name="Alice")

    personal = Engine(store=store, team_store=store, registry=registry, advisor="tiny", clock=clock)
    notice = await personal.forget(Actor("test", "w1", "alice"))
    assert "removed from 1 team session(s)" in notice.text

    session = await teams.session(sid)
    assert "alice" not in session.members
    assert "Alice" not in dict(session.names).values()
    assert session.starter == "former-1"
    assert dict(session.closed[0].votes) == {"former-1": "pages", "bob": "api"}
    assert session.closed[0].decided_by == "former-1", "who decided the tie is forgotten too"
    assert session.current_votes == {"former-1": "need"}
    record = await teams.record(sid)
    assert "Alice" not in record
    assert "a former member" in record
    again = await personal.forget(Actor("test", "w1", "alice"))
    assert again.text == "There was nothing stored about you."


class AlwaysConflicting:
    """The real store, except that every save finds the session changed (a storm of votes)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def save_team(self, session: TeamSession, *, expected_version: int) -> TeamSession:
        raise VersionConflict(session.id, expected_version)


async def test_endless_conflicts_say_to_try_again_not_that_the_store_is_broken(
    store: SqliteStore, registry: PackRegistry, clock: Clock
) -> None:
    teams = engine_on(store, registry, clock)
    start = await teams.start(teams.key(platform="test", workspace="w1", channel="c1"), starter="alice")
    stormy = engine_on(AlwaysConflicting(store), registry, clock)
    with pytest.raises(RetriesExhausted, match="Nothing was lost; try again") as caught:
        await stormy.vote(session_id=start.session_id, step=1, member="bob", option_id="api")
    assert not isinstance(caught.value, StoreUnavailable)
    assert (await teams.session(start.session_id)).current_votes == {}


@pytest.mark.parametrize(
    ("members", "votes", "tied"),
    [
        (("ann", "ben", "cy"), ("pages", "api", "unsure"), ["pages", "api", "unsure"]),  # 1-1-1
        (("ann", "ben", "cy", "dee", "eve"), ("pages", "api", "pages", "api", "unsure"), ["pages", "api"]),
    ],
)
async def test_a_split_without_a_leader_waits_for_the_starter(
    store: SqliteStore,
    registry: PackRegistry,
    clock: Clock,
    members: tuple[str, ...],
    votes: tuple[str, ...],
    tied: list[str],
) -> None:
    from bot.errors import NotAllowedToDecide

    engine = engine_on(store, registry, clock)
    start = await engine.start(engine.key(platform="test", workspace="w1", channel="c1"), starter=members[0])
    assert isinstance(start, TeamQuestionReply)
    sid = start.session_id
    for member, option in zip(members, votes, strict=True):
        await engine.vote(session_id=sid, step=1, member=member, option_id=option, name=member.title())

    waiting = await engine.advance(session_id=sid, step=1, member=members[0], can_manage=False)

    assert isinstance(waiting, TeamQuestionReply)
    assert waiting.step == 1
    assert waiting.awaiting_decision
    tied = [c.id for c in waiting.tied]
    assert tied == sorted(
        set(votes) - ({"unsure"} if len(members) == 5 else set()), key=["pages", "api", "unsure"].index
    )
    with pytest.raises(NotAllowedToDecide):
        await engine.decide(session_id=sid, step=1, member=members[1], option_id="api", can_manage=False)
    decided = await engine.decide(session_id=sid, step=1, member=members[1], option_id="api", can_manage=True)
    assert isinstance(decided, TeamAdvanced)
    assert decided.closed.tied == tuple(c.label for c in waiting.tied)
    assert decided.closed.decided_by == members[1].title()
    record = await engine.record(sid)
    assert f"decided by {members[1].title()})" in record


async def test_records_are_numbered_in_their_channel_accepted_and_listed(
    store: SqliteStore, registry: PackRegistry, clock: Clock
) -> None:
    from datetime import timedelta

    engine = engine_on(store, registry, clock)
    key = engine.key(platform="test", workspace="w1", channel="c1")
    sids = []
    for topic in ("Backend framework", "Admin tool", "backend framework"):
        start = await engine.start(key, starter="ann", starter_name="Ann", topic=topic)
        assert isinstance(start, TeamQuestionReply)
        sid = start.session_id
        await engine.vote(session_id=sid, step=1, member="ann", option_id="pages")
        await engine.advance(session_id=sid, step=1, member="ann", can_manage=False)
        await engine.vote(session_id=sid, step=2, member="ann", option_id="need")
        await engine.advance(session_id=sid, step=2, member="ann", can_manage=False)
        sids.append(sid)
        clock.advance(timedelta(minutes=5))
    other = await engine.start(engine.key(platform="test", workspace="w1", channel="c2"), starter="ann")
    assert isinstance(other, TeamQuestionReply)

    first = await engine.record_of(sids[0])
    assert (first.filename, first.status) == ("0001-backend-framework.md", "proposed")
    accepted = await engine.accept(session_id=sids[2], member="ann", can_manage=False)
    assert accepted.accepted_by == "Ann"

    entries = await engine.records(platform="test")
    assert [(e.channel, e.stem, e.status) for e in entries] == [
        ("c1", "0001-backend-framework", "superseded by 0003-backend-framework"),
        ("c1", "0002-admin-tool", "proposed"),
        ("c1", "0003-backend-framework", "accepted"),
        ("c2", "0001-tiny-test-advisor", "proposed"),
    ]
    assert (await engine.record_of(sids[0])).status == "superseded by 0003-backend-framework"


@each_backend
async def test_open_sessions_lists_those_in_the_asker_s_channels_newest_first(
    backend: Backend,  # noqa: F811  # the fixture imported above
    registry: PackRegistry,
    clock: Clock,
) -> None:
    from datetime import timedelta

    engine = engine_on(await backend.open(), registry, clock)
    first = await engine.start(
        engine.key(platform="slack", workspace="T1", channel="C1", thread="1.1"),
        starter="U1",
        starter_name="ann",
        topic="Orders API",
    )
    assert isinstance(first, TeamQuestionReply)
    await engine.vote(session_id=first.session_id, step=first.step, member="U2", option_id="api")
    clock.advance(timedelta(minutes=1))
    second = await engine.start(
        engine.key(platform="slack", workspace="T1", channel="C2", thread="2.1"), starter="U3", topic="Docs"
    )
    await engine.start(engine.key(platform="slack", workspace="T1", channel="C3", thread="3.1"), starter="U4")
    await engine.start(engine.key(platform="slack", workspace="T2", channel="C1", thread="9.1"), starter="U5")

    found = await engine.open_sessions(platform="slack", workspace="T1", channels={"C1", "C2"})
    assert [(s.channel, s.topic) for s in found] == [("C2", "Docs"), ("C1", "Orders API")]
    orders = found[1]
    assert (orders.session_id, orders.thread, orders.starter) == (first.session_id, "1.1", "ann")
    assert (orders.number, orders.prompt, orders.votes) == (1, "What are you building?", 1)
    assert second.session_id == found[0].session_id
    assert await engine.open_sessions(platform="slack", workspace="T1", channels={"C9"}) == ()
    assert (
        len(await engine.open_sessions(platform="slack", workspace="T1", channels={"C1", "C2"}, limit=1)) == 1
    )
