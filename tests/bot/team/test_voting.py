"""Team sessions, pure: paths by most votes, changed votes, ties the starter decides, quorum, late votes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from bot.errors import (
    NotAllowedToAdvance,
    NotAllowedToDecide,
    NotATiedOption,
    NoTieToDecide,
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
    assert s.finished_at == NOW
    assert s.path == (("kind", "pages"), ("admin", "none"), ("size", "small"))
    out = outcome(pack, s)
    # Every vote counts with its share: kind 2/3 pages + 1/3 api, admin 1/3 need, size 2/3 small + 1/3 large.
    # Alice's minority answers (admin, large) lift Alpha past Gamma, which the path alone favoured.
    assert [(sc.name, sc.points) for sc in out.ranking.ranking] == [
        ("Alpha", Fraction(2) - Fraction(1, 3) + Fraction(2, 3) + Fraction(2, 3)),
        ("Gamma", Fraction(8, 3)),
        ("Beta", Fraction(1) + Fraction(1, 3)),
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
    s = team.decide_tie(pack, s, member="alice", option_id="none", step=s.step, can_manage=False, now=NOW)
    splits = outcome(pack, s).splits
    assert [sp.question_id for sp in splits] == ["admin"]
    assert (splits[0].tied, splits[0].decided_by) == (("Yes, an admin", "No admin"), "alice")


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


def test_a_tie_never_closes_by_itself_it_waits_for_the_starter(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="api", bob="pages", carol="unsure")  # 1-1-1
    tally = current_tally(pack, s)
    assert tally is not None
    assert tally.leaders == ("pages", "api", "unsure")
    assert tally.is_tied

    waiting = nxt(pack, s)
    assert waiting.step == 1, "the question stays open"
    assert waiting.awaiting_decision
    assert waiting.path == ()
    assert nxt(pack, waiting) is waiting, "pressing Next again changes nothing"

    with pytest.raises(NotAllowedToDecide, match="Only alice, who started this session"):
        team.decide_tie(pack, waiting, member="bob", option_id="api", step=1, can_manage=False, now=NOW)
    decided = team.decide_tie(
        pack, waiting, member="alice", option_id="api", step=1, can_manage=False, now=NOW
    )
    assert decided.path == (("kind", "api"),)
    assert decided.closed[0].tied == ("pages", "api", "unsure")
    assert decided.closed[0].decided_by == "alice"
    assert not decided.awaiting_decision


def test_a_manager_may_decide_a_tie_but_only_among_the_tied_options(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="api", bob="pages", carol="pages", dan="api")  # 2-2
    with pytest.raises(NotATiedOption, match="Not sure is not one of the tied options"):
        team.decide_tie(pack, s, member="erin", option_id="unsure", step=1, can_manage=True, now=NOW)
    decided = team.decide_tie(pack, s, member="erin", option_id="pages", step=1, can_manage=True, now=NOW)
    assert decided.closed[0].tied == ("pages", "api")
    assert decided.closed[0].decided_by == "erin"


def test_there_is_no_tie_to_decide_when_one_option_leads(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="api", bob="api", carol="pages")
    with pytest.raises(NoTieToDecide, match="JSON API has the most votes"):
        team.decide_tie(pack, s, member="alice", option_id="pages", step=1, can_manage=False, now=NOW)


def test_a_changed_vote_that_breaks_a_waiting_tie_closes_the_question(pack: Pack) -> None:
    waiting = nxt(pack, votes(pack, started(pack), alice="api", bob="pages"))
    assert waiting.awaiting_decision
    still = votes(pack, waiting, carol="unsure")  # now 1-1-1: still a tie, still waiting
    assert still.step == 1
    assert still.awaiting_decision
    closed = votes(pack, still, carol="pages")  # carol changes her mind: 2-1
    assert closed.path == (("kind", "pages"),)
    assert closed.closed[0].tied == ()
    assert closed.closed[0].decided_by == ""


def test_the_quorum_closes_the_question_by_itself(pack: Pack) -> None:
    s = votes(pack, started(pack, quorum=2), alice="api")
    assert s.step == 1
    s = votes(pack, s, bob="api")
    assert s.step == 2
    assert s.path == (("kind", "api"),)
    assert s.votes == ()

    with pytest.raises(VoteClosed, match="has closed"):
        team.vote(pack, s, member="carol", option_id="pages", step=1, now=NOW)


def test_a_quorum_reached_on_a_tie_waits_for_the_starter_too(pack: Pack) -> None:
    s = votes(pack, started(pack, quorum=2), alice="api", bob="pages")
    assert s.step == 1
    assert s.awaiting_decision
    s = votes(pack, s, carol="api")  # a third vote after the quorum breaks the tie
    assert s.path == (("kind", "api"),)


def test_a_vote_that_leaves_closing_to_the_caller_ignores_the_quorum(pack: Pack) -> None:
    s = votes(pack, started(pack, quorum=2), alice="api")
    s = team.vote(pack, s, member="bob", option_id="api", step=1, now=NOW, closes_at_quorum=False)
    assert s.step == 1, "the terminal gives every member a turn before the quorum closes it"
    assert s.current_votes == {"alice": "api", "bob": "api"}


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


def test_forgetting_a_member_who_decided_a_tie_keeps_the_decision_anonymous(pack: Pack) -> None:
    s = votes(pack, started(pack), alice="api", bob="pages")
    s = team.decide_tie(pack, s, member="alice", option_id="pages", step=1, can_manage=False, now=NOW)
    forgotten = team.forget_member(s, "alice")
    assert forgotten.closed[0].decided_by == "former-1"
    assert forgotten.starter == "former-1"
    assert replace(forgotten, votes=()).path == s.path


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
