"""The team's ranking (pure): every member's vote counts, with its share of that question's voters.

Each vote on a closed question adds its option's evidence with weight 1/(voters on that
question), so on a 2-1 question the majority's answer counts 2/3 and the minority's 1/3.
Evidence is additive, so when every member voted on every question this is the mean of the
members' own score vectors. The path still follows the decided answer of each question; only
the ranking hears everyone. Points are exact `Fraction`s (no rounding drift between the
ranking, the record and the "what would change it" search); `points_text` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.pack.model import Companion, Pack, Source
from bot.team.session import ClosedQuestion


@dataclass(frozen=True, slots=True)
class Support:
    """How many of a question's voters gave one answer: "2 of 3"."""

    votes: int
    voters: int

    @property
    def share(self) -> Fraction:
        return Fraction(self.votes, self.voters) if self.voters else Fraction(0)

    @property
    def is_everyone(self) -> bool:
        return self.voters > 0 and self.votes == self.voters

    def __str__(self) -> str:
        return f"{self.votes} of {self.voters}"


@dataclass(frozen=True, slots=True)
class TeamReason:
    """One answer's evidence for (or against) one subject, with the votes behind that answer."""

    question_id: str
    option_id: str
    answer: str
    """The option's label."""
    weight: int
    """The evidence's weight for one voter who gave this answer."""
    text: str
    sources: tuple[str, ...]
    support: Support
    decided: bool
    """The answer is the one the team went with on its question."""

    @property
    def points(self) -> Fraction:
        return self.weight * self.support.share


@dataclass(frozen=True, slots=True)
class TeamScore:
    subject_id: str
    name: str
    points: Fraction
    reasons_for: tuple[TeamReason, ...]
    """Biggest contribution first."""
    reasons_against: tuple[TeamReason, ...]
    """Biggest contribution first."""


@dataclass(frozen=True, slots=True)
class TeamRanking:
    ranking: tuple[TeamScore, ...]
    """Most points first; subjects with equal points are all named in `tied` when on top."""
    fit: int
    """Percent of the points the top pick could have earned on the questions asked."""
    tied: tuple[str, ...]
    """Subject ids sharing the top score when more than one does; empty otherwise."""
    close_call: bool
    """The runner-up is within the pack's close margin (and not tied)."""
    reconsider: tuple[TeamReason, ...]
    """Answers that favoured the runner-up over the top pick."""
    companions: tuple[Companion, ...]
    sources: tuple[Source, ...]
    notes: tuple[str, ...]
    """What would help the members who answered "not sure"."""

    @property
    def top(self) -> TeamScore:
        return self.ranking[0]

    @property
    def runner_up(self) -> TeamScore | None:
        return self.ranking[1] if len(self.ranking) > 1 else None

    @property
    def is_tied(self) -> bool:
        return len(self.tied) > 1

    @property
    def margin(self) -> Fraction:
        runner = self.runner_up
        return self.top.points - runner.points if runner is not None else Fraction(0)


def points_text(points: Fraction) -> str:
    """'4 points', '1 point', '2.7 points': whole numbers exactly, others to one decimal."""
    if points.denominator == 1:
        whole = int(points)
        return f"{whole} point" + ("" if abs(whole) == 1 else "s")
    return f"{float(points):.1f} points"


def number_text(points: Fraction) -> str:
    """The number alone, as `points_text` shows it ('4', '2.7')."""
    return str(int(points)) if points.denominator == 1 else f"{float(points):.1f}"


def team_reasons(pack: Pack, closed: Sequence[ClosedQuestion]) -> dict[str, list[TeamReason]]:
    """Every voted answer's evidence per subject, each with its support on its question."""
    reasons: dict[str, list[TeamReason]] = {s.id: [] for s in pack.subjects}
    for question_closed in closed:
        question = pack.question(question_closed.question_id)
        if question is None:
            continue
        voters = len(question_closed.votes)
        counts: dict[str, int] = {}
        for _, option_id in question_closed.votes:
            counts[option_id] = counts.get(option_id, 0) + 1
        for option in question.options:
            votes = counts.get(option.id, 0)
            if not votes:
                continue
            support = Support(votes, voters)
            for evidence in option.evidence:
                if evidence.subject in reasons:
                    reasons[evidence.subject].append(
                        TeamReason(
                            question.id,
                            option.id,
                            option.label,
                            evidence.weight,
                            evidence.reason,
                            evidence.sources,
                            support,
                            decided=option.id == question_closed.chosen,
                        )
                    )
    return reasons


def rank_team(pack: Pack, closed: Sequence[ClosedQuestion]) -> TeamRanking:
    """The team's ranking over the closed questions, every vote weighted by its share."""
    reasons = team_reasons(pack, closed)
    order = {s.id: i for i, s in enumerate(pack.subjects)}
    scores = [
        TeamScore(
            subject_id=s.id,
            name=s.name,
            points=sum((r.points for r in reasons[s.id]), Fraction(0)),
            reasons_for=tuple(sorted((r for r in reasons[s.id] if r.weight > 0), key=lambda r: -r.points)),
            reasons_against=tuple(sorted((r for r in reasons[s.id] if r.weight < 0), key=lambda r: r.points)),
        )
        for s in pack.subjects
    ]
    # Equal points keep the pack's order only so the listing is stable; a tie on top is
    # reported as a tie (`tied`) and decided by a person, never by this order.
    ranking = tuple(sorted(scores, key=lambda sc: (-sc.points, order[sc.subject_id])))
    top = ranking[0]
    runner = ranking[1] if len(ranking) > 1 else None
    tied = tuple(s.subject_id for s in ranking if s.points == top.points)
    is_tied = len(tied) > 1
    reconsider: tuple[TeamReason, ...] = ()
    if runner is not None:
        top_points = {
            (r.question_id, r.option_id): r.points for r in (*top.reasons_for, *top.reasons_against)
        }
        reconsider = tuple(
            r for r in runner.reasons_for if r.points > top_points.get((r.question_id, r.option_id), 0)
        )
    path = {(c.question_id, c.chosen) for c in closed}
    subject = pack.subject(top.subject_id)
    companions = tuple(c for c in (subject.companions if subject else ()) if not c.when or path & set(c.when))
    cited: dict[str, None] = {}
    for reason in (*top.reasons_for, *top.reasons_against, *reconsider):
        cited.update(dict.fromkeys(reason.sources))
    for companion in companions:
        cited.update(dict.fromkeys(companion.sources))
    if subject is not None:
        cited.update(dict.fromkeys(subject.summary.sources))
    return TeamRanking(
        ranking=ranking,
        fit=_fit(pack, closed, top),
        tied=tied if is_tied else (),
        close_call=runner is not None and not is_tied and top.points - runner.points <= pack.close_margin,
        reconsider=reconsider,
        companions=companions,
        sources=tuple(pack.sources[s] for s in cited if s in pack.sources),
        notes=_notes(pack, closed),
    )


def _fit(pack: Pack, closed: Sequence[ClosedQuestion], top: TeamScore) -> int:
    best = 0
    for question_closed in closed:
        question = pack.question(question_closed.question_id)
        if question is None or not question_closed.votes:
            continue
        weights = [e.weight for o in question.options for e in o.evidence if e.subject == top.subject_id]
        best += max([0, *weights])
    if best <= 0:
        return 0
    return max(0, min(100, round(100 * top.points / best)))


def _notes(pack: Pack, closed: Sequence[ClosedQuestion]) -> tuple[str, ...]:
    notes: list[str] = []
    for question_closed in closed:
        question = pack.question(question_closed.question_id)
        if question is None:
            continue
        for option in question.options:
            votes = sum(1 for _, o in question_closed.votes if o == option.id)
            if votes and option.unsure and option.note:
                notes.append(f"{option.note} ({Support(votes, len(question_closed.votes))} not sure)")
    return tuple(dict.fromkeys(notes))
