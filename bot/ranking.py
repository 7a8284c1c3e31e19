"""Summed evidence -> a ranked, explained recommendation. Deterministic for a pack and answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

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


@dataclass(frozen=True, slots=True)
class _Effect:
    """What one answer gives one subject of the pack, the same on every click that gives it."""

    subject_id: str
    points: int
    reasons_for: tuple[Reason, ...]
    reasons_against: tuple[Reason, ...]
    """Both in the option's evidence order; a reason of weight 0 is in neither."""
    alone: Score
    """The subject's score when no other answer moved it: about half of them in a result."""


@dataclass(frozen=True, slots=True)
class _Scoring:
    """The pack's evidence laid out by answer, built once per pack (see `Pack.derived`), so a
    ranking adds up a few prepared values instead of rebuilding every reason on every click."""

    effects: Mapping[tuple[str, str], tuple[_Effect, ...]]
    """(question id, option id) -> its effect on each subject of the pack its evidence names."""
    points: Mapping[tuple[str, str], Mapping[str, AnswerPoints]]
    """(question id, option id) -> subject id -> what it gave, for any subject its evidence names."""
    best: Mapping[tuple[str, str], int]
    """(question id, subject id) -> the most points one answer to that question gives the subject."""
    order: Mapping[str, int]
    """Subject id -> its place in the pack: ties are ranked by it."""
    unscored: tuple[Score, ...]
    """Each subject (in pack order) with no points and no reasons, shared by every ranking."""


_WEIGHT = attrgetter("weight")


def _scoring(pack: Pack) -> _Scoring:
    names = {s.id: s.name for s in reversed(pack.subjects)}  # the first subject of an id
    effects: dict[tuple[str, str], tuple[_Effect, ...]] = {}
    points: dict[tuple[str, str], Mapping[str, AnswerPoints]] = {}
    best: dict[tuple[str, str], int] = {}
    for question_id, question in pack.questions.items():
        for option in question.options:
            for e in option.evidence:
                best[(question_id, e.subject)] = max(best.get((question_id, e.subject), 0), e.weight)
            answer = (question_id, option.id)
            if answer in points:
                continue  # a repeated option id: the first one is the option (Question.option)
            by_subject: dict[str, list[Reason]] = {}
            for e in option.evidence:
                reason = Reason(question_id, option.id, option.label, e.weight, e.reason, e.sources)
                by_subject.setdefault(e.subject, []).append(reason)
            given = {
                subject_id: AnswerPoints(
                    question_id, option.id, option.label, sum(r.weight for r in rs), tuple(rs)
                )
                for subject_id, rs in by_subject.items()
            }
            points[answer] = given
            effects[answer] = tuple(
                _effect(subject_id, names[subject_id], rs)
                for subject_id, rs in by_subject.items()
                if subject_id in names
            )
    return _Scoring(
        effects=effects,
        points=points,
        best=best,
        order={s.id: i for i, s in enumerate(pack.subjects)},
        unscored=tuple(Score(s.id, s.name, 0, (), ()) for s in pack.subjects),
    )


def _effect(subject_id: str, name: str, reasons: list[Reason]) -> _Effect:
    pros = tuple(r for r in reasons if r.weight > 0)
    cons = tuple(r for r in reasons if r.weight < 0)
    points = sum(r.weight for r in reasons)
    alone = Score(
        subject_id, name, points, _by_weight(pros, strongest=True), _by_weight(cons, strongest=False)
    )
    return _Effect(subject_id, points, pros, cons, alone)


def score_subjects(pack: Pack, answers: Iterable[tuple[str, str]]) -> tuple[Score, ...]:
    """Sum each answer's evidence per subject; rank by points; subjects on equal points keep the pack's order
    (a stable order to draw them in: results show them as level, never as a winner)."""
    scoring = pack.derived(_scoring)
    moved: dict[str, list[_Effect]] = {}
    for answer in answers:
        for effect in scoring.effects.get(answer, ()):
            if (effects := moved.get(effect.subject_id)) is None:
                moved[effect.subject_id] = [effect]
            else:
                effects.append(effect)
    scores: list[Score] = []
    for i, subject in enumerate(pack.subjects):
        effects = moved.get(subject.id)
        if effects is None:
            scores.append(scoring.unscored[i])
        elif len(effects) == 1 and effects[0].alone.name == subject.name:
            scores.append(effects[0].alone)
        else:
            points = 0
            pros: list[Reason] = []
            cons: list[Reason] = []
            for effect in effects:
                points += effect.points
                pros += effect.reasons_for
                cons += effect.reasons_against
            strongest, weakest = _by_weight(pros, strongest=True), _by_weight(cons, strongest=False)
            scores.append(Score(subject.id, subject.name, points, strongest, weakest))
    order = scoring.order
    scores.sort(key=lambda sc: (-sc.points, order[sc.subject_id]))
    return tuple(scores)


def _by_weight(reasons: Sequence[Reason], *, strongest: bool) -> tuple[Reason, ...]:
    """Strongest (or most negative) first; equal weights in the order asked, as the sort is
    stable (with reverse=True too). Most lists hold one reason or none: no sort for those."""
    if len(reasons) < 2:
        return tuple(reasons)
    return tuple(sorted(reasons, key=_WEIGHT, reverse=strongest))


def points_by_answer(
    pack: Pack, answers: Iterable[tuple[str, str]], subject_id: str
) -> tuple[AnswerPoints, ...]:
    """Each answer's points for one subject, in the order given; answers that gave it none are left out."""
    points = pack.derived(_scoring).points
    out: list[AnswerPoints] = []
    for answer in answers:
        given = points.get(answer)
        mine = given.get(subject_id) if given is not None else None
        if mine is not None:
            out.append(mine)
    return tuple(out)


def strongest_first(points: Iterable[AnswerPoints]) -> tuple[AnswerPoints, ...]:
    """Most points first and answers that cost points last; equal ones in the order asked."""
    return tuple(sorted(points, key=lambda a: -a.points))


def answer_gaps(
    pack: Pack, answers: tuple[tuple[str, str], ...], *, top: str, runner_up: str
) -> tuple[AnswerGap, ...]:
    """The answers that separate two subjects, widest gap in favour of `top` first (then in the
    order asked; an answer given twice counts once, at its last place)."""
    points = pack.derived(_scoring).points
    last = {answer: i for i, answer in enumerate(answers)}
    gaps: list[tuple[int, int, AnswerGap]] = []
    for answer, place in last.items():
        given = points.get(answer)
        if given is None:
            continue
        mine, theirs = given.get(top), given.get(runner_up)
        shown = mine or theirs
        top_points = mine.points if mine else 0
        runner_points = theirs.points if theirs else 0
        if shown is not None and top_points != runner_points:
            gap = AnswerGap(answer[0], answer[1], shown.answer, top_points, runner_points)
            gaps.append((runner_points - top_points, place, gap))
    return tuple(gap for *_, gap in sorted(gaps))


def _possible(pack: Pack, answers: tuple[tuple[str, str], ...], top: Score) -> int:
    """The best answer for `top` on each question asked, summed."""
    best = pack.derived(_scoring).best
    subject_id = top.subject_id
    total = 0
    for question_id, _ in answers:
        total += best.get((question_id, subject_id), 0)
    return total


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
        c for c in (subject.companions if subject else ()) if not c.when or not given.isdisjoint(c.when)
    )
    cited: dict[str, None] = {}  # in order of first mention
    cites: tuple[Reason | Companion, ...] = (*top.reasons_for, *top.reasons_against, *reconsider, *companions)
    for cite in cites:
        for source in cite.sources:
            cited[source] = None
    if subject is not None:
        for source in subject.summary.sources:
            cited[source] = None
    notes = []
    for answer in answers:
        option = pack.chosen(answer)
        if option is not None and option.unsure and option.note:
            notes.append(option.note)
    possible = _possible(pack, answers, top)
    # Ranked by points, so the subjects level with the top pick are the first ones.
    level = next((i for i, score in enumerate(ranking) if score.points != top.points), len(ranking))
    return Recommendation(
        ranking=ranking,
        fit=_fit(top.points, possible),
        close_call=runner is not None and top.points - runner.points <= pack.close_margin,
        level_at_top=ranking[:level] if level > 1 else (),
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
