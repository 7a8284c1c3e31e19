"""Whether answers given on one pack version can carry on, unchanged, in another.

A wording edit (a `why`, a label, a source) leaves every question and option id in place, so a
conversation moves to the new version by itself and nobody notices. A structural edit (an
option removed or renamed, a question moved) would change what the answers mean, so such a
conversation finishes on the version it started on.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import AnswersDoNotFit
from bot.pack.model import RESULT, Pack


def carries_over(
    answers: tuple[tuple[str, str], ...],
    *,
    pinned: Pack | None,
    current: Pack,
    also_used: Iterable[tuple[str, str]] = (),
) -> bool:
    """True when `answers` lead to the same place in `current` as in `pinned`.

    Same question and option ids along the path, and the question they lead to offers the
    same option ids in both (its buttons were drawn on `pinned`). `also_used` names other
    (question, option) pairs that must exist in `current`: a team's votes for options that
    were not chosen. With `pinned` unknown (no longer kept), fitting the path is enough.
    """
    try:
        here = current.position(answers)
    except AnswersDoNotFit:
        return False
    for question_id, option_id in also_used:
        question = current.question(question_id)
        if question is None or question.option(option_id) is None:
            return False
    if pinned is None:
        return True
    try:
        there = pinned.position(answers)
    except AnswersDoNotFit:
        return True  # the answers do not even fit their own version; the current one is better
    if here != there:
        return False
    if here == RESULT:
        return True
    new, old = current.question(here), pinned.question(there)
    if new is None or old is None:
        return False
    return [o.id for o in new.options] == [o.id for o in old.options]
