"""Reading a team session (pure): tallies, each member's own pick, the splits, anonymous counts.

Every renderer and the decision record read a session through these views, so each rule
(who counts as a vote, how anonymous picks are counted) is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.pack.model import Pack, Question
from bot.ranking import Recommendation, recommend
from bot.team.session import ClosedQuestion, TeamSession
from bot.team.voting import current_question, decide


@dataclass(frozen=True, slots=True)
class OptionCount:
    option_id: str
    label: str
    count: int
    voters: tuple[str, ...]
    """Display names; empty when the session is anonymous."""


@dataclass(frozen=True, slots=True)
class Tally:
    question_id: str
    prompt: str
    counts: tuple[OptionCount, ...]
    """Every option of the question, in the pack's order."""
    total: int
    leader: str
    """The option id that would win if the question closed now ("" before any vote)."""


@dataclass(frozen=True, slots=True)
class MemberPick:
    member: str
    name: str
    subject_id: str
    subject_name: str
    points: int
    answered: int
    """How many questions this member voted on: their pick rests on those alone."""


@dataclass(frozen=True, slots=True)
class Split:
    """A question where the team's votes diverged."""

    question_id: str
    prompt: str
    chosen: str
    """The label the team went with."""
    counts: tuple[OptionCount, ...]
    """Only the options that got votes, most votes first."""


@dataclass(frozen=True, slots=True)
class TeamOutcome:
    recommendation: Recommendation
    picks: tuple[MemberPick, ...]
    splits: tuple[Split, ...]
    decided: tuple[tuple[ClosedQuestion, Tally], ...]


@dataclass(frozen=True, slots=True)
class PickCount:
    """How many members' own answers point to one subject: what an anonymous session shows."""

    subject_name: str
    members: int


def count_picks(picks: tuple[MemberPick, ...]) -> tuple[PickCount, ...]:
    """Members per subject, in the order the subjects first appear; the anonymous view of picks."""
    counts: dict[str, int] = {}
    for pick in picks:
        counts[pick.subject_name] = counts.get(pick.subject_name, 0) + 1
    return tuple(PickCount(name, n) for name, n in counts.items())


def tally_of(
    question: Question, votes: tuple[tuple[str, str], ...], *, anonymous: bool, names: Mapping[str, str]
) -> Tally:
    counts = []
    for option in question.options:
        voters = tuple(names.get(m, m) for m, o in votes if o == option.id)
        counts.append(OptionCount(option.id, option.label, len(voters), () if anonymous else voters))
    leader = decide(question, dict(votes))[0] if votes else ""
    return Tally(question.id, question.prompt, tuple(counts), len(votes), leader)


def current_tally(pack: Pack, session: TeamSession) -> Tally | None:
    """The open question's tally (counts only when anonymous), or None once finished."""
    question = current_question(pack, session)
    if question is None:
        return None
    return tally_of(question, session.votes, anonymous=session.anonymous, names=dict(session.names))


def closed_tally(pack: Pack, session: TeamSession, closed: ClosedQuestion) -> Tally | None:
    question = pack.question(closed.question_id)
    if question is None:
        return None
    return tally_of(question, closed.votes, anonymous=session.anonymous, names=dict(session.names))


def member_answers(session: TeamSession, member: str) -> tuple[tuple[str, str], ...]:
    """The member's own votes on the closed questions: their individual path, gaps and all."""
    out = []
    for closed in session.closed:
        mine = dict(closed.votes).get(member)
        if mine is not None:
            out.append((closed.question_id, mine))
    return tuple(out)


def outcome(pack: Pack, session: TeamSession) -> TeamOutcome:
    """The team's ranking (evidence of its majority path), each member's pick, and the splits."""
    picks = []
    for member in session.members:
        answers = member_answers(session, member)
        if not answers:
            continue
        top = recommend(pack, answers).top
        picks.append(
            MemberPick(member, session.name_of(member), top.subject_id, top.name, top.points, len(answers))
        )
    splits = []
    decided = []
    for closed in session.closed:
        tally = closed_tally(pack, session, closed)
        if tally is None:
            continue
        decided.append((closed, tally))
        voted = sorted((c for c in tally.counts if c.count), key=lambda c: -c.count)
        if len(voted) > 1:
            chosen = next(c.label for c in tally.counts if c.option_id == closed.chosen)
            splits.append(Split(closed.question_id, tally.prompt, chosen, tuple(voted)))
    return TeamOutcome(
        recommendation=recommend(pack, session.path),
        picks=tuple(picks),
        splits=tuple(splits),
        decided=tuple(decided),
    )
