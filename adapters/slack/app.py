"""The bolt `AsyncApp` for the advisor: listeners that record, acknowledge, then hand the work on.

Slack waits 3 seconds for the acknowledgement and never resends an acknowledged request, so
each listener first records the delivery durably (the store's delivery log, with the body and
its response_url), then calls `ack()`, then hands the work to a task (`AckFirst`); the task
marks the record finished after the reply. A process killed in between leaves the record
unfinished, and another process (or this one restarted) finishes it while the response_url is
valid (adapters/slack/redelivery.py). A resend of a recorded delivery is dropped. A click is
routed by its button value alone (`adapters.ids.ActionId`), so it works after a restart and
in any process. A request is read (who, which button, where the reply goes) before anything is
recorded, so one that can't be read leaves no trace; everything after the ack, the reply
included, runs in one error handling (`failures.run_after_ack`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import ClientSession
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.ids import TEAM_ACTIONS, ActionId
from adapters.runtime.service import Runtime
from adapters.services import Services
from adapters.settings import Settings
from adapters.slack.failures import UNDELIVERABLE, Tell, run_after_ack
from adapters.slack.home import HomeListeners
from adapters.slack.installs import oauth_settings
from adapters.slack.payloads import (
    PLATFORM,
    Body,
    MalformedRequest,
    actor_of,
    clicked_value,
    delivery_key,
    is_resend,
    kept_body,
    user_of,
)
from adapters.slack.personal import PersonalListeners
from adapters.slack.render.blocks import SlackMessage, error_message, escape
from adapters.slack.render.home import HOME_ACTIONS, LINK_ACTIONS, SHARE_VIEW, SHORTCUT
from adapters.slack.render.personal import START_ACTION
from adapters.slack.render.team import START_CALLBACK
from adapters.slack.respond import Responder
from adapters.slack.team import SHORTCUT_CALLBACK, TeamListeners, read_start_form
from bot.errors import AdvisorError, ClickRefused, StaleAnswer, StoreError
from bot.store.deliveries import Delivery, DeliveryLog, Receipt

LOG = logging.getLogger(__name__)
DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2
CLICK_PATTERN = re.compile(r"^adv:")
RESPONSE_URL_VALID = timedelta(minutes=30)
"""A response_url takes replies for 30 minutes: how long a recorded delivery can be finished."""
REPLAY = "advisor_replay"
"""bolt context key on a delivery dispatched again from its record: the record's key."""
REPLAY_RECEIVED = "advisor_replay_received"
"""bolt context key: when the replayed delivery was first received (ISO 8601)."""
TEAM_START_REPLAYED = (
    "The advisor restarted while starting your team session. If no thread appeared in the"
    " channel, run the command again."
)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One delivery being handled: its record (None when it has none) and whether it is a replay."""

    key: str | None
    replay: bool
    received_at: datetime
    started: float
    """time.monotonic() when it arrived, for the reply latency."""


class AckFirst:
    """What bolt calls: record, acknowledge, hand the work to a task, return, so the 200 leaves at once.

    bolt's default mode polls every 10 ms for a late `ack()`, and its "lazy listeners" deep-copy
    the request for each task; under load both showed in the acknowledgement times (see
    bench/slack_bench.py). Here bolt runs in `process_before_response` mode, where the listener's
    return ends the request, and the listener returns right after `ack()`.
    """

    def __init__(
        self,
        *,
        personal: PersonalListeners,
        team: TeamListeners,
        deliveries: DeliveryLog,
        responder: Responder,
        home: HomeListeners,
        runtime: Runtime,
    ) -> None:
        self.personal = personal
        self.team = team
        self.deliveries = deliveries
        self.responder = responder
        self.home = home
        self.runtime = runtime
        self.metrics = runtime.metrics

    async def _receive(
        self, body: Body, request: AsyncBoltRequest, context: AsyncBoltContext, *, resumable: bool = True
    ) -> Ticket | None:
        """Record the delivery (before the ack); None for a resend of one already recorded.

        `resumable=False`: recorded only to drop resends, with no payload (nothing to replay)."""
        started = time.monotonic()
        if isinstance(replayed := context.get(REPLAY), str):
            received = datetime.fromisoformat(str(context.get(REPLAY_RECEIVED)))
            return Ticket(replayed, True, received, started)
        now = self.runtime.clock()
        key = delivery_key(body)
        if key is None:
            return Ticket(None, False, now, started)
        delivery = Delivery(
            key=key,
            platform=PLATFORM,
            payload=json.dumps(kept_body(body), separators=(",", ":")) if resumable else "",
            user=user_of(body) if resumable else "",
            received_at=now,
            valid_until=now + RESPONSE_URL_VALID,
            resumable=resumable,
        )
        try:
            receipt = await self.deliveries.record_delivery(delivery, lease=self.runtime.lease)
        except StoreError as error:
            # Acknowledge anyway: Slack's retries would reach the same unusable store, and the
            # reply will tell the user what is wrong.
            LOG.warning("could not record a Slack delivery, handling it unrecorded: %s", error)
            self.metrics.delivery(PLATFORM, "unrecorded")
            return Ticket(None, False, now, started)
        if receipt is Receipt.SEEN:
            LOG.info("dropped a resent Slack delivery (retry %s)", request.headers.get("x-slack-retry-num"))
            self.metrics.delivery(PLATFORM, "resent")
            return None
        self.metrics.delivery(PLATFORM, "recorded" if receipt is Receipt.FIRST else "replayed")
        return Ticket(key, receipt is Receipt.RESUMED, now, started)

    def _hand_off(
        self, ticket: Ticket, kind: str, work: Coroutine[Any, Any, None], *, tell: Tell | None
    ) -> None:
        key = ticket.key

        async def release() -> None:
            if key is not None:
                await self.deliveries.release_delivery(key)

        self.runtime.work.start(
            self._finish(ticket, kind, work, tell=tell), on_cancel=release, name=f"slack {kind}"
        )

    def _refuse(self, kind: str, error: AdvisorError, *, tell: Tell | None) -> None:
        """Answer a request that could not be read: nothing was recorded, nothing is replayed."""

        async def refused() -> None:
            raise error

        work = run_after_ack(refused(), tell=tell, what=f"Slack {kind}", count=self._counted)
        self.runtime.work.start(_discard(work), name=f"slack {kind} refused")

    async def _finish(
        self, ticket: Ticket, kind: str, work: Coroutine[Any, Any, None], *, tell: Tell | None
    ) -> None:
        try:
            await self.runtime.work.after_acks()
        except asyncio.CancelledError:
            work.close()  # never started: its lease is given back by `on_cancel`
            raise
        if not await run_after_ack(work, tell=tell, what=f"Slack {kind}", count=self._counted):
            # Left unfinished on purpose (a reply that could not be sent): it is tried again later.
            return
        if ticket.key is not None:
            try:
                await self.deliveries.finish_delivery(ticket.key, now=self.runtime.clock())
            except StoreError as error:
                # Its lease runs out and it is replayed once more: the conditional save makes
                # that harmless, the reply repeats what this one said.
                LOG.warning("could not mark a Slack delivery finished: %s", error)
        self.metrics.delivery(PLATFORM, "finished")
        self.metrics.reply(PLATFORM, kind, time.monotonic() - ticket.started)

    def _count(self, error: AdvisorError) -> None:
        self.metrics.advisor_error(PLATFORM, error)

    def _counted(self, error: Exception) -> None:
        """Every failure after the ack, counted by kind (metrics)."""
        match error:
            case AdvisorError():
                self._count(error)
            case SlackApiError():
                self.metrics.error(PLATFORM, "slack_refused")
            case _ if isinstance(error, UNDELIVERABLE):
                self.metrics.error(PLATFORM, "undelivered")
            case _:
                self.metrics.error(PLATFORM, "bug")

    def _privately(self, respond: AsyncRespond) -> Tell:
        async def tell(text: str) -> None:
            await self.responder.error(respond, text)

        return tell

    @staticmethod
    def _in_thread(say: AsyncSay, thread: object) -> Tell:
        async def tell(text: str) -> None:
            await say(text=escape(text), thread_ts=thread if isinstance(thread, str) else None)

        return tell

    # --- slash command ------------------------------------------------------------------

    async def command(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if (unreadable := _unreadable(body, respond)) is not None:
            await ack()
            self._refuse("command", unreadable, tell=self._privately(respond))
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            work = self._command(body, respond, client, ticket)
            self._hand_off(ticket, "command", work, tell=self._privately(respond))

    async def _command(
        self, body: Body, respond: AsyncRespond, client: AsyncWebClient, ticket: Ticket
    ) -> None:
        text = body.get("text")
        text = text.strip() if isinstance(text, str) else ""
        word = text.lower()
        message: SlackMessage | None
        if word == "team" or word.startswith("team "):
            if ticket.replay:
                # Its first run may have opened the thread already: never open a second one.
                message = error_message(TEAM_START_REPLAYED)
            else:
                message = await self.team.start(body, client, text=text[len("team") :])
        else:
            message = await self.personal.command(body, word)
        if message is not None:  # None: a modal opened instead, nothing to say
            await self.responder.send(respond, message, response_type="ephemeral")

    # --- clicks -------------------------------------------------------------------------

    async def click(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if (unreadable := _unreadable(body, respond, click=True)) is not None:
            await ack()
            self._refuse("click", unreadable, tell=self._privately(respond))
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            work = self._click(body, respond, client, request, ticket)
            self._hand_off(ticket, "click", work, tell=self._privately(respond))

    async def _click(
        self,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        ticket: Ticket,
    ) -> None:
        action = ActionId.decode(clicked_value(body))
        try:
            if action.action in TEAM_ACTIONS:
                self.metrics.click(PLATFORM, "team")
                await self.team.click(action, body, client)
            else:
                self.metrics.click(PLATFORM, "personal")
                await self.personal.click(action, body, respond, client)
        except StaleAnswer as error:
            if ticket.replay:
                # The click was applied before the process died, its reply never sent: show
                # where the conversation stands, which is what that reply would have shown.
                self._count(error)
                await self.personal.show_current(body, respond)
                return
            if is_resend(request):
                self._count(error)
                return  # a resend of a click already applied: its first copy has replied
            raise
        except ClickRefused as error:
            if ticket.replay:
                self._count(error)
                LOG.info("a replayed Slack click was refused (%s); its first run had applied it", error)
                return
            raise

    async def start_click(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if (unreadable := _unreadable(body, respond)) is not None:
            await ack()
            self._refuse("click", unreadable, tell=self._privately(respond))
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            work = self.personal.start_click(body, respond)
            self._hand_off(ticket, "click", work, tell=self._privately(respond))

    # --- the team start modal and the message shortcut -----------------------------------

    async def team_shortcut(
        self,
        ack: AsyncAck,
        body: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        """ "Decide a framework here" on a message: open the start modal within the trigger's 3 s.

        Recorded to drop resends, but never replayed: a trigger_id opens a modal for 3 seconds only.
        """
        if (unreadable := _unreadable_actor(body, None)) is not None:
            await ack()
            self._refuse("shortcut", unreadable, tell=None)
            return
        ticket = await self._receive(body, request, context, resumable=False)
        await ack()
        if ticket is not None:
            self._hand_off(ticket, "shortcut", self.team.shortcut(body, client), tell=None)

    async def team_submitted(
        self,
        ack: AsyncAck,
        body: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        """The start modal: a bad field is answered in the ack (Slack shows it under the field).

        Recorded to drop resends, never replayed: a replay could open a second session.
        """
        if (unreadable := _unreadable_actor(body, None)) is not None:
            await ack()
            self._refuse("modal", unreadable, tell=None)
            return
        form = read_start_form(body.get("view"))
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        ticket = await self._receive(body, request, context, resumable=False)
        await ack()
        if ticket is not None:
            self._hand_off(ticket, "command", self.team.submitted(body, client, form), tell=None)

    # --- events -------------------------------------------------------------------------

    async def mention(
        self,
        ack: AsyncAck,
        body: Body,
        event: Body,
        say: AsyncSay,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if not isinstance(event.get("channel"), str):
            await ack()  # nowhere to answer
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            thread = event.get("thread_ts") or event.get("ts")
            self._hand_off(
                ticket, "event", self.personal.mention(event, say), tell=self._in_thread(say, thread)
            )

    async def message(
        self,
        ack: AsyncAck,
        body: Body,
        event: Body,
        say: AsyncSay,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            await ack()
            return
        text, user = event.get("text"), event.get("user")
        if not isinstance(text, str) or not text.strip() or not isinstance(user, str):
            await ack()
            return
        if not isinstance(event.get("channel"), str):
            await ack()  # nowhere to answer
            return
        if (unreadable := _unreadable_actor(body, user)) is not None:
            await ack()
            self._refuse("event", unreadable, tell=self._in_thread(say, None))
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            since = ticket.received_at if ticket.replay else None
            work = self.personal.direct_message(body, user, text.strip(), say, replayed_since=since)
            self._hand_off(ticket, "event", work, tell=self._in_thread(say, None))

    async def left_channel(
        self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest, context: AsyncBoltContext
    ) -> None:
        await self._presence(ack, body, event, request, context, present=False)

    async def joined_channel(
        self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest, context: AsyncBoltContext
    ) -> None:
        await self._presence(ack, body, event, request, context, present=True)

    async def _presence(
        self,
        ack: AsyncAck,
        body: Body,
        event: Body,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
        *,
        present: bool,
    ) -> None:
        """Someone left or joined a channel: its open team sessions refuse or accept their votes."""
        user, channel = event.get("user"), event.get("channel")
        if not isinstance(user, str) or not isinstance(channel, str):
            await ack()
            return
        if (unreadable := _unreadable_actor(body, user)) is not None:
            await ack()
            self._refuse("event", unreadable, tell=None)
            return
        ticket = await self._receive(body, request, context)
        await ack()
        if ticket is not None:
            work = self.team.mark_presence(body, user=user, channel=channel, present=present)
            self._hand_off(ticket, "event", work, tell=None)

    # --- the App Home tab and the global shortcut -----------------------------------------

    async def home_opened(
        self,
        ack: AsyncAck,
        body: Body,
        event: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        if event.get("tab") != "home":  # the Messages tab opening needs nothing drawn
            await ack()
            return
        user = event.get("user")
        who = user if isinstance(user, str) else ""  # no user: unreadable too
        await self._surface(ack, body, request, context, self._home_opened(body, event, client), user=who)

    async def _home_opened(self, body: Body, event: Body, client: AsyncWebClient) -> None:
        user = event.get("user")
        if isinstance(user, str):
            await self.home.publish(client, actor_of(body, user=user))

    async def home_click(
        self,
        ack: AsyncAck,
        body: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        await self._surface(ack, body, request, context, self.home.click(body, client))

    async def link_click(self, ack: AsyncAck) -> None:
        """A button that only opens a URL: Slack reports the click all the same."""
        await ack()

    async def shortcut(
        self,
        ack: AsyncAck,
        body: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        await self._surface(ack, body, request, context, self.home.shortcut(body, client))

    async def share_submitted(
        self,
        ack: AsyncAck,
        body: Body,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        # The ack closes the modal; the outcome is shown where the share began.
        await self._surface(ack, body, request, context, self.home.share_submitted(body, client))

    async def _surface(
        self,
        ack: AsyncAck,
        body: Body,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
        work: Coroutine[Any, Any, None],
        *,
        user: str | None = None,
    ) -> None:
        """Deliveries with no message to answer under (a view, a shortcut): recorded to drop
        resends but never replayed (a trigger_id lasts 3 seconds), bugs logged. `user`: who
        acted, when the body says it elsewhere than in `user` (an event)."""
        if (unreadable := _unreadable_actor(body, user)) is not None:
            work.close()
            await ack()
            self._refuse("home", unreadable, tell=None)
            return
        ticket = await self._receive(body, request, context, resumable=False)
        await ack()
        if ticket is None:
            work.close()
            return
        self._hand_off(ticket, "home", work, tell=None)


def _unreadable(body: Body, respond: AsyncRespond, *, click: bool = False) -> AdvisorError | None:
    """What makes a request unreadable (whose it is, which button, where the reply goes), if anything."""
    try:
        if click:
            ActionId.decode(clicked_value(body))
        actor_of(body)
    except AdvisorError as error:
        return error
    if not respond.response_url:
        return MalformedRequest("response_url")
    return None


def _unreadable_actor(body: Body, user: str | None) -> AdvisorError | None:
    try:
        actor_of(body, user=user)
    except AdvisorError as error:
        return error
    return None


async def _discard(work: Coroutine[Any, Any, bool]) -> None:
    await work


# --- assembly ---------------------------------------------------------------------------


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def with_rate_limit_retries(client: AsyncWebClient) -> AsyncWebClient:
    """429s are retried after Retry-After by slack-sdk's own handler (the default retries none)."""
    if not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


class WithoutWebApiBodies(logging.Filter):
    """Drops slack-sdk's debug lines from the app's logger: they print whole requests and responses,
    OAuth tokens included. bolt builds its Web API client on the logger it is given, so without
    this those lines would arrive under ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.DEBUG and f"{os.sep}slack_sdk{os.sep}" in record.pathname)


def configure_client(client: AsyncWebClient, settings: Settings) -> AsyncWebClient:
    """Point bolt's own client at SLACK_API_URL (GovSlack, a test fake), with 429 retries.

    bolt copies base_url and retry_handlers from this client into the one it builds per request.
    """
    client.base_url = api_url(settings)
    return with_rate_limit_retries(client)


def build_app(
    services: Services,
    settings: Settings,
    *,
    session: ClientSession | None = None,
    runtime: Runtime | None = None,
) -> AsyncApp:
    """The app for either connection mode; Socket Mode and HTTP differ only in how it is served.

    With SLACK_BOT_TOKEN it serves one workspace; without it, and with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, it serves every workspace that installs it through bolt's OAuth flow,
    with installations kept in the project's SQLite file. `session`, when given (and closed by
    the caller), carries every reply to a response_url over kept-alive connections. `runtime`
    (metrics, in-flight work, the delivery lease) comes from `advisor slack`; tests get defaults.
    """
    runtime = runtime if runtime is not None else Runtime(clock=services.clock)
    secret = settings.slack_signing_secret.reveal() if settings.slack_signing_secret else ""
    oauth = None
    if settings.slack_bot_token is None and settings.slack_client_id and settings.slack_client_secret:
        oauth = oauth_settings(settings)
    # Only the token, never a client too: bolt reads SLACK_BOT_TOKEN by itself and, given both,
    # warns "As you gave client as well, token will be unused" on every start.
    bolt_log = LOG.getChild("bolt")
    if not any(isinstance(f, WithoutWebApiBodies) for f in bolt_log.filters):
        bolt_log.addFilter(WithoutWebApiBodies())
    app = AsyncApp(
        token=settings.slack_bot_token.reveal() if settings.slack_bot_token else None,
        signing_secret=secret,
        oauth_settings=oauth,
        process_before_response=True,  # the listeners only ack and hand off: see AckFirst
        logger=bolt_log,
    )
    configure_client(app.client, settings)
    responder = Responder(session, after_acks=runtime.work.after_acks)
    home = HomeListeners(
        engine=services.engine, team=services.team, deliveries=services.deliveries, session=session
    )
    front = AckFirst(
        personal=PersonalListeners(
            engine=services.engine,
            deliveries=services.deliveries,
            command=settings.slack_command,
            responder=responder,
            share_picker=home.open_share_picker,
        ),
        team=TeamListeners(engine=services.team, command=settings.slack_command),
        deliveries=services.deliveries,
        responder=responder,
        home=home,
        runtime=runtime,
    )
    # bolt tries listeners in this order, building every argument for each matcher it asks
    # (~20 us each): the busiest, answer clicks and the command, come first.
    app.action(CLICK_PATTERN)(front.click)
    app.command(settings.slack_command)(front.command)
    app.action(START_ACTION)(front.start_click)
    app.shortcut(SHORTCUT_CALLBACK)(front.team_shortcut)
    app.view(START_CALLBACK)(front.team_submitted)
    app.event("app_mention")(front.mention)
    app.event("message")(front.message)
    app.event("member_left_channel")(front.left_channel)
    app.event("member_joined_channel")(front.joined_channel)
    # The App Home tab and the global shortcut: additive, beside the listeners above.
    app.event("app_home_opened")(front.home_opened)
    app.action(HOME_ACTIONS)(front.home_click)
    app.action(LINK_ACTIONS)(front.link_click)
    app.shortcut(SHORTCUT)(front.shortcut)
    app.view(SHARE_VIEW)(front.share_submitted)
    return app
