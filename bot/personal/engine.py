"""The async service every adapter calls: one click = one load, one pure walk, one conditional save.

The engine decides what a store conflict means (reload, re-check the step, then "already
answered" or walk again); adapters only translate events in and replies out.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import (
    AnswersDoNotFit,
    ConversationExists,
    ConversationFinished,
    NoConversation,
    NotYourConversation,
    PackUnavailable,
    StaleAnswer,
    VersionConflict,
)
from bot.matching import is_verbatim, resolve_answer
from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.pack.upgrade import carries_over
from bot.personal import replies, walker
from bot.personal.conversation import Actor, Conversation, ConversationKey
from bot.personal.presenting import answered_questions, present, ranking_reply, result_reply
from bot.personal.replies import Notice, Offer, QuestionReply
from bot.store.base import ConversationStore, TeamStore

if TYPE_CHECKING:  # the reports are made once asked for (see replies.py)
    from bot.personal.replies import RankingReply, Reply, ResultReply

DEFAULT_IDLE = timedelta(hours=24)


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_conversation_id() -> str:
    """12 url-safe characters (72 bits): short enough for Discord's 100-char custom_id.

    `secrets.token_urlsafe(9)` spelled out: the same bytes from os.urandom, without importing
    `secrets` (and `random` with it) into every start."""
    return base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")


class _PackNeeded(Exception):
    """Internal: a click's walk needs a pack version held neither in memory nor found yet."""

    def __init__(self, version: str) -> None:
        super().__init__(version)
        self.version = version


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A conversation with the pack version it was started on."""

    conversation: Conversation
    pack: Pack


class Engine:
    """Start, answer, back, restart, resume, why, status, result, ranking and forget for one advisor."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        registry: PackRegistry,
        advisor: str,
        team_store: TeamStore | None = None,
        idle_timeout: timedelta = DEFAULT_IDLE,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = new_conversation_id,
    ) -> None:
        self.store = store
        self.team_store = team_store
        """Where team sessions live, so `forget` also takes the user out of them (None: nowhere)."""
        self.registry = registry
        self.advisor = advisor
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._new_id = new_id

    # --- entry points -------------------------------------------------------------------

    async def start(self, actor: Actor) -> Reply:
        """Start the actor's conversation, or show where they are if one exists."""
        key = ConversationKey.personal(actor, self.advisor)
        existing = await self.store.get(key)
        if existing is not None:
            return await self._present(existing)
        pack = self.registry.current(self.advisor)
        conversation = walker.start(
            pack, key=key, conversation_id=self._new_id(), now=self._clock(), ttl=self.idle_timeout
        )
        try:
            created = await self.store.create(conversation)
        except ConversationExists:
            raced = await self.store.get(key)
            if raced is None:
                raise
            return await self._present(raced)
        return self._render(created, pack)

    async def answer(self, actor: Actor, *, conversation_id: str, step: int, option_id: str) -> Reply:
        """A button click: applies once, only to the step it was rendered for."""

        def walk(loaded: _Loaded) -> Conversation:
            question = walker.current_question(loaded.pack, loaded.conversation)
            if question is None:
                raise ConversationFinished()
            option = question.option(option_id)
            if option is None:
                raise StaleAnswer(step=step, current_step=loaded.conversation.step)
            return walker.answer(
                loaded.pack,
                loaded.conversation,
                option,
                now=self._clock(),
                ttl=self.idle_timeout,
                question=question,
            )

        return await self._change_by_id(actor, conversation_id, step, walk)

    async def answer_text(self, actor: Actor, text: str) -> Reply:
        """A typed answer to the actor's current question (number, id, label or synonym)."""
        loaded = await self._load_own(actor)
        if (offer := self._interrupt(loaded.conversation)) is not None:
            return offer
        question = walker.current_question(loaded.pack, loaded.conversation)
        if question is None:
            raise ConversationFinished()
        option = resolve_answer(question, text)
        conversation = loaded.conversation
        reply = await self._change_by_id(
            actor,
            conversation.id,
            conversation.step,
            lambda fresh: walker.answer(
                fresh.pack, fresh.conversation, option, now=self._clock(), ttl=self.idle_timeout
            ),
        )
        if isinstance(reply, QuestionReply | replies.ResultReply) and not is_verbatim(option, text):
            return replace(reply, taken_as=option.label)
        return reply

    async def back(
        self, actor: Actor, *, conversation_id: str | None = None, step: int | None = None
    ) -> Reply:
        return await self._change(
            actor,
            conversation_id,
            step,
            lambda loaded: walker.back(
                loaded.pack, loaded.conversation, now=self._clock(), ttl=self.idle_timeout
            ),
        )

    async def restart(
        self, actor: Actor, *, conversation_id: str | None = None, step: int | None = None
    ) -> Reply:
        """Begin again on the pack's current version; works even when the old version is gone."""
        pack = self.registry.current(self.advisor)
        return await self._change(
            actor,
            conversation_id,
            step,
            lambda loaded: walker.restart(
                pack, loaded.conversation, now=self._clock(), ttl=self.idle_timeout
            ),
            allow_expired=True,
            allow_missing_pack=True,
        )

    async def resume(
        self, actor: Actor, *, conversation_id: str | None = None, step: int | None = None
    ) -> Reply:
        """Carry on after the idle expiry notice."""
        return await self._change(
            actor,
            conversation_id,
            step,
            lambda loaded: walker.resume(loaded.conversation, now=self._clock(), ttl=self.idle_timeout),
            allow_expired=True,
        )

    async def why(
        self, actor: Actor, *, conversation_id: str | None = None, step: int | None = None
    ) -> Reply:
        """Why the current question is asked; from a button, only for the question it sits under."""
        loaded = await self._load_clicked(actor, conversation_id, step)
        question = walker.current_question(loaded.pack, loaded.conversation)
        if question is None:
            return self._render(loaded.conversation, loaded.pack)
        cited = (*question.sources, *(s for o in question.options for e in o.evidence for s in e.sources))
        sources = tuple(loaded.pack.sources[s] for s in dict.fromkeys(cited) if s in loaded.pack.sources)
        from bot.personal.reports import WhyReply

        return WhyReply(
            conversation_id=loaded.conversation.id,
            step=loaded.conversation.step,
            prompt=question.prompt,
            why=question.why,
            help=question.help,
            sources=sources,
        )

    async def share(self, actor: Actor, *, conversation_id: str, step: int) -> ResultReply:
        """The owner's finished result, exactly as it was when the Share button was drawn."""
        loaded = await self._load_clicked(actor, conversation_id, step)
        if walker.current_question(loaded.pack, loaded.conversation) is not None:
            raise StaleAnswer(step=step, current_step=loaded.conversation.step)
        return self._result(loaded.conversation, loaded.pack)

    async def ranking(
        self, actor: Actor, *, conversation_id: str | None = None, step: int | None = None
    ) -> RankingReply | Notice:
        """Every subject with its points; from a button, only for the result it sits under."""
        loaded = await self._load_clicked(actor, conversation_id, step)
        try:
            return ranking_reply(loaded.pack, loaded.conversation)
        except AnswersDoNotFit:
            return self._pack_gone(loaded.conversation)

    async def status(self, actor: Actor) -> Reply:
        loaded = await self._load_own(actor)
        conversation, pack = loaded.conversation, loaded.pack
        question = walker.current_question(pack, conversation)
        leader = None
        if conversation.answers:
            from bot.ranking import recommend  # only once asked: a chat starts without the ranking

            leader = recommend(pack, conversation.answers).top.name
        from bot.personal.reports import StatusReply

        return StatusReply(
            conversation_id=conversation.id,
            step=conversation.step,
            answered=answered_questions(pack, conversation.answers),
            current_prompt=question.prompt if question else None,
            leader=leader,
            expires_at=conversation.expires_at,
        )

    async def result(self, actor: Actor) -> Reply:
        """The ranking so far (or final), without changing anything."""
        loaded = await self._load_own(actor)
        return self._result(loaded.conversation, loaded.pack)

    async def current(self, actor: Actor) -> Reply:
        """Show the conversation as it stands (the question, the result, or a notice)."""
        key = ConversationKey.personal(actor, self.advisor)
        conversation = await self.store.get(key)
        if conversation is None:
            raise NoConversation()
        return await self._present(conversation)

    async def changed_since(self, actor: Actor, moment: datetime) -> bool:
        """Whether the actor's conversation changed at or after `moment`.

        A typed line carries no step, so a line replayed after a crash asks this first: if
        the conversation moved since the line arrived, the line was already applied.
        """
        conversation = await self.store.get(ConversationKey.personal(actor, self.advisor))
        return conversation is not None and conversation.updated_at >= moment

    async def forget(self, actor: Actor) -> Notice:
        """Delete the actor's conversations and take their name out of team sessions."""
        from bot.privacy import forget_user  # only for this rare command: it loads the team code

        forgotten = await forget_user(
            conversations=self.store,
            teams=self.team_store,
            platform=actor.platform,
            workspace=actor.workspace,
            user=actor.user,
        )
        return Notice(forgotten.summary())

    # --- the one-click transaction --------------------------------------------------------

    async def _change(
        self,
        actor: Actor,
        conversation_id: str | None,
        step: int | None,
        walk: Callable[[_Loaded], Conversation],
        *,
        allow_expired: bool = False,
        allow_missing_pack: bool = False,
    ) -> Reply:
        """A button names the conversation and its step; a typed command (no button) acts on
        the actor's own conversation as it stands now."""
        ref = ConversationKey.personal(actor, self.advisor) if conversation_id is None else conversation_id
        return await self._change_by_id(
            actor, ref, step, walk, allow_expired=allow_expired, allow_missing_pack=allow_missing_pack
        )

    async def _change_by_id(
        self,
        actor: Actor,
        ref: str | ConversationKey,
        step: int | None,
        walk: Callable[[_Loaded], Conversation],
        *,
        allow_expired: bool = False,
        allow_missing_pack: bool = False,
    ) -> Reply:
        """Load, check, walk, save: one store operation (`change`), the checks run on the row
        it read. No retry: every change moves the step, so a conflict means this click (or
        typed line) was meant for a step that is gone.

        A pinned pack version this process does not hold stops the walk before anything is
        written; it is read from the archive and the click tried again.
        """
        found: dict[str, Pack | None] = {}
        while True:
            try:
                return await self._change_once(
                    actor,
                    ref,
                    step,
                    walk,
                    found=found,
                    allow_expired=allow_expired,
                    allow_missing_pack=allow_missing_pack,
                )
            except _PackNeeded as needed:
                found[needed.version] = await self.registry.find(self.advisor, needed.version)

    async def _change_once(
        self,
        actor: Actor,
        ref: str | ConversationKey,
        step: int | None,
        walk: Callable[[_Loaded], Conversation],
        *,
        found: dict[str, Pack | None],
        allow_expired: bool,
        allow_missing_pack: bool,
    ) -> Reply:
        walked_on: Pack | None = None
        stopped: Callable[[Conversation], Notice] = self._pack_gone
        read_step = step

        def decide(conversation: Conversation) -> Conversation | None:
            """Pure, run by the store between its read and its write; None writes nothing."""
            nonlocal walked_on, stopped, read_step
            walked_on, read_step = None, conversation.step
            if not conversation.key.is_owned_by(actor):
                raise NotYourConversation(conversation_id=conversation.id)
            if step is not None and step != conversation.step:
                raise StaleAnswer(step=step, current_step=conversation.step)
            if not allow_expired and conversation.is_expired(self._clock()):
                stopped = self._expired_offer
                return None
            pack = self._pack_held(conversation, found)
            if pack is None:
                if not allow_missing_pack:
                    stopped = self._pack_gone
                    return None
                pack = self.registry.current(self.advisor)
            walked_on = pack
            changed = walk(_Loaded(conversation, pack))
            if changed.pack_version == pack.version:
                return changed
            # The walk happened on `pack`: a conversation that moved to a new version is saved on it.
            return replace(changed, pack_version=pack.version)

        try:
            before, saved = await self.store.change(ref, decide)
        except VersionConflict:
            seen = read_step if read_step is not None else 0
            raise StaleAnswer(step=seen, current_step=seen + 1) from None
        if before is None:
            raise NoConversation()
        if saved is None or walked_on is None:
            return stopped(before)  # expired, or its pack version is gone
        return self._render(saved, walked_on)

    # --- loading and presenting -----------------------------------------------------------

    async def _load_clicked(self, actor: Actor, conversation_id: str | None, step: int | None) -> _Loaded:
        """The conversation a button names, refused if it is someone else's or the step is old;
        without a button (typed commands), the actor's own."""
        if conversation_id is None:
            return await self._load_own(actor)
        conversation = await self.store.get_by_id(conversation_id)
        if conversation is None:
            raise NoConversation()
        if not conversation.key.is_owned_by(actor):
            raise NotYourConversation(conversation_id=conversation_id)
        if step is not None and step != conversation.step:
            raise StaleAnswer(step=step, current_step=conversation.step)
        pack = await self._pack_for(conversation)
        if pack is None:
            raise PackUnavailable(pack_id=self.advisor, version=conversation.pack_version)
        return _Loaded(conversation, pack)

    async def _load_own(self, actor: Actor) -> _Loaded:
        key = ConversationKey.personal(actor, self.advisor)
        conversation = await self.store.get(key)
        if conversation is None:
            raise NoConversation()
        pack = await self._pack_for(conversation)
        if pack is None:
            raise PackUnavailable(pack_id=self.advisor, version=conversation.pack_version)
        return _Loaded(conversation, pack)

    async def _pack_for(self, conversation: Conversation) -> Pack | None:
        """`_pack_held`, reading the conversation's own version from the archive if need be."""
        found: dict[str, Pack | None] = {}
        while True:
            try:
                return self._pack_held(conversation, found)
            except _PackNeeded as needed:
                found[needed.version] = await self.registry.find(self.advisor, needed.version)

    def _pack_held(self, conversation: Conversation, found: dict[str, Pack | None]) -> Pack | None:
        """The version to walk on: the current one when the answers carry over to it (a wording
        edit), else the conversation's own (None: no longer kept anywhere).

        Synchronous, so the store can run it inside a click: raises _PackNeeded for a version
        neither in memory nor in `found` (what the archive answered for versions asked before).
        """
        current = self.registry.current(self.advisor)
        if conversation.pack_version == current.version or not conversation.answers:
            return current
        version = conversation.pack_version
        if version in found:
            pinned = found[version]
        else:
            pinned = self.registry.version(self.advisor, version)
            if pinned is None:
                raise _PackNeeded(version)
        if carries_over(conversation.answers, pinned=pinned, current=current):
            return current
        return pinned

    def _interrupt(self, conversation: Conversation) -> Notice | None:
        if conversation.is_expired(self._clock()):
            return self._expired_offer(conversation)
        return None

    async def _present(self, conversation: Conversation) -> Reply:
        if (offer := self._interrupt(conversation)) is not None:
            return offer
        pack = await self._pack_for(conversation)
        if pack is None:
            return self._pack_gone(conversation)
        return self._render(conversation, pack)

    def _expired_offer(self, conversation: Conversation) -> Notice:
        idle = self.idle_timeout
        hours = idle.total_seconds() / 3600
        span = f"{hours:g} hours" if hours >= 1 else f"{idle.total_seconds():g} seconds"
        return Notice(
            f"You left this conversation more than {span} ago, after {len(conversation.answers)} "
            "answer(s). Resume where you were, or start over?",
            conversation_id=conversation.id,
            step=conversation.step,
            offers=(Offer.RESUME, Offer.RESTART),
        )

    def _pack_gone(self, conversation: Conversation) -> Notice:
        return Notice(
            f"The advisor was updated since you started, and the version you answered "
            f"({conversation.pack_version[:8]}) is no longer kept, so your "
            f"{len(conversation.answers)} answer(s) can't be finished on it. Start over on the new version?",
            conversation_id=conversation.id,
            step=conversation.step,
            offers=(Offer.RESTART,),
        )

    def _render(self, conversation: Conversation, pack: Pack) -> Reply:
        try:
            return present(pack, conversation)
        except AnswersDoNotFit:
            return self._pack_gone(conversation)

    def _result(self, conversation: Conversation, pack: Pack) -> ResultReply:
        return result_reply(pack, conversation)
