"""Where a team's decision is fragile (pure): first choices, the nearest flip, and warnings.

A team signs a decision more readily when it can see how close it was: whether the pick is
anyone's own first choice, which option comes next, and the fewest changed votes that would
put that option on top ("if one member who answered X had answered Y on question 4, Django
would lead"). The search works on the same weighted votes as the team ranking
(`scoring.py`), in whole numbers scaled by the voter counts, so it is exact and cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

from bot.pack.model import Pack
from bot.team.scoring import TeamRanking, points_text
from bot.team.session import ClosedQuestion

MAX_SWING = 4
"""Past this many changed votes the "what would flip it" line says no small change would."""
LOW_FIT = 50
"""A team pick under this fit (percent) gets a warning: the answers pull apart."""


@dataclass(frozen=True, slots=True)
class VoteChange:
    """One member answering a closed question differently."""

    number: int
    """The question's number in the session (1 for the first)."""
    question_id: str
    prompt: str
    from_label: str
    to_label: str


@dataclass(frozen=True, slots=True)
class Swing:
    """The fewest changed votes that would put `name` strictly on top of the team ranking."""

    subject_id: str
    name: str
    changes: tuple[VoteChange, ...]
    """Empty when no change of up to MAX_SWING votes would."""

    def describe(self) -> str:
        if not self.changes:
            return f"No change of up to {MAX_SWING} votes would put {self.name} ahead."
        if len(self.changes) == 1:
            (c,) = self.changes
            return (
                f'If one member who answered "{c.from_label}" had answered "{c.to_label}" on '
                f'question {c.number} ("{c.prompt}"), {self.name} would lead.'
            )
        listed = "; ".join(
            f'question {c.number}: "{c.to_label}" instead of "{c.from_label}"' for c in self.changes
        )
        return f"If {len(self.changes)} votes were different ({listed}), {self.name} would lead."


@dataclass(frozen=True, slots=True)
class _Move:
    index: int
    """Into the closed questions."""
    source: str
    target: str
    delta: tuple[int, ...]


def smallest_swing(pack: Pack, closed: Sequence[ClosedQuestion], target: str) -> tuple[VoteChange, ...]:
    """The fewest changed votes that put `target` strictly above every other subject.

    Exact for one and two changes, greedy beyond (up to MAX_SWING). The path is taken as
    asked: a changed vote could also change which questions follow, which no one answered.
    """
    subjects = [s.id for s in pack.subjects]
    if target not in subjects:
        return ()
    at = subjects.index(target)
    voted = [(i, c) for i, c in enumerate(closed) if c.votes and pack.question(c.question_id)]
    scale = math.lcm(*(len(c.votes) for _, c in voted)) if voted else 1

    def weights(question_id: str, option_id: str) -> list[int]:
        question = pack.question(question_id)
        option = question.option(option_id) if question else None
        out = [0] * len(subjects)
        for evidence in option.evidence if option else ():
            if evidence.subject in subjects:
                out[subjects.index(evidence.subject)] += evidence.weight
        return out

    base = [0] * len(subjects)
    moves: list[_Move] = []
    counts: dict[tuple[int, str], int] = {}
    for index, question_closed in voted:
        question = pack.question(question_closed.question_id)
        if question is None:
            continue
        per_vote = scale // len(question_closed.votes)
        for _, option_id in question_closed.votes:
            counts[(index, option_id)] = counts.get((index, option_id), 0) + 1
            for s, w in enumerate(weights(question.id, option_id)):
                base[s] += w * per_vote
        for source in dict.fromkeys(o for _, o in question_closed.votes):
            source_w = weights(question.id, source)
            for option in question.options:
                if option.id == source:
                    continue
                target_w = weights(question.id, option.id)
                delta = tuple((t - f) * per_vote for t, f in zip(target_w, source_w, strict=True))
                if any(delta):
                    moves.append(_Move(index, source, option.id, delta))

    def lead(scores: Sequence[int]) -> int:
        """How far `target` is above the best other subject (positive when it leads)."""
        others = [v for s, v in enumerate(scores) if s != at]
        return scores[at] - max(others) if others else scores[at]

    def applied(chosen: Sequence[_Move]) -> list[int]:
        scores = list(base)
        for move in chosen:
            for s, d in enumerate(move.delta):
                scores[s] += d
        return scores

    def allowed(chosen: Sequence[_Move]) -> bool:
        used: dict[tuple[int, str], int] = {}
        for move in chosen:
            used[(move.index, move.source)] = used.get((move.index, move.source), 0) + 1
        return all(n <= counts.get(key, 0) for key, n in used.items())

    if lead(base) > 0:
        return ()
    best: tuple[_Move, ...] = ()
    singles = [(lead(applied([m])), m) for m in moves]
    winning = [(margin, m) for margin, m in singles if margin > 0]
    if winning:
        best = (max(winning, key=lambda pair: pair[0])[1],)
    else:
        helpful = [m for margin, m in singles if margin > lead(base)]
        # The same move twice is two members changing the same way (if that many gave it).
        pairs = [
            (margin, pair)
            for pair in combinations_with_replacement(helpful, 2)
            if allowed(pair) and (margin := lead(applied(pair))) > 0
        ]
        if pairs:
            best = max(pairs, key=lambda pair: pair[0])[1]
        else:
            chosen: list[_Move] = []
            while len(chosen) < MAX_SWING:
                options = [m for m in moves if allowed([*chosen, m])]
                if not options:
                    break
                step = max(options, key=lambda m: lead(applied([*chosen, m])))
                chosen.append(step)
                if lead(applied(chosen)) > 0:
                    best = tuple(chosen)
                    break
    return tuple(_change(pack, closed, m) for m in sorted(best, key=lambda m: m.index))


def _change(pack: Pack, closed: Sequence[ClosedQuestion], move: _Move) -> VoteChange:
    question_closed = closed[move.index]
    question = pack.question(question_closed.question_id)
    source = question.option(move.source) if question else None
    target = question.option(move.target) if question else None
    return VoteChange(
        number=move.index + 1,
        question_id=question_closed.question_id,
        prompt=question.prompt if question else question_closed.question_id,
        from_label=source.label if source else move.source,
        to_label=target.label if target else move.target,
    )


def warnings_for(ranking: TeamRanking) -> tuple[str, ...]:
    """What a team should know before it signs: a tie at the top, a close call, a low fit."""
    top, runner = ranking.top, ranking.runner_up
    out: list[str] = []
    if ranking.is_tied:
        names = [s.name for s in ranking.ranking if s.subject_id in ranking.tied]
        out.append(
            f"{_and(names)} are tied at {points_text(top.points)}: the team's answers do not "
            "separate them. Talk it through; the starter chooses one when accepting the decision."
        )
    elif ranking.close_call and runner is not None:
        out.append(
            f"A close call: {runner.name} is only {points_text(ranking.margin)} behind "
            f"{top.name}, so either is a sound choice; the split questions are where it turns."
        )
    if ranking.fit < LOW_FIT and top.points > 0:
        out.append(
            f"A low fit: {top.name} earns {ranking.fit}% of the points it could have on the questions "
            "asked, so the team's answers pull in different directions. Discuss the split questions "
            "before you sign."
        )
    elif top.points <= 0:
        out.append(
            "No framework earned points on the questions asked, so this ranking says little. "
            "Answer more questions, or discuss what matters most."
        )
    return tuple(out)


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
