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
from itertools import combinations

from bot.pack.findings import Finding, Severity
from bot.pack.model import Evidence, Pack

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
    order: int
    """Its position in pack order, so the earliest repeat is the one named."""


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


def _ancestors(pack: Pack, index: dict[str, int]) -> list[int]:
    """For each question (by its index in pack order), the questions a walk passes on its way there,
    itself included, as a bitmask (bit i: question i).

    Kahn's order over the flow, one pass and no recursion, so a chain of 10,000 questions costs
    10,000 big-integer ORs. Questions on a cycle (lint refuses them before this runs) keep what
    reached them before the cycle.
    """
    size = len(index)
    children: list[list[int]] = [[] for _ in range(size)]
    waiting = [0] * size
    for question_id, i in index.items():
        for option in pack.questions[question_id].options:
            j = index.get(option.next)
            if j is not None:
                children[i].append(j)
                waiting[j] += 1
    masks = [1 << i for i in range(size)]
    ready = [i for i in range(size) if not waiting[i]]
    while ready:
        i = ready.pop()
        for j in children[i]:
            masks[j] |= masks[i]
            waiting[j] -= 1
            if not waiting[j]:
                ready.append(j)
    return masks


def _placed(pack: Pack) -> list[_Placed]:
    out: list[_Placed] = []
    for question in pack.questions.values():
        for option in question.options:
            for evidence in option.evidence:
                out.append(_Placed(question.id, option.id, option.next, evidence, len(out)))
    return out


_SAME = "same"
_WORDS = "words"


def find_double_counts(pack: Pack) -> Iterator[Finding]:
    """W006 at each piece of evidence that repeats one an earlier answer on its path already counts.

    Linear in the evidence, however the repeats fall: every piece is filed under its keys (its
    subject and sign with its flattened sentence, and with each cited source and each pair of
    its key words); two pieces under one key meet the rule in the module docstring, and one
    AND of bitmasks per key says whether a walk can pick them both. No pair of pieces is ever
    enumerated, so a pack that repeats one fact 2,000 times costs 2,000 steps, not 2,000,000,
    and says so once per repeat.
    """
    index = {question_id: i for i, question_id in enumerate(pack.questions)}
    ancestors = _ancestors(pack, index)
    names = {
        s.id: frozenset({_singular(w) for w in re.findall(r"[a-z0-9]+", f"{s.id} {s.name}".casefold())})
        for s in pack.subjects
    }
    placed = _placed(pack)
    words: list[frozenset[str]] = []
    buckets: dict[tuple[str, ...], list[_Placed]] = {}
    for p in placed:
        evidence = p.evidence
        subject, sign = evidence.subject, "+" if evidence.weight > 0 else "-"
        found = key_words(evidence.reason, subject_names=names.get(subject, frozenset({subject})))
        words.append(found)
        buckets.setdefault((_SAME, subject, sign, _flat(evidence.reason)), []).append(p)
        pairs = list(combinations(sorted(found), 2))
        for source in dict.fromkeys(evidence.sources):
            for first, second in pairs:
                buckets.setdefault((_WORDS, subject, sign, source, first, second), []).append(p)
    # b.order -> (by the same sentence?, a): the repeat each later piece is reported against.
    repeats: dict[int, tuple[bool, _Placed]] = {}
    for key, members in buckets.items():
        if len(members) < 2:
            continue
        same = key[0] == _SAME
        leading: dict[int, _Placed] = {}
        mask = 0
        for a in members:
            target = index.get(a.next)
            if target is not None and target not in leading:
                leading[target] = a
                mask |= 1 << target
        if not mask:
            continue
        for b in members:
            hit = ancestors[index[b.question_id]] & mask
            if not hit:
                continue
            a = leading[(hit & -hit).bit_length() - 1]
            if a.question_id == b.question_id:  # only on a cycle, which lint refuses first
                continue
            known = repeats.get(b.order)
            if known is None or (same, -a.order) > (known[0], -known[1].order):
                repeats[b.order] = (same, a)
    for order in sorted(repeats):
        same, a = repeats[order]
        b = placed[order]
        shared = frozenset() if same else words[a.order] & words[b.order]
        yield _finding(b.evidence.subject, a, b, same=same, shared=shared)


def _flat(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


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
