"""The bolt `AsyncApp` for the advisor: listeners that acknowledge, then hand the work on.

Slack waits 3 seconds for the acknowledgement and resends after that, so each listener calls
`ack()` before anything touches the store (`AckFirst`); the work itself is in `listeners.py`.
A click is routed by its button value alone (`adapters.ids.ActionId`), so it works after a
restart and in any process.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from aiohttp import ClientSession
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.settings import Settings
from adapters.slack import blocks
from adapters.slack.installs import oauth_settings
from adapters.slack.listeners import Listeners
from adapters.slack.payloads import Body
from adapters.slack.team import TeamListeners
from bot.engine import Engine
from bot.store.base import TeamStore
from bot.store.claims import ClaimLog, open_claim_log
from bot.team_engine import TeamEngine

LOG = logging.getLogger("adapters.slack")
DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2
CLICK_PATTERN = re.compile(r"^adv:")


class AckFirst:
    """What bolt calls: acknowledge, hand the work to a task, return, so the 200 leaves at once.

    bolt's default mode polls every 10 ms for a late `ack()`, and its "lazy listeners" deep-copy
    the request for each task; under load both showed in the acknowledgement times (see
    bench/slack_bench.py). Here bolt runs in `process_before_response` mode, where the listener's
    return ends the request, and the listener returns right after `ack()`.
    """

    def __init__(self, listeners: Listeners) -> None:
        self.listeners = listeners
        self._running: set[asyncio.Task[None]] = set()

    def _hand_off(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            LOG.error("a Slack listener failed after its ack", exc_info=error)

    async def command(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        self._hand_off(self.listeners.on_command(body, respond, client, request))

    async def click(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        self._hand_off(self.listeners.on_click(body, respond, client, request))

    async def start_click(
        self, ack: AsyncAck, body: Body, respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self.listeners.on_start_click(body, respond, request))

    async def mention(
        self, ack: AsyncAck, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self.listeners.on_mention(body, event, say, request))

    async def message(
        self, ack: AsyncAck, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self.listeners.on_message(body, event, say, request))

    async def left_channel(self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest) -> None:
        await ack()
        self._hand_off(self.listeners.on_presence(body, event, request, present=False))

    async def joined_channel(self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest) -> None:
        await ack()
        self._hand_off(self.listeners.on_presence(body, event, request, present=True))


# --- assembly ---------------------------------------------------------------------------


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def with_rate_limit_retries(client: AsyncWebClient) -> AsyncWebClient:
    """429s are retried after Retry-After by slack-sdk's own handler (the default retries none)."""
    if not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def build_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.reveal() if settings.slack_bot_token else None
    return with_rate_limit_retries(AsyncWebClient(token=token, base_url=api_url(settings)))


def build_app(
    engine: Engine,
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    deliveries: ClaimLog | None = None,
    session: ClientSession | None = None,
    team_engine: TeamEngine | None = None,
) -> AsyncApp:
    """The app for either connection mode; Socket Mode and HTTP differ only in how it is served.

    With SLACK_BOT_TOKEN it serves one workspace; without it, and with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, it serves every workspace that installs it through bolt's OAuth flow,
    with installations kept in the project's SQLite file. `session`, when given (and closed by
    the caller), carries every reply to a response_url over kept-alive connections. Team
    sessions run on `team_engine`, by default one on the engine's own store.
    """
    web_client = with_rate_limit_retries(client) if client is not None else build_client(settings)
    secret = settings.slack_signing_secret.reveal() if settings.slack_signing_secret else ""
    oauth = None
    if settings.slack_bot_token is None and settings.slack_client_id and settings.slack_client_secret:
        oauth = oauth_settings(settings)
    app = AsyncApp(
        client=web_client,
        signing_secret=secret,
        oauth_settings=oauth,
        process_before_response=True,  # the listeners only ack and hand off: see AckFirst
        logger=logging.getLogger("adapters.slack.bolt"),
    )
    if team_engine is None and isinstance(engine.store, TeamStore):
        team_engine = TeamEngine(store=engine.store, registry=engine.registry, advisor=engine.advisor)
    listeners = Listeners(
        engine=engine,
        deliveries=deliveries if deliveries is not None else open_claim_log(settings.db_url),
        command=settings.slack_command,
        session=session,
        team=TeamListeners(engine=team_engine, command=settings.slack_command) if team_engine else None,
    )
    front = AckFirst(listeners)
    app.command(settings.slack_command)(front.command)
    app.action(blocks.START_ACTION)(front.start_click)
    app.action(CLICK_PATTERN)(front.click)
    app.event("app_mention")(front.mention)
    app.event("message")(front.message)
    app.event("member_left_channel")(front.left_channel)
    app.event("member_joined_channel")(front.joined_channel)
    return app
