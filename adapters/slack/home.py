"""The App Home tab and the "Choose a framework" global shortcut, after the ack.

A Home tab and a global shortcut belong to no channel, so the conversation they start goes to
the user's messages with the app (the App Home's Messages tab): it persists there, its buttons
work like the slash command's, typed answers work too, and it survives restarts. A modal flow
would vanish when closed and needs a fresh trigger for every new view. Sharing from the Home tab
(or from those messages) asks for a channel in a modal, since there is no channel to post in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.ids import Action, ActionId
from adapters.platform_ids import slack_id
from adapters.slack.payloads import Body, actor_of
from adapters.slack.personal import AlreadyShared
from adapters.slack.render import personal as blocks
from adapters.slack.render.blocks import escape
from adapters.slack.render.home import (
    HOME_RESTART,
    HOME_SHARE,
    HOME_START,
    SHARE_BLOCK,
    SHARE_ELEMENT,
    TeamLink,
    home_view,
    share_picker,
    shortcut_opened,
)
from bot.errors import AdvisorError, InputError, NoConversation
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import Reply
from bot.store.deliveries import DeliveryLog
from bot.team.engine import MAX_LISTED, MAX_SCANNED, TeamEngine

LOG = logging.getLogger(__name__)
PLATFORM = "slack"
CHANNEL_PAGES = 5
"""users.conversations pages (of 1000) read to learn a user's channels: 5000 channels."""
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
FROM_HOME, FROM_MESSAGES = "home", "messages"


class NoChannelChosen(InputError):
    def __init__(self) -> None:
        super().__init__("Choose a channel to share your result in, then press Share.")


class HomeListeners:
    """Draw the Home tab; Start, Start over and Share from it; the global shortcut; the share modal."""

    def __init__(
        self,
        *,
        engine: Engine,
        team: TeamEngine,
        deliveries: DeliveryLog,
        session: ClientSession | None = None,
    ) -> None:
        self.engine = engine
        self.team = team
        self.deliveries = deliveries
        self.session = session

    # --- the Home tab ---------------------------------------------------------------------

    async def publish(
        self, client: AsyncWebClient, actor: Actor, *, notice: str = "", shared_in: str | None = None
    ) -> None:
        """Draw `actor`'s Home tab as things stand: their conversation, the team sessions near them."""
        try:
            reply: Reply | None = await self.engine.current(actor)
        except NoConversation:
            reply = None
        teams = await self._team_links(client, actor)
        view = home_view(reply, teams, notice=notice, shared_in=shared_in)
        await client.views_publish(user_id=actor.user, view=view)

    async def _team_links(self, client: AsyncWebClient, actor: Actor) -> list[TeamLink]:
        """Open sessions in channels the user is in, each with a link to its thread."""
        open_ones = await self.team.open_sessions(
            platform=PLATFORM, workspace=actor.workspace, channels=None, limit=MAX_SCANNED
        )
        if not open_ones:
            return []  # no need to ask Slack for the user's channels
        theirs = await self._channels_of(client, actor.user)
        links = []
        for summary in [s for s in open_ones if s.channel in theirs][:MAX_LISTED]:
            permalink = None
            try:
                found = await client.chat_getPermalink(channel=summary.channel, message_ts=summary.thread)
                permalink = found.get("permalink")
            except SlackApiError as error:
                LOG.info("no permalink for a team session's thread: %s", error.response.get("error"))
            links.append(TeamLink(summary, permalink if isinstance(permalink, str) else None))
        return links

    async def _channels_of(self, client: AsyncWebClient, user: str) -> frozenset[str]:
        channels: set[str] = set()
        cursor = ""
        for _ in range(CHANNEL_PAGES):
            try:
                page = await client.users_conversations(
                    user=user,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=cursor or None,
                )
            except SlackApiError as error:
                # missing_scope after an upgrade, say: the tab still shows the user's own result.
                LOG.warning("could not list a user's channels: %s", error.response.get("error"))
                break
            found = page.get("channels") or []
            channels.update(c["id"] for c in found if isinstance(c, Mapping) and isinstance(c.get("id"), str))
            metadata = page.get("response_metadata") or {}
            cursor = metadata.get("next_cursor", "") if isinstance(metadata, Mapping) else ""
            if not cursor:
                break
        return frozenset(channels)

    async def click(self, body: Body, client: AsyncWebClient) -> None:
        """A Home tab button; what went wrong is shown at the top of the redrawn tab."""
        actor = actor_of(body)
        action_id, value = _clicked(body)
        try:
            if action_id == HOME_START:
                await self.start_in_messages(client, actor)
                await self.publish(client, actor, notice="Your questions are in Messages.")
            elif action_id == HOME_RESTART:
                action = ActionId.decode(value)
                reply = await self.engine.restart(
                    actor, conversation_id=action.conversation_id, step=action.step
                )
                await self._post_to_messages(client, actor, reply)
                await self.publish(client, actor, notice="Started over: the first question is in Messages.")
            elif action_id == HOME_SHARE:
                await self.open_share_picker(client, body, ActionId.decode(value), origin=FROM_HOME)
        except AdvisorError as error:
            await self.publish(client, actor, notice=str(error))

    # --- starting from anywhere -----------------------------------------------------------

    async def start_in_messages(self, client: AsyncWebClient, actor: Actor) -> None:
        """The user's conversation as it stands (the first question for a new one), in Messages."""
        await self._post_to_messages(client, actor, await self.engine.start(actor))

    async def _post_to_messages(self, client: AsyncWebClient, actor: Actor, reply: Reply) -> None:
        # A user id as the channel posts in the app's Messages tab with that user (chat:write).
        await client.chat_postMessage(channel=actor.user, **blocks.render(reply).as_kwargs())

    async def shortcut(self, body: Body, client: AsyncWebClient) -> None:
        """The global shortcut: say where the questions are (a modal, while the trigger is fresh),
        then post them there."""
        actor = actor_of(body)
        trigger = body.get("trigger_id")
        if isinstance(trigger, str):
            team = body.get("team")
            team_id = team.get("id") if isinstance(team, Mapping) else None
            app_id = body.get("api_app_id")
            try:
                await client.views_open(
                    trigger_id=trigger,
                    view=shortcut_opened(
                        app_id if isinstance(app_id, str) else None,
                        team_id if isinstance(team_id, str) else None,
                    ),
                )
            except SlackApiError as error:  # an expired trigger: the message below still arrives
                LOG.info("could not open the shortcut's modal: %s", error.response.get("error"))
        try:
            await self.start_in_messages(client, actor)
        except AdvisorError as error:
            await client.chat_postMessage(channel=actor.user, text=escape(str(error)))

    # --- sharing to a channel chosen in a modal -------------------------------------------

    async def open_share_picker(
        self, client: AsyncWebClient, body: Body, action: ActionId, *, origin: str
    ) -> None:
        """Ask where to post the result; refused at once (stale, someone else's) before asking."""
        await self.engine.share(actor_of(body), conversation_id=action.conversation_id, step=action.step)
        trigger = body.get("trigger_id")
        if not isinstance(trigger, str):
            raise NoChannelChosen()
        await client.views_open(trigger_id=trigger, view=share_picker(action, origin=origin))

    async def share_submitted(self, body: Body, client: AsyncWebClient) -> None:
        """The picker's Share: post the result in the chosen channel, then say so where it began."""
        actor = actor_of(body)
        origin, action, channel, hook = _submission(body)
        try:
            if channel is None:
                raise NoChannelChosen()
            reply = await self.engine.share(actor, conversation_id=action.conversation_id, step=action.step)
            if not await self.deliveries.claim_delivery(
                f"share:{reply.conversation_id}:{reply.step}:{channel}"
            ):
                raise AlreadyShared(channel=channel)
            shared = blocks.shared_result_message(reply, user_id=actor.user)
            try:
                await client.chat_postMessage(channel=channel, **shared.as_kwargs())
            except SlackApiError as error:
                if error.response.get("error") not in NOT_A_MEMBER or hook is None:
                    raise
                await self._post_by_hook(hook, shared.as_kwargs())
        except AdvisorError as error:
            if origin == FROM_HOME:
                await self.publish(client, actor, notice=str(error))
            else:
                await client.chat_postMessage(channel=actor.user, text=escape(str(error)))
            return
        if origin == FROM_HOME:
            await self.publish(client, actor, shared_in=channel)
        else:
            await client.chat_postMessage(channel=actor.user, text=f"Shared your result in <#{channel}>.")

    async def _post_by_hook(self, url: str, message: Mapping[str, Any]) -> None:
        """A channel the bot is not in: the picker's response_url still posts there."""
        webhook = AsyncWebhookClient(url=url, session=self.session)
        response = await webhook.send(response_type="in_channel", **message)
        if response.status_code != 200:
            LOG.warning("Slack refused a shared result on its response_url (HTTP %d)", response.status_code)


def _clicked(body: Body) -> tuple[str, str]:
    actions = body.get("actions")
    if isinstance(actions, Sequence) and actions and isinstance(actions[0], Mapping):
        action_id, value = actions[0].get("action_id"), actions[0].get("value")
        if isinstance(action_id, str):
            return action_id, value if isinstance(value, str) else ""
    return "", ""


def _submission(body: Body) -> tuple[str, ActionId, str | None, str | None]:
    """(origin, the Share action, the chosen channel, a response_url into it) from a view_submission."""
    view = body.get("view")
    view = view if isinstance(view, Mapping) else {}
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except (ValueError, RecursionError):  # a JSON nested deeper than Python's stack
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    action = ActionId.decode(str(meta.get("action", "")))
    if action.action is not Action.SHARE:
        action = ActionId.decode("")  # raises MalformedAction: only Share opens this modal
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    chosen = None
    if isinstance(values, Mapping):
        block = values.get(SHARE_BLOCK)
        element = block.get(SHARE_ELEMENT) if isinstance(block, Mapping) else None
        picked = element.get("selected_conversation") if isinstance(element, Mapping) else None
        chosen = slack_id(picked, kind="channel id") if isinstance(picked, str) and picked else None
    hook = None
    for entry in body.get("response_urls") or ():
        if isinstance(entry, Mapping) and entry.get("channel_id") == chosen:
            url = entry.get("response_url")
            hook = url if isinstance(url, str) else None
    origin = FROM_HOME if meta.get("origin") == FROM_HOME else FROM_MESSAGES
    return origin, action, chosen, hook
