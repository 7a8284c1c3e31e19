"""Team sessions, pure: majority paths, changed votes, ties, quorum, and why late votes count for nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import (
    NotAllowedToAdvance,
    NoVotesYet,
    TeamSessionFinished,
    UnknownAnswer,
    VoteClosed,
)
from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.team import voting as team
from bot.team.session import TeamKey, TeamSession, TeamStatus
from bot.team.tally import current_tally, outcome
from bot.team.voting import TIE_RULE
from tests.conftest import TINY

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEY = TeamKey("test", "w1", "c1", "", "tiny")


@pytest.fixture(scope="module")
def pack() -> Pack:
    return PackRegistry().load(TINY)


def started(pack: Pack, **kw: object) -> TeamSession:
    return team.start_session(pack, key=KEY, session_id="s1", starter="alice", now=NOW, **kw)  # type: ignore[arg-type]


def votes(pack: Pack, session: TeamSession, **by_member: str) -> TeamSession:
    for member, option in by_member.items():
        session = team.vote(pack, session, member=member, option_id=option, step=session.step, now=NOW)
    return session


def nxt(pack: Pack, session: TeamSession, member: str = "alice") -> TeamSession:
    return team.close_and_advance(pack, session, member=member, step=session.step, can_manage=False, now=NOW)


def three_members_session(pack: Pack) -> TeamSession:
    s = started(pack, topic="Our shop")
    s = nxt(pack, votes(pack, s, alice="pages", bob="pages", carol="api"))
    s = nxt(pack, votes(pack, s, alice="need", bob="none", carol="none"))
    return nxt(pack, votes(pack, s, alice="large", bob="small", carol="small"))


def test_three_members_follow_the_majority_to_a_team_result(pack: Pack) -> None:
    s = three_members_session(pack)

    assert s.status is TeamStatus.FINISHED
    assert s.path == (("kind", "pages"), ("admin", "none"), ("size", "small"))
    out = outcome(pack, s)
    assert [(sc.name, sc.points) for sc in out.recommendation.ranking] == [
        ("Gamma", 4),
        ("Alpha", 3),
        ("Beta", 0),
    ]
    first_tally = out.decided[0][1]
    assert [(c.label, c.count, c.voters) for c in first_tally.counts] == [
        ("Web pages", 2, ("alice", "bob")),
        ("JSON API", 1, ("carol",)),
        ("Not sure", 0, ()),
    ]


def test_individual_picks_come_from_each_members_own_votes(pack: Pack) -> None:
    out = outcome(pack, three_members_session(pack))
    assert [(p.member, p.subject_name, p.points, p.answered) for p in out.picks] == [
        ("alice", "Alpha", 7, 3),  # pages 3 + admin 2 + large 2
        ("bob", "Gamma", 4, 3),
        ("carol", "Gamma", 4, 3),
    ]


def test_split_questions_list_every_divergence_with_the_split(pack: Pack) -> None:
    out = outcome(pack, three_members_session(pack))
    assert [(sp.prompt, sp.chosen, [(c.label, c.count) for c in sp.counts]) for sp in out.splits] == [
        ("What are you building?", "Web pages", [("Web pages", 2), ("JSON API", 1)]),
        ("Do editors need an admin?", "No admin", [("No admin", 2), ("Yes, an admin", 1)]),
        ("How big is it?", "A single file", [("A single file", 2), ("Large and long-lived", 1)]),
    ]


def test_a_unanimous_question_is_not_a_split(pack: Pack) -> None:
    s = nxt(pack, votes(pack, started(pack), alice="pages", bob="pages"))
    s = nxt(pack, votes(pack, s, alice="need", bob="none"))
    assert [sp.question_id for sp in outcome(pack, s).splits] == ["admin"]


def test_a_member_who_voted_on_some_questions_is_ranked_on_those(pack: Pack) -> None:
    s = nxt(pack, votes(pack, started(pack), alice="api", dan="api"))
    s = nxt(pack, votes(pack, s, alice="small"))
    picks = {p.member: p for p in outcome(pack, s).picks}
    assert (picks["dan"].subject_name, picks["dan"].answered) == ("Beta", 1)
    assert (picks["alice"].subject_name, picks["alice"].answered) == ("Gamma", 2)


def test_a_member_can_change_their_vote_until_the_question_closes(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="pages", bob="pages", carol="api")
    s = votes(pack, s, bob="api")  # bob changes his mind
    tally = current_tally(pack, s)
    assert tally is not None
    assert [(c.option_id, c.count) for c in tally.counts] == [("pages", 1), ("api", 2), ("unsure", 0)]
    assert tally.total == 3
    assert s.members == ("alice", "bob", "carol")  # changing keeps one vote per member
    s = nxt(pack, s)
    assert s.path == (("kind", "api"),)

    with pytest.raises(VoteClosed) as late:
        team.vote(pack, s, member="bob", option_id="pages", step=1, now=NOW)
    assert 'Voting on "What are you building?" has closed (the team chose JSON API)' in str(late.value)


def test_voting_again_for_the_same_option_changes_nothing(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="pages")
    again = team.vote(pack, s, member="alice", option_id="pages", step=1, now=NOW + timedelta(seconds=5))
    assert again is s


def test_a_tie_goes_to_the_option_listed_first_and_says_so(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="api", bob="pages")  # api voted first, pages listed first
    tally = current_tally(pack, s)
    assert tally is not None
    assert tally.leader == "pages"
    s = nxt(pack, s)
    assert s.path == (("kind", "pages"),)
    assert s.closed[0].tie_broken
    assert "listed first" in TIE_RULE


def test_the_quorum_closes_the_question_by_itself(pack: Pack) -> None:
    s = votes(pack, started(pack, quorum=2), alice="api")
    assert s.step == 1
    s = votes(pack, s, bob="api")
    assert s.step == 2
    assert s.path == (("kind", "api"),)
    assert s.votes == ()

    with pytest.raises(VoteClosed, match="has closed"):
        team.vote(pack, s, member="carol", option_id="pages", step=1, now=NOW)


def test_a_vote_after_the_result_says_the_session_is_finished(pack: Pack) -> None:
    s = three_members_session(pack)
    with pytest.raises(TeamSessionFinished, match="finished and its result is final"):
        team.vote(pack, s, member="dan", option_id="small", step=s.step, now=NOW)
    with pytest.raises(VoteClosed, match='"How big is it\\?" has closed'):
        team.vote(pack, s, member="dan", option_id="small", step=3, now=NOW)


def test_a_vote_from_a_stale_step_changes_nothing(pack: Pack) -> None:
    s = nxt(pack, votes(pack, started(pack), alice="pages"))
    with pytest.raises(VoteClosed):
        team.vote(pack, s, member="bob", option_id="need", step=1, now=NOW)
    with pytest.raises(VoteClosed):
        team.vote(pack, s, member="bob", option_id="need", step=7, now=NOW)


def test_an_option_of_another_question_is_refused(pack: Pack) -> None:
    with pytest.raises(UnknownAnswer, match="not one of the options"):
        team.vote(pack, started(pack), member="bob", option_id="small", step=1, now=NOW)


def test_only_the_starter_or_a_manager_may_press_next(pack: Pack) -> None:
    s = votes(pack, started(pack, starter_name="Alice"), bob="pages")
    with pytest.raises(NotAllowedToAdvance, match="Only Alice, who started this session"):
        team.close_and_advance(pack, s, member="bob", step=1, can_manage=False, now=NOW)
    moved = team.close_and_advance(pack, s, member="bob", step=1, can_manage=True, now=NOW)
    assert moved.step == 2
    assert team.may_advance(s, "alice", can_manage=False)


def test_next_before_any_vote_says_there_is_no_majority(pack: Pack) -> None:
    with pytest.raises(NoVotesYet, match="Nobody has voted"):
        nxt(pack, started(pack))


def test_next_from_an_old_message_is_stale(pack: Pack) -> None:
    s = nxt(pack, votes(pack, started(pack), alice="pages"))
    s = votes(pack, s, alice="need")
    with pytest.raises(VoteClosed):
        team.close_and_advance(pack, s, member="alice", step=1, can_manage=False, now=NOW)
    assert s.step == 2


def test_an_anonymous_tally_shows_counts_but_not_who(pack: Pack) -> None:
    s = votes(pack, started(pack, anonymous=True), alice="pages", bob="pages")
    tally = current_tally(pack, s)
    assert tally is not None
    assert [(c.count, c.voters) for c in tally.counts] == [(2, ()), (0, ()), (0, ())]


def test_the_team_ranking_uses_the_shared_ranking(pack: Pack) -> None:
    from bot.ranking import recommend

    s = three_members_session(pack)
    assert outcome(pack, s).recommendation == recommend(pack, s.path)
    assert replace(s, votes=()).path == s.path


def test_someone_who_left_cannot_vote_until_they_come_back(pack: Pack) -> None:
    from bot.errors import MemberLeft

    s = votes(pack, started(pack), bob="api")
    s = team.mark_presence(s, "bob", present=False, now=NOW)
    with pytest.raises(MemberLeft, match="You left this channel"):
        votes(pack, s, bob="pages")
    assert s.current_votes == {"bob": "api"}, "a vote cast before leaving still counts"
    assert team.mark_presence(s, "bob", present=False, now=NOW) is s, "leaving twice changes nothing"
    back = team.mark_presence(s, "bob", present=True, now=NOW)
    assert votes(pack, back, bob="pages").current_votes == {"bob": "pages"}
