"""The Discord client: the `/choose-framework` command tree and the click routing, wired to an engine.

Nothing here connects: `advisor discord` (command.py) starts the client, and syncing the
command to Discord is a separate, explicit step (`advisor discord sync`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Protocol

import aiohttp
import discord
from discord import app_commands

from adapters.discord.components import bound_item
from adapters.discord.deliveries import Inbox, InteractionLog, Ticket, unrecorded
from adapters.discord.inbound import interaction_problem
from adapters.discord.payloads import unreadable
from adapters.discord.personal import COMMAND_ACTIONS, PersonalHandler
from adapters.discord.render.team import START_MODAL_ID
from adapters.discord.respond import DEFER_AFTER, Outcome, explained, respond
from adapters.discord.team import TeamHandler, read_start_form
from adapters.ids import TEAM_ACTIONS, ActionId, MalformedAction
from adapters.runtime.service import Runtime
from adapters.services import Services
from adapters.settings import Settings

log = logging.getLogger(__name__)

PLATFORM: Final = "discord"
COMMAND: Final = "choose-framework"
DESCRIPTION: Final = "Get a Python web framework recommendation, with reasons and sources"


class Router:
    """Every command and click to the personal or the team handler; a malformed click is answered.

    Each interaction is recorded (deliveries.py) before anything is sent and finished after
    its reply; a second copy of one already recorded is dropped.
    """

    def __init__(
        self,
        personal: PersonalHandler,
        team: TeamHandler,
        *,
        defer_after: float,
        runtime: Runtime,
        interactions: InteractionLog,
    ) -> None:
        self.personal = personal
        self.team = team
        self.defer_after = defer_after
        self.runtime = runtime
        self.interactions = interactions

    async def _receive(self, interaction: discord.Interaction, *, team: bool) -> Ticket | None:
        """Its record; None for a second copy of one already recorded (dropped). One that can't
        be read (who, where) gets no record: the handler answers why, and it leaves no trace."""
        if unreadable(interaction, team=team) is not None:
            self.interactions.inbox.take(interaction.id)
            return unrecorded(self.runtime.clock())
        # Deferred at once, it is resumable from the start (respond.py would mark it so anyway).
        return await self.interactions.receive(interaction, resumable=self.defer_after <= 0)

    async def _tracked(
        self,
        interaction: discord.Interaction,
        ticket: Ticket,
        work: Callable[[], Awaitable[None]],
        kind: str,
    ) -> None:
        """Run one interaction as in-flight work, so a graceful stop waits for it (or hands it on)."""
        done = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                if ticket.replay and not await self._acknowledged(interaction, ticket):
                    return
                await work()
                await ticket.finish()  # settled already unless nothing was sent through respond()
            except asyncio.CancelledError:
                raise  # a graceful stop: `release` hands the record on
            except BaseException:
                await ticket.finish()  # a bug, logged by InFlight: never replayed into it again
                raise
            finally:
                if not done.done():
                    done.set_result(None)

        self.runtime.work.start(run(), on_cancel=ticket.release, name=f"discord {kind}")
        await asyncio.shield(done)
        self.runtime.metrics.reply(PLATFORM, kind, time.monotonic() - ticket.started)

    async def _acknowledged(self, interaction: discord.Interaction, ticket: Ticket) -> bool:
        """Whether Discord has the initial response of a replayed interaction.

        The dead process marked it resumable just before acknowledging it; if it died in
        between, the token is dead (Discord answers 404) and nothing may be applied for it."""
        try:
            await interaction.original_response()
        except discord.NotFound:
            log.info("a replayed Discord interaction was never acknowledged; given up")
            await ticket.finish()
            return False
        except discord.ClientException:
            return True  # no channel to read the message in: the reply itself will tell
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            log.warning("could not check a replayed Discord interaction: %s", type(error).__name__)
            await ticket.undelivered(error)
            return False
        return True

    async def on_command(
        self,
        interaction: discord.Interaction,
        action: str,
        *,
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> None:
        ticket = await self._receive(interaction, team=action == "team")
        if ticket is None:
            return
        if action == "team":

            def work() -> Awaitable[None]:
                return self.team.on_command(
                    interaction, topic=topic, anonymous=anonymous, quorum=quorum, ticket=ticket
                )
        else:

            def work() -> Awaitable[None]:
                return self.personal.on_command(interaction, action, ticket=ticket)

        await self._tracked(interaction, ticket, work, "command")

    async def on_click(
        self, interaction: discord.Interaction, action: ActionId | None, values: Sequence[str]
    ) -> None:
        if action is None:
            log.warning("Ignored a component with a malformed custom_id (interaction %s)", interaction.id)
            self.interactions.inbox.take(interaction.id)  # answered, never recorded: nothing to replay
            refusal = explained(str(MalformedAction("")))

            async def work() -> Outcome:
                return refusal

            await respond(interaction, work, component=True, defer_after=self.defer_after)
            return
        handler: FlowHandler = self.team if action.action in TEAM_ACTIONS else self.personal
        ticket = await self._receive(interaction, team=handler is self.team)
        if ticket is None:
            return
        self.runtime.metrics.click(PLATFORM, "team" if handler is self.team else "personal")

        def clicked() -> Awaitable[None]:
            return handler.on_click(interaction, action, values, ticket=ticket)

        await self._tracked(interaction, ticket, clicked, "click")

    async def on_modal(self, interaction: discord.Interaction) -> None:
        """A modal submit, routed by its custom_id (discord.py keeps no modal of ours in memory)."""
        data: Any = interaction.data
        if not isinstance(data, dict) or data.get("custom_id") != START_MODAL_ID:
            return
        if isinstance(read_start_form(interaction), str):  # answered with what to fix, not recorded
            self.interactions.inbox.take(interaction.id)
            ticket: Ticket | None = unrecorded(self.runtime.clock())
        else:
            ticket = await self._receive(interaction, team=True)
        if ticket is None:
            return

        def work() -> Awaitable[None]:
            return self.team.on_start_form(interaction, ticket=ticket)

        await self._tracked(interaction, ticket, work, "command")


class FlowHandler(Protocol):
    """The personal or the team handler of a click."""

    async def on_click(
        self,
        interaction: discord.Interaction,
        action: ActionId,
        values: Sequence[str],
        *,
        ticket: Ticket | None = None,
    ) -> None: ...


UNREADABLE: Final = (
    "The advisor could not read this request from Discord, so nothing was done. "
    f"Try /{COMMAND} again; if it keeps happening, reinstall the app."
)


class AdvisorTree(app_commands.CommandTree[discord.Client]):
    """The command tree, answering an interaction it can't read instead of logging a traceback.

    discord.py raises an `AppCommandError` when a payload names a command or option that does
    not exist, or a value of the wrong type, and its default `on_error` logs those at ERROR.
    They come from outside, so they are logged once at WARNING and the user hears why; only
    `CommandInvokeError`, a failure inside our own callback, is a bug worth a traceback.
    """

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.CommandInvokeError):
            await super().on_error(interaction, error)
            return
        log.warning(
            "Ignored an unreadable command interaction (id=%s): %s", interaction.id, type(error).__name__
        )
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    UNREADABLE, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except (discord.HTTPException, discord.InteractionResponded, ValueError, TypeError) as failed:
            log.warning("Could not explain an unreadable interaction: %s", type(failed).__name__)


class CommandHandler(Protocol):
    async def on_command(
        self,
        interaction: discord.Interaction,
        action: str,
        *,
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> None: ...


def add_commands(tree: app_commands.CommandTree[Any], handler: CommandHandler) -> None:
    """`/choose-framework [action]`: one command whose optional action picks start, help, status, ..."""

    @app_commands.command(name=COMMAND, description=DESCRIPTION)
    @app_commands.describe(
        action="What to do (default: start, or carry on where you were)",
        topic="With action team: what the team is deciding",
        anonymous="With action team: show vote counts only, not who voted",
        quorum="With action team: close each question by itself at this many votes",
    )
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in COMMAND_ACTIONS])
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def choose_framework(
        interaction: discord.Interaction,
        action: app_commands.Choice[str] | None = None,
        topic: app_commands.Range[str, 1, 200] | None = None,
        anonymous: bool = False,
        quorum: app_commands.Range[int, 2, 1000] | None = None,
    ) -> None:
        chosen = action.value if action is not None else "start"
        await handler.on_command(
            interaction, chosen, topic=topic or "", anonymous=anonymous, quorum=quorum or 0
        )

    tree.add_command(choose_framework)


def guard_interaction_parser(client: discord.Client, inbox: Inbox | None = None) -> None:
    """Log and drop an INTERACTION_CREATE that discord.py cannot parse, instead of crashing.

    discord.py calls its parsers straight from the gateway loop, so a KeyError there would
    tear the connection down; what its command tree and components read later, in tasks of
    their own, is checked first (`inbound.py`). `parsers` is internal (pinned discord.py
    ~=2.7); the gateway reads this same dict, so wrapping the one entry covers plain and
    sharded clients. A payload that passes goes to `inbox` too, where the router takes it to
    record the interaction.
    """
    parsers = client._connection.parsers
    parse = parsers["INTERACTION_CREATE"]

    def guarded(data: Any) -> None:
        # Never the payload itself in the log: it holds the interaction token.
        ident = repr(data.get("id"))[:24] if isinstance(data, dict) else None
        problem = interaction_problem(data)
        if problem is not None:
            log.warning("Ignored a malformed INTERACTION_CREATE (id=%s): %s", ident, problem)
            return
        if inbox is not None:
            inbox.put(data)
        try:
            parse(data)
        except Exception as error:
            log.warning("Ignored a malformed INTERACTION_CREATE (id=%s): %s", ident, type(error).__name__)

    parsers["INTERACTION_CREATE"] = guarded


def parse_as_gateway(client: discord.Client, payload: dict[str, Any]) -> None:
    """Hand an INTERACTION_CREATE to the client as its gateway does (guarded, recorded, dispatched).

    How a stored interaction is replayed after a crash: the normal handlers run on it."""
    client._connection.parsers["INTERACTION_CREATE"](payload)


def build_client(
    services: Services,
    settings: Settings,
    *,
    sharded: bool = False,
    shard_count: int | None = None,
    shard_ids: Sequence[int] | None = None,
    defer_after: float = DEFER_AFTER,
    runtime: Runtime | None = None,
    interactions: InteractionLog | None = None,
) -> discord.Client:
    """A client that answers `/choose-framework` and every advisor button, old ones included.

    `settings` is accepted so every adapter factory has the same shape; the token is given
    to `client.start` by the caller, not kept here. `shard_count` and `shard_ids` split the
    shards across processes (discord.py's own AutoShardedClient does the rest); `runtime`
    tracks the interactions in flight, so a graceful stop lets them finish; `interactions`
    records them in the store (pass it to `redelivery.discord_finisher` as well, so a replay
    reaches this client's handlers as one).
    """
    del settings
    runtime = runtime if runtime is not None else Runtime(clock=services.clock)
    if interactions is None:
        interactions = InteractionLog(deliveries=services.deliveries, runtime=runtime)
    # Interactions arrive without any intent; `guilds` keeps discord.py's guild and channel
    # cache right. Without the message intents the gateway sends no chat traffic at all.
    intents = discord.Intents.none()
    intents.guilds = True
    # Every send and edit defaults to no mentions at all; respond.py also says so on each call.
    quiet = discord.AllowedMentions.none()
    client: discord.Client
    if sharded or shard_count is not None:
        chosen: dict[str, Any] = {} if shard_ids is None else {"shard_ids": list(shard_ids)}
        client = discord.AutoShardedClient(
            intents=intents, shard_count=shard_count, allowed_mentions=quiet, **chosen
        )
    else:
        client = discord.Client(intents=intents, allowed_mentions=quiet)
    router = Router(
        PersonalHandler(services.engine, defer_after=defer_after),
        TeamHandler(services.team, defer_after=defer_after),
        defer_after=defer_after,
        runtime=runtime,
        interactions=interactions,
    )
    client.add_dynamic_items(bound_item(router))
    add_commands(AdvisorTree(client), router)

    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await router.on_modal(interaction)

    client.event(on_interaction)
    guard_interaction_parser(client, interactions.inbox)
    return client
