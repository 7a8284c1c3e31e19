"""A team session -> a Markdown architecture decision record (pure, deterministic).

The record is what outlives the chat: why the team chose, what it gave up and what would
make it look again. It is built only from the session and its pack version, so the same
session always gives the same text, wherever and whenever it is exported.
"""

from __future__ import annotations

from bot.pack.model import Pack
from bot.ranking import Reason
from bot.team.session import TeamSession
from bot.team.tally import OptionCount, count_picks, outcome
from bot.team.voting import TIE_RULE


def _cell(text: str) -> str:
    """Table cells may not hold a pipe or a line break."""
    return text.replace("|", "\\|").replace("\n", " ")


def _voters(count: OptionCount) -> str:
    return ", ".join(count.voters) or "-"


def _reasons(reasons: tuple[Reason, ...]) -> str:
    return "; ".join(f"{r.text} ({r.answer})" for r in reasons) or "-"


def decision_record(pack: Pack, session: TeamSession) -> str:
    out = outcome(pack, session)
    rec = out.recommendation
    top, runner = rec.top, rec.runner_up
    participants = [session.name_of(m) for m in session.members]
    status = "Accepted" if session.is_finished else "Proposed (the team session is still open)"
    lines = [
        f"# Decision record: {session.topic}",
        "",
        f"- **Date:** {session.updated_at.date().isoformat()}",
        f"- **Status:** {status}",
        f"- **Deciders:** {', '.join(participants) or 'nobody voted'}",
        f"- **Session:** `{session.id}`, started by {session.name_of(session.starter)}",
        f"- **Advisor:** {pack.title} (knowledge version `{session.pack_version[:12]}`)",
        "",
        "## Context",
        "",
        f"{session.topic}. The team answered {len(session.closed)} question(s) of the "
        f"*{pack.title}* together. Everyone voted on each question; the majority answer decided "
        f"the next question. {TIE_RULE}"
        + (" Votes were anonymous, so only counts are recorded." if session.anonymous else ""),
        "",
        "## Questions and how the team answered",
    ]
    for number, (closed, tally) in enumerate(out.decided, 1):
        chosen = next(c for c in tally.counts if c.option_id == closed.chosen)
        lines += [
            "",
            f"### {number}. {tally.prompt}",
            "",
            f"Team answer: **{chosen.label}** ({chosen.count} of {tally.total} vote(s))"
            + (f". It was a tie: {TIE_RULE[0].lower()}{TIE_RULE[1:]}" if closed.tie_broken else ""),
            "",
        ]
        if session.anonymous:
            lines += ["| Option | Votes |", "|---|---|"]
            lines += [f"| {_cell(c.label)} | {c.count} |" for c in tally.counts]
        else:
            lines += ["| Option | Votes | Who |", "|---|---|---|"]
            lines += [f"| {_cell(c.label)} | {c.count} | {_cell(_voters(c))} |" for c in tally.counts]
    lines += [
        "",
        "## Options considered",
        "",
        "| Rank | Option | Score | For | Against |",
        "|---|---|---|---|---|",
    ]
    for rank, score in enumerate(rec.ranking, 1):
        lines.append(
            f"| {rank} | {_cell(score.name)} | {score.points} | {_cell(_reasons(score.reasons_for))}"
            f" | {_cell(_reasons(score.reasons_against))} |"
        )
    subject = pack.subject(top.subject_id)
    lines += ["", "## Decision", ""]
    verb = "We choose" if session.is_finished else "So far the team leans to"
    lines.append(f"{verb} **{top.name}** ({top.points} points, fit {rec.fit}%).")
    if subject is not None:
        lines += ["", f"{subject.summary.text} <{subject.url}>"]
    if rec.tie_broken and runner is not None:
        lines += ["", f"{top.name} and {runner.name} scored the same: {rec.tie_rule}"]
    elif rec.close_call and runner is not None:
        lines += ["", f"A close call: {runner.name} is within a few points, so either is a sound choice."]
    if top.reasons_for:
        lines += ["", "Why:", ""]
        lines += [f"- {r.text} (the team said: {r.answer})" for r in top.reasons_for]
    if out.picks:
        lines += ["", "Each member's own answers point to:", ""]
        if session.anonymous:
            lines += [f"- {c.subject_name}: {c.members} member(s)" for c in count_picks(out.picks)]
        else:
            lines += [
                f"- {p.name}: {p.subject_name} ({p.points} points on the {p.answered} question(s)"
                " they voted on)"
                for p in out.picks
            ]
    if out.splits:
        lines += ["", "Where the team split:", ""]
        for split in out.splits:
            shares = ", ".join(
                f"{c.label} {c.count}" + ("" if session.anonymous else f" ({_voters(c)})")
                for c in split.counts
            )
            lines.append(f"- {split.prompt} {shares}; the team went with {split.chosen}.")
    lines += ["", "## Consequences", ""]
    consequences = [f"- {r.text} (because: {r.answer})" for r in top.reasons_against]
    if subject is not None:
        consequences += [f"- {c.text}" for c in subject.weaknesses]
        consequences += [f"- Not a fit when: {c.text}" for c in subject.avoid_when]
    lines += consequences or ["- None recorded in the advisor's knowledge."]
    lines += ["", "## What would make us revisit", ""]
    revisit = [f"- If this matters most: {r.text}" for r in rec.reconsider]
    runner_subject = pack.subject(runner.subject_id) if runner is not None else None
    if runner is not None and runner_subject is not None:
        revisit += [
            f"- {runner.name} ({runner.points} points) is better for: {c.text}"
            for c in runner_subject.best_for
        ]
    if rec.notes:
        revisit += [f"- Still open: {note}" for note in rec.notes]
    lines += revisit or ["- Nothing recorded: no other option scored."]
    lines += ["", "## Participants", ""]
    lines += [f"- {name}" for name in participants] or ["- nobody voted"]
    if rec.sources:
        lines += ["", "## Sources", ""]
        lines += [f"- [{s.title}]({s.url})" for s in rec.sources]
    return "\n".join(lines) + "\n"
