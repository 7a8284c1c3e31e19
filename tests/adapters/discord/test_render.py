"""The renderer alone: oversized replies still come out inside Discord's embed limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from adapters.discord.render.common import Rendered, clip, clip_lines
from adapters.discord.render.personal import render, result_embed
from adapters.points import points
from bot.matching import Choice
from bot.pack.model import Companion, Source
from bot.personal.replies import (
    Answered,
    QuestionReply,
    RankedSubject,
    RankingReply,
    ResultReply,
    StatusReply,
)
from bot.ranking import AnswerGap, AnswerPoints, Reason, Recommendation, Score

LONG = "x" * 300


def reason(n: int, weight: int) -> Reason:
    return Reason(f"q{n}", f"o{n}", "A" * 75, weight, f"{n} " + LONG, ("s1",))


def huge_result() -> ResultReply:
    """Every part at once, each far over what one embed can hold."""
    top = Score(
        "alpha",
        "N" * 300,
        99,
        tuple(reason(n, 3) for n in range(25)),
        tuple(reason(n, -2) for n in range(25)),
    )
    runner = Score("beta", "Beta", 50, tuple(reason(n, 4) for n in range(25)), ())
    rec = Recommendation(
        ranking=(top, runner, *(Score(f"s{n}", f"S{n}", 1, (), ()) for n in range(10))),
        fit=87,
        close_call=True,
        level_at_top=(),
        reconsider=tuple(reason(n, 4) for n in range(25)),
        companions=tuple(Companion("C" * 100, "W" * 400, ("s1",)) for _ in range(25)),
        sources=tuple(Source(f"s{n}", "https://example.org/" + "u" * 200, "T" * 300) for n in range(60)),
        notes=tuple("note " + LONG for _ in range(25)),
        top_points=tuple(
            AnswerPoints(r.question_id, r.option_id, r.answer, r.weight, (r,))
            for r in (*top.reasons_for, *top.reasons_against)
        ),
        why_not_runner_up=tuple(AnswerGap(f"q{n}", f"o{n}", "A" * 75, 3, -2) for n in range(25)),
        possible=120,
    )
    return ResultReply(
        conversation_id="c" * 22,
        step=999_999_999,
        advisor_title="A" * 300,
        recommendation=rec,
        subject_summaries=(("alpha", "S" * 3000, "https://example.org/alpha"),),
        reconsider_when=("R" * 500, "R" * 500),
        answered=(Answered("q", "p", "a"),),
    )


def test_a_huge_result_fits_every_embed_limit() -> None:
    embed = result_embed(huge_result())
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert embed.title == "Top pick: " + "N" * 245 + "…"
    names = [f.name or "" for f in embed.fields]
    assert names[0] == clip("Points for " + "N" * 300, 100)
    assert (embed.fields[0].value or "").startswith("**+3** ")  # each answer keeps its points
    assert any(name.startswith("Why not Beta") for name in names)
    assert "Sources" in names  # sources are shortened, not dropped


def test_a_huge_result_keeps_its_buttons_inside_the_custom_id_limit() -> None:
    view = render(huge_result()).view
    assert view is not None
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids
    assert all(len(i) <= 100 for i in ids)


async def test_five_options_are_buttons_and_six_are_a_select() -> None:
    def question(count: int) -> QuestionReply:
        choices = tuple(Choice(n + 1, f"o{n}", f"Option {n}") for n in range(count))
        return QuestionReply("cid", 1, "q", "Prompt?", "Because.", choices, 0, 2, False)

    five = render(question(5)).view
    six = render(question(6)).view
    assert five is not None
    assert six is not None
    assert [type(i).__name__ for i in five.children][:5] == ["Button"] * 5
    assert type(six.children[0]).__name__ == "Select"


def test_status_lists_answers_within_the_description_limit() -> None:
    answered = tuple(Answered(f"q{n}", "P" * 500, "A" * 75) for n in range(40))
    reply = StatusReply("cid", 3, answered, "Now?", "Alpha", datetime(2026, 1, 1, tzinfo=UTC))
    (embed,) = render(reply).embeds
    assert len(embed.description or "") <= 4096
    assert (embed.description or "").endswith("…")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("abcdefghijk", 5, "abcd…"), ("ab cd", 4, "ab…")],
)
def test_clip(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected


def test_clip_lines_keeps_whole_lines_and_marks_the_cut() -> None:
    assert clip_lines(["aaa", "bbb", "ccc"], 9) == "aaa\nbbb\n…"
    assert clip_lines(["a" * 20], 10) == "a" * 9 + "…"


def _ranking(subjects: int, *, name: str = "Subject", answers: int = 11) -> RankingReply:
    label = "L" * 75  # lint's longest label
    given = tuple(AnswerPoints(f"q{n}", "o", f"{n} {label}", 5, ()) for n in range(answers))
    return RankingReply(
        conversation_id="c" * 22,
        step=999_999_999,
        advisor_title="A" * 300,
        subjects=tuple(
            RankedSubject(n + 1, f"s{n}", f"{name} {n}", 5 * answers - n, given) for n in range(subjects)
        ),
        answered=answers,
        finished=True,
        level_note="T" * 500,
    )


def within_limits(message: Rendered) -> None:
    assert 0 < len(message.content or "") <= 2000
    for shown in message.embeds:
        assert len(shown) <= 6000
        assert len(shown.title or "") <= 256
        assert len(shown.description or "") <= 4096
        assert len(shown.footer.text or "") <= 2048


@pytest.mark.parametrize("subjects", [3, 12, 60, 120])
def test_the_full_ranking_lists_every_subject_within_discords_limits(subjects: int) -> None:
    message = render(_ranking(subjects))
    within_limits(message)
    lines = (message.embeds[0].description or "").splitlines()
    assert len(lines) == subjects
    for n, line in enumerate(lines):  # the more subjects, the shorter each line's answers
        assert line.startswith(f"**{n + 1}. Subject {n}**: {points(55 - n)} ·")
        if subjects <= 60:
            assert line.startswith(f"**{n + 1}. Subject {n}**: {points(55 - n)} · +5 ")


def test_a_ranking_too_long_for_one_message_says_how_many_more() -> None:
    message = render(_ranking(400, name="N" * 40))
    within_limits(message)
    lines = (message.embeds[0].description or "").splitlines()
    assert lines[0].startswith("**1. " + "N" * 40)
    assert re.fullmatch(r"…and \d+ more", lines[-1])
    assert len(lines) - 1 + int(lines[-1].split()[1]) == 400
