"""Reading a team session (pure): tallies, each member's own pick, the splits, the team outcome.

Every renderer and the decision record read a session through these views, so each rule
(who counts as a vote, how anonymous picks are counted, how the team ranks) is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.pack.model import Pack, Question
from bot.ranking import recommend
from bot.team.divergence import Swing, smallest_swing, warnings_for
from bot.team.scoring import TeamRanking, rank_team
from bot.team.session import ClosedQuestion, TeamSession
from bot.team.voting import current_question, leaders


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
    leaders: tuple[str, ...]
    """The option ids with the most votes now: one leads, several are tied, none before a vote."""

    @property
    def is_tied(self) -> bool:
        return len(self.leaders) > 1

    def labels(self, option_ids: tuple[str, ...]) -> tuple[str, ...]:
        by_id = {c.option_id: c.label for c in self.counts}
        return tuple(by_id.get(o, o) for o in option_ids)


@dataclass(frozen=True, slots=True)
class MemberPick:
    member: str
    name: str
    subject_id: str
    subject_name: str
    points: int
    answered: int
    """How many questions this member voted on: their pick rests on those alone."""
    tied_with: tuple[str, ...] = ()
    """Other subjects the member's own answers score the same as their pick."""


@dataclass(frozen=True, slots=True)
class Split:
    """A question where the team's votes diverged."""

    question_id: str
    prompt: str
    chosen: str
    """The label the team went with."""
    counts: tuple[OptionCount, ...]
    """Only the options that got votes, most votes first."""
    tied: tuple[str, ...] = ()
    """Labels of the options that tied for the most votes, when it was a tie."""
    decided_by: str = ""
    """Who chose among the tied options (a display name), when it was a tie."""


@dataclass(frozen=True, slots=True)
class FirstChoice:
    """Whose own answers put one of the team's top subjects first."""

    subject_id: str
    subject_name: str
    members: tuple[str, ...]
    """Display names; empty when nobody's (or when anonymous: see `count`)."""
    count: int

    def describe(self, *, anonymous: bool, of: int) -> str:
        if not self.count:
            return f"{self.subject_name} is nobody's own first choice: it is where the team's answers meet."
        if anonymous:
            return f"{self.subject_name} is the first choice of {self.count} of {of} member(s)."
        return f"{self.subject_name} is the first choice of {_and(self.members)}."


@dataclass(frozen=True, slots=True)
class TeamOutcome:
    ranking: TeamRanking
    """The team's ranking: every vote on every closed question, each with its share."""
    picks: tuple[MemberPick, ...]
    splits: tuple[Split, ...]
    decided: tuple[tuple[ClosedQuestion, Tally], ...]
    first_choices: tuple[FirstChoice, ...] = ()
    """For the top subject (each tied one, on a tie): whose own first choice it is."""
    swing: Swing | None = None
    """The closest alternative and the fewest changed votes that would make it lead."""
    warnings: tuple[str, ...] = ()
    """A tie at the top, a close call, a low fit: said in the result and the record."""


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
    return Tally(question.id, question.prompt, tuple(counts), len(votes), leaders(question, dict(votes)))


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


def member_pick(pack: Pack, session: TeamSession, member: str) -> MemberPick | None:
    """What the member's own votes alone recommend; None if they voted on no closed question."""
    answers = member_answers(session, member)
    if not answers:
        return None
    ranking = recommend(pack, answers).ranking
    top = ranking[0]
    tied = tuple(s.name for s in ranking[1:] if s.points == top.points)
    return MemberPick(
        member, session.name_of(member), top.subject_id, top.name, top.points, len(answers), tied
    )


def outcome(pack: Pack, session: TeamSession) -> TeamOutcome:
    """The team's ranking (every vote with its share), each member's pick, splits and warnings."""
    picks = tuple(p for m in session.members if (p := member_pick(pack, session, m)) is not None)
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
            splits.append(
                Split(
                    closed.question_id,
                    tally.prompt,
                    chosen,
                    tuple(voted),
                    tied=tally.labels(closed.tied) if closed.was_tied else (),
                    decided_by=closed.decider_name(session),
                )
            )
    ranking = rank_team(pack, session.closed)
    on_top = ranking.tied or (ranking.top.subject_id,)
    first_choices = tuple(
        FirstChoice(
            subject,
            next(s.name for s in ranking.ranking if s.subject_id == subject),
            tuple(p.name for p in picks if p.subject_id == subject),
            sum(p.subject_id == subject for p in picks),
        )
        for subject in on_top
    )
    runner = ranking.runner_up
    swing = (
        Swing(runner.subject_id, runner.name, smallest_swing(pack, session.closed, runner.subject_id))
        if runner is not None and session.closed
        else None
    )
    return TeamOutcome(
        ranking=ranking,
        picks=picks,
        splits=tuple(splits),
        decided=tuple(decided),
        first_choices=first_choices if picks else (),
        swing=swing,
        warnings=warnings_for(ranking) if session.closed else (),
    )


def _and(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
