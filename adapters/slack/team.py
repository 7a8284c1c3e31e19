"""Team sessions in Slack: `/choose-framework team [topic]` opens a thread everyone can vote in.

The session is keyed by its thread. Each vote goes to the store first; the question message is
then redrawn from the stored tally with chat.update, so a lost update is repaired by the next
vote and no vote is ever lost. When a question closes (Next, the quorum, or the starter's tie
decision), its message keeps the final tally and the next question, or the team's result with
its decision record as a Markdown file, is posted in the thread. Without a topic the command
opens a modal (topic, anonymous, quorum); the "Decide a framework here" message shortcut opens
the same modal with the message as the topic, and runs the session in that message's thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.ids import Action, ActionId
from adapters.slack.payloads import Body, actor_of, channel_of, display_name, message_ts
from adapters.slack.render.blocks import SlackMessage, error_message, escape
from adapters.slack.render.team import (
    TOPIC_LENGTH,
    team_accepted_message,
    team_closed_message,
    team_question_message,
    team_result_message,
    team_start_modal,
    team_started_message,
)
from adapters.typed import MAX_QUORUM, parse_team_options
from bot.errors import AdvisorError, echo
from bot.personal.conversation import Actor
from bot.team.engine import TeamEngine
from bot.team.record import record_markdown
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply

LOG = logging.getLogger(__name__)
DEFAULT_TOPIC = "Which Python web framework?"
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
SHORTCUT_CALLBACK = "adv-team-from-message"
"""The message shortcut "Decide a framework here" (declared in manifest.py)."""


class BotNotInChannel(AdvisorError):
    """A team session needs a channel message of the bot's own to hang its thread off."""

    def __init__(self) -> None:
        super().__init__(
            "I can't post in this channel yet. Invite me first (`/invite @Framework Advisor`), "
            "then start the team session again."
        )


@dataclass(frozen=True, slots=True)
class StartForm:
    """What the start modal said, checked: where, what, and how."""

    channel: str
    thread: str
    topic: str
    anonymous: bool
    quorum: int


def _metadata(*, channel: str, thread: str) -> str:
    return json.dumps({"channel": channel, "thread": thread}, separators=(",", ":"))


def _get(value: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def read_start_form(view: Any) -> StartForm | dict[str, str]:
    """The modal's values, or {block_id: what to fix} for Slack to show under each field."""
    values = _get(view, "state", "values")
    topic = _get(values, "topic", "topic", "value")
    quorum_text = _get(values, "quorum", "quorum", "value")
    selected = _get(values, "anonymous", "anonymous", "selected_options")
    errors: dict[str, str] = {}
    topic = " ".join(topic.split()) if isinstance(topic, str) else ""
    if not topic:
        errors["topic"] = "Say what the team is deciding, e.g. Backend for the orders service."
    elif len(topic) > TOPIC_LENGTH:
        errors["topic"] = f"Keep it under {TOPIC_LENGTH} characters."
    quorum = 0
    quorum_text = quorum_text.strip() if isinstance(quorum_text, str) else ""
    if quorum_text:
        if not (
            quorum_text.isascii()
            and quorum_text.isdigit()
            and len(quorum_text) <= 4
            and 2 <= int(quorum_text) <= MAX_QUORUM
        ):
            errors["quorum"] = (
                f"'{echo(quorum_text)}' is not a quorum: use a whole number from 2 to {MAX_QUORUM}."
            )
        else:
            quorum = int(quorum_text)
    try:
        where = json.loads(str(_get(view, "private_metadata") or "{}"))
    except (ValueError, RecursionError):  # a JSON nested deeper than Python's stack
        where = {}
    channel = where.get("channel") if isinstance(where, dict) else None
    thread = where.get("thread") if isinstance(where, dict) else None
    if not isinstance(channel, str) or not channel:
        errors["topic"] = "This form lost its channel. Close it and start again from the channel."
    if errors:
        return errors
    anonymous = isinstance(selected, list) and any(
        isinstance(o, Mapping) and o.get("value") == "anonymous" for o in selected
    )
    return StartForm(
        channel=str(channel),
        thread=thread if isinstance(thread, str) else "",
        topic=topic,
        anonymous=anonymous,
        quorum=quorum,
    )


class TeamListeners:
    """The work after the ack for team commands, the start modal, the shortcut and team clicks."""

    def __init__(self, *, engine: TeamEngine, command: str) -> None:
        self.engine = engine
        self.command = command

    # --- starting ----------------------------------------------------------------------------

    async def start(self, body: Body, client: AsyncWebClient, *, text: str) -> SlackMessage | None:
        """Open a session in a thread of its own; returns what the starter sees privately.

        `text` is what followed `team`: an optional topic with `--anonymous` and `--quorum N`.
        Without a topic the start modal opens instead (with the flags filled in), and there is
        nothing to say privately: None.
        """
        options = parse_team_options(text)
        actor = actor_of(body)
        channel = channel_of(body)
        if channel is None:
            raise BotNotInChannel()
        trigger = body.get("trigger_id")
        if not options.topic and isinstance(trigger, str):
            await self.open_modal(
                client, trigger, channel=channel, anonymous=options.anonymous, quorum=options.quorum
            )
            return None
        topic = options.topic or DEFAULT_TOPIC
        await self.start_in(
            client,
            actor,
            name=display_name(body),
            form=StartForm(channel, "", topic, options.anonymous, options.quorum),
        )
        return SlackMessage(
            text=escape(f"Team session started: {topic}"),
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

    async def open_modal(
        self,
        client: AsyncWebClient,
        trigger: str,
        *,
        channel: str,
        thread: str = "",
        topic: str = "",
        anonymous: bool = False,
        quorum: int = 0,
    ) -> None:
        view = team_start_modal(
            private_metadata=_metadata(channel=channel, thread=thread),
            topic=topic,
            anonymous=anonymous,
            quorum=quorum,
        )
        await client.views_open(trigger_id=trigger, view=view)

    async def shortcut(self, body: Body, client: AsyncWebClient) -> None:
        """ "Decide a framework here" on a message: the start modal, with the message as the topic."""
        trigger = body.get("trigger_id")
        channel = channel_of(body)
        message = body.get("message")
        if not isinstance(trigger, str) or channel is None or not isinstance(message, Mapping):
            return
        text = message.get("text")
        topic = " ".join(text.split())[:TOPIC_LENGTH] if isinstance(text, str) else ""
        thread = message.get("thread_ts") or message.get("ts")
        await self.open_modal(
            client, trigger, channel=channel, thread=thread if isinstance(thread, str) else "", topic=topic
        )

    async def submitted(self, body: Body, client: AsyncWebClient, form: StartForm) -> None:
        """The modal was submitted (and acknowledged): start, or tell the starter why not."""
        actor = actor_of(body)
        try:
            await self.start_in(client, actor, name=display_name(body), form=form)
        except AdvisorError as error:
            await self._tell(client, actor.user, form.channel, str(error))

    async def start_in(self, client: AsyncWebClient, actor: Actor, *, name: str, form: StartForm) -> None:
        """Post the session's first message (a new root, or a reply in the given thread), then start."""
        root = team_started_message(topic=form.topic, starter=actor.user, command=self.command)
        try:
            if form.thread:
                await client.chat_postMessage(channel=form.channel, thread_ts=form.thread, **root.as_kwargs())
                thread = form.thread
            else:
                posted = await client.chat_postMessage(channel=form.channel, **root.as_kwargs())
                thread = str(posted["ts"])
        except SlackApiError as error:
            if error.response.get("error") in NOT_A_MEMBER:
                raise BotNotInChannel() from None
            raise
        key = self.engine.key(
            platform="slack", workspace=actor.workspace, channel=form.channel, thread=thread
        )
        reply = await self.engine.start(
            key,
            starter=actor.user,
            starter_name=name,
            topic=form.topic,
            anonymous=form.anonymous,
            quorum=form.quorum,
        )
        await self._post(client, form.channel, thread, reply)

    async def _tell(self, client: AsyncWebClient, user: str, channel: str, text: str) -> None:
        """A modal has no response_url: say it privately in the channel, else in a direct message."""
        message = error_message(text)
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **message.as_kwargs())
            return
        except SlackApiError:
            LOG.info("chat.postEphemeral failed; telling the user in a direct message instead")
        try:
            await client.chat_postMessage(channel=user, **message.as_kwargs())
        except SlackApiError:
            LOG.warning("could not tell a user why their team session did not start")

    # --- clicks ------------------------------------------------------------------------------

    async def click(self, action: ActionId, body: Body, client: AsyncWebClient) -> None:
        """A vote, Next, a tie decision, Accept or the record button; AdvisorError goes to the clicker.

        A vote, the common click, is one engine call: the session is read again here only when
        something must be posted in its thread (a closed question, the result, the record) or
        when the click needs to know who started it.
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
        if action.action in (Action.NEXT, Action.DECIDE, Action.ACCEPT):
            may_manage = actor.user == session.starter or await self._is_admin(client, actor.user)
            if action.action is Action.NEXT:
                reply = await self.engine.advance(
                    session_id=sid, step=step, member=actor.user, can_manage=may_manage
                )
            elif action.action is Action.DECIDE:
                reply = await self.engine.decide(
                    session_id=sid,
                    step=step,
                    member=actor.user,
                    option_id=action.option,
                    can_manage=may_manage,
                )
            else:
                await self._accept(
                    client, channel, thread, clicked, sid, actor.user, may_manage, action.option
                )
                return
        await self._show(client, channel, thread, clicked, reply)

    async def _accept(
        self,
        client: AsyncWebClient,
        channel: str,
        thread: str,
        clicked: str | None,
        sid: str,
        member: str,
        may_manage: bool,
        choice: str,
    ) -> None:
        before = await self.engine.session(sid)
        reply = await self.engine.accept(session_id=sid, member=member, can_manage=may_manage, choice=choice)
        if clicked is not None:
            await client.chat_update(channel=channel, ts=clicked, **team_result_message(reply).as_kwargs())
        if before.accepted is not None:
            return  # accepted already (a double click): said once
        record = await self.engine.record_of(sid)
        await client.chat_postMessage(
            channel=channel, thread_ts=thread, **team_accepted_message(reply, record=record.stem).as_kwargs()
        )
        await self._upload_record(client, channel, thread, sid, comment="The accepted decision record.")

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
        record = await self.engine.record_of(session_id)
        await client.files_upload_v2(
            channel=channel,
            thread_ts=thread,
            content=record_markdown(record),
            filename=record.filename,
            title=f"Decision record {record.stem} ({record.status})",
            initial_comment=comment,
        )

    async def _is_admin(self, client: AsyncWebClient, user: str) -> bool:
        """Workspace admins and owners may close a question, decide a tie or accept a decision."""
        try:
            info: Any = await client.users_info(user=user)
        except SlackApiError:
            LOG.warning("users.info failed; treating the user as not an admin")
            return False
        member = info.get("user") or {}
        return bool(member.get("is_admin") or member.get("is_owner"))
