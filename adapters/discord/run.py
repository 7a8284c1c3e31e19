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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, TextIO
from urllib.parse import urlencode

import discord
from discord import app_commands

from adapters.discord.client import COMMAND, add_commands, build_client
from adapters.discord.deliveries import InteractionLog
from adapters.discord.redaction import install_token_redaction
from adapters.discord.redelivery import discord_finisher
from adapters.runtime.logs import configure_logging
from adapters.runtime.service import Runtime
from adapters.runtime.shutdown import Platform, Stopper
from adapters.runtime.shutdown import serve as run_service
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
    _run_options(parser, "")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="connect and answer /choose-framework (the default)")
    # Their own dests: a subparser's defaults would otherwise reset `advisor discord --sharded run`.
    _run_options(run, "run_")
    sync = sub.add_parser("sync", help="publish /choose-framework to Discord (once per deploy)")
    sync.add_argument("--guild", type=int, metavar="ID", help="to one guild only: shows at once, for testing")
    invite = sub.add_parser("invite", help="print the URLs that install the bot")
    invite.add_argument("--app-id", help="the application id (default: DISCORD_APP_ID)")
    return parser


def _run_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument(
        "--sharded",
        dest=f"{prefix}sharded",
        action="store_true",
        help="run with discord.py's AutoShardedClient",
    )
    parser.add_argument(
        "--shard-count",
        dest=f"{prefix}shard_count",
        type=int,
        metavar="N",
        help="the total shards of the bot",
    )
    parser.add_argument(
        "--shard-ids",
        dest=f"{prefix}shard_ids",
        metavar="0,1",
        help="the shards this process runs (with --shard-count); other processes run the rest",
    )
    parser.add_argument(
        "--health-port",
        dest=f"{prefix}health_port",
        type=int,
        help="serve /healthz, /readyz and /metrics on this port (default: $ADVISOR_HEALTH_PORT)",
    )


@dataclass(frozen=True, slots=True)
class Shards:
    """Which shards this process runs: all of them (None), or `ids` out of `count`."""

    count: int | None = None
    ids: tuple[int, ...] | None = None


def parse_shards(count: int | None, ids: str | None) -> Shards:
    """`--shard-count 4 --shard-ids 0,1` -> Shards(4, (0, 1)); the same rules discord.py enforces,
    said before connecting."""
    if count is None:
        if ids is not None:
            raise SettingsError(
                name="--shard-ids", expected="--shard-count N too: the total of every process"
            )
        return Shards()
    if count < 1:
        raise SettingsError(
            name="--shard-count", expected="a whole number of shards, 1 or more", got=str(count)
        )
    if ids is None:
        return Shards(count, None)
    try:
        chosen = tuple(int(part) for part in ids.split(",") if part.strip())
    except ValueError:
        raise SettingsError(
            name="--shard-ids", expected="shard numbers separated by commas, e.g. 0,1", got=ids
        ) from None
    if not chosen or len(set(chosen)) != len(chosen) or not all(0 <= i < count for i in chosen):
        raise SettingsError(
            name="--shard-ids", expected=f"different shard numbers from 0 to {count - 1}, e.g. 0,1", got=ids
        )
    return Shards(count, tuple(sorted(chosen)))


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


async def serve(
    settings: Settings,
    *,
    token: Secret,
    sharded: bool,
    shards: Shards = Shards(),  # frozen, so a shared default is safe
    health_port: int | None = None,
    stopper: Stopper | None = None,
) -> None:
    """Load the pack, open the store, and answer interactions until SIGTERM or SIGINT (or
    `stopper.stop()`), then stop gracefully (adapters/runtime/shutdown.py)."""
    services = await open_services(settings, fallback=True)
    try:
        runtime = Runtime(lease=timedelta(seconds=settings.delivery_lease_seconds), clock=services.clock)
        interactions = InteractionLog(deliveries=services.deliveries, runtime=runtime)
        client = build_client(
            services,
            settings,
            sharded=sharded,
            shard_count=shards.count,
            shard_ids=shards.ids,
            defer_after=settings.discord_defer_seconds,
            runtime=runtime,
            interactions=interactions,
        )
        running: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def connect() -> None:
            await client.login(token.reveal())
            task = asyncio.create_task(client.connect())
            task.add_done_callback(lambda done: _settle(running, done))
            platform.running = running

        async def nothing() -> None:
            """Interactions arriving while the work drains are still answered: closing the gateway
            first would leave them unanswered, since no other process holds these shards."""

        platform = Platform(
            "discord",
            connect,
            nothing,
            client.close,
            finish=discord_finisher(client, interactions),
            connected=lambda: client.is_ready() and not client.is_closed(),
        )
        await run_service(
            platform,
            services=services,
            runtime=runtime,
            settings=settings,
            folder=services.registry.folder(services.advisor) or settings.pack_dir,
            stopper=stopper if stopper is not None else Stopper(),
            health_port=health_port,
        )
    finally:
        await services.close()


def _settle(future: asyncio.Future[None], task: asyncio.Task[None]) -> None:
    if future.done():
        return
    if task.cancelled():
        future.set_result(None)
    elif (error := task.exception()) is not None:
        future.set_exception(error)
    else:
        future.set_result(None)


def _run(settings: Settings, *, sharded: bool, shards: Shards, health_port: int | None, out: TextIO) -> int:
    token = _token(settings)
    if not logging.getLogger().handlers:  # respect logging someone already set up
        configure_logging(level=settings.log_level, fmt=settings.log_format)
    install_token_redaction()
    which = ""
    if shards.count is not None:
        which = f" (shards {','.join(map(str, shards.ids or range(shards.count)))} of {shards.count})"
    elif sharded:
        which = " (sharded)"
    out.write(f"Starting the Discord bot{which}; Ctrl+C stops it.\n")
    out.flush()
    try:
        asyncio.run(serve(settings, token=token, sharded=sharded, shards=shards, health_port=health_port))
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

    def given(name: str) -> Any:
        value = getattr(args, f"run_{name}", None)
        return value if value not in (None, False) else getattr(args, name, None)

    shards = parse_shards(given("shard_count"), given("shard_ids"))
    health_port = given("health_port") or settings.health_port
    if health_port is not None and not 0 < health_port < 65536:
        raise SettingsError(name="--health-port", expected="a TCP port number 1..65535", got=str(health_port))
    sharded = bool(given("sharded")) or shards.count is not None
    return _run(settings, sharded=sharded, shards=shards, health_port=health_port, out=stdout)
