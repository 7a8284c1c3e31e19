"""Team sessions, pure steps: a channel walks one path, question by question, on its votes.

Each step returns a new session; none touches I/O. Re-applying a vote changes nothing, so a
retry after a store conflict never counts a vote twice. The option with the most votes
decides the path; a tie is never settled by the order of the options: the question stays
open until the starter (or a manager) chooses among the tied options (`decide_tie`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime

from bot.errors import (
    ChoiceNeeded,
    MemberLeft,
    NotAllowedToAccept,
    NotAllowedToAdvance,
    NotAllowedToDecide,
    NotATiedOption,
    NoTieToDecide,
    NoVotesYet,
    RecordNotReady,
    TeamSessionFinished,
    UnknownAnswer,
    VoteClosed,
)
from bot.pack.model import RESULT, Pack, Question
from bot.team.session import Acceptance, ClosedQuestion, TeamKey, TeamSession, TeamStatus


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
        topic=" ".join(topic.split()) or pack.title,  # one line: it titles messages and the record
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
    closes_at_quorum: bool = True,
) -> TeamSession:
    """Record (or change) `member`'s vote on the open question.

    Re-applying the same vote returns the session unchanged, so a retry after a store
    conflict never counts a vote twice. When the quorum is reached the question closes, or
    waits for the starter on a tie; a question already waiting closes as soon as a changed
    vote gives one option the lead. `closes_at_quorum=False` leaves closing to the caller
    (the terminal gives every member a turn first).
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
    if voted.awaiting_decision or (closes_at_quorum and voted.quorum and len(votes) >= voted.quorum):
        return close(pack, voted, now=now)
    return voted


def may_advance(session: TeamSession, member: str, *, can_manage: bool) -> bool:
    """The starter, or whoever the platform says can manage the channel, may press Next."""
    return member == session.starter or can_manage


def leaders(question: Question, votes: Mapping[str, str]) -> tuple[str, ...]:
    """The option ids sharing the most votes, in the pack's order; empty before any vote."""
    counts = {o.id: 0 for o in question.options}
    for option_id in votes.values():
        if option_id in counts:
            counts[option_id] += 1
    best = max(counts.values(), default=0)
    if best == 0:
        return ()
    return tuple(o for o, n in counts.items() if n == best)


def close(pack: Pack, session: TeamSession, *, now: datetime) -> TeamSession:
    """Close the open question on the option with the most votes, or wait on a tie.

    A tie leaves the question open, marked as waiting for the starter's decision; the
    members may still change their votes, and a change that breaks the tie closes it.
    """
    question = current_question(pack, session)
    if question is None:
        raise TeamSessionFinished()
    if not session.votes:
        raise NoVotesYet()
    top = leaders(question, session.current_votes)
    if len(top) > 1:
        if session.awaiting_decision:
            return session
        return replace(session, awaiting_decision=True, updated_at=now)
    return _close_on(pack, session, question, top[0], tied=(), decided_by="", now=now)


def _close_on(
    pack: Pack,
    session: TeamSession,
    question: Question,
    chosen: str,
    *,
    tied: tuple[str, ...],
    decided_by: str,
    now: datetime,
) -> TeamSession:
    path = (*session.path, (question.id, chosen))
    finished = pack.position(path) == RESULT
    closed = ClosedQuestion(question.id, chosen, session.votes, tied=tied, decided_by=decided_by)
    return replace(
        session,
        path=path,
        closed=(*session.closed, closed),
        votes=(),
        step=session.step + 1,
        updated_at=now,
        awaiting_decision=False,
        status=TeamStatus.FINISHED if finished else TeamStatus.OPEN,
        finished_at=now if finished else None,
    )


def decide_tie(
    pack: Pack,
    session: TeamSession,
    *,
    member: str,
    option_id: str,
    step: int,
    can_manage: bool,
    now: datetime,
) -> TeamSession:
    """The starter (or a manager) chooses among the tied options; the question closes on it.

    Allowed whenever the open question's votes are tied for the most, so a decision may
    come before anyone pressed Next; refused when one option leads (Next closes on it).
    """
    question = _check_open(pack, session, step)
    if not may_advance(session, member, can_manage=can_manage):
        raise NotAllowedToDecide(member=member, starter=session.name_of(session.starter))
    tied = leaders(question, session.current_votes)
    if len(tied) < 2:
        lead = question.option(tied[0]) if tied else None
        raise NoTieToDecide(leader=lead.label if lead else "")
    if option_id not in tied:
        option = question.option(option_id)
        labels = [o.label for o in question.options if o.id in tied]
        raise NotATiedOption(chosen=option.label if option else option_id, tied=labels)
    return _close_on(pack, session, question, option_id, tied=tied, decided_by=member, now=now)


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
    deciders = {c.decided_by for c in session.closed}
    accepter = session.accepted.member if session.accepted else ""
    if member not in session.members and member not in (session.starter, accepter) and member not in deciders:
        return session
    taken = {m for m in (*session.members, session.starter) if m.startswith("former-")}
    number = 1
    while f"former-{number}" in taken:
        number += 1
    alias = f"former-{number}"

    def swap(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((alias if who == member else who, what) for who, what in pairs)

    def one(who: str) -> str:
        return alias if who == member else who

    names = tuple((who, name) for who, name in session.names if who != member)
    accepted = session.accepted
    return replace(
        session,
        starter=one(session.starter),
        closed=tuple(replace(c, votes=swap(c.votes), decided_by=one(c.decided_by)) for c in session.closed),
        votes=swap(session.votes),
        names=(*names, (alias, FORMER_MEMBER)),
        left=tuple(one(m) for m in session.left),
        accepted=replace(accepted, member=one(accepted.member)) if accepted else None,
    )


def mark_presence(session: TeamSession, member: str, *, present: bool, now: datetime) -> TeamSession:
    """Record that `member` left the channel (their new votes are refused) or came back.

    Votes already cast stay: leaving does not rewrite what was counted while they were there.
    """
    if (member not in session.left) == present:
        return session
    left = tuple(m for m in session.left if m != member) if present else (*session.left, member)
    return replace(session, left=left, updated_at=now)


def accept_record(
    session: TeamSession,
    *,
    member: str,
    can_manage: bool,
    choice: str,
    top: Collection[str],
    names: Mapping[str, str],
    now: datetime,
) -> TeamSession:
    """The decision record becomes accepted: by the starter or a manager, once finished.

    `top` is the subject ids sharing the team's top score (one unless tied); with a tie the
    accepter must choose one of them, which is how a tied result gets decided by a person.
    Accepting again changes nothing.
    """
    if not session.is_finished:
        raise RecordNotReady()
    if not may_advance(session, member, can_manage=can_manage):
        raise NotAllowedToAccept(member=member, starter=session.name_of(session.starter))
    if session.accepted is not None:
        return session
    tied = [names.get(t, t) for t in top]
    if len(top) > 1 and not choice:
        raise ChoiceNeeded(tied=tied)
    chosen = choice or next(iter(top))
    if chosen not in top:
        raise ChoiceNeeded(tied=tied, given=names.get(chosen, chosen))
    return replace(session, accepted=Acceptance(member, now, chosen), updated_at=now)
