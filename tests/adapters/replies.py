"""Every kind of reply the engines give, made by the real engines on the tiny pack.

Renderer tests poison these (`tests.hostile.poison`) to check each medium's escaping over
every field a renderer might show, instead of over hand-picked ones.
"""

from __future__ import annotations

from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply, RankingReply, Reply, ResultReply
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply


async def personal_replies(engine: Engine) -> list[Reply]:
    """A question (with a notice), why, status, a typed answer's result (with "Taken as"), the
    full ranking, and a notice with offers."""
    actor = Actor("test", "w1", "hostile")
    first = await engine.start(actor)
    assert isinstance(first, QuestionReply)
    why = await engine.why(actor, conversation_id=first.conversation_id, step=first.step)
    second = await engine.answer(
        actor, conversation_id=first.conversation_id, step=first.step, option_id="api"
    )
    assert isinstance(second, QuestionReply)
    status = await engine.status(actor)
    result = await engine.answer_text(actor, "large")
    assert isinstance(result, ResultReply)
    assert result.taken_as == "Large and long-lived"
    ranking = await engine.ranking(actor, conversation_id=result.conversation_id, step=result.step)
    assert isinstance(ranking, RankingReply)
    forgot = await engine.forget(actor)
    return [first, why, second, status, result, ranking, forgot]


async def team_replies(team: TeamEngine) -> list[TeamReply]:
    """An open question with votes, a closed one (TeamAdvanced) and the finished result."""
    key = team.key(platform="test", workspace="w1", channel="c1", thread="t1")
    question = await team.start(key, starter="m1", starter_name="Ann", topic="Topic")
    assert isinstance(question, TeamQuestionReply)
    sid = question.session_id
    voted = await team.vote(session_id=sid, step=question.step, member="m1", option_id="api", name="Ann")
    await team.vote(session_id=sid, step=question.step, member="m2", option_id="pages", name="Ben")
    await team.vote(session_id=sid, step=question.step, member="m3", option_id="api", name="Cat")
    advanced = await team.advance(session_id=sid, step=question.step, member="m1", can_manage=True)
    assert isinstance(advanced, TeamAdvanced)
    following = advanced.following
    assert isinstance(following, TeamQuestionReply)
    await team.vote(session_id=sid, step=following.step, member="m1", option_id="large", name="Ann")
    await team.vote(session_id=sid, step=following.step, member="m2", option_id="large", name="Ben")
    await team.vote(session_id=sid, step=following.step, member="m3", option_id="small", name="Cat")
    done = await team.advance(session_id=sid, step=following.step, member="m1", can_manage=True)
    assert isinstance(done, TeamAdvanced)
    assert isinstance(done.following, TeamResultReply)
    return [voted, advanced, done, done.following]
