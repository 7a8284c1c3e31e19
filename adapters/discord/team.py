"""Team sessions on Discord: `/choose-framework action: team`, vote and Next clicks, the record file.

A vote is stored first and the message is then redrawn from the stored tally, so a lost edit
is repaired by the next vote. When a question closes, its message is edited to its final tally
and the next question (or the team result with the decision record attached) is posted as a
new public message: each question is posted once, and the channel keeps the history.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from adapters.discord.payloads import can_manage, chosen_option, member_of, team_key
from adapters.discord.render.common import render_text
from adapters.discord.render.team import render_team_closed, render_team_question, render_team_result
from adapters.discord.respond import DEFER_AFTER, Attachment, Mode, Outcome, respond
from adapters.ids import Action, ActionId
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply


def record_file(session_id: str, markdown: str) -> Attachment:
    return Attachment(f"decision-record-{session_id}.md", markdown.encode("utf-8"))


class TeamHandler:
    """Translates team commands and clicks into TeamEngine calls and public messages."""

    def __init__(self, engine: TeamEngine, *, defer_after: float = DEFER_AFTER) -> None:
        self.engine = engine
        self.defer_after = defer_after

    async def on_command(
        self, interaction: discord.Interaction, *, topic: str, anonymous: bool = False, quorum: int = 0
    ) -> None:
        member, name = member_of(interaction)

        async def work() -> Outcome:
            reply = await self.engine.start(
                team_key(interaction, self.engine.advisor),
                starter=member,
                starter_name=name,
                topic=topic,
                anonymous=anonymous,
                quorum=quorum,
            )
            return await self._post(reply)

        await respond(interaction, work, component=False, public=True, defer_after=self.defer_after)

    async def on_click(
        self, interaction: discord.Interaction, action: ActionId, values: Sequence[str]
    ) -> None:
        member, name = member_of(interaction)
        manager = can_manage(interaction)
        engine, sid, step = self.engine, action.conversation_id, action.step

        async def work() -> Outcome:
            if action.action is Action.VOTE:
                option = chosen_option(values, action.option)
                reply: TeamReply = await engine.vote(
                    session_id=sid, step=step, member=member, option_id=option, name=name
                )
            elif action.action is Action.NEXT:
                reply = await engine.advance(session_id=sid, step=step, member=member, can_manage=manager)
            else:
                markdown = await engine.record(sid)
                return Outcome(
                    Mode.PUBLIC,
                    render_text(f"Decision record of team session `{sid}`:"),
                    attachment=record_file(sid, markdown),
                )
            return await self._redraw(reply)

        await respond(interaction, work, component=True, defer_after=self.defer_after)

    # --- deciding what to send ------------------------------------------------------------

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
        return record_file(reply.session_id, await self.engine.record(reply.session_id))
