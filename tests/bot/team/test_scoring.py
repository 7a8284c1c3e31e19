"""Every vote counts in the team ranking, with its share of the voters on its question."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.ranking import score_subjects
from bot.team import voting as team
from bot.team.scoring import points_text, rank_team
from bot.team.session import ClosedQuestion, TeamKey, TeamSession
from tests.conftest import TINY

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return PackRegistry().load(TINY)


def one_question(pack: Pack, **by_member: str) -> TeamSession:
    s = team.start_session(
        pack, key=TeamKey("t", "w", "c", "", "tiny"), session_id="s1", starter="a", now=NOW
    )
    for member, option in by_member.items():
        s = team.vote(pack, s, member=member, option_id=option, step=1, now=NOW)
    return team.close_and_advance(pack, s, member="a", step=1, can_manage=False, now=NOW)


def points(pack: Pack, session: TeamSession) -> dict[str, Fraction]:
    return {s.subject_id: s.points for s in rank_team(pack, session.closed).ranking}


def test_a_minority_answer_moves_the_ranking_by_exactly_one_third_of_its_evidence(pack: Pack) -> None:
    # "JSON API" carries Beta +3 and Alpha -1; "Web pages" carries Alpha +3.
    split = points(pack, one_question(pack, a="pages", b="pages", c="api"))
    agreed = points(pack, one_question(pack, a="pages", b="pages", c="pages"))

    moved = {subject: split[subject] - agreed[subject] for subject in split}
    # c's minority answer: one third of its evidence in, one third of the answer it replaced out.
    assert moved == {
        "beta": Fraction(1, 3) * 3,
        "alpha": Fraction(1, 3) * (-1) - Fraction(1, 3) * 3,
        "gamma": Fraction(0),
    }
    assert split["beta"] == 1, "the one API vote counts a third of Beta's +3, not nothing"


def test_reasons_carry_their_support(pack: Pack) -> None:
    ranking = rank_team(pack, one_question(pack, a="pages", b="pages", c="api").closed)
    alpha = next(s for s in ranking.ranking if s.subject_id == "alpha")
    beta = next(s for s in ranking.ranking if s.subject_id == "beta")

    (pages,) = alpha.reasons_for
    assert (str(pages.support), pages.text, pages.decided) == ("2 of 3", "Alpha renders pages.", True)
    assert pages.points == 2
    (api,) = beta.reasons_for
    assert (str(api.support), api.decided, api.points) == ("1 of 3", False, Fraction(1))
    (against,) = alpha.reasons_against
    assert (str(against.support), against.points) == ("1 of 3", Fraction(-1, 3))


def test_a_question_is_weighed_by_its_own_voters(pack: Pack) -> None:
    """Two voters on one question, three on another: each vote is 1/2 there and 1/3 here."""
    closed = (
        ClosedQuestion("kind", "pages", (("a", "pages"), ("b", "api"))),
        ClosedQuestion("size", "small", (("a", "small"), ("b", "small"), ("c", "large"))),
    )
    got = {s.subject_id: s.points for s in rank_team(pack, closed).ranking}
    assert got == {
        "alpha": Fraction(3, 2) - Fraction(1, 2) + Fraction(2, 3),
        "beta": Fraction(3, 2) + Fraction(1, 3),
        "gamma": Fraction(8, 3),
    }


MEMBERS = ("a", "b", "c", "d", "e")


@settings(max_examples=60, deadline=None)
@given(
    kind=st.lists(st.sampled_from(["pages", "api", "unsure"]), min_size=1, max_size=5),
    size=st.lists(st.sampled_from(["small", "large", "unsure"]), min_size=1, max_size=5),
)
def test_when_everyone_answers_everything_it_is_the_mean_of_the_members_own_scores(
    kind: list[str], size: list[str]
) -> None:
    pack = PackRegistry().load(TINY)
    count = min(len(kind), len(size))
    members = MEMBERS[:count]
    closed = (
        ClosedQuestion("kind", kind[0], tuple(zip(members, kind, strict=False))),
        ClosedQuestion("size", size[0], tuple(zip(members, size, strict=False))),
    )
    team_points = {s.subject_id: s.points for s in rank_team(pack, closed).ranking}
    own = [
        {s.subject_id: s.points for s in score_subjects(pack, (("kind", kind[i]), ("size", size[i])))}
        for i in range(count)
    ]
    mean = {subject: Fraction(sum(o[subject] for o in own), count) for subject in team_points}
    assert team_points == mean


def test_a_tie_at_the_top_is_reported_not_settled(pack: Pack) -> None:
    # Half each: pages/api gives Alpha 3/2 - 1/2 and Beta 3/2; large/small gives Alpha 1,
    # Beta 1/2 and Gamma 2: all three end on 2 points.
    closed = (
        ClosedQuestion(
            "kind", "pages", (("a", "pages"), ("b", "api")), tied=("pages", "api"), decided_by="a"
        ),
        ClosedQuestion(
            "size", "small", (("a", "large"), ("b", "small")), tied=("small", "large"), decided_by="a"
        ),
    )
    ranking = rank_team(pack, closed)
    assert ranking.is_tied
    assert set(ranking.tied) == {"alpha", "beta", "gamma"}
    assert not ranking.close_call, "a tie is not called a close call: it is a tie"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(4), "4 points"),
        (Fraction(1), "1 point"),
        (Fraction(-1), "-1 point"),
        (Fraction(8, 3), "2.7 points"),
        (Fraction(1, 3), "0.3 points"),
        (Fraction(0), "0 points"),
    ],
)
def test_points_are_shown_exactly_when_whole_and_to_one_decimal_otherwise(
    value: Fraction, shown: str
) -> None:
    assert points_text(value) == shown
