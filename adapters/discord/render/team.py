"""Team replies -> Discord message parts: the live tally, vote buttons, Next, and the team result.

The question message is public and redrawn from the stored tally on every vote, so an edit
that fails is repaired by the next one. Every string is clipped like common.py says.
"""

from __future__ import annotations

from typing import Final

import discord

from adapters.discord.render.common import (
    COLOUR,
    EMBED_FOOTER,
    InertView,
    Rendered,
    add_choices,
    add_field,
    button,
    clip,
    clip_lines,
    fit_embed,
    summary,
)
from adapters.discord.render.personal import result_embed
from adapters.ids import Action, ActionId
from bot.pack import limits
from bot.personal.replies import ResultReply
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.tally import OptionCount, Tally

BAR: Final = "▰"
MAX_BAR: Final = 20


def _tally_lines(tally: Tally, *, anonymous: bool) -> list[str]:
    lines = []
    for count in tally.counts:
        bar = BAR * min(count.count, MAX_BAR)
        who = "" if anonymous or not count.voters else f" ({', '.join(count.voters)})"
        lines.append(f"**{count.label}**: {count.count} {bar}{who}")
    return lines


def render_team_question(reply: TeamQuestionReply) -> Rendered:
    """Public: the prompt, the live tally and who may press Next; vote buttons (or a select)."""
    parts = [f"**{reply.prompt}**"]
    if reply.why:
        parts.append(f"**Why we ask:** {reply.why}")
    parts.append("\n".join(_tally_lines(reply.tally, anonymous=reply.anonymous)))
    if reply.notice:
        parts.insert(0, f"*{reply.notice}*")
    embed = discord.Embed(
        title=clip(f"{reply.topic}: team question {reply.number}", limits.EMBED_TITLE),
        description=clip_lines("\n\n".join(parts).split("\n"), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    voted = f"{reply.tally.total} vote(s)" + (", anonymous" if reply.anonymous else "")
    embed.set_footer(text=clip(f"{voted}. Next: {reply.advance_rule}. {reply.tie_rule}", EMBED_FOOTER))
    view = InertView()
    add_choices(
        view,
        reply.choices,
        key=reply.session_id,
        step=reply.step,
        action=Action.VOTE,
        question_id=reply.question_id,
        placeholder="Vote",
    )
    view.add_item(
        button(
            ActionId(reply.session_id, reply.step, Action.NEXT),
            "Next",
            row=1,
            style=discord.ButtonStyle.secondary,
        )
    )
    content = summary(
        f"{reply.topic}: team question {reply.number}: {reply.prompt}",
        f"{voted} so far. Vote with the buttons below.",
    )
    return Rendered(content=content, embeds=(fit_embed(embed),), view=view)


def render_team_closed(reply: TeamClosedReply) -> Rendered:
    """The question as it closed: its final tally and the team's answer; nothing left to click."""
    tie = f" It was a tie: {reply.tie_rule}" if reply.tie_broken else ""
    lines = _tally_lines(reply.tally, anonymous=reply.anonymous)
    embed = discord.Embed(
        title=clip(f"{reply.topic}: team question {reply.number} (closed)", limits.EMBED_TITLE),
        description=clip_lines(
            [f"**{reply.prompt}**", "", *lines, "", f"The team chose **{reply.chosen}**.{tie}"],
            limits.EMBED_DESCRIPTION,
        ),
        colour=discord.Colour.dark_grey(),
    )
    content = summary(
        f"{reply.topic}: team question {reply.number} closed: {reply.prompt}",
        f"The team chose {reply.chosen}.{tie}",
    )
    return Rendered(content=content, embeds=(fit_embed(embed),), view=None)


def _pick_lines(reply: TeamResultReply) -> list[str]:
    if reply.anonymous:
        return [f"• {c.subject_name}: {c.members} member(s)" for c in reply.pick_counts]
    return [f"• {p.name}: **{p.subject_name}** ({p.answered} question(s) voted)" for p in reply.picks]


def _split_line(prompt: str, counts: tuple[OptionCount, ...], chosen: str, *, anonymous: bool) -> str:
    shares = ", ".join(
        f"{c.label} {c.count}" + ("" if anonymous or not c.voters else f" ({', '.join(c.voters)})")
        for c in counts
    )
    return f"• {prompt} {shares} → {chosen}"


def render_team_result(reply: TeamResultReply) -> Rendered:
    """The team's ranking with reasons, each member's own pick, the splits; the record button."""
    as_result = ResultReply(
        conversation_id=reply.session_id,
        step=reply.step,
        advisor_title=reply.advisor_title,
        recommendation=reply.recommendation,
        subject_summaries=(),
        reconsider_when=reply.reconsider_when,
        answered=(),
    )
    team = result_embed(as_result)
    heading = "Team pick" if reply.finished else "Team pick so far"
    team.title = clip(f"{reply.topic}: {heading}: {reply.recommendation.top.name}", limits.EMBED_TITLE)
    # One embed, fitted as a whole: Discord's 6000 characters count across all of a message's embeds.
    add_field(team, "Each member's own answers point to", _pick_lines(reply))
    splits = [_split_line(s.prompt, s.counts, s.chosen, anonymous=reply.anonymous) for s in reply.splits] or [
        "The team agreed on every question."
    ]
    add_field(team, "Where the team split", splits)
    add_field(team, "Participants", [", ".join(reply.participants) or "nobody voted"])
    view = InertView()
    view.add_item(
        button(
            ActionId(reply.session_id, reply.step, Action.RECORD),
            "Decision record",
            row=0,
            style=discord.ButtonStyle.success,
        )
    )
    rec = reply.recommendation
    runner = rec.runner_up
    content = summary(
        f"{reply.topic}: {heading}: {rec.top.name} (fit {rec.fit}%)",
        f"Runner-up: {runner.name}" if runner is not None else "",
        f"The team split on {len(reply.splits)} question(s)."
        if reply.splits
        else "The team agreed on every question.",
    )
    return Rendered(content=content, embeds=(fit_embed(team),), view=view)
