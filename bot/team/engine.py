"""The async service for team sessions: one vote = one load, one pure vote, one conditional save.

A conflict means another member voted in between: the vote is re-applied to the fresh
session, which is safe because voting again for the same option changes nothing. So 30
members pressing at once are all counted, each once, in one process or several.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from bot.errors import (
    AnswersDoNotFit,
    NoTeamSession,
    PackUnavailable,
    RetriesExhausted,
    TeamSessionExists,
    TeamSessionFinished,
    VersionConflict,
)
from bot.matching import resolve_answer
from bot.pack.model import RESULT, Pack
from bot.pack.registry import PackRegistry
from bot.pack.upgrade import carries_over
from bot.store.base import TeamStore
from bot.team import voting
from bot.team.presenting import closed_reply, present, question_reply, result_reply
from bot.team.record import (
    DecisionRecord,
    RecordEntry,
    RecordPlace,
    build_record,
    entry_of,
    places,
    record_markdown,
)
from bot.team.replies import OpenSessionSummary, TeamAdvanced, TeamQuestionReply, TeamResultReply
from bot.team.scoring import rank_team
from bot.team.session import TeamKey, TeamSession

MAX_RETRIES = 64
"""Every retry means another vote landed; 64 in a row covers far more than one channel's burst."""
MAX_LISTED = 10
"""Open sessions one list shows (Slack's App Home): more would push the rest off the screen."""
MAX_SCANNED = 500
"""Open sessions read to find those in the asker's channels: a bound on one home view's query."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_session_id() -> str:
    """12 url-safe characters, like a conversation id: fits the 100-character custom_id.

    Never starting with "-", so `advisor record ID` does not read the id as an option.
    """
    token = secrets.token_urlsafe(9)
    return "x" + token[1:] if token.startswith("-") else token


class TeamEngine:
    """Start, vote, Next, tie decisions, status, result, and the decision record and its acceptance."""

    def __init__(
        self,
        *,
        store: TeamStore,
        registry: PackRegistry,
        advisor: str,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = new_session_id,
    ) -> None:
        self.store = store
        self.registry = registry
        self.advisor = advisor
        self._clock = clock
        self._new_id = new_id

    def key(self, *, platform: str, workspace: str, channel: str, thread: str = "") -> TeamKey:
        return TeamKey(platform, workspace, channel, thread, self.advisor)

    async def start(
        self,
        key: TeamKey,
        *,
        starter: str,
        starter_name: str = "",
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> TeamQuestionReply | TeamResultReply:
        """Open a session at `key`; if one is open there already, show it instead."""
        existing = await self.store.get_team(key)
        if existing is not None and not existing.is_finished:
            return await self._present(
                existing, notice="A team session is already open here; carry on with it."
            )
        pack = self.registry.current(self.advisor)
        session = voting.start_session(
            pack,
            key=key,
            session_id=self._new_id(),
            starter=starter,
            starter_name=starter_name,
            topic=topic,
            anonymous=anonymous,
            quorum=quorum,
            now=self._clock(),
        )
        try:
            created = await self.store.create_team(session)
        except TeamSessionExists:
            raced = await self.store.get_team(key)
            if raced is None:
                raise
            return await self._present(raced)
        return await self._present(created)

    async def vote(
        self,
        *,
        session_id: str,
        step: int,
        member: str,
        option_id: str,
        name: str = "",
        closes_at_quorum: bool = True,
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        """Count `member`'s vote (or change it); redrawn from what was stored."""
        return await self._change(
            session_id,
            lambda pack, session: voting.vote(
                pack,
                session,
                member=member,
                option_id=option_id,
                step=step,
                now=self._clock(),
                name=name,
                closes_at_quorum=closes_at_quorum,
            ),
        )

    async def vote_text(
        self,
        *,
        session_id: str,
        step: int,
        member: str,
        text: str,
        name: str = "",
        closes_at_quorum: bool = True,
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        """A typed vote (number, label or synonym), for the terminal and typed chat."""
        option_id = await self._typed_option(session_id, text)
        return await self.vote(
            session_id=session_id,
            step=step,
            member=member,
            option_id=option_id,
            name=name,
            closes_at_quorum=closes_at_quorum,
        )

    async def decide(
        self, *, session_id: str, step: int, member: str, option_id: str, can_manage: bool
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        """The starter (or a manager) settles a tie: the question closes on the chosen option."""
        return await self._change(
            session_id,
            lambda pack, session: voting.decide_tie(
                pack,
                session,
                member=member,
                option_id=option_id,
                step=step,
                can_manage=can_manage,
                now=self._clock(),
            ),
        )

    async def decide_text(
        self, *, session_id: str, step: int, member: str, text: str, can_manage: bool
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        """A typed tie decision (number, label or synonym of one of the tied options)."""
        option_id = await self._typed_option(session_id, text)
        return await self.decide(
            session_id=session_id, step=step, member=member, option_id=option_id, can_manage=can_manage
        )

    async def accept(
        self, *, session_id: str, member: str, can_manage: bool, choice: str = ""
    ) -> TeamResultReply:
        """The decision record becomes accepted; a tied result needs `choice` among the tied."""

        def step(pack: Pack, session: TeamSession) -> TeamSession:
            ranking = rank_team(pack, session.closed)
            names = {s.subject_id: s.name for s in ranking.ranking}
            return voting.accept_record(
                session,
                member=member,
                can_manage=can_manage,
                choice=choice,
                top=ranking.tied or (ranking.top.subject_id,),
                names=names,
                now=self._clock(),
            )

        reply = await self._change(session_id, step)
        if not isinstance(reply, TeamResultReply):
            raise TeamSessionFinished()  # unreachable: only a finished session can be accepted
        return reply

    async def advance(
        self, *, session_id: str, step: int, member: str, can_manage: bool
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        """Next: close the question on its majority and show the following one."""
        return await self._change(
            session_id,
            lambda pack, session: voting.close_and_advance(
                pack, session, member=member, step=step, can_manage=can_manage, now=self._clock()
            ),
        )

    async def mark_presence(
        self, *, platform: str, workspace: str, channel: str, member: str, present: bool
    ) -> int:
        """A member left (or rejoined) a channel: every open session there learns it."""
        changed = 0
        for session in await self.store.teams_in(platform=platform, workspace=workspace):
            if session.key.channel != channel or session.is_finished or session.key.advisor != self.advisor:
                continue
            await self._change(
                session.id,
                lambda _pack, current: voting.mark_presence(
                    current, member, present=present, now=self._clock()
                ),
            )
            changed += 1
        return changed

    async def status(self, session_id: str) -> TeamQuestionReply | TeamResultReply:
        session, pack = await self._load(session_id)
        return present(pack, session)

    async def status_at(self, key: TeamKey) -> TeamQuestionReply | TeamResultReply:
        session = await self.store.get_team(key)
        if session is None:
            raise NoTeamSession()
        return present(await self._pack_for(session), session)

    async def result(self, session_id: str) -> TeamResultReply:
        """The team's ranking with each member's pick and the splits; final once finished."""
        session, pack = await self._load(session_id)
        return result_reply(pack, session)

    async def record(self, session_id: str) -> str:
        """The session's decision record as MADR Markdown, numbered among its channel's records."""
        return record_markdown(await self.record_of(session_id))

    async def record_of(self, session_id: str) -> DecisionRecord:
        """The decision record as data (its file name, status, chosen option...)."""
        session, pack = await self._load(session_id)
        return build_record(pack, session, place=await self._place(session))

    async def records(self, *, platform: str, workspace: str | None = None) -> tuple[RecordEntry, ...]:
        """Every record of a platform (or one workspace of it), numbered per channel, oldest first."""
        sessions = [
            s
            for s in await self.store.teams_in(platform=platform, workspace=workspace)
            if s.key.advisor == self.advisor
        ]
        channels: dict[tuple[str, str], list[TeamSession]] = {}
        for session in sessions:
            channels.setdefault((session.key.workspace, session.key.channel), []).append(session)
        entries: list[RecordEntry] = []
        for _, peers in sorted(channels.items()):
            numbered = places(peers)
            for session in sorted(peers, key=lambda s: numbered[s.id].number):
                pack = self.registry.version(self.advisor, session.pack_version)
                if pack is None:
                    continue  # decided on a knowledge version no longer loaded: nothing to read it with
                entries.append(entry_of(build_record(pack, session, place=numbered[session.id]), session))
        return tuple(entries)

    async def open_sessions(
        self,
        *,
        platform: str,
        workspace: str,
        channels: Collection[str] | None,
        limit: int = MAX_LISTED,
    ) -> tuple[OpenSessionSummary, ...]:
        """The open sessions of a workspace in `channels` (those the asker is in; None: any), newest
        first, at most `limit`. The newest MAX_SCANNED open sessions are looked through."""
        found: list[OpenSessionSummary] = []
        for session in await self.store.open_teams(
            platform=platform, workspace=workspace, advisor=self.advisor, limit=MAX_SCANNED
        ):
            if channels is not None and session.key.channel not in channels:
                continue
            pack = self.registry.version(self.advisor, session.pack_version)
            question = question_reply(pack, session) if pack is not None else None
            found.append(
                OpenSessionSummary(
                    session_id=session.id,
                    channel=session.key.channel,
                    thread=session.key.thread,
                    topic=session.topic,
                    starter=session.name_of(session.starter),
                    number=len(session.closed) + 1,
                    prompt=question.prompt if question is not None else "",
                    votes=len(session.votes),
                )
            )
            if len(found) >= limit:
                break
        return tuple(found)

    async def session(self, session_id: str) -> TeamSession:
        return (await self._load(session_id))[0]

    # --- the one-vote transaction ---------------------------------------------------------

    async def _change(
        self, session_id: str, step_fn: Callable[[Pack, TeamSession], TeamSession]
    ) -> TeamQuestionReply | TeamResultReply | TeamAdvanced:
        for _ in range(MAX_RETRIES):
            session, pack = await self._load(session_id)
            changed = step_fn(pack, session)
            if changed == session:
                return present(pack, session)
            # Voted on `pack`: a session that moved to a new version is saved on it.
            changed = replace(changed, pack_version=pack.version)
            try:
                saved = await self.store.save_team(changed, expected_version=session.version)
            except VersionConflict:
                continue
            if saved.step != session.step:
                closed = closed_reply(pack, saved, len(saved.closed) - 1)
                if closed is not None:
                    return TeamAdvanced(closed, present(pack, saved))
            return present(pack, saved)
        raise RetriesExhausted(what="this team session", attempts=MAX_RETRIES)

    async def _typed_option(self, session_id: str, text: str) -> str:
        session, pack = await self._load(session_id)
        question = voting.current_question(pack, session)
        if question is None:
            raise TeamSessionFinished()
        return resolve_answer(question, text).id

    async def _place(self, session: TeamSession) -> RecordPlace:
        """The session's number among its channel's sessions, and whether a later one superseded it."""
        key = session.key
        peers = [
            s
            for s in await self.store.teams_in(platform=key.platform, workspace=key.workspace)
            if s.key.channel == key.channel and s.key.advisor == key.advisor
        ]
        if not any(s.id == session.id for s in peers):
            peers.append(session)
        return places(peers)[session.id]

    async def _load(self, session_id: str) -> tuple[TeamSession, Pack]:
        session = await self.store.get_team_by_id(session_id)
        if session is None:
            raise NoTeamSession(session_id)
        return session, await self._pack_for(session)

    async def _pack_for(self, session: TeamSession) -> Pack:
        """The current version when the session's path and votes carry over to it (a wording
        edit), else its own, read from the store if this process lacks it. A finished session
        keeps its own version while it is kept, so its record reads as it was decided."""
        current = self.registry.current(self.advisor)
        if session.pack_version == current.version:
            return current
        pinned = await self.registry.find(self.advisor, session.pack_version)
        if pinned is not None and session.is_finished:
            return pinned
        if carries_over(session.path, pinned=pinned, current=current, also_used=_votes_of(session, current)):
            return current
        if pinned is None:
            raise PackUnavailable(pack_id=self.advisor, version=session.pack_version)
        return pinned

    async def _present(
        self, session: TeamSession, *, notice: str = ""
    ) -> TeamQuestionReply | TeamResultReply:
        pack = await self._pack_for(session)
        reply = question_reply(pack, session, notice=notice)
        return reply if reply is not None else result_reply(pack, session)


def _votes_of(session: TeamSession, current: Pack) -> Iterator[tuple[str, str]]:
    """Every (question, option) a member voted for: each must still exist to carry the session over."""
    for closed in session.closed:
        for _, option in closed.votes:
            yield closed.question_id, option
    try:
        open_question = current.position(session.path)
    except AnswersDoNotFit:
        return  # carries_over refuses the path itself
    if open_question != RESULT:
        for _, option in session.votes:
            yield open_question, option
