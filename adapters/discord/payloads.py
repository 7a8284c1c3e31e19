"""Reading Discord interactions: who acted, where, and what they may do, as core values.

The handlers deal in `Actor`, `TeamKey` and plain strings; discord.py's `Interaction` is read
only here (and sent to only in respond.py). Ids are checked on the way (`platform_ids.py`):
discord.py parses any decimal text as an id, 3,000 digits included, and none of those is stored.
Call these inside the work `respond` runs, so a refusal reaches the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import discord

from adapters.platform_ids import discord_id
from adapters.platform_ids import display_name as clean_name
from bot.errors import AdvisorError, InputError
from bot.personal.conversation import Actor
from bot.team.session import TeamKey

PLATFORM: Final = "discord"
DM_WORKSPACE: Final = "@me"
"""The workspace of conversations held outside any guild (DMs, group DMs)."""


class NoUser(InputError):
    """An interaction with neither `member` nor `user`: nobody to act for."""

    def __init__(self) -> None:
        super().__init__(
            "The advisor could not read this request: it names no user, so nothing was done. "
            "Try again; if it keeps happening, reinstall the app."
        )


def _user(interaction: discord.Interaction) -> discord.User | discord.Member:
    """Who acted; discord.py leaves a sentinel when the payload had no member and no user."""
    user = interaction.user
    if not isinstance(user, discord.User | discord.Member):
        raise NoUser()
    return user


def workspace_of(interaction: discord.Interaction) -> str:
    if interaction.guild_id is None:
        return DM_WORKSPACE
    return discord_id(interaction.guild_id, kind="server id")


def actor_of(interaction: discord.Interaction) -> Actor:
    """Who acted: one personal conversation per guild, plus one for DMs and group DMs."""
    return Actor(PLATFORM, workspace_of(interaction), discord_id(_user(interaction).id, kind="user id"))


def member_of(interaction: discord.Interaction) -> tuple[str, str]:
    """(member id, display name) of whoever acted, for team sessions."""
    workspace_of(interaction)  # a member belongs to a server (or DMs) whose id must be one too
    user = _user(interaction)
    member = discord_id(user.id, kind="user id")
    return member, clean_name(user.display_name, fallback=member)


def mention_of(interaction: discord.Interaction) -> str:
    """How a shared result names its owner (sent with mentions disabled, so nobody is pinged)."""
    return f"<@{discord_id(_user(interaction).id, kind='user id')}>"


def team_key(interaction: discord.Interaction, advisor: str) -> TeamKey:
    """One open session per channel (a thread is a channel of its own on Discord)."""
    channel = discord_id(interaction.channel_id, kind="channel id")
    return TeamKey(PLATFORM, workspace_of(interaction), channel, "", advisor)


def can_manage(interaction: discord.Interaction) -> bool:
    """Manage Messages or Manage Channels in this channel, as Discord resolved it for the click."""
    permissions = interaction.permissions
    return bool(permissions.manage_messages or permissions.manage_channels or permissions.administrator)


def chosen_option(values: Sequence[str], fallback: str) -> str:
    """A select sends the chosen option in `values`; a button carries it in its custom_id."""
    return values[0] if values else fallback


def modal_values(interaction: discord.Interaction) -> dict[str, object]:
    """custom_id -> submitted value of every field of a modal submit (labels and rows unwrapped).

    Read from the raw payload, which has the same shape whether or not discord.py still holds
    the modal in memory: a text input gives a string, a checkbox a bool, a select a list.
    """
    values: dict[str, object] = {}

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        custom_id = node.get("custom_id")
        if isinstance(custom_id, str):
            if "value" in node:
                values[custom_id] = node["value"]
            elif "values" in node:
                values[custom_id] = node["values"]
        walk(node.get("components"))
        walk(node.get("component"))

    data = interaction.data
    walk(data.get("components") if isinstance(data, dict) else None)
    return values


def unreadable(interaction: discord.Interaction, *, team: bool) -> AdvisorError | None:
    """What makes an interaction unreadable (who acted, where), if anything.

    Such an interaction is answered with the reason but never recorded: it leaves no trace."""
    try:
        if team:
            member_of(interaction)
            discord_id(interaction.channel_id, kind="channel id")
        else:
            actor_of(interaction)
    except AdvisorError as error:
        return error
    return None
