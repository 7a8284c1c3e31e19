"""The typed, immutable shape of a knowledge pack, as the loader builds it and everything else reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

RESULT = "result"
"""The `next` value that ends a path in a recommendation."""


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
    name: str
    why: str
    sources: tuple[str, ...]
    when: tuple[tuple[str, str], ...] = ()
    """(question, option) pairs; shown if any was answered, or always when empty."""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Subject:
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
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Evidence:
    subject: str
    weight: int
    reason: str
    sources: tuple[str, ...]
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Option:
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
    id: str
    prompt: str
    why: str
    options: tuple[Option, ...]
    help: str = ""
    sources: tuple[str, ...] = ()
    at: Location = NOWHERE

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    answers: tuple[tuple[str, str], ...]
    expect_top: str
    not_top: tuple[str, ...] = ()
    expect_runner_up: str = ""
    at: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Pack:
    id: str
    title: str
    description: str
    start: str
    checked: str
    tie_rule: str
    close_margin: int
    version: str
    """Hash of the pack's file contents: a conversation remembers it."""
    sources: Mapping[str, Source]
    subjects: tuple[Subject, ...]
    questions: Mapping[str, Question]
    scenarios: tuple[Scenario, ...] = ()
    path: str = ""
    at: Location = NOWHERE
    _subject_index: Mapping[str, Subject] = field(default_factory=lambda: MappingProxyType({}))

    def subject(self, subject_id: str) -> Subject | None:
        return self._subject_index.get(subject_id)

    def question(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)
