"""Team sessions, pure: a channel walks one path by majority vote while each member's own votes
still count for their own ranking.

The session's `step` moves only when a question closes, so the 30 buttons pressed on one
question all name the same step and all count; a vote for an older step is explained as
"closed". Members' answers are not kept twice: each closed question keeps its votes, and a
member's individual path is read back from them (`member_answers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot import walker
from bot.errors import (
    MemberLeft,
    NotAllowedToAdvance,
    NoVotesYet,
    TeamSessionFinished,
    UnknownAnswer,
    VoteClosed,
)
from bot.pack import RESULT, Pack, Question
from bot.ranking import Recommendation, recommend

TIE_RULE = "A tie goes to the option listed first among the tied ones."
"""Stated under every team question, so nobody is surprised by how a tie is settled."""


class TeamStatus(StrEnum):
    OPEN = "open"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class TeamKey:
    """One open team session per (platform, workspace, channel, thread, advisor)."""

    platform: str
    workspace: str
    channel: str
    thread: str
    advisor: str


@dataclass(frozen=True, slots=True)
class ClosedQuestion:
    """A question the team has decided, with every vote as it stood when it closed."""

    question_id: str
    chosen: str
    votes: tuple[tuple[str, str], ...]
    """(member, option id) in the order the members first voted."""
    tie_broken: bool


@dataclass(frozen=True, slots=True)
class TeamSession:
    id: str
    key: TeamKey
    topic: str
    starter: str
    anonymous: bool
    quorum: int
    """Votes that close a question by themselves; 0 means only Next does."""
    pack_version: str
    path: tuple[tuple[str, str], ...]
    """The team's (question, option) path: the majority answer of each closed question."""
    closed: tuple[ClosedQuestion, ...]
    votes: tuple[tuple[str, str], ...]
    """Votes on the open question: (member, option id), in the order members first voted."""
    names: tuple[tuple[str, str], ...]
    """(member, display name) as the platform last showed them."""
    step: int
    version: int
    created_at: datetime
    updated_at: datetime
    status: TeamStatus = TeamStatus.OPEN
    left: tuple[str, ...] = ()
    """Members the platform reported as gone from the channel: their new votes are refused."""

    @property
    def current_votes(self) -> dict[str, str]:
        return dict(self.votes)

    @property
    def is_finished(self) -> bool:
        return self.status is TeamStatus.FINISHED

    def name_of(self, member: str) -> str:
        return dict(self.names).get(member, member)

    @property
    def members(self) -> tuple[str, ...]:
        """Everyone who has voted, in the order they first did."""
        seen: dict[str, None] = {}
        for closed in self.closed:
            seen.update(dict.fromkeys(m for m, _ in closed.votes))
        seen.update(dict.fromkeys(m for m, _ in self.votes))
        return tuple(seen)


# --- views ------------------------------------------------------------------------------------


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


# --- steps ------------------------------------------------------------------------------------


def start_session(
    pack: Pack,
    *,
    key: TeamKey,
    session_id: str,
    starter: str,
    starter_name: str = "",
    topic: str = "",
    anonymous: bool = False,
    quorum: int = 0,
    now: datetime,
) -> TeamSession:
    return TeamSession(
        id=session_id,
        key=key,
        topic=topic.strip() or pack.title,
        starter=starter,
        anonymous=anonymous,
        quorum=max(0, quorum),
        pack_version=pack.version,
        path=(),
        closed=(),
        votes=(),
        names=((starter, starter_name or starter),),
        step=1,
        version=0,
        created_at=now,
        updated_at=now,
    )


def current_question(pack: Pack, session: TeamSession) -> Question | None:
    """The question open for votes, or None once the team's path reaches the result."""
    here = walker.position(pack, session.path)
    return None if here == RESULT else pack.question(here)


def _check_open(pack: Pack, session: TeamSession, step: int) -> Question:
    if session.is_finished:
        if step < session.step and step - 1 < len(session.closed):
            raise _closed(pack, session, step)
        raise TeamSessionFinished()
    if step != session.step:
        raise _closed(pack, session, step)
    question = current_question(pack, session)
    if question is None:
        raise TeamSessionFinished()
    return question


def _closed(pack: Pack, session: TeamSession, step: int) -> VoteClosed:
    """Say which question closed and what the team chose, when the step names one."""
    index = step - 1
    if 0 <= index < len(session.closed):
        closed = session.closed[index]
        question = pack.question(closed.question_id)
        option = question.option(closed.chosen) if question else None
        return VoteClosed(
            step=step,
            current_step=session.step,
            closed_prompt=question.prompt if question else "",
            chosen=option.label if option else closed.chosen,
        )
    return VoteClosed(step=step, current_step=session.step)


def vote(
    pack: Pack,
    session: TeamSession,
    *,
    member: str,
    option_id: str,
    step: int,
    now: datetime,
    name: str = "",
) -> TeamSession:
    """Record (or change) `member`'s vote on the open question.

    Re-applying the same vote returns the session unchanged, so a retry after a store
    conflict never counts a vote twice. When the quorum is reached the question closes.
    """
    question = _check_open(pack, session, step)
    if member in session.left:
        raise MemberLeft(member=member)
    if question.option(option_id) is None:
        raise UnknownAnswer(option_id, [o.label for o in question.options], None)
    names = dict(session.names)
    if session.current_votes.get(member) == option_id and (not name or names.get(member) == name):
        return session
    votes = dict(session.votes)
    votes[member] = option_id  # a changed vote keeps the member's place in the order
    if name:
        names[member] = name
    voted = replace(session, votes=tuple(votes.items()), names=tuple(names.items()), updated_at=now)
    if voted.quorum and len(votes) >= voted.quorum:
        return close(pack, voted, now=now)
    return voted


def may_advance(session: TeamSession, member: str, *, can_manage: bool) -> bool:
    """The starter, or whoever the platform says can manage the channel, may press Next."""
    return member == session.starter or can_manage


def decide(question: Question, votes: Mapping[str, str]) -> tuple[str, bool]:
    """(winning option id, whether a tie was broken); ties go to the option listed first."""
    counts = {o.id: 0 for o in question.options}
    for option_id in votes.values():
        if option_id in counts:
            counts[option_id] += 1
    best = max(counts.values())
    tied = [o for o, n in counts.items() if n == best]
    return tied[0], len(tied) > 1


def close(pack: Pack, session: TeamSession, *, now: datetime) -> TeamSession:
    """Close the open question on its majority and move the team to the next one."""
    question = current_question(pack, session)
    if question is None:
        raise TeamSessionFinished()
    if not session.votes:
        raise NoVotesYet()
    chosen, tie_broken = decide(question, session.current_votes)
    path = (*session.path, (question.id, chosen))
    finished = walker.position(pack, path) == RESULT
    return replace(
        session,
        path=path,
        closed=(*session.closed, ClosedQuestion(question.id, chosen, session.votes, tie_broken)),
        votes=(),
        step=session.step + 1,
        updated_at=now,
        status=TeamStatus.FINISHED if finished else TeamStatus.OPEN,
    )


def close_and_advance(
    pack: Pack,
    session: TeamSession,
    *,
    member: str,
    step: int,
    can_manage: bool,
    now: datetime,
) -> TeamSession:
    """Next: only for the question the button was drawn for, and only by someone allowed."""
    _check_open(pack, session, step)
    if not may_advance(session, member, can_manage=can_manage):
        raise NotAllowedToAdvance(member=member, starter=session.name_of(session.starter))
    return close(pack, session, now=now)


# --- reading a session ------------------------------------------------------------------------


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


FORMER_MEMBER = "a former member"


def forget_member(session: TeamSession, member: str) -> TeamSession:
    """The session with `member` made anonymous: their id and name are gone, their votes stay.

    Removing the votes would change what the team decided after the fact, so the record keeps
    the counts and shows "a former member" where the name was. Each forgotten member gets an
    alias of their own (`former-1`, `former-2`...), so tallies still count distinct people.
    """
    if member not in session.members and member != session.starter:
        return session
    taken = {m for m in (*session.members, session.starter) if m.startswith("former-")}
    number = 1
    while f"former-{number}" in taken:
        number += 1
    alias = f"former-{number}"

    def swap(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((alias if who == member else who, what) for who, what in pairs)

    names = tuple((who, name) for who, name in session.names if who != member)
    return replace(
        session,
        starter=alias if session.starter == member else session.starter,
        closed=tuple(replace(c, votes=swap(c.votes)) for c in session.closed),
        votes=swap(session.votes),
        names=(*names, (alias, FORMER_MEMBER)),
    )


def mark_presence(session: TeamSession, member: str, *, present: bool, now: datetime) -> TeamSession:
    """Record that `member` left the channel (their new votes are refused) or came back.

    Votes already cast stay: leaving does not rewrite what was counted while they were there.
    """
    if (member not in session.left) == present:
        return session
    left = tuple(m for m in session.left if m != member) if present else (*session.left, member)
    return replace(session, left=left, updated_at=now)
