"""Personal replies as Block Kit messages (pure): a question, the result, why, status, notices, help."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.ids import Action, ActionId
from adapters.points import (
    behind,
    fit_line,
    gap_detail,
    pick_heading,
    pick_summary,
    points,
    reasons_text,
    signed,
    why_not_parts,
)
from adapters.slack.render.blocks import (
    FALLBACK_TEXT,
    Block,
    SlackMessage,
    actions,
    button,
    choice_elements,
    clip,
    context,
    escape,
    fit_blocks,
    link,
    plain_text,
    section,
    sections,
)
from bot.pack.limits import SLACK_BLOCKS, SLACK_HEADER_TEXT, SLACK_SECTION_TEXT
from bot.personal.replies import (
    Notice,
    Offer,
    QuestionReply,
    RankingReply,
    Reply,
    ResultReply,
    StatusReply,
    WhyReply,
)
from bot.ranking import AnswerPoints, Recommendation, strongest_first

RANKING_LINE = 1000
"""One subject's line in the full ranking: its answers are cut before they crowd out the rest."""
RANKING_SECTIONS = SLACK_BLOCKS - 2
"""Sections the full ranking may fill, leaving room for its tie note within Slack's 50 blocks."""
START_ACTION = "adv_start"
"""The Start button under an app mention: no conversation exists yet, so it carries none."""

HELP_TEXT = """*{command}* asks a few questions and recommends a Python web framework, with its reasons.
• `{command}` start, or carry on where you left off
• `{command} status` your answers so far and who leads
• `{command} result` the recommendation as it stands
• `{command} ranking` every framework with its points and the answers that gave them
• `{command} restart` begin again from the first question
• `{command} forget` delete everything stored about you
• `{command} team [--anonymous] [--quorum N] <topic>` decide together: a thread the channel votes in
• `{command} help` this list
Only you see your questions; *Share to channel* under the result posts it for everyone.
In a direct message to me, type answers (a number or a label), `back`, `why`, `status`, `ranking`
or `restart`."""


def _block_id(conversation_id: str, step: int, part: str) -> str:
    """Unique per message iteration, as Slack asks: a new step is a new block_id."""
    return f"{conversation_id}:{step}:{part}"


# --- questions --------------------------------------------------------------------------


def progress(reply: QuestionReply) -> str:
    """ "Question 3 of about 8": the most this path can still ask, so the total never rises."""
    if reply.is_last:
        return f"Question {reply.number} · the last one"
    if reply.about_total > reply.number:
        return f"Question {reply.number} of about {reply.about_total}"
    return f"Question {reply.number}"


def option_elements(reply: QuestionReply) -> list[dict[str, Any]]:
    return choice_elements(
        reply.choices,
        key=reply.conversation_id,
        step=reply.step,
        action=Action.ANSWER,
        placeholder="Choose an answer",
    )


def navigation(conversation_id: str, step: int, *, can_go_back: bool, why: bool = True) -> Block:
    elements = []
    if can_go_back:
        elements.append(button("Back", ActionId(conversation_id, step, Action.BACK)))
    elements.append(button("Restart", ActionId(conversation_id, step, Action.RESTART)))
    if why:
        elements.append(button("Why?", ActionId(conversation_id, step, Action.WHY)))
    return actions(elements, _block_id(conversation_id, step, "nav"))


def question_message(reply: QuestionReply) -> SlackMessage:
    cid, step = reply.conversation_id, reply.step
    blocks: list[Block] = []
    if reply.taken_as:
        blocks.append(context(_taken_as(reply.taken_as), _block_id(cid, step, "taken")))
    if reply.notice:
        blocks.append(section(f"Noted. {escape(reply.notice)}", _block_id(cid, step, "notice")))
    blocks.append(section(f"*{escape(reply.prompt)}*", _block_id(cid, step, "prompt")))
    blocks.append(
        context(f"{progress(reply)} · _Why we ask:_ {escape(reply.why)}", _block_id(cid, step, "why"))
    )
    blocks.append(actions(option_elements(reply), _block_id(cid, step, "options")))
    blocks.append(navigation(cid, step, can_go_back=reply.can_go_back))
    listed = ", ".join(f"{c.number}. {c.label}" for c in reply.choices)
    taken = f"Taken as: {reply.taken_as}. " if reply.taken_as else ""
    text = escape(clip(f"{taken}{progress(reply)}: {reply.prompt} ({listed})", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


# --- results ----------------------------------------------------------------------------


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _taken_as(label: str) -> str:
    return f"_Taken as:_ *{escape(label)}*"


def _answer_line(answer: AnswerPoints) -> str:
    return f"• *{signed(answer.points)}* {escape(reasons_text(answer))} _(you said: {escape(answer.answer)})_"


def _why_not_lines(rec: Recommendation, reconsider_when: tuple[str, ...]) -> tuple[str, list[str]]:
    """The "Why not <runner-up>" heading and lines: each answer that separated the top two."""
    top, runner = rec.top, rec.runner_up
    if runner is None:
        return "", []
    title, tail = why_not_parts(rec)
    heading = f"*{escape(title)}* {escape(tail)}"
    lines = [
        f"• *{signed(g.gap)}* “{escape(g.answer)}” gave "
        + escape(gap_detail(g, top=top.name, runner_up=runner.name))
        for g in rec.why_not_runner_up
    ]
    lines += [f"• Reconsider if this matters most: {escape(r.text)}" for r in rec.reconsider]
    lines += [f"• Choose it instead for: {escape(text)}" for text in reconsider_when[:2]]
    return heading, lines


def recommendation_blocks(reply: ResultReply, *, block_prefix: str) -> list[Block]:
    """The whole explanation: the pick with its fit, every answer's points, why not the runner-up."""
    rec: Recommendation = reply.recommendation
    top, runner = rec.top, rec.runner_up
    summary = {sid: (text, url) for sid, text, url in reply.subject_summaries}

    def bid(part: str) -> str:
        return f"{block_prefix}:{part}"

    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": bid("head"),
            "text": plain_text(pick_heading(rec), SLACK_HEADER_TEXT),
        }
    ]
    lines = [f"*{escape(top.name)}*: {fit_line(rec)}"]
    drawn = rec.level_at_top[:2] if rec.is_level else (top,)  # a level top: both, side by side
    for score in drawn:
        if score.subject_id in summary:
            text, url = summary[score.subject_id]
            lead = f"*{escape(score.name)}*: " if rec.is_level else ""
            lines.append(lead + (f"{escape(text)} {link(url, score.name)}" if url else escape(text)))
    if rec.close_call and runner is not None and not rec.is_level:
        lines.append(f"_A close call: {escape(runner.name)} is within a few points; either is sound._")
    if rec.is_level:
        lines.append(f"_{escape(rec.level_note)}_")
    blocks.append(section("\n".join(lines), bid("top")))
    if rec.top_points:
        answers = [_answer_line(a) for a in strongest_first(rec.top_points)]
        answers.append(f"*= {points(top.points)}*")
        heading = f"*Points for {escape(top.name)}, answer by answer*"
        blocks += sections(answers, bid("for"), heading=heading)
    heading, why_not = _why_not_lines(rec, reply.reconsider_when)
    if heading:
        blocks += sections(why_not, bid("runner"), heading=heading)
    if rec.companions:
        companions = _bullets(f"*{escape(c.name)}*: {escape(c.why)}" for c in rec.companions)
        blocks.append(section(f"*Start with*\n{companions}", bid("companions")))
    if rec.notes:
        blocks.append(section(f"*To firm this up*\n{_bullets(escape(n) for n in rec.notes)}", bid("notes")))
    others = ", ".join(f"{s.name} {s.points}" for s in rec.ranking[2:])
    if others:
        blocks.append(context(f"The others: {escape(others)}", bid("others")))
    if rec.sources:
        links = [f"• {link(s.url, s.title)}" for s in rec.sources]
        blocks += sections(links, bid("sources"), heading="*Sources*")
    return blocks


def _result_text(reply: ResultReply) -> str:
    rec = reply.recommendation
    runner = f"; runner-up {rec.runner_up.name}, {behind(rec)}" if rec.runner_up and not rec.is_level else ""
    taken = f"Taken as: {reply.taken_as}. " if reply.taken_as else ""
    pick = "level at the top" if rec.is_level else "top pick"
    return f"{taken}{reply.advisor_title}: {pick} {pick_summary(rec)}{runner}"


def ranking_message(reply: RankingReply) -> SlackMessage:
    """Every subject with its points and the answers that gave them, as many sections as it takes."""
    cid, step = reply.conversation_id, reply.step
    so_far = " so far" if not reply.finished else ""
    count = reply.answered
    after = "no answers yet" if count == 0 else f"after {count} answer" + ("" if count == 1 else "s")
    heading = f"*Full ranking{so_far}* · {escape(reply.advisor_title)}, {after}"
    lines = [heading]
    for subject in reply.subjects:
        given = ", ".join(f"{signed(a.points)} “{escape(a.answer)}”" for a in subject.answers)
        lines.append(
            f"*{subject.place}. {escape(subject.name)}*: {points(subject.points)}"
            + (f" · {given}" if given else " · no answer moved it")
        )
    # Every subject gets a line within RANKING_SECTIONS sections: the more there are, the
    # sooner each line's answers are cut (its place, name and points come first).
    per_section = -(-len(lines) // RANKING_SECTIONS)
    width = min(RANKING_LINE, SLACK_SECTION_TEXT // per_section - 1)
    lines = [clip(line, width) for line in lines]
    blocks = sections(lines, _block_id(cid, step, "ranking"))
    if reply.level_note:
        blocks.append(context(escape(reply.level_note), _block_id(cid, step, "tie")))
    listed = ", ".join(f"{s.place}. {s.name} {s.points}" for s in reply.subjects)
    text = escape(clip(f"Full ranking{so_far}: {listed}", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def result_message(reply: ResultReply, *, shared_in: str | None = None) -> SlackMessage:
    """The user's own (ephemeral) result, with Share, Full ranking, Back and Restart."""
    cid, step = reply.conversation_id, reply.step
    blocks: list[Block] = []
    if reply.taken_as:
        blocks.append(context(_taken_as(reply.taken_as), _block_id(cid, step, "taken")))
    blocks += recommendation_blocks(reply, block_prefix=_block_id(cid, step, "r"))
    if shared_in is not None:
        blocks.append(context(f"Shared in <#{shared_in}>.", _block_id(cid, step, "shared")))
    blocks.append(
        actions(
            [
                button("Share to channel", ActionId(cid, step, Action.SHARE), style="primary"),
                button("Full ranking", ActionId(cid, step, Action.RANKING)),
                button("Back", ActionId(cid, step, Action.BACK)),
                button("Restart", ActionId(cid, step, Action.RESTART)),
            ],
            _block_id(cid, step, "nav"),
        )
    )
    return SlackMessage(text=escape(clip(_result_text(reply), FALLBACK_TEXT)), blocks=fit_blocks(blocks))


def shared_result_message(reply: ResultReply, *, user_id: str) -> SlackMessage:
    """The result posted for the channel: says whose it is, carries no buttons."""
    cid, step = reply.conversation_id, reply.step
    intro = section(
        f"<@{user_id}> asked the framework advisor. Their answers: "
        + escape("; ".join(f"{a.prompt} {a.answer}" for a in reply.answered)),
        _block_id(cid, step, "s:who"),
    )
    blocks = [intro, *recommendation_blocks(reply, block_prefix=_block_id(cid, step, "s"))]
    text = f"Recommendation for <@{user_id}>: " + escape(clip(_result_text(reply), FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


# --- the rest ---------------------------------------------------------------------------


def why_message(reply: WhyReply) -> SlackMessage:
    lines = [f"*Why we ask:* {escape(reply.prompt)}", escape(reply.why)]
    if reply.help:
        lines.append(escape(reply.help))
    if reply.sources:
        lines.append("Sources: " + " · ".join(link(s.url, s.title) for s in reply.sources[:6]))
    text = "\n".join(lines)
    block = section(text, _block_id(reply.conversation_id, reply.step, "whyreply"))
    text = escape(clip(f"Why we ask: {reply.prompt} {reply.why}", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=(block,))


def status_message(reply: StatusReply) -> SlackMessage:
    lines = [f"*Answered {len(reply.answered)} question(s)*"]
    lines += [f"• {escape(a.prompt)} → {escape(a.answer)}" for a in reply.answered]
    if reply.current_prompt:
        lines.append(f"Now: {escape(reply.current_prompt)}")
    else:
        lines.append("Done: `result` shows the recommendation.")
    if reply.leader:
        lines.append(f"Leading so far: *{escape(reply.leader)}*")
    text = "\n".join(lines)
    block = section(text, _block_id(reply.conversation_id, reply.step, "status"))
    return SlackMessage(text=clip(text, FALLBACK_TEXT), blocks=(block,))


_OFFER_LABEL = {Offer.RESUME: "Resume", Offer.RESTART: "Start over"}
_OFFER_ACTION = {Offer.RESUME: Action.RESUME, Offer.RESTART: Action.RESTART}


def notice_message(reply: Notice) -> SlackMessage:
    blocks: list[Block] = [section(escape(reply.text), f"notice:{reply.conversation_id}:{reply.step}")]
    if reply.offers and reply.conversation_id:
        blocks.append(
            actions(
                [
                    button(
                        _OFFER_LABEL[offer],
                        ActionId(reply.conversation_id, reply.step, _OFFER_ACTION[offer]),
                        style="primary" if i == 0 else None,
                    )
                    for i, offer in enumerate(reply.offers)
                ],
                _block_id(reply.conversation_id, reply.step, "offers"),
            )
        )
    return SlackMessage(text=escape(clip(reply.text, FALLBACK_TEXT)), blocks=tuple(blocks))


def render(reply: Reply) -> SlackMessage:
    if isinstance(reply, QuestionReply):
        return question_message(reply)
    if isinstance(reply, ResultReply):
        return result_message(reply)
    if isinstance(reply, RankingReply):
        return ranking_message(reply)
    if isinstance(reply, WhyReply):
        return why_message(reply)
    if isinstance(reply, StatusReply):
        return status_message(reply)
    return notice_message(reply)


def help_message(command: str) -> SlackMessage:
    text = escape(HELP_TEXT.format(command=command))  # `<topic>` is text, not a link
    return SlackMessage(text=clip(text, FALLBACK_TEXT), blocks=(section(text, "help"),))


def mention_message(command: str) -> SlackMessage:
    """The thread reply to an @mention: what the bot does and a button to begin privately."""
    text = (
        "I help you choose a Python web framework: a few questions, then a recommendation with its "
        f"reasons, concerns and sources. Only you see your questions. Click *Start*, or type `{command}`."
    )
    start = {
        "type": "button",
        "action_id": START_ACTION,
        "value": "start",
        "style": "primary",
        "text": plain_text("Start"),
    }
    return SlackMessage(text=text, blocks=(section(text, "mention"), actions([start], "mention:start")))
