"""Team replies as plain text: the terminal's team session (and any typed-chat fallback)."""

from __future__ import annotations

from adapters.text import render_recommendation
from bot.team import OptionCount, Tally
from bot.team_replies import TeamClosedReply, TeamQuestionReply, TeamReply, TeamResultReply


def _count_line(count: OptionCount, *, anonymous: bool) -> str:
    who = "" if anonymous or not count.voters else f"  ({', '.join(count.voters)})"
    return f"{count.count} vote(s){who}"


def render_tally(tally: Tally, *, anonymous: bool) -> str:
    lines = [f"Votes so far ({tally.total}):"]
    lines += [
        f"  {n}. {c.label}: {_count_line(c, anonymous=anonymous)}" for n, c in enumerate(tally.counts, 1)
    ]
    return "\n".join(lines)


def render_team_question(reply: TeamQuestionReply) -> str:
    lines = []
    if reply.notice:
        lines += [reply.notice, ""]
    lines.append(f"[{reply.topic}] Team question {reply.number}: {reply.prompt}")
    lines.append(f"  Why we ask: {reply.why}")
    lines.append(render_tally(reply.tally, anonymous=reply.anonymous))
    lines.append(f"Next: {reply.advance_rule}. {reply.tie_rule}")
    return "\n".join(lines)


def render_team_closed(reply: TeamClosedReply) -> str:
    tie = f" (a tie: {reply.tie_rule})" if reply.tie_broken else ""
    lines = [f"Closed: {reply.prompt} The team chose {reply.chosen}{tie}."]
    lines += [
        f"  {c.label}: {_count_line(c, anonymous=reply.anonymous)}" for c in reply.tally.counts if c.count
    ]
    return "\n".join(lines)


def render_team_result(reply: TeamResultReply) -> str:
    heading = "Team result" if reply.finished else "Team result so far"
    lines = [
        f"[{reply.topic}] {heading}",
        render_recommendation(
            reply.advisor_title, reply.recommendation, reconsider_when=reply.reconsider_when
        ),
    ]
    if reply.picks:
        lines.append("Each member's own answers point to:")
        if reply.anonymous:
            counts: dict[str, int] = {}
            for pick in reply.picks:
                counts[pick.subject_name] = counts.get(pick.subject_name, 0) + 1
            lines += [f"  {name}: {n} member(s)" for name, n in counts.items()]
        else:
            lines += [
                f"  {p.name}: {p.subject_name} ({p.points} points, {p.answered} question(s) voted)"
                for p in reply.picks
            ]
    if reply.splits:
        lines.append("Where the team split (worth discussing):")
        for split in reply.splits:
            shares = ", ".join(
                f"{c.label} {c.count}" + ("" if reply.anonymous else f" ({', '.join(c.voters)})")
                for c in split.counts
            )
            lines.append(f"  {split.prompt} {shares}; the team went with {split.chosen}.")
    else:
        lines.append("The team agreed on every question.")
    lines.append(f"Participants: {', '.join(reply.participants)}")
    return "\n".join(lines)


def render_team(reply: TeamReply) -> str:
    if isinstance(reply, TeamQuestionReply):
        return render_team_question(reply)
    if isinstance(reply, TeamResultReply):
        return render_team_result(reply)
    return render_team_closed(reply.closed) + "\n\n" + render_team(reply.following)
