"""Does one changed answer flip a scenario's top pick to something an expert would not sign?

A scenario stands for one user. Its *near variants* are that user with exactly one answer changed
to another option of the same question. Advice that flips on such a change to a pick outside the
scenario's `acceptable` list (or into its `never` list) is fragile: one weight or one route in the
pack is out of proportion, and the message says which points moved.

How a variant is walked: from the pack's start, each question reached takes the scenario's answer
if it has one. A question the scenario never answered (the change led to it) is *completed* with
its "not sure" option, which lint keeps free of evidence (E019), so completing adds no opinion; a
question without one takes the option that moves the fewest points (least summed |weight|, the
first such in pack order). Answers to questions the new path no longer reaches are dropped.

Pure: a Pack in, a report out. Findings: E023 (a flip outside `acceptable`), E024 (a `never`
subject comes first on a variant); the scenario's own expectations stay with bot/pack/scenarios.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.pack.findings import Finding
from bot.pack.model import RESULT, Option, Pack, Question, Scenario
from bot.pack.scenarios import run_scenario
from bot.ranking import Score, score_subjects

AnswerPath = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Variant:
    """One scenario with one answer changed, walked to a result."""

    scenario: Scenario
    question_id: str
    option_id: str
    """The option the changed answer picks instead of the scenario's."""
    path: AnswerPath
    completed: tuple[str, ...]
    """Questions the scenario never answered, answered here by the completion rule."""
    ranking: tuple[Score, ...]
    base: tuple[Score, ...]
    """The scenario's own ranking, to show what moved."""

    @property
    def top(self) -> str:
        return self.ranking[0].subject_id

    @property
    def is_flip(self) -> bool:
        return self.top != self.base[0].subject_id

    @property
    def is_acceptable(self) -> bool:
        scenario = self.scenario
        return self.top not in scenario.never and (
            self.top == scenario.expect_top or self.top in scenario.acceptable
        )

    @property
    def moved(self) -> tuple[tuple[str, int], ...]:
        """(subject, points gained or lost against the scenario), biggest gain first, zeros left out."""
        before = {s.subject_id: s.points for s in self.base}
        deltas = [(s.subject_id, s.points - before[s.subject_id]) for s in self.ranking]
        return tuple(sorted(((s, d) for s, d in deltas if d), key=lambda item: -item[1]))


@dataclass(frozen=True, slots=True)
class RobustnessReport:
    scenarios: int
    """Scenarios that pass by themselves, so they were varied."""
    variants: tuple[Variant, ...]
    findings: tuple[Finding, ...]

    @property
    def flips(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.is_flip)

    @property
    def failed(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if not v.is_acceptable)

    @property
    def passed(self) -> bool:
        return not any(f.is_error for f in self.findings)


def completion(question: Question) -> Option:
    """The answer a variant gives to a question its scenario never answered (module docstring)."""
    for option in question.options:
        if option.unsure:
            return option
    return min(question.options, key=lambda o: sum(abs(e.weight) for e in o.evidence))


def walk_with_completion(pack: Pack, answers: Mapping[str, str]) -> tuple[AnswerPath, tuple[str, ...]]:
    """Follow the pack from its start on `answers`, completing unanswered questions."""
    path: list[tuple[str, str]] = []
    completed: list[str] = []
    here = pack.start
    while here != RESULT and len(path) <= len(pack.questions):
        question = pack.question(here)
        if question is None:
            break
        option = question.option(answers.get(here, ""))
        if option is None:
            option = completion(question)
            completed.append(here)
        path.append((here, option.id))
        here = option.next
    return tuple(path), tuple(completed)


def near_variants(pack: Pack, scenario: Scenario, base_path: AnswerPath) -> Iterator[Variant]:
    """Every single-answer change of a scenario whose own path is `base_path`."""
    base = score_subjects(pack, base_path)
    answers = dict(base_path)
    for question_id, chosen in base_path:
        question = pack.question(question_id)
        if question is None:
            continue
        for option in question.options:
            if option.id == chosen:
                continue
            path, completed = walk_with_completion(pack, {**answers, question_id: option.id})
            yield Variant(
                scenario=scenario,
                question_id=question_id,
                option_id=option.id,
                path=path,
                completed=completed,
                ranking=score_subjects(pack, path),
                base=base,
            )


def describe(pack: Pack, variant: Variant) -> str:
    """The answer that did it, the points that moved, and who now leads whom."""
    question = pack.question(variant.question_id)
    option = question.option(variant.option_id) if question else None
    label = f' ("{option.label}", {option.at})' if option is not None else ""
    moved = ", ".join(f"{s} {d:+d}" for s, d in variant.moved) or "no points moved"
    points = {s.subject_id: s.points for s in variant.ranking}
    old_top = variant.base[0].subject_id
    text = (
        f"{variant.question_id}={variant.option_id}{label}: {moved}; top pick {variant.top}"
        f" ({points[variant.top]}) over {old_top} ({points[old_top]})"
    )
    if variant.completed:
        filled = ", ".join(f"{q}={dict(variant.path)[q]}" for q in variant.completed)
        text += f"; the new path also answers {filled}"
    return text


def _finding(pack: Pack, variant: Variant) -> Finding:
    scenario = variant.scenario
    if variant.top in scenario.never:
        return Finding(
            scenario.at,
            "E024",
            f"'{scenario.name}': {describe(pack, variant)}; {variant.top} is listed under `never`."
            " Lower the weight that moved most, or reconsider the scenario's `never`",
        )
    accepted = ", ".join((scenario.expect_top, *scenario.acceptable))
    return Finding(
        scenario.at,
        "E023",
        f"'{scenario.name}': {describe(pack, variant)}; acceptable: {accepted}."
        " Fix the weight that moved most, or add the pick to `acceptable` if an expert would sign it",
    )


def check_robustness(pack: Pack) -> RobustnessReport:
    """Vary every scenario that passes by itself; a failing one is reported by its scenario test."""
    variants: list[Variant] = []
    findings: list[Finding] = []
    varied = 0
    for scenario in pack.scenarios:
        outcome = run_scenario(pack, scenario)
        if not outcome.passed:
            continue
        varied += 1
        for variant in near_variants(pack, scenario, outcome.path):
            variants.append(variant)
            if not variant.is_acceptable:
                findings.append(_finding(pack, variant))
    return RobustnessReport(scenarios=varied, variants=tuple(variants), findings=tuple(findings))
