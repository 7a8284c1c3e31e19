"""Personal replies -> Discord message parts: a question, the result, why, status, notices, help."""

from __future__ import annotations

from typing import Final

import discord

from adapters.discord.render.common import (
    COLOUR,
    CONTENT,
    EMBED_FOOTER,
    InertView,
    Rendered,
    add_choices,
    add_field,
    add_fields,
    button,
    clip,
    clip_lines,
    fit_embed,
    fit_lines,
    inert,
    masked_link,
    render_text,
    summary,
)
from adapters.ids import Action, ActionId
from adapters.points import (
    behind,
    fit_line,
    gap_detail,
    pick_headline,
    points,
    reasons_text,
    signed,
    why_not_parts,
    widest_gap,
)
from bot.pack import limits
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

SECTION_BUDGET: Final = 2 * limits.EMBED_FIELD_VALUE - 2
"""A result's points, and its why-not, each take at most two fields' worth: the rest of the
embed (companions, sources) keeps room within the 6,000 characters."""

HELP_TEXT: Final = """**/choose-framework** asks a few questions and recommends a Python web framework,
with reasons and sources.
`/choose-framework` or `action: start`: start, or carry on where you were
`action: status`: your answers so far and who leads
`action: result`: the recommendation as it stands
`action: ranking`: every framework with its points and the answers that gave them
`action: restart`: begin again
`action: forget`: delete everything stored about you
Under each question: **Back** undoes your last answer, **Why** explains the question.
Under the result: **Share** posts it in this channel; **Full ranking** lists every framework."""


def progress(reply: QuestionReply) -> str:
    """ "Question 3 of about 8": the most this path can still ask, so the total never rises."""
    if reply.is_last:
        return f"Question {reply.number}, the last one"
    if reply.about_total > reply.number:
        return f"Question {reply.number} of about {reply.about_total}"
    return f"Question {reply.number}"


def _progress_bar(reply: QuestionReply) -> str:
    left = max(reply.about_total - reply.answered, 1)
    return f"{progress(reply)}  {'■' * reply.answered}{'□' * left}"


def render_question(reply: QuestionReply) -> Rendered:
    """Buttons when the options fit one row, a select otherwise; Back / Restart / Why below."""
    reply = inert(reply)
    parts = []
    if reply.notice:
        parts.append(f"*Noted. {reply.notice}*")
    parts.append(f"**{reply.prompt}**")
    if reply.why:
        parts.append(f"**Why we ask:** {reply.why}")
    embed = discord.Embed(
        title=clip(f"Question {reply.answered + 1}", limits.EMBED_TITLE),
        description=clip("\n\n".join(parts), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    embed.set_footer(text=clip(_progress_bar(reply), EMBED_FOOTER))

    view = InertView()
    add_choices(
        view,
        reply.choices,
        key=reply.conversation_id,
        step=reply.step,
        action=Action.ANSWER,
        question_id=reply.question_id,
        placeholder="Choose an answer",
    )
    nav = discord.ButtonStyle.secondary
    if reply.can_go_back:
        view.add_item(
            button(ActionId(reply.conversation_id, reply.step, Action.BACK), "Back", row=1, style=nav)
        )
    view.add_item(
        button(ActionId(reply.conversation_id, reply.step, Action.RESTART), "Restart", row=1, style=nav)
    )
    view.add_item(button(ActionId(reply.conversation_id, reply.step, Action.WHY), "Why?", row=1, style=nav))
    return Rendered(content=question_summary(reply), embeds=(fit_embed(embed),), view=view)


def question_summary(reply: QuestionReply) -> str:
    choices = ", ".join(f"{c.number}. {c.label}" for c in reply.choices)
    return summary(
        f"Noted. {reply.notice}" if reply.notice else "",
        f"{progress(reply)}: {reply.prompt}",
        f"Options: {choices}",
    )


def _runner_up_line(rec: Recommendation) -> str:
    runner = rec.runner_up
    if runner is None:
        return ""
    if rec.is_level:
        return rec.level_note
    widest = widest_gap(rec)
    why = f'; widest gap: "{widest.answer}" {signed(widest.gap)}' if widest else ""
    return f"Runner-up: {runner.name} ({points(runner.points)}, {behind(rec)}{why})"


def _strongest(rec: Recommendation) -> list[AnswerPoints]:
    return [a for a in strongest_first(rec.top_points) if a.points > 0]


def result_summary(reply: ResultReply) -> str:
    """Top pick, fit, the runner-up and how far behind, the two answers that gave the most points."""
    rec = reply.recommendation
    return summary(
        f"Taken as: {reply.taken_as}" if reply.taken_as else "",
        pick_headline(rec),
        _runner_up_line(rec),
        *(f"{signed(a.points)} {reasons_text(a)}" for a in _strongest(rec)[:2]),
    )


def _why_not(embed: discord.Embed, rec: Recommendation, reconsider_when: tuple[str, ...]) -> None:
    top, runner = rec.top, rec.runner_up
    if runner is None:
        return
    title, tail = why_not_parts(rec)
    if not rec.is_level:  # the field's title names the runner-up already
        tail = f"{points(runner.points)}, {behind(rec)}, from these answers:"
    parts = [(tail, "", "")]
    parts += [
        (f'**{signed(g.gap)}** "', g.answer, f'" gave {gap_detail(g, top=top.name, runner_up=runner.name)}')
        for g in rec.why_not_runner_up
    ]
    parts += [("Reconsider if this matters most: ", r.text, "") for r in rec.reconsider]
    parts += [("Choose it instead for: ", line, "") for line in reconsider_when[:2]]
    add_fields(embed, title, fit_lines(parts, SECTION_BUDGET))


def result_embed(reply: ResultReply) -> discord.Embed:
    """Top pick and fit, every answer's points, why not the runner-up, companions and sources."""
    reply = inert(reply)
    rec = reply.recommendation
    top, runner = rec.top, rec.runner_up
    summaries = {sid: (text, url) for sid, text, url in reply.subject_summaries}
    description = [fit_line(rec)]
    drawn = rec.level_at_top[:2] if rec.is_level else (top,)  # a level top: both, side by side
    for score in drawn:
        if score.subject_id in summaries:
            text, url = summaries[score.subject_id]
            description.append(f"{score.name + ': ' if rec.is_level else ''}{text}\n{url}")
    if rec.close_call and runner is not None and not rec.is_level:
        description.append(
            f"A close call: {runner.name} is within a few points, so either is a sound choice."
        )
    if rec.is_level:
        description.append(rec.level_note)
    embed = discord.Embed(
        title=clip(pick_headline(rec), limits.EMBED_TITLE),
        description=clip("\n\n".join(description), limits.EMBED_DESCRIPTION) or None,
        colour=discord.Colour.green(),
    )
    if rec.top_points:
        answers = [
            (f"**{signed(a.points)}** ", reasons_text(a), f" (you said: {a.answer})")
            for a in strongest_first(rec.top_points)
        ]
        total = (f"= {points(top.points)}", "", "")
        add_fields(embed, f"Points for {top.name}", fit_lines([*answers, total], SECTION_BUDGET))
    _why_not(embed, rec, reply.reconsider_when)
    explained = len(embed.fields)
    add_field(embed, "Start with", [f"• **{c.name}**: {c.why}" for c in rec.companions])
    add_field(embed, "To firm this up", [f"? {note}" for note in rec.notes])
    add_field(embed, "Sources", [masked_link(clip(s.title, 200), s.url) for s in rec.sources])
    others = ", ".join(f"{s.name} {s.points}" for s in rec.ranking[2:])
    footer = reply.advisor_title + (f"  ·  the others: {others}" if others else "")
    embed.set_footer(text=clip(footer, EMBED_FOOTER))
    return fit_embed(embed, protected=explained)


def render_result(reply: ResultReply) -> Rendered:
    reply = inert(reply)
    view = InertView()
    cid, step = reply.conversation_id, reply.step
    view.add_item(
        button(
            ActionId(cid, step, Action.SHARE), "Share in channel", row=0, style=discord.ButtonStyle.success
        )
    )
    nav = discord.ButtonStyle.secondary
    view.add_item(button(ActionId(cid, step, Action.RANKING), "Full ranking", row=0, style=nav))
    if reply.answered:
        view.add_item(button(ActionId(cid, step, Action.BACK), "Back", row=0, style=nav))
    view.add_item(button(ActionId(cid, step, Action.RESTART), "Restart", row=0, style=nav))
    return Rendered(content=result_summary(reply), embeds=(result_embed(reply),), view=view)


def ranking_lines(reply: RankingReply, budget: int) -> list[str]:
    """One line per subject within `budget` characters: when all of them in full would not fit,
    the longest lists of answers are cut, so every subject keeps its place and points; only a
    pack of well over a hundred subjects ends with "…and N more"."""
    lines = fit_lines(
        [
            (
                f"**{s.place}. {s.name}**: {points(s.points)}",
                " · "
                + (", ".join(f'{signed(a.points)} "{a.answer}"' for a in s.answers) or "no answer moved it"),
                "",
            )
            for s in reply.subjects
        ],
        budget,
    )
    if sum(len(line) + 1 for line in lines) - 1 <= budget:
        return lines
    room = budget - len(f"\n…and {len(lines)} more")
    used = -1
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > room:
            return [*lines[:count], f"…and {len(lines) - count} more"]
    return lines


def render_ranking(reply: RankingReply) -> Rendered:
    """Every subject with its points and the answers that gave them, privately, beside the result."""
    reply = inert(reply)
    so_far = "" if reply.finished else " so far"
    count = reply.answered
    after = "no answers yet" if count == 0 else f"after {count} answer" + ("" if count == 1 else "s")
    embed = discord.Embed(title=clip(f"Full ranking{so_far}, {after}", limits.EMBED_TITLE), colour=COLOUR)
    embed.description = clip_lines(ranking_lines(reply, limits.EMBED_DESCRIPTION), limits.EMBED_DESCRIPTION)
    footer = reply.advisor_title + (f"  ·  {reply.level_note}" if reply.level_note else "")
    embed.set_footer(text=clip(footer, EMBED_FOOTER))
    listed = ", ".join(f"{s.place}. {s.name} {s.points}" for s in reply.subjects)
    return Rendered(content=summary(f"Full ranking{so_far}: {listed}"), embeds=(fit_embed(embed),))


def render_shared(reply: ResultReply, *, owner_mention: str) -> Rendered:
    """The public copy: names whose result it is, carries no buttons (they would be someone else's)."""
    reply = inert(reply)
    return Rendered(
        content=summary(f"Framework recommendation for {owner_mention}:", result_summary(reply)),
        embeds=(result_embed(reply),),
    )


def render_why(reply: WhyReply) -> Rendered:
    reply = inert(reply)
    embed = discord.Embed(
        title=clip(f"Why we ask: {reply.prompt}", limits.EMBED_TITLE),
        description=clip("\n\n".join(p for p in (reply.why, reply.help) if p), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    add_field(embed, "Sources", [masked_link(clip(s.title, 200), s.url) for s in reply.sources])
    return Rendered(content=summary(f"Why we ask: {reply.prompt}", reply.why), embeds=(fit_embed(embed),))


def render_status(reply: StatusReply) -> Rendered:
    reply = inert(reply)
    embed = discord.Embed(title=f"Your answers so far ({len(reply.answered)})", colour=COLOUR)
    embed.description = clip_lines(
        [f"• {a.prompt} → **{a.answer}**" for a in reply.answered] or ["Nothing answered yet."],
        limits.EMBED_DESCRIPTION,
    )
    now = reply.current_prompt or "Done: use `/choose-framework action: result` for the recommendation."
    add_field(embed, "Now", [now])
    if reply.leader:
        add_field(embed, "Leading so far", [reply.leader])
    content = summary(
        f"Your answers so far: {len(reply.answered)}.",
        f"Now: {reply.current_prompt}" if reply.current_prompt else "Done: the result is ready.",
        f"Leading so far: {reply.leader}" if reply.leader else "",
    )
    return Rendered(content=content, embeds=(fit_embed(embed),))


_OFFER_LABELS: Final = {
    Offer.RESUME: ("Resume", Action.RESUME),
    Offer.RESTART: ("Start over", Action.RESTART),
}


def render_notice(reply: Notice) -> Rendered:
    reply = inert(reply)
    view: InertView | None = None
    if reply.offers and reply.conversation_id:
        view = InertView()
        for offer in reply.offers:
            label, action = _OFFER_LABELS[offer]
            view.add_item(
                button(
                    ActionId(reply.conversation_id, reply.step, action),
                    label,
                    row=0,
                    style=discord.ButtonStyle.primary,
                )
            )
    return Rendered(content=clip(reply.text, CONTENT), view=view)


def render_help() -> Rendered:
    return render_text(HELP_TEXT)


def render(reply: Reply) -> Rendered:
    if isinstance(reply, QuestionReply):
        return render_question(reply)
    if isinstance(reply, ResultReply):
        return render_result(reply)
    if isinstance(reply, RankingReply):
        return render_ranking(reply)
    if isinstance(reply, WhyReply):
        return render_why(reply)
    if isinstance(reply, StatusReply):
        return render_status(reply)
    return render_notice(reply)
