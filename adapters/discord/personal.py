"""Personal conversations on Discord: `/choose-framework [action]` and the advisor's buttons.

Each interaction is one engine call (the engine decides whether a click may act) and one
outcome, sent by respond.py within Discord's deadline. A replay after a crash (the ticket says
so) runs the same call: a click the first run had applied is refused as stale, and the replay
shows the conversation as it stands instead, which is what the lost reply would have shown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import discord

from adapters.discord.deliveries import Ticket
from adapters.discord.payloads import actor_of, chosen_option, mention_of
from adapters.discord.render.common import Rendered
from adapters.discord.render.personal import render, render_help, render_shared
from adapters.discord.respond import DEFER_AFTER, Mode, Outcome, respond
from adapters.ids import Action, ActionId
from bot.errors import NoConversation, StaleAnswer
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import Reply

log = logging.getLogger(__name__)

COMMAND_ACTIONS: Final = ("start", "help", "status", "result", "ranking", "restart", "forget", "team")


class PersonalHandler:
    """Translates `/choose-framework` and component clicks into engine calls."""

    def __init__(self, engine: Engine, *, defer_after: float = DEFER_AFTER) -> None:
        self.engine = engine
        self.defer_after = defer_after

    async def on_command(
        self, interaction: discord.Interaction, action: str, *, ticket: Ticket | None = None
    ) -> None:
        async def work() -> Outcome:
            actor = actor_of(interaction)
            if (
                action == "restart"
                and ticket is not None
                and ticket.replay
                and await self.engine.changed_since(actor, ticket.received_at)
            ):
                # The first run restarted it already (or the user moved on): never twice.
                return Outcome(Mode.EPHEMERAL, render(await self.engine.current(actor)))
            return Outcome(Mode.EPHEMERAL, await self._command(actor, action))

        await respond(interaction, work, component=False, defer_after=self.defer_after, ticket=ticket)

    async def on_click(
        self,
        interaction: discord.Interaction,
        action: ActionId,
        values: Sequence[str],
        *,
        ticket: Ticket | None = None,
    ) -> None:
        async def work() -> Outcome:
            actor, mention = actor_of(interaction), mention_of(interaction)
            try:
                return await self._click(actor, action, values, mention=mention)
            except StaleAnswer:
                if ticket is None or not ticket.replay:
                    raise
                return _edit(await self.engine.current(actor))

        await respond(interaction, work, component=True, defer_after=self.defer_after, ticket=ticket)

    # --- deciding what to do (engine calls, no Discord I/O) -------------------------------

    async def _command(self, actor: Actor, action: str) -> Rendered:
        engine = self.engine
        if action == "help":
            return render_help()
        if action == "status":
            return render(await engine.status(actor))
        if action == "result":
            return render(await engine.result(actor))
        if action == "ranking":
            return render(await engine.ranking(actor))
        if action == "forget":
            return render(await engine.forget(actor))
        if action == "restart":
            try:
                return render(await engine.restart(actor))
            except NoConversation:
                return render(await engine.start(actor))
        if action != "start":
            log.warning("Unknown /choose-framework action %r: starting instead", action[:40])
        return render(await engine.start(actor))

    async def _click(self, actor: Actor, action: ActionId, values: Sequence[str], *, mention: str) -> Outcome:
        engine, cid, step = self.engine, action.conversation_id, action.step
        if action.action is Action.ANSWER:
            option = chosen_option(values, action.option)
            return _edit(await engine.answer(actor, conversation_id=cid, step=step, option_id=option))
        if action.action is Action.BACK:
            return _edit(await engine.back(actor, conversation_id=cid, step=step))
        if action.action is Action.RESTART:
            return _edit(await engine.restart(actor, conversation_id=cid, step=step))
        if action.action is Action.RESUME:
            return _edit(await engine.resume(actor, conversation_id=cid, step=step))
        if action.action is Action.WHY:
            return Outcome(Mode.EPHEMERAL, render(await engine.why(actor, conversation_id=cid, step=step)))
        if action.action is Action.RANKING:
            ranking = await engine.ranking(actor, conversation_id=cid, step=step)
            return Outcome(Mode.EPHEMERAL, render(ranking))
        # SHARE: the owner's own result, as it was when the button was drawn.
        reply = await engine.share(actor, conversation_id=cid, step=step)
        return Outcome(Mode.PUBLIC, render_shared(reply, owner_mention=mention))


def _edit(reply: Reply) -> Outcome:
    return Outcome(Mode.EDIT, render(reply))
