"""Explanations with points: what each answer gave the top pick, and why the runner-up lost."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pack.loader import load_pack
from bot.pack.model import Pack
from bot.ranking import points_by_answer, recommend, score_subjects
from tests.bot.personal.test_walker import packs, walk
from tests.conftest import PYTHON_WEB, TINY

TINY_PACK = load_pack(TINY)


def test_top_pick_shows_each_answers_points_summing_to_its_total() -> None:
    rec = recommend(TINY_PACK, (("kind", "api"), ("size", "large")))
    assert rec.top.subject_id == "beta"
    shown = [(a.question_id, a.answer, a.points) for a in rec.top_points]
    assert shown == [("kind", "JSON API", 3), ("size", "Large and long-lived", 1)]
    assert sum(a.points for a in rec.top_points) == rec.top.points == 4
    assert rec.top_points[0].reasons[0].text == "Beta is built for APIs."


def test_why_not_the_runner_up_lists_the_answers_that_separated_them() -> None:
    rec = recommend(TINY_PACK, (("kind", "api"), ("size", "large")))
    assert rec.runner_up is not None
    assert rec.runner_up.subject_id == "alpha"
    gaps = [(g.question_id, g.top_points, g.runner_up_points, g.gap) for g in rec.why_not_runner_up]
    # The API answer gave beta 3 and cost alpha 1; "large" favoured alpha by 1.
    assert gaps == [("kind", 3, -1, 4), ("size", 1, 2, -1)]
    assert sum(g.gap for g in rec.why_not_runner_up) == rec.margin == 3


def test_answers_that_scored_both_the_same_are_not_a_reason() -> None:
    rec = recommend(TINY_PACK, (("kind", "unsure"), ("size", "unsure")))
    assert rec.top_points == ()
    assert rec.why_not_runner_up == ()
    assert rec.margin == 0


def test_points_by_answer_works_for_any_subject_of_the_full_ranking() -> None:
    pack = load_pack(PYTHON_WEB)
    answers = (("existing", "fresh"), ("scope", "tool"))
    for score in recommend(pack, answers).ranking:
        assert sum(a.points for a in points_by_answer(pack, answers, score.subject_id)) == score.points


def test_fit_says_what_it_is_a_share_of() -> None:
    """Alpha could earn 3 (kind), 2 (admin) and 2 (size); without the admin it earns 5 of 7."""
    rec = recommend(TINY_PACK, (("kind", "api"), ("size", "large")))
    assert (rec.top.points, rec.possible, rec.fit) == (4, 4, 100)
    unsure = recommend(TINY_PACK, (("kind", "pages"), ("admin", "none"), ("size", "large")))
    assert unsure.top.subject_id == "alpha"
    assert (unsure.top.points, unsure.possible, unsure.fit) == (5, 7, 71)


@settings(max_examples=60, deadline=None)
@given(pack=packs(), choices=st.lists(st.integers(0, 10), max_size=12))
def test_every_subjects_points_and_reasons_are_its_evidence_on_the_answers_given(
    pack: Pack, choices: list[int]
) -> None:
    """The ranking is read from tables built once per pack; it must say what the evidence says."""
    answers = walk(pack, choices).answers
    chosen = [pack.chosen(a) for a in answers]
    evidence = [e for option in chosen if option is not None for e in option.evidence]
    order = [s.id for s in pack.subjects]
    ranking = score_subjects(pack, answers)
    assert [s.subject_id for s in ranking] == sorted(
        order, key=lambda i: -sum(e.weight for e in evidence if e.subject == i)
    )
    for score in ranking:
        mine = [e for e in evidence if e.subject == score.subject_id]
        assert score.points == sum(e.weight for e in mine)
        pros = sorted((e for e in mine if e.weight > 0), key=lambda e: -e.weight)
        assert [(r.weight, r.text) for r in score.reasons_for] == [(e.weight, e.reason) for e in pros]
        cons = sorted((e for e in mine if e.weight < 0), key=lambda e: e.weight)
        assert [(r.weight, r.text) for r in score.reasons_against] == [(e.weight, e.reason) for e in cons]
        shown = points_by_answer(pack, answers, score.subject_id)
        assert sum(a.points for a in shown) == score.points


def test_an_edited_pack_ranks_on_its_own_evidence_not_the_last_versions() -> None:
    answers = (("kind", "api"), ("size", "large"))
    assert recommend(TINY_PACK, answers).top.subject_id == "beta"  # its tables are built now
    kind = TINY_PACK.questions["kind"]
    api = kind.options[1]
    flipped = replace(api, evidence=tuple(replace(e, weight=-e.weight) for e in api.evidence))
    edited = replace(
        TINY_PACK,
        version="edited",
        questions=MappingProxyType(
            {
                **TINY_PACK.questions,
                "kind": replace(kind, options=(kind.options[0], flipped, *kind.options[2:])),
            }
        ),
    )
    rec = recommend(edited, answers)
    assert rec.top.subject_id == "alpha"
    assert [(a.question_id, a.points) for a in rec.top_points] == [("kind", 1), ("size", 2)]
