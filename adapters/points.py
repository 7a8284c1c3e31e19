"""Points as every medium writes them: "+3", "-1", "1 point", "12 points".

The terminal, Slack and Discord show the same numbers in the same words, so a user who moves
between them (or shares a result) reads one explanation, not three.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ranking is imported where a result is first made (chat starts without it)
    from bot.ranking import AnswerGap, AnswerPoints, Recommendation


def signed(points: int) -> str:
    """'+3', '-1', '0': what one answer added or took away."""
    return f"{points:+d}" if points else "0"


def points(count: int) -> str:
    """'1 point', '12 points', '-1 point'."""
    return f"{count} point" + ("" if abs(count) == 1 else "s")


def pick_heading(rec: Recommendation) -> str:
    """'Top pick: Django', or 'Level at the top: Flask and Bottle' when the answers don't separate them."""
    return f"Level at the top: {rec.level_names}" if rec.is_level else f"Top pick: {rec.top.name}"


def pick_headline(rec: Recommendation) -> str:
    """'Top pick: Django (fit 75%, 12 points)', or, when level,
    'Level at the top: Flask and Bottle (fit 20%, 2 points each)'."""
    each = " each" if rec.is_level else ""
    return f"{pick_heading(rec)} (fit {rec.fit}%, {points(rec.top.points)}{each})"


def pick_summary(rec: Recommendation) -> str:
    """'Django (fit 75%, 12 points)', or 'Flask and Bottle, level (fit 20%, 2 points each)'."""
    if rec.is_level:
        return f"{rec.level_names}, level (fit {rec.fit}%, {points(rec.top.points)} each)"
    return f"{rec.top.name} (fit {rec.fit}%, {points(rec.top.points)})"


def why_not_parts(rec: Recommendation) -> tuple[str, str]:
    """The runner-up heading as (title, tail), for each adapter to mark up: "Why not Flask" and
    "(runner-up, 8 points): 4 behind, from these answers:"; for a level top, the two names and
    what the answers did to them. ("", "") without a runner-up."""
    runner = rec.runner_up
    if runner is None:
        return "", ""
    if not rec.is_level:
        return (
            f"Why not {runner.name}",
            f"(runner-up, {points(runner.points)}): {behind(rec)}, from these answers:",
        )
    title = f"{rec.top.name} and {runner.name}"
    if rec.why_not_runner_up:
        return title, "(level on points): the answers that scored them differently cancel out:"
    return title, "(level on points): no answer scored them differently."


def fit_line(rec: Recommendation) -> str:
    """'12 points, fit 75% (12 of a possible 16)': the total, and what the percentage is of."""
    line = f"{points(rec.top.points)}{' each' if rec.is_level else ''}, fit {rec.fit}%"
    if rec.possible > 0:
        line += f" ({rec.top.points} of a possible {rec.possible})"
    return line


def reasons_text(answer: AnswerPoints) -> str:
    """The reasons one answer gave, as one sentence or a few."""
    return " ".join(r.text for r in answer.reasons)


def behind(rec: Recommendation) -> str:
    """How far the runner-up is behind: '10 behind', 'level on points'."""
    return f"{rec.margin} behind" if rec.margin else "level on points"


NAME_IN_LINE = 40
"""A subject's name repeated on every why-not line is cut here (real names are a word or two)."""


def _short(name: str) -> str:
    return name if len(name) <= NAME_IN_LINE else name[: NAME_IN_LINE - 1] + "…"


def gap_detail(gap: AnswerGap, *, top: str, runner_up: str) -> str:
    """'Django +5, Falcon 0': what one answer gave each of the top two."""
    return f"{_short(top)} {signed(gap.top_points)}, {_short(runner_up)} {signed(gap.runner_up_points)}"


def widest_gap(rec: Recommendation) -> AnswerGap | None:
    """The answer that did most to put the top pick ahead, if any did."""
    gaps = rec.why_not_runner_up
    return gaps[0] if gaps and gaps[0].gap > 0 else None
