"""The bolt `AsyncApp`: listeners that acknowledge first, then call the engine and render its reply.

Slack waits 3 seconds for the acknowledgement and resends after that, so every listener calls
`ack()` before touching the store; the reply then goes to the interaction's `response_url`
(which is also the only way to update an ephemeral message). A click is routed by its button
value alone (`adapters.ids.ActionId`), so it works after a restart and in any process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.console import command_for
from adapters.ids import Action, ActionId, MalformedAction
from adapters.settings import Settings
from adapters.slack import blocks
from adapters.slack.deliveries import DeliveryLog, open_delivery_log
from adapters.slack.installs import oauth_settings
from adapters.text import render as render_text
from bot.conversation import Actor
from bot.engine import Engine
from bot.errors import AdvisorError, NoConversation, NotYourConversation, StaleAnswer
from bot.replies import Reply, ResultReply

LOG = logging.getLogger("adapters.slack")
PLATFORM = "slack"
DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2
CLICK_PATTERN = re.compile(r"^adv:")
SHARE_FALLBACK_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
"""chat.postMessage refuses channels the bot is not in; the click's response_url still works there."""

Body = Mapping[str, Any]


class MalformedRequest(AdvisorError):
    """A signed request that lacks what every Slack interaction carries (user, workspace)."""

    def __init__(self, missing: str) -> None:
        self.missing = missing
        super().__init__(
            f"This request has no {missing}, so the advisor can't tell whose it is. "
            "Try the command again; if it keeps happening, reinstall the app."
        )


# --- reading payloads (pure) ------------------------------------------------------------


def _get(body: Body, *path: str) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def actor_of(body: Body, *, user: str | None = None) -> Actor:
    """Who acted: the workspace is the team, prefixed by the Enterprise Grid org when there is one."""
    team = body.get("team_id") or _get(body, "team", "id") or _get(body, "user", "team_id")
    enterprise = body.get("enterprise_id") or _get(body, "enterprise", "id")
    who = user or body.get("user_id") or _get(body, "user", "id")
    if not isinstance(team, str) or not team:
        raise MalformedRequest("team id")
    if not isinstance(who, str) or not who:
        raise MalformedRequest("user id")
    workspace = f"{enterprise}/{team}" if isinstance(enterprise, str) and enterprise else team
    return Actor(PLATFORM, workspace, who)


def clicked_value(body: Body) -> str:
    """The ActionId text of the clicked button or the chosen select option."""
    actions = body.get("actions")
    if not isinstance(actions, Sequence) or not actions or not isinstance(actions[0], Mapping):
        raise MalformedAction("")
    action = actions[0]
    value = action.get("value") or _get(action, "selected_option", "value")
    if not isinstance(value, str):
        raise MalformedAction("")
    return value


def delivery_key(body: Body) -> str | None:
    """What stays the same when Slack resends one delivery: trigger_id, or event_id for events."""
    if isinstance(event_id := body.get("event_id"), str):
        return f"event:{event_id}"
    if isinstance(trigger := body.get("trigger_id"), str):
        team = body.get("team_id") or _get(body, "team", "id") or ""
        return f"trigger:{team}:{trigger}"
    return None


def channel_of(body: Body) -> str | None:
    channel = _get(body, "channel", "id") or _get(body, "container", "channel_id") or body.get("channel_id")
    return channel if isinstance(channel, str) else None


def is_resend(request: AsyncBoltRequest) -> bool:
    return bool(request.headers.get("x-slack-retry-num"))


# --- listeners --------------------------------------------------------------------------

Step = Callable[[], Awaitable[Reply]]


class Listeners:
    """The work each listener does after `ack()`: one engine call, one message out."""

    def __init__(self, *, engine: Engine, deliveries: DeliveryLog, command: str) -> None:
        self.engine = engine
        self.deliveries = deliveries
        self.command_name = command

    async def _is_first_delivery(self, body: Body, request: AsyncBoltRequest) -> bool:
        key = delivery_key(body)
        if key is None:
            return True
        first = await self.deliveries.claim(key)
        if not first:
            LOG.info("dropped a resent Slack delivery (retry %s)", request.headers.get("x-slack-retry-num"))
        return first

    # slash command ----------------------------------------------------------------------

    async def on_command(self, body: Body, respond: AsyncRespond, request: AsyncBoltRequest) -> None:
        if not await self._is_first_delivery(body, request):
            return
        text = body.get("text")
        word = text.strip().lower() if isinstance(text, str) else ""
        message = await self._command_message(body, word)
        await self._send(respond, message, response_type="ephemeral")

    async def _command_message(self, body: Body, word: str) -> blocks.SlackMessage:
        if word in ("help", "?"):
            return blocks.help_message(self.command_name)
        try:
            actor = actor_of(body)
            engine = self.engine
            steps: dict[str, Step] = {
                "": lambda: engine.start(actor),
                "start": lambda: engine.start(actor),
                "resume": lambda: engine.start(actor),
                "status": lambda: engine.status(actor),
                "result": lambda: engine.result(actor),
                "restart": lambda: engine.restart(actor),
                "forget": lambda: engine.forget(actor),
            }
            step = steps.get(word)
            if step is None:
                unknown = blocks.error_message(f"`{self.command_name} {word}` is not something I know.")
                return blocks.SlackMessage(
                    unknown.text, unknown.blocks + blocks.help_message(self.command_name).blocks
                )
            return blocks.render(await step())
        except AdvisorError as error:
            return blocks.error_message(str(error))
        except Exception:
            LOG.exception("slash command %r failed", word)
            return blocks.error_message("Something went wrong on our side; nothing was changed. Try again.")

    # clicks -----------------------------------------------------------------------------

    async def on_click(
        self, body: Body, respond: AsyncRespond, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        if not await self._is_first_delivery(body, request):
            return
        try:
            await self._click(body, respond, client)
        except StaleAnswer as error:
            if is_resend(request):
                return  # a resend of a click already applied: its first copy has replied
            await self._say_error(respond, str(error))
        except AdvisorError as error:
            await self._say_error(respond, str(error))
        except Exception:
            LOG.exception("a Slack click failed")
            await self._say_error(respond, "Something went wrong on our side; nothing was changed.")

    async def _click(self, body: Body, respond: AsyncRespond, client: AsyncWebClient) -> None:
        action = ActionId.decode(clicked_value(body))
        actor = actor_of(body)
        cid, step = action.conversation_id, action.step
        engine = self.engine
        if action.action is Action.WHY:
            why = await engine.why(actor)
            if why.conversation_id and why.conversation_id != cid:
                raise NotYourConversation(conversation_id=cid)
            await self._send(respond, blocks.render(why), response_type="ephemeral", replace_original=False)
            return
        if action.action is Action.SHARE:
            await self._share(action, actor, body, respond, client)
            return
        moves: dict[Action, Step] = {
            Action.ANSWER: lambda: engine.answer(
                actor, conversation_id=cid, step=step, option_id=action.option
            ),
            Action.BACK: lambda: engine.back(actor, conversation_id=cid, step=step),
            Action.RESTART: lambda: engine.restart(actor, conversation_id=cid, step=step),
            Action.RESUME: lambda: engine.resume(actor, conversation_id=cid, step=step),
        }
        reply = await moves[action.action]()
        await self._send(respond, blocks.render(reply), replace_original=True)

    async def _share(
        self, action: ActionId, actor: Actor, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        try:
            reply = await self.engine.result(actor)
        except NoConversation:
            raise NotYourConversation(conversation_id=action.conversation_id) from None
        if not isinstance(reply, ResultReply) or reply.conversation_id != action.conversation_id:
            raise NotYourConversation(conversation_id=action.conversation_id)
        if reply.step != action.step:
            raise StaleAnswer(step=action.step, current_step=reply.step)
        channel = channel_of(body)
        shared = blocks.shared_result_message(reply, user_id=actor.user)
        if channel is None:
            await self._send(respond, shared, response_type="in_channel", replace_original=False)
        else:
            try:
                await client.chat_postMessage(channel=channel, **shared.as_kwargs())
            except SlackApiError as error:
                if error.response.get("error") not in SHARE_FALLBACK_ERRORS:
                    raise
                await self._send(respond, shared, response_type="in_channel", replace_original=False)
        await self._send(respond, blocks.result_message(reply, shared_in=channel), replace_original=True)

    async def on_start_click(self, body: Body, respond: AsyncRespond, request: AsyncBoltRequest) -> None:
        """The Start button under a mention: begins the clicker's own, private conversation."""
        if not await self._is_first_delivery(body, request):
            return
        try:
            message = blocks.render(await self.engine.start(actor_of(body)))
        except AdvisorError as error:
            message = blocks.error_message(str(error))
        await self._send(respond, message, response_type="ephemeral", replace_original=False)

    @staticmethod
    async def _say_error(respond: AsyncRespond, text: str) -> None:
        await respond(
            response_type="ephemeral", replace_original=False, **blocks.error_message(text).as_kwargs()
        )

    # events -----------------------------------------------------------------------------

    async def on_mention(self, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest) -> None:
        """Answer in a thread: what the bot does, and a button that starts a private flow."""
        if not await self._is_first_delivery(body, request):
            return
        thread = event.get("thread_ts") or event.get("ts")
        await say(thread_ts=thread, **blocks.mention_message(self.command_name).as_kwargs())

    async def on_message(self, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest) -> None:
        """A direct message works like the terminal: typed answers, numbers, back, why."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        text = event.get("text")
        user = event.get("user")
        if not isinstance(text, str) or not text.strip() or not isinstance(user, str):
            return
        if not await self._is_first_delivery(body, request):
            return
        await say(text=await self._typed_reply(body, user, text.strip()))

    async def _typed_reply(self, body: Body, user: str, text: str) -> str:
        try:
            actor = actor_of(body, user=user)
            call = command_for(self.engine, actor, text)
            if call is None:
                return blocks.HELP_TEXT.format(command=self.command_name)
            try:
                return render_text(await call())
            except NoConversation:
                return render_text(await self.engine.start(actor))
        except AdvisorError as error:
            return str(error)
        except Exception:
            LOG.exception("a Slack direct message failed")
            return "Something went wrong on our side; nothing was changed. Try again."


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
    deliveries: DeliveryLog | None = None,
) -> AsyncApp:
    """The app for either connection mode; Socket Mode and HTTP differ only in how it is served.

    With SLACK_BOT_TOKEN it serves one workspace; without it, and with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, it serves every workspace that installs it through bolt's OAuth flow,
    with installations kept in the project's SQLite file.
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
        process_before_response=True,  # runs only `acknowledge` before the response (see below)
        logger=logging.getLogger("adapters.slack.bolt"),
    )
    listeners = Listeners(
        engine=engine,
        deliveries=deliveries if deliveries is not None else open_delivery_log(settings.db_url),
        command=settings.slack_command,
    )
    # Each listener is split the way bolt does for FaaS: `acknowledge` runs inside the request and
    # the work runs after it as a "lazy" task, so the 200 goes out at once, never later than the
    # store, and without bolt's 10 ms polling for a late ack().
    app.command(settings.slack_command)(ack=acknowledge, lazy=[listeners.on_command])
    app.action(blocks.START_ACTION)(ack=acknowledge, lazy=[listeners.on_start_click])
    app.action(CLICK_PATTERN)(ack=acknowledge, lazy=[listeners.on_click])
    app.event("app_mention")(ack=acknowledge, lazy=[listeners.on_mention])
    app.event("message")(ack=acknowledge, lazy=[listeners.on_message])
    return app


async def acknowledge(ack: AsyncAck) -> None:
    """The whole of what Slack waits for: an empty 200 within its 3 seconds."""
    await ack()
