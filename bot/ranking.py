"""Summed evidence -> a ranked, explained recommendation. Deterministic for a pack and answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.pack.model import Companion, Pack, Source


@dataclass(frozen=True, slots=True)
class Reason:
    """One answer's effect on one subject, quotable in a result."""

    question_id: str
    option_id: str
    answer: str
    """The option label the user chose."""
    weight: int
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnswerPoints:
    """What one answer gave one subject: its points and the reasons behind them."""

    question_id: str
    option_id: str
    answer: str
    """The option label the user chose."""
    points: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class AnswerGap:
    """How one answer moved the top pick against the runner-up ("Why not <runner-up>")."""

    question_id: str
    option_id: str
    answer: str
    top_points: int
    runner_up_points: int

    @property
    def gap(self) -> int:
        """Positive when the answer favoured the top pick, negative when it favoured the runner-up."""
        return self.top_points - self.runner_up_points


@dataclass(frozen=True, slots=True)
class Score:
    subject_id: str
    name: str
    points: int
    reasons_for: tuple[Reason, ...]
    reasons_against: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    ranking: tuple[Score, ...]
    fit: int
    """Percent of the points the top pick could have earned on the questions answered."""
    close_call: bool
    """The runner-up is within the pack's close margin: either is a sound choice."""
    level_at_top: tuple[Score, ...]
    """Every subject on the top pick's points when two or more share them (else empty): the
    answers do not separate them, so results show them as joint picks and never say that
    one won on a list order."""
    reconsider: tuple[Reason, ...]
    """Answers that favoured the runner-up over the top pick."""
    companions: tuple[Companion, ...]
    sources: tuple[Source, ...]
    notes: tuple[str, ...]
    """What would help decide the questions answered "not sure"."""
    top_points: tuple[AnswerPoints, ...] = ()
    """Each answer that moved the top pick, in the order asked; they sum to `top.points`."""
    why_not_runner_up: tuple[AnswerGap, ...] = ()
    """Answers that scored the top two differently: widest gap for the top pick first, those
    that favoured the runner-up last; the gaps sum to `margin`."""
    possible: int = 0
    """The most points the top pick could have earned on the questions answered: `fit` is
    `top.points` out of this, so a result can say what its percentage means."""

    @property
    def top(self) -> Score:
        return self.ranking[0]

    @property
    def is_level(self) -> bool:
        """The top two have the same points: neither is ahead."""
        return len(self.level_at_top) > 1

    @property
    def level_names(self) -> str:
        """ "Flask and Bottle", "Django, Flask and FastAPI": the subjects level at the top."""
        names = [s.name for s in self.level_at_top]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def level_note(self) -> str:
        """What a level top means for the reader ("" when the top is alone)."""
        if not self.is_level:
            return ""
        return (
            f"{self.level_names} have the same points, so your answers do not separate them:"
            " neither is ahead. Compare what each is best for"
            + (', or settle a question you answered "Not sure".' if self.notes else ".")
        )

    @property
    def runner_up(self) -> Score | None:
        return self.ranking[1] if len(self.ranking) > 1 else None

    @property
    def margin(self) -> int:
        """Points between the top pick and the runner-up (0 without a runner-up)."""
        runner = self.runner_up
        return self.top.points - runner.points if runner is not None else 0


def score_subjects(pack: Pack, answers: Iterable[tuple[str, str]]) -> tuple[Score, ...]:
    """Sum each answer's evidence per subject; rank by points; subjects on equal points keep the pack's order
    (a stable order to draw them in: results show them as level, never as a winner)."""
    reasons: dict[str, list[Reason]] = {s.id: [] for s in pack.subjects}
    for question_id, option_id in answers:
        question = pack.question(question_id)
        option = question.option(option_id) if question else None
        if option is None:
            continue
        for evidence in option.evidence:
            if evidence.subject in reasons:
                reasons[evidence.subject].append(
                    Reason(
                        question_id,
                        option_id,
                        option.label,
                        evidence.weight,
                        evidence.reason,
                        evidence.sources,
                    )
                )
    scores = [
        Score(
            subject_id=s.id,
            name=s.name,
            points=sum(r.weight for r in reasons[s.id]),
            reasons_for=tuple(sorted((r for r in reasons[s.id] if r.weight > 0), key=lambda r: -r.weight)),
            reasons_against=tuple(sorted((r for r in reasons[s.id] if r.weight < 0), key=lambda r: r.weight)),
        )
        for s in pack.subjects
    ]
    order = {s.id: i for i, s in enumerate(pack.subjects)}
    return tuple(sorted(scores, key=lambda sc: (-sc.points, order[sc.subject_id])))


def points_by_answer(
    pack: Pack, answers: Iterable[tuple[str, str]], subject_id: str
) -> tuple[AnswerPoints, ...]:
    """Each answer's points for one subject, in the order given; answers that gave it none are left out."""
    out: list[AnswerPoints] = []
    for question_id, option_id in answers:
        question = pack.question(question_id)
        option = question.option(option_id) if question else None
        if option is None:
            continue
        reasons = tuple(
            Reason(question_id, option_id, option.label, e.weight, e.reason, e.sources)
            for e in option.evidence
            if e.subject == subject_id
        )
        points = sum(r.weight for r in reasons)
        if points or reasons:
            out.append(AnswerPoints(question_id, option_id, option.label, points, reasons))
    return tuple(out)


def strongest_first(points: Iterable[AnswerPoints]) -> tuple[AnswerPoints, ...]:
    """Most points first and answers that cost points last; equal ones in the order asked."""
    return tuple(sorted(points, key=lambda a: -a.points))


def answer_gaps(
    pack: Pack, answers: tuple[tuple[str, str], ...], *, top: str, runner_up: str
) -> tuple[AnswerGap, ...]:
    """The answers that separate two subjects, widest gap in favour of `top` first."""
    top_by = {(a.question_id, a.option_id): a for a in points_by_answer(pack, answers, top)}
    runner_by = {(a.question_id, a.option_id): a for a in points_by_answer(pack, answers, runner_up)}
    gaps: list[AnswerGap] = []
    for key in dict.fromkeys((*top_by, *runner_by)):
        mine, theirs = top_by.get(key), runner_by.get(key)
        shown = mine or theirs
        if shown is None:
            continue
        gap = AnswerGap(
            key[0],
            key[1],
            shown.answer,
            mine.points if mine else 0,
            theirs.points if theirs else 0,
        )
        if gap.gap:
            gaps.append(gap)
    order = {key: i for i, key in enumerate(answers)}
    return tuple(sorted(gaps, key=lambda g: (-g.gap, order.get((g.question_id, g.option_id), 0))))


def _possible(pack: Pack, answers: tuple[tuple[str, str], ...], top: Score) -> int:
    """The best answer for `top` on each question asked, summed."""
    best = 0
    for question_id, _ in answers:
        question = pack.question(question_id)
        if question is None:
            continue
        weights = [e.weight for o in question.options for e in o.evidence if e.subject == top.subject_id]
        best += max([0, *weights])
    return best


def _fit(points: int, possible: int) -> int:
    if possible <= 0:
        return 0
    return max(0, min(100, round(100 * points / possible)))


def recommend(pack: Pack, answers: tuple[tuple[str, str], ...]) -> Recommendation:
    ranking = score_subjects(pack, answers)
    top = ranking[0]
    runner = ranking[1] if len(ranking) > 1 else None
    reconsider: tuple[Reason, ...] = ()
    if runner is not None:
        top_weight = {
            (r.question_id, r.option_id): r.weight for r in (*top.reasons_for, *top.reasons_against)
        }
        reconsider = tuple(
            r for r in runner.reasons_for if r.weight > top_weight.get((r.question_id, r.option_id), 0)
        )
    given = set(answers)
    subject = pack.subject(top.subject_id)
    companions = tuple(
        c for c in (subject.companions if subject else ()) if not c.when or given & set(c.when)
    )
    cited: dict[str, None] = {}
    for reason in (*top.reasons_for, *top.reasons_against, *reconsider):
        cited.update(dict.fromkeys(reason.sources))
    for companion in companions:
        cited.update(dict.fromkeys(companion.sources))
    if subject is not None:
        cited.update(dict.fromkeys(subject.summary.sources))
    notes = []
    for question_id, option_id in answers:
        question = pack.question(question_id)
        option = question.option(option_id) if question else None
        if option is not None and option.unsure and option.note:
            notes.append(option.note)
    possible = _possible(pack, answers, top)
    level = tuple(score for score in ranking if score.points == top.points)
    return Recommendation(
        ranking=ranking,
        fit=_fit(top.points, possible),
        close_call=runner is not None and top.points - runner.points <= pack.close_margin,
        level_at_top=level if len(level) > 1 else (),
        reconsider=reconsider,
        companions=companions,
        sources=tuple(pack.sources[s] for s in cited if s in pack.sources),
        notes=tuple(notes),
        top_points=points_by_answer(pack, answers, top.subject_id),
        why_not_runner_up=(
            answer_gaps(pack, answers, top=top.subject_id, runner_up=runner.subject_id)
            if runner is not None
            else ()
        ),
        possible=possible,
    )
