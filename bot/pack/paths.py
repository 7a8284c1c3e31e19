"""How many questions a walk through a pack asks: the count of paths of each length.

The README's "N to M questions" is checked against this, so it is never written by hand and
never drifts when the pack changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from bot.pack.model import RESULT, Pack


def path_lengths(pack: Pack) -> Mapping[int, int]:
    """Questions asked -> how many distinct answer paths ask that many (from the start to a result).

    Counted over the flow graph, never by walking each path: the shipped pack has half a
    million of them. Options leading into a cycle or a dead end (lint refuses both) are skipped.
    """
    counts: dict[str, Counter[int]] = {}
    order = _reverse_topological(pack)
    for question_id in order:
        question = pack.questions[question_id]
        here: Counter[int] = Counter()
        for option in question.options:
            if option.next == RESULT:
                here[1] += 1
            elif option.next in counts:
                for length, number in counts[option.next].items():
                    here[length + 1] += number
        counts[question_id] = here
    return dict(sorted(counts.get(pack.start, Counter()).items()))


def _reverse_topological(pack: Pack) -> list[str]:
    """Questions reachable from the start, each after every question it leads to; cycles cut."""
    done: list[str] = []
    state: dict[str, int] = {}
    if pack.start not in pack.questions:
        return done
    stack = [pack.start]
    while stack:
        question_id = stack[-1]
        if question_id not in state:
            state[question_id] = 1
            stack.extend(
                o.next
                for o in pack.questions[question_id].options
                if o.next in pack.questions and o.next not in state
            )
            continue
        stack.pop()
        if state[question_id] == 1:
            state[question_id] = 2
            done.append(question_id)
    return done
