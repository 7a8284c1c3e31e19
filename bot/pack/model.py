"""The typed, immutable shape of a knowledge pack, as the loader builds it and everything else reads it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from bot.errors import AnswersDoNotFit

RESULT = "result"
"""The `next` value that ends a path in a recommendation."""

_Derived = TypeVar("_Derived")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value sits in its file, so every finding can name file:line:col."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Location("?", 0, 0)


@dataclass(frozen=True, slots=True)
class Source:
    """A reference a claim cites: every fact in a pack carries one."""

    id: str
    url: str
    title: str
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Claim:
    """A factual sentence and the sources that back it."""

    text: str
    sources: tuple[str, ...]
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Companion:
    """A library a subject is usually paired with, and why."""

    name: str
    why: str
    sources: tuple[str, ...]
    when: tuple[tuple[str, str], ...] = ()
    """(question, option) pairs; shown if any was answered, or always when empty."""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Subject:
    """A framework the pack can recommend, with what it is best for."""

    id: str
    name: str
    summary: Claim
    url: str
    latest_version: str
    checked: str
    strengths: tuple[Claim, ...]
    weaknesses: tuple[Claim, ...]
    best_for: tuple[Claim, ...]
    avoid_when: tuple[Claim, ...]
    companions: tuple[Companion, ...] = ()
    released: str = ""
    runner_up_only: str = ""
    package: str = ""
    """Its distribution name on the package index, when that is not its id (for freshness checks)."""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Evidence:
    """Points an option gives a subject (or takes away), with its sources."""

    subject: str
    weight: int
    reason: str
    sources: tuple[str, ...]
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to a question: where it leads and the evidence it adds."""

    id: str
    label: str
    next: str
    synonyms: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    unsure: bool = False
    note: str = ""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Question:
    """A step of the decision tree: its prompt, why it is asked and its options."""

    id: str
    prompt: str
    why: str
    options: tuple[Option, ...]
    help: str = ""
    sources: tuple[str, ...] = ()
    at: Location = NOWHERE
    _by_id: Mapping[str, Option] = field(init=False, repr=False, compare=False)
    """A plain dict typed read-only, as the tables of `Pack`."""

    def __post_init__(self) -> None:
        by_id: dict[str, Option] = {}
        for option in self.options:
            by_id.setdefault(option.id, option)
        object.__setattr__(self, "_by_id", by_id)

    def option(self, option_id: str) -> Option | None:
        return self._by_id.get(option_id)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A walk with its expected top pick, checked by lint so an edit can't silently flip advice."""

    name: str
    answers: tuple[tuple[str, str], ...]
    expect_top: str
    not_top: tuple[str, ...] = ()
    expect_runner_up: str = ""
    acceptable: tuple[str, ...] = ()
    """Other top picks an expert accepts for near variants (one answer changed); see bot/robustness.py."""
    runner_up: tuple[str, ...] = ()
    """Runner-ups an expert accepts for this scenario itself; empty means any."""
    never: tuple[str, ...] = ()
    """Subjects that must not come first, on this scenario or on any near variant."""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, linted knowledge pack: questions, subjects and sources, immutable."""

    id: str
    title: str
    description: str
    start: str
    checked: str
    close_margin: int
    version: str
    """Hash of the pack's file contents: a conversation remembers it."""
    sources: Mapping[str, Source]
    subjects: tuple[Subject, ...]
    questions: Mapping[str, Question]
    scenarios: tuple[Scenario, ...] = ()
    path: str = ""
    at: Location = NOWHERE
    # Lookup tables built once per pack. Plain dicts typed read-only: nothing outside reads
    # them, and a MappingProxyType lookup costs twice a dict's on every click.
    _subject_index: Mapping[str, Subject] = field(init=False, repr=False, compare=False)
    _question_index: Mapping[str, Question] = field(init=False, repr=False, compare=False)
    _remaining: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _most: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _chosen: Mapping[tuple[str, str], Option] = field(init=False, repr=False, compare=False)
    _derived: dict[Callable[[Pack], Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        subjects: dict[str, Subject] = {}
        for subject in self.subjects:
            subjects.setdefault(subject.id, subject)
        object.__setattr__(self, "_subject_index", subjects)
        object.__setattr__(self, "_question_index", dict(self.questions))
        chosen: dict[tuple[str, str], Option] = {}
        for question_id, question in self.questions.items():
            for option in question.options:
                chosen.setdefault((question_id, option.id), option)
        object.__setattr__(self, "_chosen", chosen)
        object.__setattr__(self, "_derived", {})
        remaining = _questions_to_result(self.questions)
        object.__setattr__(self, "_remaining", remaining)
        object.__setattr__(self, "_most", _most_questions(self.questions, remaining))

    def reaches_result(self, question_id: str) -> bool:
        return question_id in self._remaining

    def remaining(self, question_id: str) -> int:
        """The fewest questions left before a result, counting this one (a progress hint)."""
        return self._remaining.get(question_id, 1)

    def most_remaining(self, question_id: str) -> int:
        """The most questions left before a result, counting this one: the "about N" of a progress line.

        Unlike `remaining` (the shortest way out, which keeps rising as a conversation takes the
        usual, longer paths), answered + most_remaining never rises from one question to the next.
        """
        most = self._most.get(question_id)
        return most if most is not None else self.remaining(question_id)

    def subject(self, subject_id: str) -> Subject | None:
        return self._subject_index.get(subject_id)

    def question(self, question_id: str) -> Question | None:
        return self._question_index.get(question_id)

    def chosen(self, answer: tuple[str, str]) -> Option | None:
        """The option an answer (question id, option id) names in this version, or None.

        One lookup, as `question(q).option(o)` would be two: every click reads a few.
        """
        return self._chosen.get(answer)

    def derived(self, build: Callable[[Pack], _Derived]) -> _Derived:
        """`build(self)`, worked out on first use and kept with this pack.

        A pack never changes, so a table derived from it (the points each answer gives each
        subject, the numbered choices of each question) is built once per version instead of
        on every click. `build` must be a pure module-level function: it is the key (two
        threads asking at once may both build it; either result is the same).
        """
        try:
            return cast(_Derived, self._derived[build])
        except KeyError:
            table = self._derived[build] = build(self)
            return table

    def position(self, answers: tuple[tuple[str, str], ...]) -> str:
        """The question id `answers` lead to from the start, or RESULT.

        Raises AnswersDoNotFit when they name a question off the path or an option this
        version lacks: what a conversation stored on another version meets. Every click asks,
        so each answer costs one lookup; questions are keyed by their own id (the loader's
        rule), so an answer whose question is the current one and whose pair is known fits.
        """
        current = self.start
        chosen = self._chosen
        for answer in answers:
            option = chosen.get(answer) if answer[0] == current else None
            if option is None:
                return self._position_checked(answers)
            current = option.next
        return current

    def _position_checked(self, answers: tuple[tuple[str, str], ...]) -> str:
        """`position` one question at a time: says which answer does not fit, and how."""
        current = self.start
        for question_id, option_id in answers:
            question = self.questions.get(current)
            if question is None or question.id != question_id:
                raise AnswersDoNotFit(pack_id=self.id, version=self.version, question_id=question_id)
            option = question.option(option_id)
            if option is None:
                raise AnswersDoNotFit(
                    pack_id=self.id, version=self.version, question_id=question_id, option_id=option_id
                )
            current = option.next
        return current


def _questions_to_result(questions: Mapping[str, Question]) -> dict[str, int]:
    """Breadth-first from the result over reversed `next` links: O(questions + options)."""
    into: dict[str, list[str]] = {}
    for question in questions.values():
        for option in question.options:
            into.setdefault(option.next, []).append(question.id)
    distance: dict[str, int] = {}
    frontier = [RESULT]
    depth = 0
    while frontier:
        depth += 1
        following: list[str] = []
        for target in frontier:
            for source in into.get(target, ()):
                if source not in distance:
                    distance[source] = depth
                    following.append(source)
        frontier = following
    return distance


def _most_questions(questions: Mapping[str, Question], fewest: Mapping[str, int]) -> dict[str, int]:
    """The longest way to a result from each question; depth-first with an explicit stack, so a long
    chain of questions cannot hit the recursion limit.

    An option leading back into the walk (a cycle) or to a dead end, both refused by lint,
    counts as its fewest way out.
    """
    most: dict[str, int] = {}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in questions:
        if root in state or root not in fewest:
            continue
        stack = [root]
        while stack:
            question_id = stack[-1]
            options = questions[question_id].options
            if question_id not in state:
                state[question_id] = 1
                stack.extend(o.next for o in options if o.next in fewest and o.next not in state)
                continue
            stack.pop()
            if state[question_id] == 2:
                continue
            state[question_id] = 2
            ways = [
                0 if o.next == RESULT else most.get(o.next, fewest[o.next])
                for o in options
                if o.next == RESULT or o.next in fewest
            ]
            most[question_id] = 1 + max(ways, default=0)
    return most
