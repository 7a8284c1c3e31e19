"""One interaction -> one engine call -> one response, always inside Discord's 3-second window.

The engine call runs as a task; if it has not finished after `defer_after` seconds the
interaction is deferred first (Discord then allows 15 minutes), so a slow database costs the
user a spinner, never an "interaction failed".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

import discord

from adapters.discord.render import Rendered, render, render_help, render_shared, render_text
from adapters.discord.team_handler import TEAM_ACTIONS, TeamHandler
from adapters.ids import Action, ActionId, MalformedAction
from bot.conversation import Actor
from bot.engine import Engine
from bot.errors import AdvisorError, NoConversation, NotYourConversation, StaleAnswer
from bot.replies import Reply, ResultReply

log = logging.getLogger(__name__)

PLATFORM: Final = "discord"
DM_WORKSPACE: Final = "@me"
"""The workspace of conversations held outside any guild (DMs, group DMs)."""
DEFER_AFTER: Final = 1.5
"""Seconds to wait for the engine before deferring: well inside the 3-second deadline."""
COMMAND_ACTIONS: Final = ("start", "help", "status", "result", "restart", "forget", "team")
BUG_TEXT: Final = "Something went wrong on our side and nothing was changed. Please try again."
NO_MENTIONS: Final = discord.AllowedMentions.none()


class Mode(Enum):
    """Where a rendered reply goes."""

    EDIT = "edit"
    """Replace the message the clicked component sits on."""
    EPHEMERAL = "ephemeral"
    """A new message only the clicking user sees."""
    PUBLIC = "public"
    """A new message everyone in the channel sees."""


@dataclass(frozen=True, slots=True)
class Outcome:
    mode: Mode
    rendered: Rendered


def actor_of(interaction: discord.Interaction) -> Actor:
    """Who acted: one personal conversation per guild, plus one for DMs and group DMs."""
    workspace = str(interaction.guild_id) if interaction.guild_id is not None else DM_WORKSPACE
    return Actor(PLATFORM, workspace, str(interaction.user.id))


class AdvisorHandler:
    """Translates `/choose-framework` and component clicks into engine calls."""

    def __init__(
        self, engine: Engine, *, defer_after: float = DEFER_AFTER, team: TeamHandler | None = None
    ) -> None:
        self.engine = engine
        self.defer_after = defer_after
        self.team = team

    # --- entry points -------------------------------------------------------------------

    async def on_command(
        self,
        interaction: discord.Interaction,
        action: str,
        *,
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> None:
        if action == "team" and self.team is not None:
            await self.team.on_command(interaction, topic=topic, anonymous=anonymous, quorum=quorum)
            return
        actor = actor_of(interaction)

        async def work() -> Outcome:
            return Outcome(Mode.EPHEMERAL, await self._command(actor, action))

        await self._respond(interaction, work, component=False)

    async def on_click(
        self, interaction: discord.Interaction, action: ActionId | None, values: Sequence[str]
    ) -> None:
        if action is None:
            log.warning("Ignored a component with a malformed custom_id (interaction %s)", interaction.id)
            error = MalformedAction("")
            await self._respond(
                interaction, _fixed(Outcome(Mode.EPHEMERAL, render_text(str(error)))), component=True
            )
            return
        if action.action in TEAM_ACTIONS and self.team is not None:
            await self.team.on_click(interaction, action, values)
            return
        actor = actor_of(interaction)

        async def work() -> Outcome:
            return await self._click(actor, action, values, mention=interaction.user.mention)

        await self._respond(interaction, work, component=True)

    # --- deciding what to do (engine calls, no Discord I/O) -------------------------------

    async def _command(self, actor: Actor, action: str) -> Rendered:
        engine = self.engine
        if action == "help":
            return render_help()
        if action == "status":
            return render(await engine.status(actor))
        if action == "result":
            return render(await engine.result(actor))
        if action == "forget":
            return render(await engine.forget(actor))
        if action == "restart":
            try:
                return render(await engine.restart(actor))
            except NoConversation:
                return render(await engine.start(actor))
        if action == "team":
            return render_text("Team sessions need a database that keeps them (SQLite or PostgreSQL).")
        if action != "start":
            log.warning("Unknown /choose-framework action %r: starting instead", action[:40])
        return render(await engine.start(actor))

    async def _click(self, actor: Actor, action: ActionId, values: Sequence[str], *, mention: str) -> Outcome:
        engine, cid, step = self.engine, action.conversation_id, action.step
        if action.action is Action.ANSWER:
            option = values[0] if values else action.option
            return _edit(await engine.answer(actor, conversation_id=cid, step=step, option_id=option))
        if action.action is Action.BACK:
            return _edit(await engine.back(actor, conversation_id=cid, step=step))
        if action.action is Action.RESTART:
            return _edit(await engine.restart(actor, conversation_id=cid, step=step))
        if action.action is Action.RESUME:
            return _edit(await engine.resume(actor, conversation_id=cid, step=step))
        if action.action is Action.WHY:
            why = await engine.why(actor)
            _check_same(why.conversation_id, action)
            return Outcome(Mode.EPHEMERAL, render(why))
        # SHARE: the owner's own result, as it was when the button was drawn.
        reply = await engine.result(actor)
        if not isinstance(reply, ResultReply):
            raise StaleAnswer(step=step, current_step=step)
        _check_same(reply.conversation_id, action)
        if reply.step != step:
            raise StaleAnswer(step=step, current_step=reply.step)
        return Outcome(Mode.PUBLIC, render_shared(reply, owner_mention=mention))

    # --- doing it (Discord I/O) ------------------------------------------------------------

    async def _respond(
        self, interaction: discord.Interaction, work: Callable[[], Awaitable[Outcome]], *, component: bool
    ) -> None:
        task = asyncio.ensure_future(_explained(work))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = not done
        if deferred:
            if component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await task
        await _send(interaction, outcome, deferred=deferred, component=component)


def _edit(reply: Reply) -> Outcome:
    return Outcome(Mode.EDIT, render(reply))


def _fixed(outcome: Outcome) -> Callable[[], Awaitable[Outcome]]:
    async def work() -> Outcome:
        return outcome

    return work


def _check_same(conversation_id: str, action: ActionId) -> None:
    """Why and Share read the clicker's own conversation: it must be the one the button is for."""
    if conversation_id != action.conversation_id:
        raise NotYourConversation(conversation_id=action.conversation_id)


async def _explained(work: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """The outcome, or an ephemeral explanation: str(AdvisorError) for users, a bug is logged."""
    try:
        return await work()
    except AdvisorError as error:
        return Outcome(Mode.EPHEMERAL, render_text(str(error)))
    except Exception:
        log.exception("Bug while handling a Discord interaction")
        return Outcome(Mode.EPHEMERAL, render_text(BUG_TEXT))


async def _send(
    interaction: discord.Interaction, outcome: Outcome, *, deferred: bool, component: bool
) -> None:
    rendered = outcome.rendered
    parts: dict[str, Any] = {"content": rendered.content, "embeds": list(rendered.embeds)}
    if outcome.mode is Mode.EDIT and component:
        # view=None removes the components of the message being replaced.
        if deferred:
            await interaction.edit_original_response(**parts, view=rendered.view)
        else:
            await interaction.response.edit_message(**parts, view=rendered.view)
        return
    if rendered.view is not None:
        parts["view"] = rendered.view
    ephemeral = outcome.mode is not Mode.PUBLIC
    if not deferred:
        await interaction.response.send_message(**parts, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    elif component:
        await interaction.followup.send(**parts, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    else:
        # A deferred command shows "thinking" in an ephemeral message: fill that one in.
        await interaction.edit_original_response(**parts, allowed_mentions=NO_MENTIONS)
