"""The work each Slack listener does after the acknowledgement: one engine call, one message out.

Replies go to the interaction's `response_url`, the only way to update an ephemeral message;
errors a user caused are shown to that user alone, and anything else is logged as a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import ClientSession
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.console import command_for
from adapters.ids import Action, ActionId
from adapters.slack import blocks
from adapters.slack.payloads import Body, actor_of, channel_of, clicked_value, delivery_key, is_resend
from adapters.slack.team import TEAM_ACTIONS, TeamListeners
from adapters.text import render as render_text
from bot.conversation import Actor
from bot.engine import Engine
from bot.errors import AdvisorError, NoConversation, NotYourConversation, StaleAnswer
from bot.replies import Reply, ResultReply
from bot.store.claims import ClaimLog

LOG = logging.getLogger("adapters.slack")


class AlreadyShared(AdvisorError):
    """Share clicked again for the same result in the same channel: one post is enough."""

    def __init__(self, *, channel: str | None) -> None:
        self.channel = channel
        super().__init__(
            "This result is already shared in this channel. Change an answer (Back) to share a new one."
        )


SHARE_FALLBACK_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
"""chat.postMessage refuses channels the bot is not in; the click's response_url still works there."""

Step = Callable[[], Awaitable[Reply]]


class Listeners:
    """The work each listener does after `ack()`: one engine call, one message out."""

    def __init__(
        self,
        *,
        engine: Engine,
        deliveries: ClaimLog,
        command: str,
        session: ClientSession | None,
        team: TeamListeners | None = None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.deliveries = deliveries
        self.command_name = command
        self.team = team

    async def _is_first_delivery(self, body: Body, request: AsyncBoltRequest) -> bool:
        key = delivery_key(body)
        if key is None:
            return True
        first = await self.deliveries.claim(key)
        if not first:
            LOG.info("dropped a resent Slack delivery (retry %s)", request.headers.get("x-slack-retry-num"))
        return first

    # slash command ----------------------------------------------------------------------

    async def on_command(
        self, body: Body, respond: AsyncRespond, client: AsyncWebClient, request: AsyncBoltRequest
    ) -> None:
        if not await self._is_first_delivery(body, request):
            return
        text = body.get("text")
        text = text.strip() if isinstance(text, str) else ""
        word = text.lower()
        if self.team is not None and (word == "team" or word.startswith("team ")):
            message = await self._team_start(self.team, body, client, text=text[len("team") :])
        else:
            message = await self._command_message(body, word)
        await self._send(respond, message, response_type="ephemeral")

    async def _team_start(
        self, team: TeamListeners, body: Body, client: AsyncWebClient, *, text: str
    ) -> blocks.SlackMessage:
        try:
            return await team.start(body, client, text=text)
        except AdvisorError as error:
            return blocks.error_message(str(error))
        except Exception:
            LOG.exception("starting a team session failed")
            return blocks.error_message("Something went wrong on our side; nothing was changed. Try again.")

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
        if action.action in TEAM_ACTIONS and self.team is not None:
            await self.team.click(action, body, client)
            return
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
        if not await self.deliveries.claim(f"share:{reply.conversation_id}:{reply.step}:{channel}"):
            raise AlreadyShared(channel=channel)
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

    async def _say_error(self, respond: AsyncRespond, text: str) -> None:
        await self._send(
            respond, blocks.error_message(text), response_type="ephemeral", replace_original=False
        )

    async def _send(
        self,
        respond: AsyncRespond,
        message: blocks.SlackMessage,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
    ) -> None:
        """Post to the interaction's response_url: the only way to update an ephemeral message.

        With a shared aiohttp session the connection to Slack is reused; bolt's `respond`
        opens a new session (and TLS connection) for every reply.
        """
        if self.session is None or respond.response_url is None:
            await respond(
                response_type=response_type, replace_original=replace_original, **message.as_kwargs()
            )
            return
        webhook = AsyncWebhookClient(url=respond.response_url, session=self.session)
        response = await webhook.send(
            response_type=response_type, replace_original=replace_original, **message.as_kwargs()
        )
        if response.status_code != 200:
            LOG.warning("Slack refused a reply on its response_url (HTTP %d)", response.status_code)

    # events -----------------------------------------------------------------------------

    async def on_mention(self, body: Body, event: Body, say: AsyncSay, request: AsyncBoltRequest) -> None:
        """Answer in a thread: what the bot does, and a button that starts a private flow."""
        if not await self._is_first_delivery(body, request):
            return
        thread = event.get("thread_ts") or event.get("ts")
        await say(thread_ts=thread, **blocks.mention_message(self.command_name).as_kwargs())

    async def on_presence(self, body: Body, event: Body, request: AsyncBoltRequest, *, present: bool) -> None:
        """Someone left or joined a channel: its open team sessions refuse or accept their votes."""
        user, channel = event.get("user"), event.get("channel")
        if self.team is None or not isinstance(user, str) or not isinstance(channel, str):
            return
        if not await self._is_first_delivery(body, request):
            return
        await self.team.mark_presence(body, user=user, channel=channel, present=present)

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
