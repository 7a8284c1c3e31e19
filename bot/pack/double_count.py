"""Lint W006: one fact scored twice for one subject on one path.

Each answer on a path should add evidence the other answers have not already counted. When two
questions both reward (or both penalise) a subject for the same fact, say, "has WebSockets
built in" at both "what will it deliver" and "what traffic pattern", the subject wins on
repetition, and one changed answer swings the result by twice that fact's weight.

The rule: two pieces of evidence count one fact twice when
  1. they sit on options of different questions that one walk can both answer,
  2. they are for the same subject with the same sign (both for, or both against), and
  3. their reasons are the same sentence (ignoring case and punctuation), or they cite a
     common source *and* their reasons share at least two key words.

Key words are words of three or more letters, singular, that are not common English function
words and not the subject's own name. The source alone is not enough: one comparison article
backs many independent facts ("Django has an ORM", "Django's learning curve is steeper"). Two
shared key words from the same source ("Flask API ... carries over", "WebSocket ... Starlette")
are how a repeated claim shows itself; different facts from one page rarely share two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from bot.pack.findings import Finding, Severity
from bot.pack.model import RESULT, Evidence, Pack

_STOP = frozenset(
    (  # noqa: SIM905  # a paragraph of words reads better than a column of 90 strings
        "about above after again against all also and any are because been before being below"
        " between both but can could did does doing down during each even every few for from"
        " further get gets had has have having here how into its it's itself just like may more"
        " most much must need needs not now off once one only other our out over own per same"
        " should since some such than that the their them then there these they this those"
        " through too under until upon very via was were what when where which while who whose"
        " why will with within without would yet you your yours already also well"
    ).split()
)
MIN_SHARED_WORDS = 2


@dataclass(frozen=True, slots=True)
class _Placed:
    question_id: str
    option_id: str
    next: str
    evidence: Evidence


def _singular(word: str) -> str:
    """Crude, but enough to match "WebSockets" with "WebSocket" and "dependencies" with "dependency"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def key_words(text: str, *, subject_names: frozenset[str]) -> frozenset[str]:
    """The words that carry a reason's meaning (see the module docstring)."""
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", text.casefold())
    out = set()
    for raw in words:
        word = raw.strip("'-").removesuffix("'s")
        if len(word) < 3 or word in _STOP:
            continue
        word = _singular(word)
        if word not in subject_names:
            out.add(word)
    return frozenset(out)


def _same_sentence(a: str, b: str) -> bool:
    def flat(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))

    return flat(a) == flat(b)


def _reachable(pack: Pack) -> dict[str, frozenset[str]]:
    """For each question, the questions a walk can still reach from it, itself included."""

    @cache
    def reach(question_id: str) -> frozenset[str]:
        question = pack.question(question_id)
        if question is None:
            return frozenset()
        found = {question_id}
        for option in question.options:
            if option.next != RESULT:
                found |= reach(option.next)
        return frozenset(found)

    return {question_id: reach(question_id) for question_id in pack.questions}


def find_double_counts(pack: Pack) -> Iterator[Finding]:
    reach = _reachable(pack)
    by_subject: dict[str, list[_Placed]] = {}
    for question in pack.questions.values():
        for option in question.options:
            for evidence in option.evidence:
                by_subject.setdefault(evidence.subject, []).append(
                    _Placed(question.id, option.id, option.next, evidence)
                )
    names = {
        s.id: frozenset({_singular(w) for w in re.findall(r"[a-z0-9]+", f"{s.id} {s.name}".casefold())})
        for s in pack.subjects
    }
    for subject_id, placed in by_subject.items():
        subject_names = names.get(subject_id, frozenset({subject_id}))
        words = {id(p): key_words(p.evidence.reason, subject_names=subject_names) for p in placed}
        for a, b in combinations(placed, 2):
            if a.question_id == b.question_id or (a.evidence.weight > 0) != (b.evidence.weight > 0):
                continue
            if _follows(reach, a, b):
                earlier, later = a, b
            elif _follows(reach, b, a):
                earlier, later = b, a
            else:
                continue
            same = _same_sentence(a.evidence.reason, b.evidence.reason)
            shared = words[id(a)] & words[id(b)]
            common_source = set(a.evidence.sources) & set(b.evidence.sources)
            if same or (common_source and len(shared) >= MIN_SHARED_WORDS):
                yield _finding(subject_id, earlier, later, same=same, shared=shared)


def _follows(reach: dict[str, frozenset[str]], a: _Placed, b: _Placed) -> bool:
    """Can a walk that picks `a` still reach `b`'s question?"""
    return a.next != RESULT and b.question_id in reach.get(a.next, frozenset())


def _finding(
    subject_id: str, first: _Placed, second: _Placed, *, same: bool, shared: frozenset[str]
) -> Finding:
    why = "the same reason" if same else f"a shared source and the words {', '.join(sorted(shared))}"
    sign = "for" if second.evidence.weight > 0 else "against"
    return Finding(
        second.evidence.at,
        "W006",
        f"{second.question_id}={second.option_id} counts a fact {sign} {subject_id} that"
        f" {first.question_id}={first.option_id} already counts on the same path ({why};"
        f" {first.evidence.at}): keep the fact on one answer, or make each reason say what is"
        " independent about it",
        Severity.WARNING,
    )
