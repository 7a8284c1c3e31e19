"""Personal replies as plain text: the terminal, Slack direct messages and `advisor recommend`.

Team replies are in render_team.py, so `advisor chat` never imports the team code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from adapters.console.style import PLAIN, Style
from adapters.points import (
    behind,
    fit_line,
    gap_detail,
    pick_heading,
    pick_headline,
    points,
    reasons_text,
    signed,
    why_not_parts,
    widest_gap,
)
from bot.personal import replies
from bot.personal.replies import Notice, QuestionReply

if TYPE_CHECKING:  # the reports and a result's types: the first question is printed without them
    from bot.pack.model import Companion
    from bot.personal.replies import RankingReply, Reply, ResultReply, StatusReply, WhyReply
    from bot.ranking import AnswerPoints, Recommendation


def progress(reply: QuestionReply) -> str:
    """ "Question 3 of about 8": the total is the most this path can still ask, so it never rises."""
    if reply.is_last:
        return f"Question {reply.number} (the last)"
    if reply.about_total > reply.number:
        return f"Question {reply.number} of about {reply.about_total}"
    return f"Question {reply.number}"


def render_question(reply: QuestionReply, style: Style = PLAIN) -> str:
    lines = []
    if reply.taken_as:
        lines.append(taken_as(reply.taken_as))
    if reply.notice:
        lines += [f"Noted. {reply.notice}", ""]
    elif reply.taken_as:
        lines.append("")
    lines.append(style.bold(f"{progress(reply)}: {reply.prompt}"))
    lines += [f"  {c.number}. {c.label}" for c in reply.choices]
    lines.append(style.dim("Answer with a number or a label; or type why, back, status, help."))
    return "\n".join(lines)


def taken_as(label: str) -> str:
    """How a typed answer was read, said before anything else."""
    return f"Taken as: {label}"


def _answer_line(answer: AnswerPoints) -> str:
    return f"{signed(answer.points)} {reasons_text(answer)} (you said: {answer.answer})"


def _runner_up_gap(rec: Recommendation) -> str:
    """The runner-up line's tail: how far behind, and what did most to put it there."""
    runner = rec.runner_up
    if runner is None:
        return ""
    gap = f"{points(runner.points)}, {behind(rec)}"
    if rec.close_call:
        return gap + ": a close call, either is a sound choice"
    widest = widest_gap(rec)
    return gap + (f'; widest gap: "{widest.answer}" ({signed(widest.gap)})' if widest else "")


def next_steps(companions: Sequence[Companion], notes: Sequence[str]) -> list[str]:
    """What to start with beside the pick, and what would firm the choice up: the same lines
    under a person's result and a team's."""
    lines = []
    if companions:
        lines.append("Start with:")
        lines += [f"  * {c.name}: {c.why}" for c in companions]
    if notes:
        lines.append("To firm this up:")
        lines += [f"  ? {note}" for note in notes]
    return lines


def render_recommendation(
    title: str,
    rec: Recommendation,
    *,
    reconsider_when: tuple[str, ...] = (),
    summaries: tuple[tuple[str, str, str], ...] = (),
) -> str:
    """The whole explanation: every answer's points, why not the runner-up, the rest."""
    from bot.ranking import strongest_first

    top, runner = rec.top, rec.runner_up
    summary = {sid: (text, url) for sid, text, url in summaries}
    lines = [f"{title}: recommendation", "", f"{pick_heading(rec)}: {fit_line(rec)}"]
    drawn = rec.level_at_top[:2] if rec.is_level else (top,)  # a level top: both, side by side
    for score in drawn:
        if score.subject_id in summary:
            text, url = summary[score.subject_id]
            lines.append(f"  {score.name + ': ' if rec.is_level else ''}{text} {url}")
    if rec.close_call and runner is not None and not rec.is_level:
        lines.append(f"  A close call: {runner.name} is within a few points, so either is a sound choice.")
    if rec.is_level:
        lines.append(f"  {rec.level_note}")
    if rec.top_points:
        lines.append(f"Points for {top.name}, answer by answer:")
        lines += [f"  {_answer_line(a)}" for a in strongest_first(rec.top_points)]
        lines.append(f"  = {points(top.points)}")
    if runner is not None:
        lines.append(" ".join(why_not_parts(rec)))
        lines += [
            f'  {signed(g.gap)} "{g.answer}" gave {gap_detail(g, top=top.name, runner_up=runner.name)}'
            for g in rec.why_not_runner_up
        ]
        for reason in rec.reconsider:
            lines.append(f"  Reconsider if this matters most: {reason.text}")
        for line in reconsider_when[:2]:
            lines.append(f"  Choose it instead for: {line}")
    lines += next_steps(rec.companions, rec.notes)
    others = ", ".join(f"{s.name} {s.points}" for s in rec.ranking[2:])
    if others:
        lines.append(f"The others: {others}")
    if rec.sources:
        lines.append("Sources:")
        lines += [f"  [{s.id}] {s.title}: {s.url}" for s in rec.sources]
    return "\n".join(lines)


def render_result(reply: ResultReply) -> str:
    """The whole explanation: what `details` pages through, and a Slack direct message shows."""
    text = render_recommendation(
        reply.advisor_title,
        reply.recommendation,
        reconsider_when=reply.reconsider_when,
        summaries=reply.subject_summaries,
    )
    head = f"{taken_as(reply.taken_as)}\n\n" if reply.taken_as else ""
    return (
        head
        + text
        + f"\nType ranking for all {len(reply.recommendation.ranking)} with their points,"
        + " back to change your last answer, or restart."
    )


SUMMARY_REASONS = 2


def render_summary(reply: ResultReply, style: Style = PLAIN) -> str:
    """The result in five lines, so the top pick is on screen even at 80x24: the pick, its fit
    and points, the runner-up and how far behind, the two answers that gave the most points,
    and how to see the rest."""
    from bot.ranking import strongest_first

    rec = reply.recommendation
    runner = rec.runner_up
    lines = [taken_as(reply.taken_as)] if reply.taken_as else []
    heading = pick_heading(rec)
    lines.append(style.pick(heading) + pick_headline(rec).removeprefix(heading))
    if rec.is_level:
        lines.append(f"  {rec.level_note}")
    elif runner is not None:
        lines.append(f"  Runner-up: {runner.name}, {_runner_up_gap(rec)}")
    strongest = [a for a in strongest_first(rec.top_points) if a.points > 0]
    lines += [f"  {_answer_line(a)}" for a in strongest[:SUMMARY_REASONS]]
    why_not = f", why not {runner.name}" if runner is not None else ""
    lines.append(
        style.dim(f"Type details (points per answer{why_not}), ranking (all {len(rec.ranking)}) or back.")
    )
    return "\n".join(lines)


def render_ranking(reply: RankingReply) -> str:
    """Every subject, one line each: place, points, and the answers that gave them."""
    so_far = "" if reply.finished else " so far"
    lines = [f"{reply.advisor_title}: full ranking{so_far} ({_answers(reply.answered)})"]
    width = max((len(s.name) for s in reply.subjects), default=0)
    digits = max((len(str(s.points)) for s in reply.subjects), default=0)
    places = len(str(len(reply.subjects)))
    for subject in reply.subjects:
        given = ", ".join(f'{signed(a.points)} "{a.answer}"' for a in subject.answers)
        unit = "point " if abs(subject.points) == 1 else "points"
        total = f"{subject.points:>{digits}} {unit}"
        lines.append(
            f"  {subject.place:>{places}}. {subject.name:<{width}}  {total}"
            + (f"  {given}" if given else "  (no answer moved it)")
        )
    if reply.level_note:
        lines.append(reply.level_note)
    return "\n".join(lines)


def _answers(count: int) -> str:
    return "no answers yet" if count == 0 else f"after {count} answer" + ("" if count == 1 else "s")


def render_why(reply: WhyReply) -> str:
    lines = [f'Why we ask "{reply.prompt}":', f"  {reply.why}"]
    if reply.help:
        lines.append(f"  {reply.help}")
    if reply.sources:
        lines.append("  Sources: " + "; ".join(s.url for s in reply.sources[:6]))
    return "\n".join(lines)


def render_status(reply: StatusReply) -> str:
    lines = [f"Answered {len(reply.answered)} question(s):"]
    lines += [f"  {a.prompt} -> {a.answer}" for a in reply.answered]
    if reply.current_prompt:
        lines.append(f"Now: {reply.current_prompt}")
    else:
        lines.append("Done: type result to see the recommendation.")
    if reply.leader:
        lines.append(f"Leading so far: {reply.leader}")
    return "\n".join(lines)


def render_notice(reply: Notice) -> str:
    if reply.offers:
        choices = " or ".join(o.value for o in reply.offers)
        return f"{reply.text}\nType {choices}."
    return reply.text


def render(reply: Reply) -> str:
    if isinstance(reply, QuestionReply):
        return render_question(reply)
    if isinstance(reply, Notice):
        return render_notice(reply)
    if isinstance(reply, replies.ResultReply):
        return render_result(reply)
    if isinstance(reply, replies.RankingReply):
        return render_ranking(reply)
    if isinstance(reply, replies.WhyReply):
        return render_why(reply)
    return render_status(reply)
