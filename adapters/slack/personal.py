"""Personal conversations in Slack, after the ack: one engine call, one message out.

Replies go to the interaction's `response_url` (see respond.py); the engine decides whether a
click may act, and the checks' errors reach the user through app.py's one error handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.console.render import render as render_text
from adapters.ids import Action, ActionId
from adapters.slack.payloads import Body, actor_of, channel_of
from adapters.slack.render import personal as blocks
from adapters.slack.render.blocks import SlackMessage, error_message, escape
from adapters.slack.respond import Responder
from adapters.typed import command_for
from bot.errors import ClickRefused, NoConversation, echo
from bot.personal.engine import Engine
from bot.personal.replies import Reply
from bot.store.deliveries import DeliveryLog


class AlreadyShared(ClickRefused):
    """Share clicked again for the same result in the same channel: one post is enough."""

    def __init__(self, *, channel: str | None) -> None:
        self.channel = channel
        super().__init__(
            "This result is already shared in this channel. Change an answer (Back) to share a new one."
        )


SHARE_FALLBACK_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
"""chat.postMessage refuses channels the bot is not in; the click's response_url still works there."""

Step = Callable[[], Awaitable[Reply]]
SharePicker = Callable[..., Awaitable[None]]
"""Opens the channel picker for a Share clicked where there is no channel to post in (home.py)."""


class PersonalListeners:
    """The slash command's personal words, button clicks, the mention's Start, direct messages."""

    def __init__(
        self,
        *,
        engine: Engine,
        deliveries: DeliveryLog,
        command: str,
        responder: Responder,
        share_picker: SharePicker | None = None,
    ) -> None:
        self.engine = engine
        self.deliveries = deliveries
        self.command_name = command
        self.responder = responder
        self.share_picker = share_picker

    async def command(self, body: Body, word: str) -> SlackMessage:
        """`/choose-framework [word]` -> the private message that answers it."""
        if word in ("help", "?"):
            return blocks.help_message(self.command_name)
        actor = actor_of(body)
        engine = self.engine
        steps: dict[str, Step] = {
            "": lambda: engine.start(actor),
            "start": lambda: engine.start(actor),
            "resume": lambda: engine.start(actor),
            "status": lambda: engine.status(actor),
            "result": lambda: engine.result(actor),
            "ranking": lambda: engine.ranking(actor),
            "restart": lambda: engine.restart(actor),
            "forget": lambda: engine.forget(actor),
        }
        step = steps.get(word)
        if step is None:
            unknown = error_message(f"`{self.command_name} {echo(word)}` is not something I know.")
            return SlackMessage(unknown.text, unknown.blocks + blocks.help_message(self.command_name).blocks)
        return blocks.render(await step())

    async def click(
        self, action: ActionId, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        actor = actor_of(body)
        cid, step = action.conversation_id, action.step
        engine = self.engine
        if action.action in (Action.WHY, Action.RANKING):
            # Both answer beside the message they sit under, which stays as it is.
            ask = engine.why if action.action is Action.WHY else engine.ranking
            reply = await ask(actor, conversation_id=cid, step=step)
            await self.responder.send(
                respond, blocks.render(reply), response_type="ephemeral", replace_original=False
            )
            return
        if action.action is Action.SHARE:
            await self._share(action, body, respond, client)
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
        await self.responder.send(respond, blocks.render(reply), replace_original=True)

    async def _share(
        self, action: ActionId, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        actor = actor_of(body)
        channel = channel_of(body)
        if self.share_picker is not None and (channel is None or channel.startswith("D")):
            # In the messages with the app (a DM) "the channel" is the DM itself: ask where instead.
            await self.share_picker(client, body, action, origin="messages")
            return
        reply = await self.engine.share(actor, conversation_id=action.conversation_id, step=action.step)
        if not await self.deliveries.claim_delivery(f"share:{reply.conversation_id}:{reply.step}:{channel}"):
            raise AlreadyShared(channel=channel)
        shared = blocks.shared_result_message(reply, user_id=actor.user)
        send = self.responder.send
        if channel is None:
            await send(respond, shared, response_type="in_channel", replace_original=False)
        else:
            try:
                await client.chat_postMessage(channel=channel, **shared.as_kwargs())
            except SlackApiError as error:
                if error.response.get("error") not in SHARE_FALLBACK_ERRORS:
                    raise
                await send(respond, shared, response_type="in_channel", replace_original=False)
        await send(respond, blocks.result_message(reply, shared_in=channel), replace_original=True)

    async def show_current(self, body: Body, respond: AsyncRespond) -> None:
        """The clicker's conversation as it stands, in place of the clicked message."""
        reply = await self.engine.current(actor_of(body))
        await self.responder.send(respond, blocks.render(reply), replace_original=True)

    async def start_click(self, body: Body, respond: AsyncRespond) -> None:
        """The Start button under a mention: begins the clicker's own, private conversation."""
        message = blocks.render(await self.engine.start(actor_of(body)))
        await self.responder.send(respond, message, response_type="ephemeral", replace_original=False)

    async def mention(self, event: Body, say: AsyncSay) -> None:
        """Answer in a thread: what the bot does, and a button that starts a private flow."""
        thread = event.get("thread_ts") or event.get("ts")
        await say(thread_ts=thread, **blocks.mention_message(self.command_name).as_kwargs())

    async def direct_message(
        self, body: Body, user: str, text: str, say: AsyncSay, *, replayed_since: datetime | None = None
    ) -> None:
        """A direct message works like the terminal: typed answers, numbers, back, why.

        `replayed_since` (a replay after a crash) is when the message first arrived: a typed
        line names no step, so if the conversation changed since then the line was applied
        and is not applied again; the user sees where they are. The reply is the terminal's
        text, so it is escaped for Slack here: a pack or a typed answer can't become a mention
        or a link. Errors go to app.py's one error handling.
        """
        await say(text=escape(await self._typed_reply(body, user, text, replayed_since=replayed_since)))

    async def _typed_reply(self, body: Body, user: str, text: str, *, replayed_since: datetime | None) -> str:
        actor = actor_of(body, user=user)
        if replayed_since is not None and await self.engine.changed_since(actor, replayed_since):
            return render_text(await self.engine.current(actor))
        call = command_for(self.engine, actor, text)
        if call is None:
            return blocks.HELP_TEXT.format(command=self.command_name)
        try:
            return render_text(await call())
        except NoConversation:
            return render_text(await self.engine.start(actor))
