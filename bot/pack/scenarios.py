"""Run a pack's scenario tests: answers in, expected top pick out, as findings lint can print."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.pack.findings import Finding
from bot.pack.model import RESULT, Pack, Scenario
from bot.ranking import score_subjects


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    scenario: Scenario
    path: tuple[tuple[str, str], ...]
    ranking: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


def run_scenario(pack: Pack, scenario: Scenario) -> ScenarioOutcome:
    answers = dict(scenario.answers)
    path: list[tuple[str, str]] = []
    problems: list[Finding] = []
    here = pack.start
    while here != RESULT:
        question = pack.question(here)
        if question is None:
            problems.append(
                Finding(scenario.at, "E021", f"'{scenario.name}': path reaches unknown question {here}")
            )
            break
        if question.id not in answers:
            problems.append(
                Finding(
                    scenario.at,
                    "E021",
                    f"'{scenario.name}' does not answer question {question.id}, which its path reaches",
                )
            )
            break
        option = question.option(answers[question.id])
        if option is None:
            choices = ", ".join(o.id for o in question.options)
            problems.append(
                Finding(
                    scenario.at,
                    "E021",
                    f"'{scenario.name}': {question.id} has no option '{answers[question.id]}' ({choices})",
                )
            )
            break
        path.append((question.id, option.id))
        here = option.next
        if len(path) > len(pack.questions):
            break
    ranking = tuple(s.subject_id for s in score_subjects(pack, path))
    if not problems:
        unused = set(answers) - {q for q, _ in path}
        if unused:
            problems.append(
                Finding(
                    scenario.at,
                    "E021",
                    f"'{scenario.name}' answers questions its path never reaches: "
                    + ", ".join(sorted(unused)),
                )
            )
        scores = {s.subject_id: s.points for s in score_subjects(pack, path)}
        shown = ", ".join(f"{s}={scores[s]}" for s in ranking[:4])
        if ranking[0] != scenario.expect_top:
            problems.append(
                Finding(
                    scenario.at,
                    "E022",
                    f"'{scenario.name}': expected {scenario.expect_top} first, got {shown}",
                )
            )
        if ranking[0] in scenario.not_top:
            problems.append(
                Finding(scenario.at, "E022", f"'{scenario.name}': {ranking[0]} must not come first ({shown})")
            )
        if ranking[0] in scenario.never:
            problems.append(
                Finding(
                    scenario.at, "E022", f"'{scenario.name}': {ranking[0]} must never come first ({shown})"
                )
            )
        if scenario.runner_up and ranking[1:2] and ranking[1] not in scenario.runner_up:
            problems.append(
                Finding(
                    scenario.at,
                    "E022",
                    f"'{scenario.name}': runner-up {ranking[1]} is not one of"
                    f" {', '.join(scenario.runner_up)} ({shown})",
                )
            )
        if scenario.expect_runner_up and ranking[1:2] != (scenario.expect_runner_up,):
            problems.append(
                Finding(
                    scenario.at,
                    "E022",
                    f"'{scenario.name}': expected runner-up {scenario.expect_runner_up}, got {shown}",
                )
            )
    return ScenarioOutcome(scenario, tuple(path), ranking, tuple(problems))


def run_scenarios(pack: Pack) -> Iterator[ScenarioOutcome]:
    for scenario in pack.scenarios:
        yield run_scenario(pack, scenario)
