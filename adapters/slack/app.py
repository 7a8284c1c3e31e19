"""The bolt `AsyncApp` for the advisor: listeners that acknowledge, then hand the work on.

Slack waits 3 seconds for the acknowledgement and resends after that, so each listener calls
`ack()` before anything touches the store (`AckFirst`). After the ack, every delivery runs the
same way: drop a resend (the delivery log), route to the personal or the team listeners, and
show what went wrong to the user who acted. A click is routed by its button value alone
(`adapters.ids.ActionId`), so it works after a restart and in any process.
"""

from __future__ import annotations

import asyncio
import logging
import os
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

from adapters.ids import TEAM_ACTIONS, ActionId
from adapters.services import Services
from adapters.settings import Settings
from adapters.slack.home import HomeListeners
from adapters.slack.installs import oauth_settings
from adapters.slack.payloads import Body, actor_of, clicked_value, delivery_key, is_resend
from adapters.slack.personal import PersonalListeners
from adapters.slack.render.blocks import SlackMessage, error_message
from adapters.slack.render.home import HOME_ACTIONS, LINK_ACTIONS, SHARE_VIEW, SHORTCUT
from adapters.slack.render.personal import START_ACTION
from adapters.slack.render.team import START_CALLBACK
from adapters.slack.respond import Responder
from adapters.slack.team import SHORTCUT_CALLBACK, StartForm, TeamListeners, read_start_form
from bot.errors import AdvisorError, StaleAnswer
from bot.store.deliveries import DeliveryLog

LOG = logging.getLogger(__name__)
DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2
CLICK_PATTERN = re.compile(r"^adv:")
BUG_TEXT = "Something went wrong on our side; nothing was changed. Try again."


class AckFirst:
    """What bolt calls: acknowledge, hand the work to a task, return, so the 200 leaves at once.

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
    ) -> None:
        self.personal = personal
        self.team = team
        self.deliveries = deliveries
        self.responder = responder
        self.home = home
        self._running: set[asyncio.Task[None]] = set()

    def _hand_off(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            LOG.error("a Slack listener failed after its ack", exc_info=error)

    async def _is_first_delivery(self, body: Body, request: AsyncBoltRequest) -> bool:
        key = delivery_key(body)
        if key is None:
            return True
        first = await self.deliveries.claim_delivery(key)
        if not first:
            LOG.info("dropped a resent Slack delivery (retry %s)", request.headers.get("x-slack-retry-num"))
        return first

    # --- slash command ------------------------------------------------------------------

    async def command(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        self._hand_off(self._command(body, respond, client, request))

    async def _command(
        self, body: Body, respond: AsyncRespond, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        if not await self._is_first_delivery(body, request):
            return
        text = body.get("text")
        text = text.strip() if isinstance(text, str) else ""
        word = text.lower()
        message: SlackMessage | None
        try:
            if word == "team" or word.startswith("team "):
                message = await self.team.start(body, client, text=text[len("team") :])
            else:
                message = await self.personal.command(body, word)
        except AdvisorError as error:
            message = error_message(str(error))
        except Exception:
            LOG.exception("slash command %r failed", word[:40])
            message = error_message(BUG_TEXT)
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
    ) -> None:
        await ack()
        self._hand_off(self._click(body, respond, client, request))

    async def _click(
        self, body: Body, respond: AsyncRespond, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        if not await self._is_first_delivery(body, request):
            return
        try:
            action = ActionId.decode(clicked_value(body))
            if action.action in TEAM_ACTIONS:
                await self.team.click(action, body, client)
            else:
                await self.personal.click(action, body, respond, client)
        except StaleAnswer as error:
            if is_resend(request):
                return  # a resend of a click already applied: its first copy has replied
            await self.responder.error(respond, str(error))
        except AdvisorError as error:
            await self.responder.error(respond, str(error))
        except Exception:
            LOG.exception("a Slack click failed")
            await self.responder.error(respond, BUG_TEXT)

    async def start_click(
        self, ack: AsyncAck, body: Body, respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self._start_click(body, respond, request))

    async def _start_click(self, body: Body, respond: AsyncRespond, request: AsyncBoltRequest) -> None:
        if not await self._is_first_delivery(body, request):
            return
        try:
            await self.personal.start_click(body, respond)
        except AdvisorError as error:
            await self.responder.error(respond, str(error))

    # --- the team start modal and the message shortcut -----------------------------------

    async def team_shortcut(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        """ "Decide a framework here" on a message: open the start modal within the trigger's 3 s."""
        await ack()
        self._hand_off(self._team_shortcut(body, client, request))

    async def _team_shortcut(self, body: Body, client: AsyncWebClient, request: AsyncBoltRequest) -> None:
        if not await self._is_first_delivery(body, request):
            return
        try:
            await self.team.shortcut(body, client)
        except Exception:
            LOG.exception("the team message shortcut failed")

    async def team_submitted(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        """The start modal: a bad field is answered in the ack (Slack shows it under the field)."""
        form = read_start_form(body.get("view"))
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        await ack()
        self._hand_off(self._team_submitted(body, client, request, form))

    async def _team_submitted(
        self, body: Body, client: AsyncWebClient, request: AsyncBoltRequest, form: StartForm
    ) -> None:
        if not await self._is_first_delivery(body, request):
            return
        try:
            await self.team.submitted(body, client, form)
        except Exception:
            LOG.exception("starting a team session from the modal failed")

    # --- events -------------------------------------------------------------------------

    async def mention(
        self, ack: AsyncAck, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self._mention(body, event, say, request))

    async def _mention(self, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest) -> None:
        if await self._is_first_delivery(body, request):
            await self.personal.mention(event, say)

    async def message(
        self, ack: AsyncAck, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self._message(body, event, say, request))

    async def _message(self, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        text, user = event.get("text"), event.get("user")
        if not isinstance(text, str) or not text.strip() or not isinstance(user, str):
            return
        if await self._is_first_delivery(body, request):
            await self.personal.direct_message(body, user, text.strip(), say)

    async def left_channel(self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest) -> None:
        await ack()
        self._hand_off(self._presence(body, event, request, present=False))

    async def joined_channel(self, ack: AsyncAck, body: Body, event: Body, request: AsyncBoltRequest) -> None:
        await ack()
        self._hand_off(self._presence(body, event, request, present=True))

    async def _presence(self, body: Body, event: Body, request: AsyncBoltRequest, *, present: bool) -> None:
        """Someone left or joined a channel: its open team sessions refuse or accept their votes."""
        user, channel = event.get("user"), event.get("channel")
        if not isinstance(user, str) or not isinstance(channel, str):
            return
        if await self._is_first_delivery(body, request):
            await self.team.mark_presence(body, user=user, channel=channel, present=present)

    # --- the App Home tab and the global shortcut -----------------------------------------

    async def home_opened(
        self, ack: AsyncAck, body: Body, event: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        await ack()
        if event.get("tab") == "home":  # the Messages tab opening needs nothing drawn
            self._hand_off(self._surface(body, request, self._home_opened(body, event, client)))

    async def _home_opened(self, body: Body, event: Body, client: AsyncWebClient) -> None:
        user = event.get("user")
        if isinstance(user, str):
            await self.home.publish(client, actor_of(body, user=user))

    async def home_click(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self._surface(body, request, self.home.click(body, client)))

    async def link_click(self, ack: AsyncAck) -> None:
        """A button that only opens a URL: Slack reports the click all the same."""
        await ack()

    async def shortcut(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._hand_off(self._surface(body, request, self.home.shortcut(body, client)))

    async def share_submitted(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        await ack()  # closes the modal; the outcome is shown where the share began
        self._hand_off(self._surface(body, request, self.home.share_submitted(body, client)))

    async def _surface(self, body: Body, request: AsyncBoltRequest, work: Coroutine[Any, Any, None]) -> None:
        """Deliveries with no message to answer under (a view, a shortcut): drop resends, log bugs."""
        if not await self._is_first_delivery(body, request):
            work.close()
            return
        try:
            await work
        except AdvisorError as error:
            LOG.info("a Slack home or shortcut action was refused: %s", type(error).__name__)
        except Exception:
            LOG.exception("a Slack home or shortcut action failed")


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
) -> AsyncApp:
    """The app for either connection mode; Socket Mode and HTTP differ only in how it is served.

    With SLACK_BOT_TOKEN it serves one workspace; without it, and with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, it serves every workspace that installs it through bolt's OAuth flow,
    with installations kept in the project's SQLite file. `session`, when given (and closed by
    the caller), carries every reply to a response_url over kept-alive connections.
    """
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
    responder = Responder(session)
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
    )
    app.command(settings.slack_command)(front.command)
    app.action(START_ACTION)(front.start_click)
    app.action(CLICK_PATTERN)(front.click)
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
