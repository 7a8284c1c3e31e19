"""How close a team decision was: first choices, the smallest flip, and the warnings."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.team.divergence import MAX_SWING, Swing, VoteChange, smallest_swing, warnings_for
from bot.team.scoring import rank_team
from bot.team.session import ClosedQuestion
from tests.conftest import TINY


@pytest.fixture(scope="module")
def pack() -> Pack:
    return PackRegistry().load(TINY)


def test_one_changed_vote_that_would_flip_the_pick_is_found(pack: Pack) -> None:
    # kind 2-1 pages: Alpha 2 - 1/3 = 5/3, Beta 1; one more API vote would give Beta 2, Alpha 1/3.
    closed = (ClosedQuestion("kind", "pages", (("a", "pages"), ("b", "pages"), ("c", "api"))),)
    assert rank_team(pack, closed).top.subject_id == "alpha"

    changes = smallest_swing(pack, closed, "beta")

    assert changes == (VoteChange(1, "kind", "What are you building?", "Web pages", "JSON API"),)
    assert Swing("beta", "Beta", changes).describe() == (
        'If one member who answered "Web pages" had answered "JSON API" on question 1 '
        '("What are you building?"), Beta would lead.'
    )


def test_two_changes_are_found_when_one_is_not_enough(pack: Pack) -> None:
    # Five voters, 4 pages / 1 api: Alpha 12/5 - 1/5 = 11/5, Beta 3/5. One change: Alpha 8/5 - 2/5 =
    # 6/5 vs Beta 6/5 (a tie, not a lead); two changes: Alpha 3/5, Beta 9/5.
    votes = (("a", "pages"), ("b", "pages"), ("c", "pages"), ("d", "pages"), ("e", "api"))
    closed = (ClosedQuestion("kind", "pages", votes),)
    changes = smallest_swing(pack, closed, "beta")
    assert len(changes) == 2
    assert all((c.from_label, c.to_label) == ("Web pages", "JSON API") for c in changes)
    assert "If 2 votes were different (question 1:" in Swing("beta", "Beta", changes).describe()


def test_no_small_change_is_said_plainly(pack: Pack) -> None:
    everyone = tuple(f"m{i}" for i in range(12))
    closed = (
        ClosedQuestion("kind", "pages", tuple((m, "pages") for m in everyone)),
        ClosedQuestion("admin", "need", tuple((m, "need") for m in everyone)),
    )
    assert smallest_swing(pack, closed, "gamma") == ()
    assert (
        Swing("gamma", "Gamma", ()).describe()
        == f"No change of up to {MAX_SWING} votes would put Gamma ahead."
    )


def test_a_close_call_and_a_low_fit_are_warned_about(pack: Pack) -> None:
    # Alpha 2 - 1/3 = 5/3 against Beta 1: within the pack's margin of 1. Alpha could have had
    # 3 + 2 on these two questions, so 5/3 of 5 is a 33% fit.
    near = rank_team(
        pack,
        (
            ClosedQuestion("kind", "pages", (("a", "pages"), ("b", "pages"), ("c", "api"))),
            ClosedQuestion("admin", "none", (("a", "none"), ("b", "none"), ("c", "none"))),
        ),
    )
    assert (near.top.subject_id, near.margin, near.fit) == ("alpha", Fraction(2, 3), 33)

    said = warnings_for(near)

    assert said[0].startswith("A close call: Beta is only 0.7 points behind Alpha")
    assert said[1].startswith("A low fit: Alpha earns 33% of the points it could have")


def test_a_tie_at_the_top_is_warned_about_and_left_to_the_starter(pack: Pack) -> None:
    tied = rank_team(
        pack,
        (
            ClosedQuestion("kind", "pages", (("a", "pages"), ("b", "api")), ("pages", "api"), "a"),
            ClosedQuestion("size", "small", (("a", "large"), ("b", "small")), ("small", "large"), "a"),
        ),
    )
    warning = warnings_for(tied)[0]
    assert warning.startswith("Alpha, Beta and Gamma are tied at 2 points")
    assert "the starter chooses one when accepting" in warning
