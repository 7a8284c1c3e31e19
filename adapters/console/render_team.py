"""Team replies as plain text, for `advisor chat --team` (apart from render.py, so the personal
chat never imports the team code)."""

from __future__ import annotations

from adapters.console.render import next_steps
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamReply, TeamResultReply
from bot.team.scoring import TeamReason, number_text, points_text
from bot.team.tally import OptionCount, Tally


def _count_line(count: OptionCount, *, anonymous: bool) -> str:
    who = "" if anonymous or not count.voters else f"  ({', '.join(count.voters)})"
    return f"{count.count} vote(s){who}"


def render_tally(tally: Tally, *, anonymous: bool) -> str:
    lines = [f"Votes so far ({tally.total}):"]
    lines += [
        f"  {n}. {c.label}: {_count_line(c, anonymous=anonymous)}" for n, c in enumerate(tally.counts, 1)
    ]
    return "\n".join(lines)


def _listed(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def render_tie(reply: TeamQuestionReply) -> str:
    """A question waiting for its tie to be decided: the tied options and who decides."""
    each = max(c.count for c in reply.tally.counts)
    tied = tuple(f"{c.number}. {c.label}" for c in reply.tied)
    return (
        f"A tie: {_listed(tied)} have {each} vote(s) each. {reply.decider} decides among them; "
        "anyone may still change their vote until then."
    )


def render_team_question(reply: TeamQuestionReply) -> str:
    lines = []
    if reply.notice:
        lines += [reply.notice, ""]
    lines.append(f"[{reply.topic}] Team question {reply.number}: {reply.prompt}")
    lines.append(f"  Why we ask: {reply.why}")
    lines.append(render_tally(reply.tally, anonymous=reply.anonymous))
    if reply.awaiting_decision:
        lines.append(render_tie(reply))
    else:
        lines.append(f"Next: {reply.advance_rule}. {reply.tie_policy}")
    return "\n".join(lines)


def render_team_closed(reply: TeamClosedReply) -> str:
    if reply.tied:
        said = f"A tie between {_listed(reply.tied)}: {reply.decided_by} chose {reply.chosen}."
    else:
        said = f"The team chose {reply.chosen}."
    lines = [f"Closed: {reply.prompt} {said}"]
    lines += [
        f"  {c.label}: {_count_line(c, anonymous=reply.anonymous)}" for c in reply.tally.counts if c.count
    ]
    return "\n".join(lines)


def _reason(reason: TeamReason) -> str:
    return f"{reason.support}: {reason.text} ({reason.answer})"


def render_team_ranking(reply: TeamResultReply) -> str:
    ranking = reply.ranking
    top, runner = ranking.top, ranking.runner_up
    lines = [f"{reply.advisor_title}: team recommendation (every vote counts, with its share)", ""]
    if ranking.is_tied:
        names = tuple(s.name for s in ranking.ranking if s.subject_id in ranking.tied)
        lines.append(f"Tied: {_listed(names)} ({points_text(top.points)} each, fit {ranking.fit}%)")
    else:
        lines.append(f"Top pick: {top.name} ({points_text(top.points)}, fit {ranking.fit}%)")
    lines += [f"  ! {warning}" for warning in reply.warnings]
    if top.reasons_for:
        lines.append("Why:")
        lines += [f"  + {_reason(r)}" for r in top.reasons_for]
    if top.reasons_against:
        lines.append("Counts against it:")
        lines += [f"  - {_reason(r)}" for r in top.reasons_against]
    if runner is not None:
        lines.append(f"Runner-up: {runner.name} ({points_text(runner.points)})")
        lines += [f"  Reconsider if this matters most: {_reason(r)}" for r in ranking.reconsider]
        lines += [f"  Choose it instead for: {line}" for line in reply.reconsider_when[:2]]
        if reply.swing is not None:
            lines.append(f"  {reply.swing.describe()}")
    lines += next_steps(ranking.companions, ranking.notes)
    others = ", ".join(f"{s.name} {number_text(s.points)}" for s in ranking.ranking[2:6])
    if others:
        lines.append(f"Also ranked: {others}")
    return "\n".join(lines)


def render_team_result(reply: TeamResultReply) -> str:
    heading = "Team result" if reply.finished else "Team result so far"
    lines = [f"[{reply.topic}] {heading}", render_team_ranking(reply)]
    if reply.picks:
        lines.append("Each member's own answers point to:")
        if reply.anonymous:
            lines += [f"  {c.subject_name}: {c.members} member(s)" for c in reply.pick_counts]
        else:
            lines += [
                f"  {p.name}: {p.subject_name}"
                + (f" (tied with {_listed(p.tied_with)})" if p.tied_with else "")
                + f" ({p.points} points, {p.answered} question(s) voted)"
                for p in reply.picks
            ]
        lines += [f"  {line}" for line in reply.first_choice_lines()]
    if reply.splits:
        lines.append("Where the team split (worth discussing):")
        for split in reply.splits:
            shares = ", ".join(
                f"{c.label} {c.count}" + ("" if reply.anonymous else f" ({', '.join(c.voters)})")
                for c in split.counts
            )
            if split.tied:
                went = f"a tie; {split.decided_by} chose {split.chosen}"
            else:
                went = f"the team went with {split.chosen}"
            lines.append(f"  {split.prompt} {shares}; {went}.")
    else:
        lines.append("The team agreed on every question.")
    lines.append(f"Participants: {', '.join(reply.participants)}")
    if reply.accepted_by:
        lines.append(f"Decision: accepted by {reply.accepted_by} ({reply.accepted_choice}).")
    elif reply.finished:
        lines.append(
            f"Decision: proposed until {reply.starter} (who started) or a channel manager accepts it."
        )
    if reply.ranking.sources:
        lines.append("Sources:")
        lines += [f"  [{s.id}] {s.title}: {s.url}" for s in reply.ranking.sources]
    return "\n".join(lines)


def render_team(reply: TeamReply) -> str:
    if isinstance(reply, TeamQuestionReply):
        return render_team_question(reply)
    if isinstance(reply, TeamResultReply):
        return render_team_result(reply)
    return render_team_closed(reply.closed) + "\n\n" + render_team(reply.following)
