"""A team session and its pack -> the reply that shows where the team stands (pure)."""

from __future__ import annotations

from bot.matching import numbered_choices
from bot.pack.model import Pack
from bot.team import voting as team
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.session import TeamSession
from bot.team.tally import closed_tally, count_picks, current_tally, outcome
from bot.team.voting import TIE_RULE


def advance_rule(session: TeamSession) -> str:
    rule = f"{session.name_of(session.starter)} (who started) or anyone who can manage the channel"
    if session.quorum:
        rule += f"; it also moves on by itself at {session.quorum} vote(s)"
    return rule


def question_reply(pack: Pack, session: TeamSession, *, notice: str = "") -> TeamQuestionReply | None:
    """The open question with its live tally, or None once the team's path is complete."""
    question = team.current_question(pack, session)
    tally = current_tally(pack, session)
    if question is None or tally is None:
        return None
    return TeamQuestionReply(
        session_id=session.id,
        step=session.step,
        topic=session.topic,
        number=len(session.closed) + 1,
        remaining=pack.remaining(question.id),
        question_id=question.id,
        prompt=question.prompt,
        why=question.why,
        choices=numbered_choices(question),
        tally=tally,
        anonymous=session.anonymous,
        quorum=session.quorum,
        tie_rule=TIE_RULE,
        advance_rule=advance_rule(session),
        notice=notice,
    )


def closed_reply(pack: Pack, session: TeamSession, index: int) -> TeamClosedReply | None:
    closed = session.closed[index]
    tally = closed_tally(pack, session, closed)
    if tally is None:
        return None
    chosen = next((c.label for c in tally.counts if c.option_id == closed.chosen), closed.chosen)
    return TeamClosedReply(
        session_id=session.id,
        step=index + 1,
        number=index + 1,
        topic=session.topic,
        prompt=tally.prompt,
        tally=tally,
        chosen=chosen,
        tie_broken=closed.tie_broken,
        tie_rule=TIE_RULE,
        anonymous=session.anonymous,
    )


def result_reply(pack: Pack, session: TeamSession) -> TeamResultReply:
    """The team's ranking, each member's own pick and the splits (so far, or final)."""
    out = outcome(pack, session)
    runner = out.recommendation.runner_up
    runner_subject = pack.subject(runner.subject_id) if runner else None
    return TeamResultReply(
        session_id=session.id,
        step=session.step,
        topic=session.topic,
        advisor_title=pack.title,
        finished=session.is_finished,
        recommendation=out.recommendation,
        reconsider_when=tuple(c.text for c in runner_subject.best_for) if runner_subject else (),
        picks=out.picks,
        splits=out.splits,
        participants=tuple(session.name_of(m) for m in session.members),
        anonymous=session.anonymous,
        pick_counts=count_picks(out.picks),
    )


def present(pack: Pack, session: TeamSession) -> TeamQuestionReply | TeamResultReply:
    reply = question_reply(pack, session)
    return reply if reply is not None else result_reply(pack, session)
