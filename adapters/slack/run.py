"""`advisor slack` (the CLI subcommand): run the Slack bot (Socket Mode or HTTP), or print the app manifest.

    advisor slack [--socket | --http [--port N] [--host H]] [--health-port N]
    advisor slack manifest [--url https://bot.example.com | --socket] [--oauth]

Socket Mode needs no public URL (SLACK_APP_TOKEN + SLACK_BOT_TOKEN); HTTP mode needs
SLACK_SIGNING_SECRET and either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET (installs through OAuth). Without a flag, Socket Mode is chosen when
SLACK_APP_TOKEN is set. HTTP mode serves /healthz, /readyz and /metrics on its own port;
`--health-port` (or ADVISOR_HEALTH_PORT) serves them on another, in either mode. SIGTERM and
SIGINT stop it gracefully (adapters/runtime/shutdown.py), SIGHUP reloads the pack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

from adapters.runtime.logs import configure_logging
from adapters.runtime.service import Runtime
from adapters.services import Services, open_services
from adapters.settings import Settings
from bot.errors import SettingsError

if TYPE_CHECKING:  # the runtime needs aiohttp (the slack extra); `slack manifest` does not
    from adapters.runtime.shutdown import Stopper

LOG = logging.getLogger(__name__)
MAX_COMMAND = 32
"""Slack manifest: a command is at most 32 characters, the leading slash included."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advisor slack", description="Run or set up the Slack bot.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode: no public URL (SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="HTTP mode: Slack posts to /slack/events")
    parser.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP interface (default: all)")
    parser.add_argument(
        "--health-port",
        type=int,
        help="serve /healthz, /readyz and /metrics on this port (default: $ADVISOR_HEALTH_PORT)",
    )
    return parser


def _manifest_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor slack manifest", description="Print the Slack app manifest."
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="public base URL for HTTP mode, e.g. https://bot.example.com")
    where.add_argument("--socket", action="store_true", help="Socket Mode (the default)")
    parser.add_argument("--oauth", action="store_true", help="add the OAuth redirect URL (needs --url)")
    return parser


def print_manifest(argv: Sequence[str], *, settings: Settings, stdout: TextIO) -> int:
    from adapters.slack.manifest import build_manifest

    args = _manifest_parser().parse_args(list(argv))
    if len(settings.slack_command) > MAX_COMMAND:
        raise SettingsError(
            name="SLACK_COMMAND",
            expected=f"a command of at most {MAX_COMMAND} characters with its slash",
            got=settings.slack_command,
        )
    if args.url is not None and not args.url.startswith("https://"):
        raise SettingsError(name="--url", expected="an https:// URL Slack can reach", got=args.url)
    manifest = build_manifest(command=settings.slack_command, url=args.url, oauth=args.oauth)
    stdout.write(json.dumps(manifest, indent=2) + "\n")
    return 0


def _require(value: object, name: str, expected: str) -> None:
    if not value:
        raise SettingsError(name=name, expected=expected)


def check_settings(settings: Settings, *, socket: bool) -> None:
    """Fail before connecting, naming the variable that is missing."""
    if socket:
        _require(
            settings.slack_app_token, "SLACK_APP_TOKEN", "an app-level token xapp-… with connections:write"
        )
        _require(settings.slack_bot_token, "SLACK_BOT_TOKEN", "the bot token xoxb-… (Socket Mode)")
        return
    _require(settings.slack_signing_secret, "SLACK_SIGNING_SECRET", "the app's signing secret (HTTP mode)")
    if settings.slack_bot_token is None and not (settings.slack_client_id and settings.slack_client_secret):
        raise SettingsError(
            name="SLACK_BOT_TOKEN",
            expected="a bot token xoxb-…, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs",
        )


async def run(
    services: Services,
    settings: Settings,
    *,
    socket: bool,
    host: str,
    port: int,
    stdout: TextIO,
    health_port: int | None = None,
    stopper: Stopper | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT (or `stopper.stop()`), then stop gracefully."""
    from aiohttp import ClientSession, web

    from adapters.runtime.health import Health
    from adapters.runtime.shutdown import Platform, serve
    from adapters.slack.app import build_app
    from adapters.slack.redelivery import slack_finisher
    from adapters.slack.server import http_runner

    runtime = Runtime(lease=timedelta(seconds=settings.delivery_lease_seconds), clock=services.clock)
    from adapters.runtime.shutdown import Stopper

    stopper = stopper if stopper is not None else Stopper()
    pack = services.registry.current(services.advisor)
    source = services.registry.source.get(pack.id, "")
    title = pack.title + (" - last good version from the store" if source == "store" else "")
    folder = services.registry.folder(services.advisor) or settings.pack_dir
    session = ClientSession()
    try:
        app = build_app(services, settings, session=session, runtime=runtime)
        if socket:
            from adapters.slack.socket_mode import CheckedSocketModeHandler

            if settings.slack_app_token is None:
                raise SettingsError(name="SLACK_APP_TOKEN", expected="an app-level token xapp-…")
            handler = CheckedSocketModeHandler(app, settings.slack_app_token.reveal(), work=runtime.work)

            async def connect() -> None:
                await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
                stdout.write(f"advisor: Slack Socket Mode, {settings.slack_command} ({title})\n")
                stdout.flush()

            async def disconnect() -> None:
                await handler.disconnect_async()  # type: ignore[no-untyped-call]

            async def close() -> None:
                await handler.close_async()  # type: ignore[no-untyped-call]

            platform = Platform("slack", connect, disconnect, close, finish=slack_finisher(app))
            await serve(
                platform,
                services=services,
                runtime=runtime,
                settings=settings,
                folder=folder,
                stopper=stopper,
                health_port=health_port,
            )
            return
        secret = settings.slack_signing_secret
        http = http_runner(
            app,
            signing_secret=secret.reveal() if secret else "",
            health=Health(services, runtime),
            shutdown_seconds=min(settings.shutdown_seconds, 5.0),
        )
        sites: list[web.TCPSite] = []

        async def listen() -> None:
            await http.setup()
            site = web.TCPSite(http, host, port)
            await site.start()
            sites.append(site)
            stdout.write(f"advisor: Slack HTTP mode on {host}:{port}/slack/events ({title})\n")
            stdout.flush()

        async def stop_listening() -> None:
            for site in sites:
                await site.stop()

        platform = Platform("slack", listen, stop_listening, http.cleanup, finish=slack_finisher(app))
        await serve(
            platform,
            services=services,
            runtime=runtime,
            settings=settings,
            folder=folder,
            stopper=stopper,
            health_port=health_port if health_port != port else None,
        )
    finally:
        await session.close()


async def _serve(
    settings: Settings, *, socket: bool, host: str, port: int, health_port: int | None, stdout: TextIO
) -> None:
    services = await open_services(settings, fallback=True)
    try:
        await run(
            services, settings, socket=socket, host=host, port=port, stdout=stdout, health_port=health_port
        )
    finally:
        await services.close()


def main(argv: Sequence[str], *, settings: Settings, stdout: TextIO) -> int:
    argv = list(argv)
    if argv[:1] == ["manifest"]:
        return print_manifest(argv[1:], settings=settings, stdout=stdout)
    args = _parser().parse_args(argv)
    socket = args.socket or (not args.http and settings.slack_app_token is not None)
    check_settings(settings, socket=socket)
    port = args.port if args.port is not None else settings.port
    if not 0 < port < 65536:
        raise SettingsError(name="--port", expected="a TCP port number 1..65535", got=str(port))
    health_port = args.health_port if args.health_port is not None else settings.health_port
    if health_port is not None and not 0 < health_port < 65536:
        raise SettingsError(name="--health-port", expected="a TCP port number 1..65535", got=str(health_port))
    if not logging.getLogger().handlers:  # respect logging someone already set up
        configure_logging(level=settings.log_level, fmt=settings.log_format)
    asyncio.run(
        _serve(settings, socket=socket, host=args.host, port=port, health_port=health_port, stdout=stdout)
    )
    return 0
