"""One interaction -> one outcome -> the right Discord responses, always inside the 3-second window.

The work runs as a task; if it has not finished after `defer_after` seconds the interaction is
deferred first (Discord then allows 15 minutes), so a slow database costs the user a spinner,
never an "interaction failed". Every message goes out with mentions disabled. The interaction's
`Ticket` (deliveries.py) hears when it is about to be acknowledged with more to send (from then
on another process could finish it) and when its reply went out; a replay after a crash sends
no initial response, only the edit or follow-up the deferral left for later.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

import aiohttp
import discord

from adapters.discord.deliveries import Ticket, unrecorded
from adapters.discord.render.common import Rendered, render_text
from bot.errors import AdvisorError, StoreError

log = logging.getLogger(__name__)

DEFER_AFTER: Final = 1.5
"""Seconds to wait for the engine before deferring: well inside the 3-second deadline."""
BUG_TEXT: Final = "Something went wrong on our side and nothing was changed. Please try again."
NO_MENTIONS: Final = discord.AllowedMentions.none()


class Mode(Enum):
    """Where the first rendered message goes."""

    EDIT = "edit"
    """Replace the message the clicked component sits on."""
    EPHEMERAL = "ephemeral"
    """A new message only the acting user sees."""
    PUBLIC = "public"
    """A new message everyone in the channel sees."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to send: `first` answers the interaction; `posts` follow as new public messages."""

    mode: Mode
    first: Rendered
    posts: tuple[Rendered, ...] = ()
    attachment: Attachment | None = None
    """Goes with the last post (or with `first` when there is no post)."""


Work = Callable[[], Awaitable[Outcome]]


def explained(text: str) -> Outcome:
    """An explanation only the acting user sees (an error, a refusal)."""
    return Outcome(Mode.EPHEMERAL, render_text(text))


async def respond(
    interaction: discord.Interaction,
    work: Work,
    *,
    component: bool,
    public: bool = False,
    defer_after: float = DEFER_AFTER,
    ticket: Ticket | None = None,
) -> None:
    """Run `work` and send its outcome; `public` commands defer visibly to the channel."""
    ticket = ticket if ticket is not None else unrecorded(interaction.created_at)
    task = asyncio.ensure_future(_explained(work))
    if ticket.replay:
        # The process that died deferred it: Discord takes only the edit or follow-up now.
        deferred = True
    elif defer_after <= 0:
        # Always deferred (and recorded resumable from the start): work that needs no await,
        # as a store answering inline does, must not slip in ahead of the deferral.
        deferred = True
    else:
        done, _ = await asyncio.wait({task}, timeout=defer_after)
        deferred = not done
    try:
        if deferred and not ticket.replay:
            await ticket.before_acknowledging()
            if component:
                await interaction.response.defer()  # "update this message", no spinner message
            else:
                await interaction.response.defer(ephemeral=not public, thinking=True)
        outcome = await task
        await _send(interaction, outcome, deferred=deferred, component=component, ticket=ticket)
    except (discord.HTTPException, discord.InteractionResponded, aiohttp.ClientError, TimeoutError) as error:
        # Discord refused the reply (an expired token, a message gone) or the network failed:
        # nothing more can reach the user now, and a traceback would say nothing new.
        log.warning("Could not deliver a reply to a Discord interaction: %s", _cause(error))
        await ticket.undelivered(error)
        return
    await ticket.finish()


def _cause(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"HTTP {error.status} (code {error.code})"
    return type(error).__name__


async def _explained(work: Work) -> Outcome:
    """The outcome, or an ephemeral explanation: str(AdvisorError) for users, a bug is logged."""
    try:
        return await work()
    except StoreError as error:
        log.warning("The store failed while handling a Discord interaction, nothing was saved: %s", error)
        return explained(error.chat_text)
    except AdvisorError as error:
        return explained(str(error))
    except Exception:
        log.exception("Bug while handling a Discord interaction")
        return explained(BUG_TEXT)


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
    interaction: discord.Interaction, outcome: Outcome, *, deferred: bool, component: bool, ticket: Ticket
) -> None:
    first = outcome.first
    first_file = _file(outcome.attachment if not outcome.posts else None)
    if outcome.posts and not deferred:
        await ticket.before_acknowledging()  # the posts still follow the first message
    if outcome.mode is Mode.EDIT and component:
        # view=None removes the components of the message being replaced.
        # Content is pack and user text too, now on every message: no edit may ping anyone either.
        parts: dict[str, Any] = {
            "content": first.content,
            "embeds": list(first.embeds),
            "view": first.view,
            "allowed_mentions": NO_MENTIONS,
        }
        if deferred:
            await interaction.edit_original_response(**parts)
        else:
            await interaction.response.edit_message(**parts)
    else:
        ephemeral = outcome.mode is not Mode.PUBLIC
        if not deferred:
            await interaction.response.send_message(
                **_parts(first), **first_file, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
        elif component:
            await interaction.followup.send(
                **_parts(first), **first_file, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            # A deferred command shows "thinking" in its own message: fill that one in.
            await interaction.edit_original_response(
                **_parts(first),
                attachments=[first_file["file"]] if first_file else discord.utils.MISSING,
                allowed_mentions=NO_MENTIONS,
            )
    for index, post in enumerate(outcome.posts):
        last = index == len(outcome.posts) - 1
        await interaction.followup.send(
            **_parts(post), **(_file(outcome.attachment) if last else {}), allowed_mentions=NO_MENTIONS
        )
