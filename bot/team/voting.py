"""Team sessions, pure steps: a channel walks one path by majority vote.

Each step returns a new session; none touches I/O. Re-applying a vote changes nothing, so a
retry after a store conflict never counts a vote twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from bot.errors import (
    MemberLeft,
    NotAllowedToAdvance,
    NoVotesYet,
    TeamSessionFinished,
    UnknownAnswer,
    VoteClosed,
)
from bot.pack.model import RESULT, Pack, Question
from bot.team.session import ClosedQuestion, TeamKey, TeamSession, TeamStatus

TIE_RULE = "A tie goes to the option listed first among the tied ones."
"""Stated under every team question, so nobody is surprised by how a tie is settled."""


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
    here = pack.position(session.path)
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
    finished = pack.position(path) == RESULT
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
