"""Replies -> Discord message parts (content, embeds, components) inside every Discord limit.

discord.py does not check label, custom_id or embed lengths (Discord answers HTTP 400 instead),
so this module clips every string to its limit (shared/reference/platforms.md B3) and lays out
at most 5 rows. The views it builds are layouts only: clicks are routed by the client's
DynamicItems (components.py), which read everything they need from the custom_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import discord

from adapters.ids import Action, ActionId
from bot import limits
from bot.replies import Choice, Notice, Offer, QuestionReply, Reply, ResultReply, StatusReply, WhyReply

BUTTON_LABEL: Final = 80
SELECT_LABEL: Final = 100
SELECT_PLACEHOLDER: Final = 150
CONTENT: Final = 2000
EMBED_FOOTER: Final = 2048
EMBED_FIELDS: Final = 25
EMBED_FIELD_NAME: Final = 256
ROW_WIDTH: Final = 5
COLOUR: Final = discord.Colour.blurple()
ELLIPSIS: Final = "…"
SHORT_FOOTER: Final = 200
SHORT_DESCRIPTION: Final = 1000
MIN_FIELD: Final = 80

HELP_TEXT: Final = """**/choose-framework** asks a few questions and recommends a Python web framework,
with reasons and sources.
`/choose-framework` or `action: start`: start, or carry on where you were
`action: status`: your answers so far and who leads
`action: result`: the ranking as it stands
`action: restart`: begin again
`action: forget`: delete everything stored about you
Under each question: **Back** undoes your last answer, **Why** explains the question.
Under the result: **Share** posts it in this channel."""


class InertView(discord.ui.View):
    """A view that only lays out components and never listens.

    discord.py keeps every sent, unfinished view in memory (15 minutes for an ephemeral
    message, for ever otherwise) and dispatches each click to it besides the DynamicItems.
    Reporting "finished" keeps it out of the view store; the DynamicItems do the routing.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's parts; `content=None` and an empty `embeds` clear them on an edit."""

    content: str | None
    embeds: tuple[discord.Embed, ...] = ()
    view: InertView | None = None


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def clip_lines(lines: Iterable[str], limit: int) -> str:
    """Join whole lines while they fit; a line that does not fit ends the text with an ellipsis."""
    out: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if used + extra > limit:
            room = limit - used - (1 if out else 0)
            if room > 1 and not out:
                out.append(clip(line, room))
            elif out and used + 2 <= limit:
                out.append(ELLIPSIS)
            break
        out.append(line)
        used += extra
    return "\n".join(out)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Keep the embed within Discord's 6000-character total.

    The fields carry the reasons and the sources, so the footer and description give way
    first; then every field is shortened by an even share; a field is dropped only when none
    can shrink any further.
    """
    if len(embed) <= limits.EMBED_TOTAL:
        return embed
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, SHORT_FOOTER))
    if embed.description and len(embed) > limits.EMBED_TOTAL:
        over = len(embed) - limits.EMBED_TOTAL
        embed.description = clip(embed.description, max(SHORT_DESCRIPTION, len(embed.description) - over))
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        share = -(-(len(embed) - limits.EMBED_TOTAL) // len(embed.fields))
        shrunk = False
        for index, f in enumerate(embed.fields):
            value = f.value or ""
            target = max(MIN_FIELD, len(value) - share)
            if target < len(value):
                new = clip_lines(value.split("\n"), target)
                embed.set_field_at(index, name=f.name or "", value=new or ELLIPSIS, inline=False)
                shrunk = True
        if not shrunk:
            embed.remove_field(len(embed.fields) - 1)
    if len(embed) > limits.EMBED_TOTAL and embed.description:
        over = len(embed) - limits.EMBED_TOTAL
        embed.description = clip(embed.description, max(1, len(embed.description) - over))
    return embed


def add_field(embed: discord.Embed, name: str, lines: Sequence[str]) -> None:
    if lines and len(embed.fields) < EMBED_FIELDS:
        value = clip_lines(lines, limits.EMBED_FIELD_VALUE)
        if value:
            embed.add_field(name=clip(name, EMBED_FIELD_NAME), value=value, inline=False)


def button(
    action: ActionId, label: str, *, row: int, style: discord.ButtonStyle
) -> discord.ui.Button[InertView]:
    return discord.ui.Button(custom_id=action.encode(), label=clip(label, BUTTON_LABEL), style=style, row=row)


def add_choices(
    view: InertView,
    choices: Sequence[Choice],
    *,
    key: str,
    step: int,
    action: Action,
    question_id: str,
    placeholder: str,
) -> None:
    """Buttons on row 0 while they fit (5), else one select; for answers and team votes.

    The select carries the question id where a button carries the option id; the option
    chosen arrives in the interaction's `values`.
    """
    choices = choices[: limits.MAX_OPTIONS]
    if len(choices) <= ROW_WIDTH:
        for choice in choices:
            chosen = ActionId(key, step, action, choice.id)
            view.add_item(button(chosen, choice.label, row=0, style=discord.ButtonStyle.primary))
        return
    view.add_item(
        discord.ui.Select(
            custom_id=ActionId(key, step, action, question_id).encode(),
            placeholder=clip(placeholder, SELECT_PLACEHOLDER),
            options=[discord.SelectOption(label=clip(c.label, SELECT_LABEL), value=c.id) for c in choices],
            row=0,
        )
    )


def _progress(answered: int, remaining: int) -> str:
    total = answered + remaining
    bar = "■" * answered + "□" * remaining
    return f"Question {answered + 1} of at least {total}  {bar}"


def render_question(reply: QuestionReply) -> Rendered:
    """Buttons when the options fit one row, a select otherwise; Back / Restart / Why below."""
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
    embed.set_footer(text=clip(_progress(reply.answered, reply.remaining), EMBED_FOOTER))

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
    return Rendered(content=None, embeds=(fit_embed(embed),), view=view)


def result_embed(reply: ResultReply) -> discord.Embed:
    """Top pick and fit, reasons, concerns, runner-up, companions and sources."""
    rec = reply.recommendation
    top, runner = rec.top, rec.runner_up
    summaries = {sid: (text, url) for sid, text, url in reply.subject_summaries}
    description = []
    if top.subject_id in summaries:
        text, url = summaries[top.subject_id]
        description.append(f"{text}\n{url}")
    if rec.close_call and runner is not None:
        description.append(
            f"A close call: {runner.name} is within a few points, so either is a sound choice."
        )
    if rec.tie_broken and runner is not None:
        description.append(f"Tie with {runner.name}: {rec.tie_rule}")
    embed = discord.Embed(
        title=clip(f"Top pick: {top.name} ({rec.fit}% fit)", limits.EMBED_TITLE),
        description=clip("\n\n".join(description), limits.EMBED_DESCRIPTION) or None,
        colour=discord.Colour.green(),
    )
    add_field(embed, "Why it fits", [f"+ {r.text} (you said: {r.answer})" for r in top.reasons_for])
    add_field(embed, "Concerns", [f"- {r.text} (you said: {r.answer})" for r in top.reasons_against])
    if runner is not None:
        lines = [f"{runner.name}: {runner.points} points against {top.points}"]
        lines += [f"Reconsider if this matters most: {r.text}" for r in rec.reconsider]
        lines += [f"Choose it instead for: {line}" for line in reply.reconsider_when[:2]]
        add_field(embed, f"Runner-up: {runner.name}", lines)
    add_field(embed, "Start with", [f"• **{c.name}**: {c.why}" for c in rec.companions])
    add_field(embed, "To firm this up", [f"? {note}" for note in rec.notes])
    add_field(embed, "Sources", [f"[{clip(s.title, 200)}]({s.url})" for s in rec.sources])
    others = ", ".join(f"{s.name} {s.points}" for s in rec.ranking[2:6])
    footer = reply.advisor_title + (f"  ·  also ranked: {others}" if others else "")
    embed.set_footer(text=clip(footer, EMBED_FOOTER))
    return fit_embed(embed)


def render_result(reply: ResultReply) -> Rendered:
    view = InertView()
    cid, step = reply.conversation_id, reply.step
    view.add_item(
        button(
            ActionId(cid, step, Action.SHARE), "Share in channel", row=0, style=discord.ButtonStyle.success
        )
    )
    nav = discord.ButtonStyle.secondary
    if reply.answered:
        view.add_item(button(ActionId(cid, step, Action.BACK), "Back", row=0, style=nav))
    view.add_item(button(ActionId(cid, step, Action.RESTART), "Restart", row=0, style=nav))
    return Rendered(content=None, embeds=(result_embed(reply),), view=view)


def render_shared(reply: ResultReply, *, owner_mention: str) -> Rendered:
    """The public copy: names whose result it is, carries no buttons (they would be someone else's)."""
    return Rendered(
        content=clip(f"Framework recommendation for {owner_mention}:", CONTENT),
        embeds=(result_embed(reply),),
    )


def render_why(reply: WhyReply) -> Rendered:
    embed = discord.Embed(
        title=clip(f"Why we ask: {reply.prompt}", limits.EMBED_TITLE),
        description=clip("\n\n".join(p for p in (reply.why, reply.help) if p), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    add_field(embed, "Sources", [f"[{clip(s.title, 200)}]({s.url})" for s in reply.sources])
    return Rendered(content=None, embeds=(fit_embed(embed),))


def render_status(reply: StatusReply) -> Rendered:
    embed = discord.Embed(title=f"Your answers so far ({len(reply.answered)})", colour=COLOUR)
    embed.description = clip_lines(
        [f"• {a.prompt} → **{a.answer}**" for a in reply.answered] or ["Nothing answered yet."],
        limits.EMBED_DESCRIPTION,
    )
    now = reply.current_prompt or "Done: use `/choose-framework action: result` for the recommendation."
    add_field(embed, "Now", [now])
    if reply.leader:
        add_field(embed, "Leading so far", [reply.leader])
    return Rendered(content=None, embeds=(fit_embed(embed),))


_OFFER_LABELS: Final = {
    Offer.RESUME: ("Resume", Action.RESUME),
    Offer.RESTART: ("Start over", Action.RESTART),
}


def render_notice(reply: Notice) -> Rendered:
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


def render_text(text: str) -> Rendered:
    """An explanation (an error, help): plain content, nothing to click."""
    return Rendered(content=clip(text, CONTENT))


def render_help() -> Rendered:
    return render_text(HELP_TEXT)


def render(reply: Reply) -> Rendered:
    if isinstance(reply, QuestionReply):
        return render_question(reply)
    if isinstance(reply, ResultReply):
        return render_result(reply)
    if isinstance(reply, WhyReply):
        return render_why(reply)
    if isinstance(reply, StatusReply):
        return render_status(reply)
    return render_notice(reply)
