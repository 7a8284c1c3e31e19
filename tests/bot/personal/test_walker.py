"""Walker and ranking properties over random packs and random answer paths (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pack.lint import lint_pack
from bot.pack.model import RESULT, Claim, Evidence, Option, Pack, Question, Source, Subject
from bot.personal import walker
from bot.personal.conversation import Conversation, ConversationKey
from bot.ranking import recommend

NOW = datetime(2026, 11, 25, tzinfo=UTC)
TTL = timedelta(hours=24)
KEY = ConversationKey("test", "w", "u", "random")
CLAIM = Claim("c", ("s",))


def _subject(index: int) -> Subject:
    return Subject(
        id=f"s{index}",
        name=f"S{index}",
        summary=CLAIM,
        url="https://example.org",
        latest_version="1",
        checked="2026-11-25",
        strengths=(CLAIM,),
        weaknesses=(CLAIM,),
        best_for=(CLAIM,),
        avoid_when=(CLAIM,),
    )


@st.composite
def packs(draw: st.DrawFn) -> Pack:
    """Random acyclic packs: option `next` only points forward, so every path ends in a result."""
    subject_count = draw(st.integers(1, 4))
    question_count = draw(st.integers(1, 7))
    questions = []
    for q in range(question_count):
        options = []
        for o in range(draw(st.integers(2, 4))):
            target = draw(st.integers(q + 1, question_count))
            evidence = tuple(
                Evidence(f"s{draw(st.integers(0, subject_count - 1))}", weight, f"r{q}{o}", ("s",))
                for weight in draw(st.lists(st.integers(-5, 5).filter(bool), max_size=3))
            )
            options.append(
                Option(
                    id=f"o{o}",
                    label=f"Option {o}",
                    next=RESULT if target == question_count else f"q{target}",
                    evidence=evidence,
                )
            )
        questions.append(Question(id=f"q{q}", prompt=f"Q{q}?", why="w", options=tuple(options)))
    subjects = tuple(_subject(i) for i in range(subject_count))
    return Pack(
        id="random",
        title="Random",
        description="d",
        start="q0",
        checked="2026-11-25",
        close_margin=draw(st.integers(0, 3)),
        version=f"v{draw(st.integers(0, 10**6))}",
        sources=MappingProxyType({"s": Source("s", "https://example.org", "S")}),
        subjects=subjects,
        questions=MappingProxyType({q.id: q for q in questions}),
    )


def walk(pack: Pack, choices: list[int]) -> Conversation:
    conversation = walker.start(pack, key=KEY, conversation_id="c1", now=NOW, ttl=TTL)
    for choice in choices:
        question = walker.current_question(pack, conversation)
        if question is None:
            break
        option = question.options[choice % len(question.options)]
        conversation = walker.answer(pack, conversation, option, now=NOW, ttl=TTL)
    return conversation


@settings(max_examples=80, deadline=None)
@given(pack=packs(), choices=st.lists(st.integers(0, 10), min_size=0, max_size=12))
def test_walking_never_crashes_and_ranks_only_pack_subjects(pack: Pack, choices: list[int]) -> None:
    codes = {f.code for f in lint_pack(pack) if f.is_error}
    assert codes <= {"E014"}, "random packs are acyclic and end in a result; only unreachable is possible"
    conversation = walk(pack, choices)
    assert conversation.step == len(conversation.answers) + 1
    rec = recommend(pack, conversation.answers)
    assert {s.subject_id for s in rec.ranking} == {s.id for s in pack.subjects}
    assert [s.points for s in rec.ranking] == sorted((s.points for s in rec.ranking), reverse=True)
    assert 0 <= rec.fit <= 100


@settings(max_examples=80, deadline=None)
@given(pack=packs(), choices=st.lists(st.integers(0, 10), min_size=1, max_size=12), last=st.integers(0, 10))
def test_back_after_answer_restores_the_state_but_not_the_step(
    pack: Pack, choices: list[int], last: int
) -> None:
    before = walk(pack, choices)
    question = walker.current_question(pack, before)
    if question is None:
        return
    after = walker.answer(pack, before, question.options[last % len(question.options)], now=NOW, ttl=TTL)
    undone = walker.back(pack, after, now=NOW, ttl=TTL)
    assert undone.answers == before.answers
    assert walker.current_question(pack, undone) == question
    assert recommend(pack, undone.answers) == recommend(pack, before.answers)
    assert undone.step == before.step + 2, "the step still moves forward so old buttons stay stale"


@settings(max_examples=100, deadline=None)
@given(pack=packs(), choices=st.lists(st.integers(0, 10), max_size=12))
def test_same_answers_give_the_same_result(pack: Pack, choices: list[int]) -> None:
    first = walk(pack, choices)
    second = walk(pack, choices)
    assert recommend(pack, first.answers) == recommend(pack, second.answers)
    points = {s.id: 0 for s in pack.subjects}
    for question_id, option_id in first.answers:
        option = pack.questions[question_id].option(option_id)
        assert option is not None
        for evidence in option.evidence:
            points[evidence.subject] += evidence.weight
    assert {s.subject_id: s.points for s in recommend(pack, first.answers).ranking} == points


def test_a_level_top_names_every_subject_on_it_and_no_winner(tiny_path: object) -> None:
    from bot.pack.loader import load_pack
    from tests.conftest import TINY

    pack = load_pack(TINY)
    rec = recommend(pack, ())
    assert [s.subject_id for s in rec.ranking] == ["alpha", "beta", "gamma"]  # a stable drawing order
    assert rec.is_level
    assert [s.subject_id for s in rec.level_at_top] == ["alpha", "beta", "gamma"]
    assert rec.level_note.startswith("Alpha, Beta and Gamma have the same points")
    assert "neither is ahead" in rec.level_note
    assert "order" not in rec.level_note  # never "the pack's order decided"
    assert rec.close_call


def test_a_top_ahead_by_one_point_is_not_level() -> None:
    from bot.pack.loader import load_pack
    from tests.conftest import TINY

    pack = load_pack(TINY)
    rec = recommend(pack, (("kind", "api"), ("size", "large")))
    assert not rec.is_level
    assert rec.level_at_top == ()
    assert rec.level_note == ""


def test_companions_follow_the_answers() -> None:
    from bot.pack.loader import load_pack
    from tests.conftest import TINY

    pack = load_pack(TINY)
    pages = recommend(pack, (("kind", "pages"), ("admin", "need")))
    assert [c.name for c in pages.companions] == ["AlphaAdmin"]
    api = recommend(pack, (("kind", "api"), ("size", "large")))
    assert api.top.subject_id == "beta"
    assert api.top.reasons_for[0].text == "Beta is built for APIs."
    assert [r.text for r in api.reconsider] == ["Alpha has long support."]
