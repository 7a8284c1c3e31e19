"""`advisor discord [run|sync|invite]`: run the bot, publish its command, print its install URL.

Syncing is explicit because Discord rate-limits command creation (200 a day per guild): do it
once per deploy, not on every start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, Final, TextIO
from urllib.parse import urlencode

import discord
from discord import app_commands

from adapters.discord.client import COMMAND, add_commands, build_client
from adapters.discord.redaction import install_token_redaction
from adapters.services import open_services
from adapters.settings import Secret, Settings
from bot.errors import SettingsError

EXIT_OK, EXIT_USAGE = 0, 2
SCOPES: Final = ("bot", "applications.commands")
PERMISSIONS: Final = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
"""Replies go through interactions, which need no permission; these let a shared result
show as an embed in channels the bot is a member of."""
AUTHORIZE: Final = "https://discord.com/oauth2/authorize"
AUTHENTICATION_FAILED: Final = 4004
"""The gateway close code for a bad or revoked token."""

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor discord",
        description="Run or set up the Discord bot (DISCORD_TOKEN from the environment).",
    )
    parser.add_argument("--sharded", action="store_true", help="run with discord.py's AutoShardedClient")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="connect and answer /choose-framework (the default)")
    # Its own dest: a subparser's default would otherwise reset `advisor discord --sharded run`.
    run.add_argument("--sharded", dest="run_sharded", action="store_true", help="for bots in 1000+ guilds")
    sync = sub.add_parser("sync", help="publish /choose-framework to Discord (once per deploy)")
    sync.add_argument("--guild", type=int, metavar="ID", help="to one guild only: shows at once, for testing")
    invite = sub.add_parser("invite", help="print the URLs that install the bot")
    invite.add_argument("--app-id", help="the application id (default: DISCORD_APP_ID)")
    return parser


def _token(settings: Settings) -> Secret:
    if not settings.discord_token:
        raise SettingsError(
            name="DISCORD_TOKEN",
            expected="the bot token from the Discord Developer Portal (Bot > Reset Token)",
        )
    return settings.discord_token


def invite_urls(app_id: str) -> tuple[str, str]:
    """(install in a server, install for a user) URLs."""
    server = discord.utils.oauth_url(app_id, permissions=PERMISSIONS, scopes=SCOPES)
    user = f"{AUTHORIZE}?{urlencode({'client_id': app_id, 'integration_type': 1, 'scope': SCOPES[1]})}"
    return server, user


def _invite(app_id: str | None, out: TextIO) -> int:
    if not app_id or not app_id.isdigit():
        raise SettingsError(
            name="DISCORD_APP_ID",
            expected="the numeric Application ID (Developer Portal > General Information), or --app-id",
            got=app_id,
        )
    server, user = invite_urls(app_id)
    out.write(
        f"Add the bot to a server (scopes: {' '.join(SCOPES)}; View Channels, Send Messages, Embed Links):\n"
    )
    out.write(f"  {server}\n")
    out.write(f"Or install /{COMMAND} for yourself, usable in any server and in DMs:\n")
    out.write(f"  {user}\n")
    return EXIT_OK


class _NotServing:
    """The handler of a client that only syncs: it never connects, so no command reaches it."""

    async def on_command(
        self,
        interaction: discord.Interaction,
        action: str,
        *,
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> None:
        raise RuntimeError("this client only syncs commands; run `advisor discord` to answer them")


async def sync_commands(token: Secret, *, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Overwrite the application's commands with this version's `/choose-framework`."""
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    add_commands(tree, _NotServing())
    async with client:
        await client.login(token.reveal())
        if guild_id is None:
            return await tree.sync()
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        return await tree.sync(guild=guild)


def _sync(settings: Settings, guild_id: int | None, out: TextIO) -> int:
    synced = asyncio.run(sync_commands(_token(settings), guild_id=guild_id))
    names = ", ".join(f"/{c.name}" for c in synced)
    where = f"guild {guild_id} (usable there now)" if guild_id else "everywhere the app is installed"
    out.write(f"Synced {len(synced)} command(s) to {where}: {names}\n")
    return EXIT_OK


async def serve(settings: Settings, *, token: Secret, sharded: bool) -> None:
    """Load the pack, open the store, and answer interactions until the process is stopped."""
    services = await open_services(settings)
    try:
        client = build_client(services, settings, sharded=sharded)
        async with client:
            await client.start(token.reveal())
    finally:
        await services.close()


def _run(settings: Settings, *, sharded: bool, out: TextIO) -> int:
    token = _token(settings)
    if not logging.getLogger().handlers:  # respect logging someone already set up
        discord.utils.setup_logging()
    install_token_redaction()
    out.write(f"Starting the Discord bot{' (sharded)' if sharded else ''}; Ctrl+C stops it.\n")
    out.flush()
    try:
        asyncio.run(serve(settings, token=token, sharded=sharded))
    except (discord.LoginFailure, discord.ConnectionClosed) as error:
        if isinstance(error, discord.ConnectionClosed) and error.code != AUTHENTICATION_FAILED:
            raise
        # Neither discord.py's message nor ours shows the token.
        raise SettingsError(
            name="DISCORD_TOKEN", expected="a valid bot token (Discord rejected this one)", got="(hidden)"
        ) from None
    return EXIT_OK


def main(
    argv: Sequence[str],
    *,
    settings: Settings,
    stdout: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    """The `advisor discord` entry point; `environ` defaults to the process environment."""
    args = _parser().parse_args(list(argv))
    env = os.environ if environ is None else environ
    if args.action == "invite":
        return _invite(args.app_id or env.get("DISCORD_APP_ID"), stdout)
    if args.action == "sync":
        return _sync(settings, args.guild, stdout)
    sharded = args.sharded or getattr(args, "run_sharded", False)
    return _run(settings, sharded=sharded, out=stdout)
