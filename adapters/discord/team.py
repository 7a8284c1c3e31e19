"""Team sessions on Discord: `/choose-framework action: team`, votes, Next, tie decisions, Accept.

A vote is stored first and the message is then redrawn from the stored tally, so a lost edit
is repaired by the next vote. When a question closes, its message is edited to its final tally
and the next question (or the team result with the decision record attached) is posted as a
new public message: each question is posted once, and the channel keeps the history. Without
a topic the command opens a modal (topic, anonymous, quorum); its submit comes back here.
A replay after a crash runs the same engine call: a start finds its session open and shows
it, a vote counts once, and a click the first run had applied (the question closed since)
redraws the clicked message as the session stands, so the question the lost posts would
have shown is on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from adapters.discord.deliveries import Ticket
from adapters.discord.payloads import can_manage, chosen_option, member_of, modal_values, team_key
from adapters.discord.render.common import render_text
from adapters.discord.render.team import (
    TOPIC_LENGTH,
    render_team_closed,
    render_team_question,
    render_team_result,
    start_modal,
)
from adapters.discord.respond import DEFER_AFTER, Attachment, Mode, Outcome, explained, respond
from adapters.ids import Action, ActionId
from adapters.typed import MAX_QUORUM
from bot.errors import TeamSessionFinished, VoteClosed, echo
from bot.team.engine import TeamEngine
from bot.team.record import record_markdown
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply


@dataclass(frozen=True, slots=True)
class StartForm:
    topic: str
    anonymous: bool
    quorum: int


def read_start_form(interaction: discord.Interaction) -> StartForm | str:
    """The submitted start modal, or what is wrong with it (said to the user, nothing recorded)."""
    values = modal_values(interaction)
    raw_topic = values.get("topic")
    topic = " ".join(raw_topic.split())[:TOPIC_LENGTH] if isinstance(raw_topic, str) else ""
    raw_quorum = values.get("quorum")
    quorum_text = raw_quorum.strip() if isinstance(raw_quorum, str) else ""
    if not topic:
        return "Say what the team is deciding, e.g. Backend for the orders service."
    if quorum_text and not (
        quorum_text.isascii()
        and quorum_text.isdigit()
        and len(quorum_text) <= 4
        and 2 <= int(quorum_text) <= MAX_QUORUM
    ):
        return f"'{echo(quorum_text)}' is not a quorum: use a whole number from 2 to {MAX_QUORUM}, or none."
    return StartForm(topic, values.get("anonymous") is True, int(quorum_text) if quorum_text else 0)


class TeamHandler:
    """Translates team commands, the start modal and clicks into TeamEngine calls and messages."""

    def __init__(self, engine: TeamEngine, *, defer_after: float = DEFER_AFTER) -> None:
        self.engine = engine
        self.defer_after = defer_after

    async def on_command(
        self,
        interaction: discord.Interaction,
        *,
        topic: str,
        anonymous: bool = False,
        quorum: int = 0,
        ticket: Ticket | None = None,
    ) -> None:
        """With a topic, start at once; without one, open the start modal (Discord wants it first)."""
        if not topic.strip():
            if ticket is not None and ticket.replay:
                return  # a modal is only ever the initial response: nothing is left to send
            await interaction.response.send_modal(start_modal(anonymous=anonymous, quorum=quorum))
            return
        await self._start(interaction, topic=topic, anonymous=anonymous, quorum=quorum, ticket=ticket)

    async def on_start_form(self, interaction: discord.Interaction, *, ticket: Ticket | None = None) -> None:
        """The start modal was submitted: check it, then start as the command would."""
        form = read_start_form(interaction)
        if isinstance(form, str):
            refusal = explained(f"{form} Nothing was started; run `/choose-framework action: team` again.")

            async def refuse() -> Outcome:
                return refusal

            await respond(interaction, refuse, component=False, defer_after=self.defer_after, ticket=ticket)
            return
        await self._start(
            interaction, topic=form.topic, anonymous=form.anonymous, quorum=form.quorum, ticket=ticket
        )

    async def _start(
        self,
        interaction: discord.Interaction,
        *,
        topic: str,
        anonymous: bool,
        quorum: int,
        ticket: Ticket | None,
    ) -> None:
        async def work() -> Outcome:
            member, name = member_of(interaction)
            reply = await self.engine.start(
                team_key(interaction, self.engine.advisor),
                starter=member,
                starter_name=name,
                topic=topic,
                anonymous=anonymous,
                quorum=quorum,
            )
            return await self._post(reply)

        await respond(
            interaction, work, component=False, public=True, defer_after=self.defer_after, ticket=ticket
        )

    async def on_click(
        self,
        interaction: discord.Interaction,
        action: ActionId,
        values: Sequence[str],
        *,
        ticket: Ticket | None = None,
    ) -> None:
        async def work() -> Outcome:
            try:
                return await self._click(interaction, action, values)
            except (VoteClosed, TeamSessionFinished):
                if ticket is None or not ticket.replay:
                    raise
                return await self._redraw(await self.engine.status(action.conversation_id))

        await respond(interaction, work, component=True, defer_after=self.defer_after, ticket=ticket)

    async def _click(
        self, interaction: discord.Interaction, action: ActionId, values: Sequence[str]
    ) -> Outcome:
        engine, sid, step = self.engine, action.conversation_id, action.step
        member, name = member_of(interaction)
        manager = can_manage(interaction)
        if action.action is Action.VOTE:
            option = chosen_option(values, action.option)
            reply: TeamReply = await engine.vote(
                session_id=sid, step=step, member=member, option_id=option, name=name
            )
        elif action.action is Action.NEXT:
            reply = await engine.advance(session_id=sid, step=step, member=member, can_manage=manager)
        elif action.action is Action.DECIDE:
            option = chosen_option(values, action.option)
            reply = await engine.decide(
                session_id=sid, step=step, member=member, option_id=option, can_manage=manager
            )
        elif action.action is Action.ACCEPT:
            return await self._accept(sid, member, manager, action.option)
        else:
            record = await self._record_file(sid)
            return Outcome(
                Mode.PUBLIC,
                render_text(f"Decision record of team session `{sid}`:"),
                attachment=record,
            )
        return await self._redraw(reply)

    # --- deciding what to send ------------------------------------------------------------

    async def _accept(self, sid: str, member: str, manager: bool, choice: str) -> Outcome:
        before = await self.engine.session(sid)
        reply = await self.engine.accept(session_id=sid, member=member, can_manage=manager, choice=choice)
        if before.accepted is not None:
            return Outcome(Mode.EDIT, render_team_result(reply))
        said = render_text(f"{reply.accepted_by} accepted the decision: **{reply.accepted_choice}**.")
        return Outcome(
            Mode.EDIT, render_team_result(reply), posts=(said,), attachment=await self._record_file(sid)
        )

    async def _post(self, reply: TeamQuestionReply | TeamResultReply) -> Outcome:
        if isinstance(reply, TeamQuestionReply):
            return Outcome(Mode.PUBLIC, render_team_question(reply))
        return Outcome(Mode.PUBLIC, render_team_result(reply), attachment=await self._record(reply))

    async def _redraw(self, reply: TeamReply) -> Outcome:
        if isinstance(reply, TeamAdvanced):
            following = reply.following
            if isinstance(following, TeamQuestionReply):
                return Outcome(
                    Mode.EDIT, render_team_closed(reply.closed), posts=(render_team_question(following),)
                )
            return Outcome(
                Mode.EDIT,
                render_team_closed(reply.closed),
                posts=(render_team_result(following),),
                attachment=await self._record(following),
            )
        if isinstance(reply, TeamQuestionReply):
            return Outcome(Mode.EDIT, render_team_question(reply))
        return Outcome(Mode.EDIT, render_team_result(reply))

    async def _record(self, reply: TeamResultReply) -> Attachment | None:
        if not reply.finished:
            return None
        return await self._record_file(reply.session_id)

    async def _record_file(self, session_id: str) -> Attachment:
        record = await self.engine.record_of(session_id)
        return Attachment(record.filename, record_markdown(record).encode("utf-8"))
