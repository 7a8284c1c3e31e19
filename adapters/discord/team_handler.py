"""Team sessions on Discord: `/choose-framework action: team`, vote and Next clicks, the record file.

A vote is stored first and the message is then redrawn from the stored tally, so a lost edit
is repaired by the next vote. When a question closes, its message is edited to its final tally
and the next question (or the team result with the decision record attached) is posted as a
new public message: each question is posted once, and the channel keeps the history.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import discord

from adapters.discord.render import Rendered, render_text
from adapters.discord.team_render import render_team_closed, render_team_question, render_team_result
from adapters.ids import Action, ActionId
from bot.errors import AdvisorError
from bot.team import TeamKey
from bot.team_engine import TeamEngine
from bot.team_replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply

log = logging.getLogger(__name__)

PLATFORM: Final = "discord"
DM_WORKSPACE: Final = "@me"
BUG_TEXT: Final = "Something went wrong on our side and nothing was changed. Please try again."
NO_MENTIONS: Final = discord.AllowedMentions.none()
TEAM_ACTIONS: Final = frozenset({Action.VOTE, Action.NEXT, Action.RECORD})


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class TeamOutcome:
    """What to send: `first` answers the interaction; `posts` follow as new public messages."""

    first: Rendered
    edit: bool
    """`first` replaces the clicked message (else it is a new message)."""
    ephemeral: bool = False
    posts: tuple[Rendered, ...] = ()
    attachment: Attachment | None = None
    """Goes with the last post (or with `first` when there is no post)."""


def team_key(interaction: discord.Interaction, advisor: str) -> TeamKey:
    """One open session per channel (a thread is a channel of its own on Discord)."""
    workspace = str(interaction.guild_id) if interaction.guild_id is not None else DM_WORKSPACE
    return TeamKey(PLATFORM, workspace, str(interaction.channel_id), "", advisor)


def can_manage(interaction: discord.Interaction) -> bool:
    """Manage Messages or Manage Channels in this channel, as Discord resolved it for the click."""
    permissions = interaction.permissions
    return bool(permissions.manage_messages or permissions.manage_channels or permissions.administrator)


def record_file(session_id: str, markdown: str) -> Attachment:
    return Attachment(f"decision-record-{session_id}.md", markdown.encode("utf-8"))


class TeamHandler:
    """Translates team commands and clicks into TeamEngine calls and public messages."""

    def __init__(self, engine: TeamEngine, *, defer_after: float) -> None:
        self.engine = engine
        self.defer_after = defer_after

    async def on_command(
        self, interaction: discord.Interaction, *, topic: str, anonymous: bool = False, quorum: int = 0
    ) -> None:
        user = interaction.user

        async def work() -> TeamOutcome:
            reply = await self.engine.start(
                team_key(interaction, self.engine.advisor),
                starter=str(user.id),
                starter_name=user.display_name,
                topic=topic,
                anonymous=anonymous,
                quorum=quorum,
            )
            return await self._post(reply)

        await self._respond(interaction, work, component=False)

    async def on_click(
        self, interaction: discord.Interaction, action: ActionId, values: Sequence[str]
    ) -> None:
        user = interaction.user
        engine, sid, step = self.engine, action.conversation_id, action.step

        async def work() -> TeamOutcome:
            if action.action is Action.VOTE:
                option = values[0] if values else action.option
                reply: TeamReply = await engine.vote(
                    session_id=sid, step=step, member=str(user.id), option_id=option, name=user.display_name
                )
            elif action.action is Action.NEXT:
                reply = await engine.advance(
                    session_id=sid, step=step, member=str(user.id), can_manage=can_manage(interaction)
                )
            else:
                markdown = await engine.record(sid)
                return TeamOutcome(
                    render_text(f"Decision record of team session `{sid}`:"),
                    edit=False,
                    attachment=record_file(sid, markdown),
                )
            return await self._redraw(reply)

        await self._respond(interaction, work, component=True)

    # --- deciding what to send ------------------------------------------------------------

    async def _post(self, reply: TeamQuestionReply | TeamResultReply) -> TeamOutcome:
        if isinstance(reply, TeamQuestionReply):
            return TeamOutcome(render_team_question(reply), edit=False)
        return TeamOutcome(render_team_result(reply), edit=False, attachment=await self._record(reply))

    async def _redraw(self, reply: TeamReply) -> TeamOutcome:
        if isinstance(reply, TeamAdvanced):
            following = reply.following
            if isinstance(following, TeamQuestionReply):
                return TeamOutcome(
                    render_team_closed(reply.closed), edit=True, posts=(render_team_question(following),)
                )
            return TeamOutcome(
                render_team_closed(reply.closed),
                edit=True,
                posts=(render_team_result(following),),
                attachment=await self._record(following),
            )
        if isinstance(reply, TeamQuestionReply):
            return TeamOutcome(render_team_question(reply), edit=True)
        return TeamOutcome(render_team_result(reply), edit=True)

    async def _record(self, reply: TeamResultReply) -> Attachment | None:
        if not reply.finished:
            return None
        return record_file(reply.session_id, await self.engine.record(reply.session_id))

    # --- sending it -----------------------------------------------------------------------

    async def _respond(
        self,
        interaction: discord.Interaction,
        work: Callable[[], Awaitable[TeamOutcome]],
        *,
        component: bool,
    ) -> None:
        task = asyncio.ensure_future(_explained(work))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = not done
        if deferred:
            # A component defers as "update this message"; a command as a public "thinking".
            await interaction.response.defer(thinking=not component)
        outcome = await task
        await _send(interaction, outcome, deferred=deferred, component=component)


async def _explained(work: Callable[[], Awaitable[TeamOutcome]]) -> TeamOutcome:
    try:
        return await work()
    except AdvisorError as error:
        return TeamOutcome(render_text(str(error)), edit=False, ephemeral=True)
    except Exception:
        log.exception("Bug while handling a Discord team interaction")
        return TeamOutcome(render_text(BUG_TEXT), edit=False, ephemeral=True)


def _parts(rendered: Rendered) -> dict[str, Any]:
    parts: dict[str, Any] = {"content": rendered.content, "embeds": list(rendered.embeds)}
    if rendered.view is not None:
        parts["view"] = rendered.view
    return parts


def _file(attachment: Attachment | None) -> dict[str, Any]:
    if attachment is None:
        return {}
    return {"file": discord.File(io.BytesIO(attachment.data), filename=attachment.filename)}


async def _send(
    interaction: discord.Interaction, outcome: TeamOutcome, *, deferred: bool, component: bool
) -> None:
    first = outcome.first
    first_file = _file(outcome.attachment if not outcome.posts else None)
    if outcome.edit and component:
        parts: dict[str, Any] = {"content": first.content, "embeds": list(first.embeds), "view": first.view}
        if deferred:
            await interaction.edit_original_response(**parts)
        else:
            await interaction.response.edit_message(**parts)
    elif not deferred:
        await interaction.response.send_message(
            **_parts(first),
            **first_file,
            ephemeral=outcome.ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    elif component:
        await interaction.followup.send(
            **_parts(first),
            **first_file,
            ephemeral=outcome.ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    else:
        await interaction.edit_original_response(
            **_parts(first),
            attachments=[first_file["file"]] if first_file else discord.utils.MISSING,
            allowed_mentions=NO_MENTIONS,
        )
    for index, post in enumerate(outcome.posts):
        last = index == len(outcome.posts) - 1
        await interaction.followup.send(
            **_parts(post),
            **(_file(outcome.attachment) if last else {}),
            allowed_mentions=NO_MENTIONS,
        )
