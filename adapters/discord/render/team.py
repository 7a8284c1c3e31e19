"""Team replies -> Discord message parts: the live tally, vote buttons, Next, tie decisions, the
team result with Accept, and the modal that starts a session.

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
    inert,
    masked_link,
    summary,
)
from adapters.ids import Action, ActionId
from bot.pack import limits
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.scoring import TeamReason, number_text, points_text
from bot.team.tally import Split, Tally

BAR: Final = "▰"
MAX_BAR: Final = 20


def _tally_lines(tally: Tally, *, anonymous: bool) -> list[str]:
    lines = []
    for count in tally.counts:
        bar = BAR * min(count.count, MAX_BAR)
        who = "" if anonymous or not count.voters else f" ({', '.join(count.voters)})"
        lines.append(f"**{count.label}**: {count.count} {bar}{who}")
    return lines


def _listed(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _reason(reason: TeamReason, mark: str) -> str:
    """Every reason says how many gave its answer: "+ 2 of 3: ... (JSON API)"."""
    return f"{mark} {reason.support}: {reason.text} ({reason.answer})"


def render_team_question(reply: TeamQuestionReply) -> Rendered:
    """Public: the prompt, the live tally and who may press Next; vote buttons (or a select).

    While a tie waits for the starter, the tied options get Decide buttons on their own row:
    anyone sees them, only the starter or a channel manager may use them (the engine checks).
    """
    reply = inert(reply)
    parts = [f"**{reply.prompt}**"]
    if reply.why:
        parts.append(f"**Why we ask:** {reply.why}")
    parts.append("\n".join(_tally_lines(reply.tally, anonymous=reply.anonymous)))
    if reply.awaiting_decision:
        most = max(c.count for c in reply.tally.counts)
        tied = tuple(f"**{c.label}**" for c in reply.tied)
        parts.append(
            f"⚖️ **A tie:** {_listed(tied)} have {most} vote(s) each. {reply.decider} decides "
            "among them; anyone may still change their vote."
        )
    if reply.notice:
        parts.insert(0, f"*{reply.notice}*")
    embed = discord.Embed(
        title=clip(f"{reply.topic}: team question {reply.number}", limits.EMBED_TITLE),
        description=clip_lines("\n\n".join(parts).split("\n"), limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    voted = f"{reply.tally.total} vote(s)" + (", anonymous" if reply.anonymous else "")
    embed.set_footer(text=clip(f"{voted}. Next: {reply.advance_rule}. {reply.tie_policy}", EMBED_FOOTER))
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
    if reply.awaiting_decision:
        add_choices(
            view,
            reply.tied,
            key=reply.session_id,
            step=reply.step,
            action=Action.DECIDE,
            question_id=reply.question_id,
            placeholder="Decide the tie",
            row=2,
            label_prefix="Decide: ",
            style=discord.ButtonStyle.success,
        )
    waiting = " A tie waits for the starter's decision." if reply.awaiting_decision else ""
    content = summary(
        f"{reply.topic}: team question {reply.number}: {reply.prompt}",
        f"{voted} so far. Vote with the buttons below.{waiting}",
    )
    return Rendered(content=content, embeds=(fit_embed(embed),), view=view)


def render_team_closed(reply: TeamClosedReply) -> Rendered:
    """The question as it closed: its final tally and the team's answer; nothing left to click."""
    reply = inert(reply)
    if reply.tied:
        said = f"A tie between {_listed(reply.tied)}: **{reply.decided_by}** chose **{reply.chosen}**."
    else:
        said = f"The team chose **{reply.chosen}**."
    lines = _tally_lines(reply.tally, anonymous=reply.anonymous)
    embed = discord.Embed(
        title=clip(f"{reply.topic}: team question {reply.number} (closed)", limits.EMBED_TITLE),
        description=clip_lines([f"**{reply.prompt}**", "", *lines, "", said], limits.EMBED_DESCRIPTION),
        colour=discord.Colour.dark_grey(),
    )
    content = summary(
        f"{reply.topic}: team question {reply.number} closed: {reply.prompt}",
        said.replace("**", ""),
    )
    return Rendered(content=content, embeds=(fit_embed(embed),), view=None)


def _pick_lines(reply: TeamResultReply) -> list[str]:
    if reply.anonymous:
        lines = [f"• {c.subject_name}: {c.members} member(s)" for c in reply.pick_counts]
    else:
        lines = [
            f"• {p.name}: **{p.subject_name}**"
            + (f" (tied with {_listed(p.tied_with)})" if p.tied_with else "")
            + f" ({p.answered} question(s) voted)"
            for p in reply.picks
        ]
    return lines + [f"*{line}*" for line in reply.first_choice_lines()]


def _split_line(split: Split, *, anonymous: bool) -> str:
    shares = ", ".join(
        f"{c.label} {c.count}" + ("" if anonymous or not c.voters else f" ({', '.join(c.voters)})")
        for c in split.counts
    )
    if split.tied:
        return f"• {split.prompt} {shares} → a tie; {split.decided_by} chose {split.chosen}"
    return f"• {split.prompt} {shares} → {split.chosen}"


def _heading(reply: TeamResultReply) -> str:
    ranking = reply.ranking
    if reply.accepted_by:
        return f"Team decision: {reply.accepted_choice}"
    if ranking.is_tied:
        names = tuple(s.name for s in ranking.ranking if s.subject_id in ranking.tied)
        head = f"Tied: {_listed(names)}"
    else:
        head = f"Team pick: {ranking.top.name}"
    return head if reply.finished else f"{head} (so far)"


def render_team_result(reply: TeamResultReply) -> Rendered:
    """The team's ranking with supported reasons, each member's own pick, splits; record and Accept."""
    reply = inert(reply)
    ranking = reply.ranking
    top, runner = ranking.top, ranking.runner_up
    description = [
        f"**{top.name}**: {points_text(top.points)}, fit {ranking.fit}%. "
        "Every member's vote counts, with its share of the voters."
    ]
    description += [f"⚠️ {w}" for w in reply.warnings]
    team = discord.Embed(
        title=clip(f"{reply.topic}: {_heading(reply)}", limits.EMBED_TITLE),
        description=clip("\n\n".join(description), limits.EMBED_DESCRIPTION),
        colour=discord.Colour.green(),
    )
    # One embed, fitted as a whole: Discord's 6000 characters count across all of a message's embeds.
    add_field(team, "Why", [_reason(r, "+") for r in top.reasons_for])
    add_field(team, "Concerns", [_reason(r, "-") for r in top.reasons_against])
    if runner is not None:
        lines = [f"{runner.name}: {points_text(runner.points)}"]
        lines += [f"Choose it instead for: {line}" for line in reply.reconsider_when[:2]]
        if reply.swing is not None:
            lines.append(reply.swing.describe())
        add_field(team, f"Closest alternative: {runner.name}", lines)
    add_field(team, "Each member's own answers point to", _pick_lines(reply))
    splits = [_split_line(s, anonymous=reply.anonymous) for s in reply.splits] or [
        "The team agreed on every question."
    ]
    add_field(team, "Where the team split", splits)
    add_field(team, "Start with", [f"• **{c.name}**: {c.why}" for c in ranking.companions])
    add_field(team, "Participants", [", ".join(reply.participants) or "nobody voted"])
    if reply.accepted_by:
        decision = f"Accepted by {reply.accepted_by}: {reply.accepted_choice}."
    elif reply.finished:
        decision = f"Proposed: {reply.starter} (who started) or a channel manager accepts it."
    else:
        decision = "The session is still open."
    add_field(team, "Decision", [decision])
    add_field(team, "Sources", [masked_link(clip(s.title, 200), s.url) for s in ranking.sources])
    others = ", ".join(f"{s.name} {number_text(s.points)}" for s in ranking.ranking[2:6])
    team.set_footer(
        text=clip(reply.advisor_title + (f"  ·  also ranked: {others}" if others else ""), EMBED_FOOTER)
    )
    view = InertView()
    view.add_item(
        button(
            ActionId(reply.session_id, reply.step, Action.RECORD),
            "Decision record",
            row=0,
            style=discord.ButtonStyle.secondary,
        )
    )
    for subject_id, name in reply.accept_choices[:4]:
        label = "Accept decision" if len(reply.accept_choices) == 1 else f"Accept {name}"
        view.add_item(
            button(
                ActionId(reply.session_id, reply.step, Action.ACCEPT, subject_id),
                label,
                row=0,
                style=discord.ButtonStyle.success,
            )
        )
    content = summary(
        f"{reply.topic}: {_heading(reply)} (fit {ranking.fit}%)",
        f"Closest alternative: {runner.name}" if runner is not None else "",
        f"The team split on {len(reply.splits)} question(s)."
        if reply.splits
        else "The team agreed on every question.",
    )
    return Rendered(content=content, embeds=(fit_embed(team),), view=view)


START_MODAL_ID: Final = "adv-team-start"
"""The start modal's custom_id; its submit is routed by it (client.py), so a restart loses nothing."""
TOPIC_LENGTH: Final = 200


class StartModal(discord.ui.Modal):
    """A modal that only lays out its fields: the submit is routed by its custom_id, not by it.

    Reporting "finished" keeps it out of discord.py's in-memory modal store (as `InertView`
    does for views), so the submit reaches the client's interaction listener, which also works
    for a modal opened before a restart.
    """

    def is_finished(self) -> bool:
        return True


def start_modal(*, topic: str = "", anonymous: bool = False, quorum: int = 0) -> StartModal:
    """The "start a team decision" form: topic, anonymous, quorum."""
    modal = StartModal(title="Start a team decision", custom_id=START_MODAL_ID, timeout=None)
    modal.add_item(
        discord.ui.Label(
            text="What is the team deciding?",
            component=discord.ui.TextInput(
                custom_id="topic",
                max_length=TOPIC_LENGTH,
                placeholder="e.g. Backend for the orders service",
                default=clip(topic, TOPIC_LENGTH) or None,
            ),
        )
    )
    modal.add_item(
        discord.ui.Label(
            text="Anonymous votes",
            description="Show vote counts, not who voted",
            component=discord.ui.Checkbox(custom_id="anonymous", default=anonymous),
        )
    )
    modal.add_item(
        discord.ui.Label(
            text="Quorum (optional)",
            description="Close each question by itself at this many votes (2 or more)",
            component=discord.ui.TextInput(
                custom_id="quorum",
                required=False,
                max_length=4,
                placeholder="e.g. 3",
                default=str(quorum) if quorum else None,
            ),
        )
    )
    return modal
