"""Options as numbered choices, and typed text -> the option it means (number, id, label, synonym).

The numbers a user types are the ones every renderer shows, so both directions live here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.errors import UnknownAnswer
from bot.pack.model import Option, Question


@dataclass(frozen=True, slots=True)
class Choice:
    """An option as a user sees it: its number (what they may type), id and label."""

    number: int
    id: str
    label: str


def numbered_choices(question: Question) -> tuple[Choice, ...]:
    return tuple(Choice(i, o.id, o.label) for i, o in enumerate(question.options, 1))


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def resolve_answer(question: Question, text: str) -> Option:
    """Find the option a typed answer means, or raise UnknownAnswer with the choices."""
    wanted = _normal(text.strip().rstrip(".").lstrip("#"))
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(question.options):
            return question.options[number - 1]
    names: dict[str, Option] = {}
    for option in question.options:
        for name in (option.id, option.label, *option.synonyms):
            names.setdefault(_normal(name), option)
    if wanted in names:
        return names[wanted]
    starts = {o.id: o for name, o in names.items() if wanted and name.startswith(wanted)}
    if len(starts) == 1:
        return next(iter(starts.values()))
    close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.72)
    suggestion = names[close[0]].label if close else None
    raise UnknownAnswer(text.strip(), [o.label for o in question.options], suggestion)
