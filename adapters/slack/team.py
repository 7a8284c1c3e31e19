"""Team sessions in Slack: `/choose-framework team [topic]` opens a thread everyone can vote in.

The session is keyed by its thread. Each vote goes to the store first; the question message is
then redrawn from the stored tally with chat.update, so a lost update is repaired by the next
vote and no vote is ever lost. When a question closes (Next, or the quorum), its message keeps
the final tally and the next question, or the team's result with its decision record as a
Markdown file, is posted in the thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.ids import Action, ActionId
from adapters.slack.payloads import Body, actor_of, channel_of, display_name, message_ts
from adapters.slack.render.blocks import SlackMessage, escape
from adapters.slack.render.team import (
    RECORD_FILENAME,
    team_closed_message,
    team_question_message,
    team_result_message,
    team_started_message,
)
from adapters.typed import parse_team_options
from bot.errors import AdvisorError
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply

LOG = logging.getLogger(__name__)
DEFAULT_TOPIC = "Which Python web framework?"
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


class BotNotInChannel(AdvisorError):
    """A team session needs a channel message of the bot's own to hang its thread off."""

    def __init__(self) -> None:
        super().__init__(
            "I can't post in this channel yet. Invite me first (`/invite @Framework Advisor`), "
            "then start the team session again."
        )


class TeamListeners:
    """The work after the ack for team commands and team clicks."""

    def __init__(self, *, engine: TeamEngine, command: str) -> None:
        self.engine = engine
        self.command = command

    async def start(self, body: Body, client: AsyncWebClient, *, text: str) -> SlackMessage:
        """Open a session in a thread of its own; returns what the starter sees privately.

        `text` is what followed `team`: an optional topic with `--anonymous` and `--quorum N`.
        """
        options = parse_team_options(text)
        actor = actor_of(body)
        channel = channel_of(body)
        if channel is None:
            raise BotNotInChannel()
        topic = options.topic or DEFAULT_TOPIC
        root = team_started_message(topic=topic, starter=actor.user, command=self.command)
        try:
            posted = await client.chat_postMessage(channel=channel, **root.as_kwargs())
        except SlackApiError as error:
            if error.response.get("error") in NOT_A_MEMBER:
                raise BotNotInChannel() from None
            raise
        thread = str(posted["ts"])
        key = self.engine.key(platform="slack", workspace=actor.workspace, channel=channel, thread=thread)
        reply = await self.engine.start(
            key,
            starter=actor.user,
            starter_name=display_name(body),
            topic=topic,
            anonymous=options.anonymous,
            quorum=options.quorum,
        )
        await self._post(client, channel, thread, reply)
        return SlackMessage(
            text=f"Team session started: {topic}",
            blocks=(
                {
                    "type": "section",
                    "block_id": "team:started",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"Team session *{escape(topic)}* started in a thread below. "
                        "Everyone in the channel can vote there.",
                    },
                },
            ),
        )

    async def click(self, action: ActionId, body: Body, client: AsyncWebClient) -> None:
        """A vote, Next or the record button; AdvisorError (stale, closed...) goes to the clicker.

        A vote, the common click, is one engine call: the session is read again here only when
        something must be posted in its thread (a closed question, the result, the record) or
        when Next needs to know who started it.
        """
        actor = actor_of(body)
        sid, step = action.conversation_id, action.step
        clicked = message_ts(body)
        if action.action is Action.VOTE:
            reply: TeamReply = await self.engine.vote(
                session_id=sid, step=step, member=actor.user, option_id=action.option, name=display_name(body)
            )
            channel = channel_of(body)
            if channel is not None and clicked is not None and not isinstance(reply, TeamAdvanced):
                await self._show(client, channel, "", clicked, reply)
                return
        session = await self.engine.session(sid)
        channel, thread = session.key.channel, session.key.thread
        if action.action is Action.RECORD:
            await self._upload_record(
                client, channel, thread, sid, comment="The decision record, as requested."
            )
            return
        if action.action is Action.NEXT:
            may_manage = actor.user == session.starter or await self._is_admin(client, actor.user)
            reply = await self.engine.advance(
                session_id=sid, step=step, member=actor.user, can_manage=may_manage
            )
        await self._show(client, channel, thread, clicked, reply)

    async def mark_presence(self, body: Body, *, user: str, channel: str, present: bool) -> None:
        workspace = actor_of(body, user=user).workspace
        await self.engine.mark_presence(
            platform="slack", workspace=workspace, channel=channel, member=user, present=present
        )

    async def _show(
        self, client: AsyncWebClient, channel: str, thread: str, clicked: str | None, reply: TeamReply
    ) -> None:
        if isinstance(reply, TeamAdvanced):
            if clicked is not None:
                await client.chat_update(
                    channel=channel, ts=clicked, **team_closed_message(reply.closed).as_kwargs()
                )
            await self._post(client, channel, thread, reply.following)
            return
        message = (
            team_question_message(reply)
            if isinstance(reply, TeamQuestionReply)
            else team_result_message(reply)
        )
        if clicked is None:
            await self._post(client, channel, thread, reply)
        else:
            await client.chat_update(channel=channel, ts=clicked, **message.as_kwargs())

    async def _post(
        self, client: AsyncWebClient, channel: str, thread: str, reply: TeamQuestionReply | TeamResultReply
    ) -> None:
        if isinstance(reply, TeamQuestionReply):
            await client.chat_postMessage(
                channel=channel, thread_ts=thread, **team_question_message(reply).as_kwargs()
            )
            return
        await client.chat_postMessage(
            channel=channel, thread_ts=thread, **team_result_message(reply).as_kwargs()
        )
        if reply.finished:
            await self._upload_record(
                client, channel, thread, reply.session_id, comment="The decision record of this session."
            )

    async def _upload_record(
        self, client: AsyncWebClient, channel: str, thread: str, session_id: str, *, comment: str
    ) -> None:
        markdown = await self.engine.record(session_id)
        filename = RECORD_FILENAME.format(session=session_id)
        await client.files_upload_v2(
            channel=channel,
            thread_ts=thread,
            content=markdown,
            filename=filename,
            title="Decision record",
            initial_comment=comment,
        )

    async def _is_admin(self, client: AsyncWebClient, user: str) -> bool:
        """Workspace admins and owners may close a question they did not start."""
        try:
            info: Any = await client.users_info(user=user)
        except SlackApiError:
            LOG.warning("users.info failed; treating the user as not an admin")
            return False
        member = info.get("user") or {}
        return bool(member.get("is_admin") or member.get("is_owner"))
