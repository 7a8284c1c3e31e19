"""Personal replies as Block Kit messages (pure): a question, the result, why, status, notices, help."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.ids import Action, ActionId
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
)
from bot.pack.limits import (
    SLACK_HEADER_TEXT,
)
from bot.personal.replies import (
    Notice,
    Offer,
    QuestionReply,
    Reply,
    ResultReply,
    StatusReply,
    WhyReply,
)
from bot.ranking import Recommendation

START_ACTION = "adv_start"
"""The Start button under an app mention: no conversation exists yet, so it carries none."""

HELP_TEXT = """*{command}* asks a few questions and recommends a Python web framework, with its reasons.
• `{command}` start, or carry on where you left off
• `{command} status` your answers so far and who leads
• `{command} result` the ranking as it stands
• `{command} restart` begin again from the first question
• `{command} forget` delete everything stored about you
• `{command} team [--anonymous] [--quorum N] <topic>` decide together: a thread the channel votes in
• `{command} help` this list
Only you see your questions; *Share to channel* under the result posts it for everyone.
In a direct message to me, type answers (a number or a label), `back`, `why`, `status` or `restart`."""


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
    if reply.notice:
        blocks.append(section(f"Noted. {escape(reply.notice)}", _block_id(cid, step, "notice")))
    blocks.append(section(f"*{escape(reply.prompt)}*", _block_id(cid, step, "prompt")))
    blocks.append(
        context(f"{progress(reply)} · _Why we ask:_ {escape(reply.why)}", _block_id(cid, step, "why"))
    )
    blocks.append(actions(option_elements(reply), _block_id(cid, step, "options")))
    blocks.append(navigation(cid, step, can_go_back=reply.can_go_back))
    listed = ", ".join(f"{c.number}. {c.label}" for c in reply.choices)
    text = escape(clip(f"{progress(reply)}: {reply.prompt} ({listed})", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


# --- results ----------------------------------------------------------------------------


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def recommendation_blocks(reply: ResultReply, *, block_prefix: str) -> list[Block]:
    rec: Recommendation = reply.recommendation
    top, runner = rec.top, rec.runner_up
    summary = {sid: (text, url) for sid, text, url in reply.subject_summaries}

    def bid(part: str) -> str:
        return f"{block_prefix}:{part}"

    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": bid("head"),
            "text": plain_text(f"Top pick: {top.name}", SLACK_HEADER_TEXT),
        }
    ]
    lines = [f"*{escape(top.name)}*: fit {rec.fit}% ({top.points} points)"]
    if top.subject_id in summary:
        text, url = summary[top.subject_id]
        lines.append(f"{escape(text)} {link(url, top.name)}" if url else escape(text))
    if rec.close_call and runner is not None:
        lines.append(f"_A close call: {escape(runner.name)} is within a few points; either is sound._")
    if rec.tie_broken and runner is not None:
        lines.append(f"_Tie with {escape(runner.name)}: {escape(rec.tie_rule)}_")
    blocks.append(section("\n".join(lines), bid("top")))
    if top.reasons_for:
        reasons = _bullets(f"{escape(r.text)} _(you said: {escape(r.answer)})_" for r in top.reasons_for)
        blocks.append(section(f"*Why*\n{reasons}", bid("for")))
    if top.reasons_against:
        concerns = _bullets(f"{escape(r.text)} _(you said: {escape(r.answer)})_" for r in top.reasons_against)
        blocks.append(section(f"*Concerns*\n{concerns}", bid("against")))
    if runner is not None:
        lines = [f"*Runner-up: {escape(runner.name)}* ({runner.points} points)"]
        lines += [f"• Reconsider if this matters most: {escape(r.text)}" for r in rec.reconsider]
        lines += [f"• Choose it instead for: {escape(text)}" for text in reply.reconsider_when[:2]]
        blocks.append(section("\n".join(lines), bid("runner")))
    if rec.companions:
        companions = _bullets(f"*{escape(c.name)}*: {escape(c.why)}" for c in rec.companions)
        blocks.append(section(f"*Start with*\n{companions}", bid("companions")))
    if rec.notes:
        blocks.append(section(f"*To firm this up*\n{_bullets(escape(n) for n in rec.notes)}", bid("notes")))
    others = ", ".join(f"{s.name} {s.points}" for s in rec.ranking[2:6])
    if others:
        blocks.append(context(f"Also ranked: {escape(others)}", bid("others")))
    if rec.sources:
        links = _bullets(link(s.url, s.title) for s in rec.sources)
        blocks.append(section(f"*Sources*\n{links}", bid("sources")))
    return blocks


def _result_text(reply: ResultReply) -> str:
    rec = reply.recommendation
    runner = f"; runner-up {rec.runner_up.name}" if rec.runner_up else ""
    return f"{reply.advisor_title}: top pick {rec.top.name} (fit {rec.fit}%){runner}"


def result_message(reply: ResultReply, *, shared_in: str | None = None) -> SlackMessage:
    """The user's own (ephemeral) result, with Share, Back and Restart."""
    cid, step = reply.conversation_id, reply.step
    blocks = recommendation_blocks(reply, block_prefix=_block_id(cid, step, "r"))
    if shared_in is not None:
        blocks.append(context(f"Shared in <#{shared_in}>.", _block_id(cid, step, "shared")))
    blocks.append(
        actions(
            [
                button("Share to channel", ActionId(cid, step, Action.SHARE), style="primary"),
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
