"""Options as numbered choices, and typed text -> the option it means (number, id, label, synonym).

The numbers a user types are the ones every renderer shows, so both directions live here.

Order of tries: a plain number (1..n; "-1" or "0" are refused, never read as an option); the
whole text as an id, label or synonym; a unique prefix; then a phrase: the text names exactly
one option ("mostly html pages", "a REST API for our app"), longer names winning over the
shorter names they contain ("pages and an API" is the mix, not pages). A phrase with a
negation outside every name it contains ("not flask"), or one that only a bare "no" would
match ("no idea"), or one with a near miss of an option's word ("jsn api"), is never guessed
at: the user is asked again, with the choices and a did-you-mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


_SIGNED_NUMBER = re.compile(r"^[-+\u2212]\s*\d+$")
_FILLER = frozenset(
    (  # noqa: SIM905  # one line of words reads better than a column of 37 strings
        "a an and any are but can for from has have its it's just mainly mostly need our please some"
        " that the them then they this use via want was we what will with would you your"
    ).split()
)
"""Words a phrase may carry around an option's name without looking like a typo of one."""
_NEGATION = re.compile(r"\b(not|no|never|without|dont|don't|isn't|aren't|won't|nor)\b")


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _words(text: str) -> str:
    """Lower-case words only, so 'Pages, and an API!' and 'pages and an api' compare equal."""
    return " ".join(re.findall(r"[\w']+", _normal(text)))


def _singular(text: str) -> str:
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in text.split()
    )


def _phrase_match(wanted: str, names: dict[str, Option]) -> Option | None:
    """The one option the text names as whole words, or None when it names none or several."""
    text = _words(wanted)
    spans: list[tuple[int, int, Option]] = []
    for name, option in names.items():
        words = _words(name)
        if not words or _NEGATION.fullmatch(words):
            continue  # a bare "no" inside "no idea" says nothing about this option
        for match in re.finditer(rf"(?<![\w']){re.escape(words)}(?![\w'])", text):
            spans.append((match.start(), match.end(), option))
    # Drop every match that lies inside a longer one: "pages and an api" hides "pages" and "api".
    kept = [
        (start, end, option)
        for start, end, option in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    ]
    if len({option.id for _, _, option in kept}) != 1:
        return None
    if _has_typo(text, kept, names):
        return None
    covered = [(start, end) for start, end, _ in kept]
    for negation in _NEGATION.finditer(text):
        if not any(start <= negation.start() and negation.end() <= end for start, end in covered):
            return None
    return kept[0][2]


def _has_typo(text: str, kept: list[tuple[int, int, Option]], names: dict[str, Option]) -> bool:
    """A word outside the matches that is a near miss of an option's word ("jsn" for "json")."""
    vocabulary = {word for name in names for word in _words(name).split()}
    rest = text
    for start, end, _ in sorted(kept, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    return any(
        len(word) >= 3
        and word not in vocabulary
        and word not in _FILLER
        and _close(word, vocabulary, cutoff=0.8)
        for word in rest.split()
    )


def _cleaned(text: str) -> str:
    return _normal(text.strip().rstrip(".").lstrip("#"))


def is_verbatim(option: Option, text: str) -> bool:
    """Whether `text` is the option's label itself (case, spacing and a final dot aside).

    Anything else was interpreted (a number, an id, a synonym, a prefix, a phrase), so the
    reply says how it was taken: a misreading is seen at once, not at the result.
    """
    return _cleaned(text) == _normal(option.label)


def resolve_answer(question: Question, text: str) -> Option:
    """Find the option a typed answer means, or raise UnknownAnswer with the choices."""
    wanted = _cleaned(text)
    choices = [o.label for o in question.options]
    if _SIGNED_NUMBER.match(text.strip()):
        raise UnknownAnswer(text.strip(), choices, None)
    if wanted.isdigit():
        # int() refuses "²" (a digit, not a decimal) and more than 4,300 digits: both are no option.
        number = int(wanted) if wanted.isdecimal() and len(wanted) <= 6 else 0
        if 1 <= number <= len(question.options):
            return question.options[number - 1]
        raise UnknownAnswer(text.strip(), choices, None)
    names: dict[str, Option] = {}
    for option in question.options:
        for name in (option.id, option.label, *option.synonyms):
            names.setdefault(_normal(name), option)
    if wanted in names:
        return names[wanted]
    singular = {_singular(name): option for name, option in reversed(names.items())}
    if _singular(wanted) in singular:
        return singular[_singular(wanted)]
    starts = {o.id: o for name, o in names.items() if wanted and name.startswith(wanted)}
    if len(starts) == 1:
        return next(iter(starts.values()))
    phrased = _phrase_match(wanted, names) or _phrase_match(
        _singular(_words(wanted)), {_singular(_words(n)): o for n, o in reversed(names.items())}
    )
    if phrased is not None:
        return phrased
    close = _close(wanted, list(names), cutoff=0.72)
    suggestion = names[close[0]].label if close else None
    raise UnknownAnswer(text.strip(), choices, suggestion)


def _close(word: str, candidates: Iterable[str], *, cutoff: float) -> list[str]:
    """difflib's best match, imported on the first typed answer that needs it (not at start)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
