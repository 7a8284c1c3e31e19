"""Rendering is pure: replies in, Block Kit out, always within Slack's limits (checked by slack-sdk)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from adapters.ids import Action, ActionId
from adapters.points import points
from adapters.slack.render import blocks as kit
from adapters.slack.render import personal as blocks
from bot.matching import Choice
from bot.pack.model import Companion, Source
from bot.personal.replies import (
    Answered,
    Notice,
    Offer,
    QuestionReply,
    RankedSubject,
    RankingReply,
    ResultReply,
    StatusReply,
    WhyReply,
)
from bot.ranking import AnswerGap, AnswerPoints, Reason, Recommendation, Score


def question(
    n: int, *, label: str = "Option", prompt: str = "Which one?", why: str = "Because."
) -> QuestionReply:
    return QuestionReply(
        conversation_id="cid123",
        step=4,
        question_id="q",
        prompt=prompt,
        why=why,
        choices=tuple(Choice(i, f"o{i}", f"{label} {i}") for i in range(1, n + 1)),
        answered=2,
        remaining=3,
        can_go_back=True,
        about_total=5,
    )


def validate(message: kit.SlackMessage) -> None:
    """slack-sdk's own model classes raise SlackObjectFormationError on any limit broken."""
    assert message.text
    assert len(message.blocks) <= 50
    for block in message.blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
        assert len(block.get("block_id", "")) <= 255


def texts(message: kit.SlackMessage) -> str:
    """Every mrkdwn text of a message's sections and contexts, one after another."""
    out = []
    for block in message.blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def elements(message: kit.SlackMessage, block_suffix: str) -> list[dict[str, object]]:
    block = next(b for b in message.blocks if b.get("block_id", "").endswith(block_suffix))
    return list(block["elements"])


@pytest.mark.parametrize("count", [1, 3, 5])
def test_up_to_five_options_are_buttons(count: int) -> None:
    message = blocks.question_message(question(count))
    validate(message)
    options = elements(message, ":options")
    assert [e["type"] for e in options] == ["button"] * count
    decoded = [ActionId.decode(str(e["value"])) for e in options]
    assert [(a.conversation_id, a.step, a.action, a.option) for a in decoded] == [
        ("cid123", 4, Action.ANSWER, f"o{i}") for i in range(1, count + 1)
    ]


@pytest.mark.parametrize("count", [6, 25])
def test_more_than_five_options_become_one_select(count: int) -> None:
    message = blocks.question_message(question(count))
    validate(message)
    [select] = elements(message, ":options")
    assert select["type"] == "static_select"
    options = select["options"]
    assert isinstance(options, list)
    assert len(options) == count
    assert ActionId.decode(options[-1]["value"]).option == f"o{count}"
    assert all(len(o["value"]) <= 150 for o in options)


def test_navigation_has_back_restart_and_why() -> None:
    message = blocks.question_message(question(3))
    nav = elements(message, ":nav")
    assert [e["text"]["text"] for e in nav] == ["Back", "Restart", "Why?"]  # type: ignore[index]
    assert [ActionId.decode(str(e["value"])).action for e in nav] == [Action.BACK, Action.RESTART, Action.WHY]
    first = blocks.question_message(
        QuestionReply("c", 0, "q", "P?", "W.", (Choice(1, "a", "A"),), 0, 2, False)
    )
    assert [e["text"]["text"] for e in elements(first, ":nav")] == ["Restart", "Why?"]  # type: ignore[index]


def test_question_shows_why_and_progress() -> None:
    message = blocks.question_message(question(3, why="Pages and APIs differ."))
    shown = str(message.blocks)
    assert "Question 3 of about 5" in shown
    assert "Why we ask:_ Pages and APIs differ." in shown


def test_long_texts_are_clipped_to_slack_limits() -> None:
    message = blocks.question_message(question(8, label="L" * 200, prompt="P" * 5000, why="W" * 5000))
    validate(message)
    [select] = elements(message, ":options")
    assert all(len(o["text"]["text"]) <= 75 for o in select["options"])  # type: ignore[attr-defined]
    assert max(len(b["text"]["text"]) for b in message.blocks if b["type"] == "section") == 3000
    assert (
        len(blocks.question_message(question(3, label="L" * 200)).blocks[-2]["elements"][0]["text"]["text"])
        == 75
    )


def test_pack_text_cannot_mention_or_link() -> None:
    message = blocks.question_message(question(2, prompt="<!channel> & <https://evil|click>"))
    assert "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;" in str(message.blocks)
    assert "<!channel>" not in str(message.blocks)


def _result(reasons: int = 2) -> ResultReply:
    reason = Reason("q", "o", "Yes", 2, "A good reason.", ("s1",))
    concern = Reason("q2", "o2", "No", -1, "A concern.", ())
    top = Score("alpha", "Alpha", 9, tuple([reason] * reasons), (concern,))
    top_points = tuple(AnswerPoints(f"q{n}", "o", "Yes", 2, (reason,)) for n in range(reasons))
    runner = Score("beta", "Beta", 5, (), ())
    rec = Recommendation(
        ranking=(top, runner, Score("gamma", "Gamma", 1, (), ())),
        fit=82,
        close_call=False,
        level_at_top=(),
        reconsider=(Reason("q", "o", "Yes", 3, "Beta is lighter.", ()),),
        companions=(Companion("AlphaREST", "APIs on Alpha.", ()),),
        sources=(Source("s1", "https://example.org/one", "Source one"),),
        notes=(),
        top_points=(*top_points, AnswerPoints("q2", "o2", "No", -1, (concern,))),
        why_not_runner_up=(AnswerGap("q0", "o", "Yes", 2, 0), AnswerGap("q2", "o2", "No", -1, 1)),
        possible=11,
    )
    return ResultReply(
        conversation_id="cid123",
        step=7,
        advisor_title="Tiny",
        recommendation=rec,
        subject_summaries=(("alpha", "Alpha does pages.", "https://example.org/alpha"),),
        reconsider_when=("Small APIs.",),
        answered=(Answered("q", "Pages or API?", "Pages"),),
    )


def test_result_has_pick_fit_reasons_concerns_runner_up_companions_sources_and_share() -> None:
    message = blocks.result_message(_result())
    validate(message)
    shown = texts(message)
    assert message.blocks[0] == {
        "type": "header",
        "block_id": "cid123:7:r:head",
        "text": {"type": "plain_text", "text": "Top pick: Alpha", "emoji": True},
    }
    for expected in (
        "*Alpha*: 9 points, fit 82% (9 of a possible 11)",
        "*Points for Alpha, answer by answer*\n• *+2* A good reason. _(you said: Yes)_",
        "• *-1* A concern. _(you said: No)_\n*= 9 points*",
        "*Why not Beta* (runner-up, 5 points): 4 behind, from these answers:",
        "• *+2* “Yes” gave Alpha +2, Beta 0\n• *-2* “No” gave Alpha -1, Beta +1",
        "• Reconsider if this matters most: Beta is lighter.",
        "AlphaREST",
        "<https://example.org/one|Source one>",
        "The others: Gamma 1",
    ):
        assert expected in shown
    nav = elements(message, ":nav")
    assert [e["text"]["text"] for e in nav] == ["Share to channel", "Full ranking", "Back", "Restart"]  # type: ignore[index]
    assert ActionId.decode(str(nav[0]["value"])) == ActionId("cid123", 7, Action.SHARE)
    assert ActionId.decode(str(nav[1]["value"])) == ActionId("cid123", 7, Action.RANKING)


def test_a_huge_result_still_fits_in_one_message() -> None:
    message = blocks.result_message(_result(reasons=400))
    validate(message)
    assert elements(message, ":nav")  # the buttons survive the clipping


def test_shared_result_names_the_user_and_has_no_buttons() -> None:
    message = blocks.shared_result_message(_result(), user_id="U42")
    validate(message)
    assert "<@U42>" in message.text
    assert "<@U42>" in str(message.blocks[0])
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_notice_offers_become_buttons() -> None:
    message = blocks.notice_message(
        Notice(
            "You left a while ago.", conversation_id="cid123", step=3, offers=(Offer.RESUME, Offer.RESTART)
        )
    )
    validate(message)
    values = [ActionId.decode(str(e["value"])).action for e in elements(message, ":offers")]
    assert values == [Action.RESUME, Action.RESTART]


def test_why_status_help_error_and_mention_validate() -> None:
    why = WhyReply("c", 1, "Which?", "Because.", "More help.", (Source("s", "https://e.org", "E"),))
    status = StatusReply(
        "c", 1, (Answered("q", "P?", "A"),), "Next?", "Alpha", datetime(2026, 1, 1, tzinfo=UTC)
    )
    for message in (
        blocks.why_message(why),
        blocks.status_message(status),
        blocks.help_message("/choose-framework"),
        kit.error_message("Nope & <no>."),
        blocks.mention_message("/choose-framework"),
    ):
        validate(message)
    assert "<https://e.org|E>" in str(blocks.why_message(why).blocks)
    assert "Leading so far: *Alpha*" in blocks.status_message(status).text


def _ranking(subjects: int, *, name: str = "Subject", answers: int = 11) -> RankingReply:
    label = "L" * 75  # lint's longest label
    given = tuple(AnswerPoints(f"q{n}", "o", f"{n} {label}", 5, ()) for n in range(answers))
    return RankingReply(
        conversation_id="cid123",
        step=7,
        advisor_title="Tiny",
        subjects=tuple(
            RankedSubject(n + 1, f"s{n}", f"{name} {n}", 5 * answers - n, given) for n in range(subjects)
        ),
        answered=answers,
        finished=True,
        level_note="",
    )


@pytest.mark.parametrize("subjects", [3, 12, 60, 400, 1500])
def test_the_full_ranking_lists_every_subject_within_slacks_limits(subjects: int) -> None:
    message = blocks.ranking_message(_ranking(subjects, answers=11))
    validate(message)
    shown = texts(message)
    assert shown.startswith("*Full ranking* · Tiny, after 11 answers\n*1. Subject 0*: 55 points")
    for n in range(subjects):  # the more subjects, the shorter each line's answers
        assert f"*{n + 1}. Subject {n}*: {points(55 - n)}" in shown


def test_a_ranking_line_with_a_huge_name_is_clipped_not_rejected() -> None:
    message = blocks.ranking_message(_ranking(12, name="N" * 5000))
    validate(message)
    assert all(len(line) <= blocks.RANKING_LINE for line in texts(message).splitlines())
