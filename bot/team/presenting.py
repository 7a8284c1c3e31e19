"""A team session and its pack -> the reply that shows where the team stands (pure)."""

from __future__ import annotations

from bot.matching import numbered_choices
from bot.pack.model import Pack
from bot.team import voting as team
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.session import TeamSession
from bot.team.tally import closed_tally, count_picks, current_tally, outcome


def decider(session: TeamSession) -> str:
    return f"{session.name_of(session.starter)} (who started) or anyone who can manage the channel"


def advance_rule(session: TeamSession) -> str:
    rule = decider(session)
    if session.quorum:
        rule += f"; it also moves on by itself at {session.quorum} vote(s)"
    return rule


def tie_policy(session: TeamSession) -> str:
    return (
        f"A tie waits for {decider(session)} to choose among the tied options; votes may change until then."
    )


def question_reply(pack: Pack, session: TeamSession, *, notice: str = "") -> TeamQuestionReply | None:
    """The open question with its live tally, or None once the team's path is complete."""
    question = team.current_question(pack, session)
    tally = current_tally(pack, session)
    if question is None or tally is None:
        return None
    choices = numbered_choices(question)
    waiting = session.awaiting_decision and tally.is_tied
    return TeamQuestionReply(
        session_id=session.id,
        step=session.step,
        topic=session.topic,
        number=len(session.closed) + 1,
        remaining=pack.remaining(question.id),
        question_id=question.id,
        prompt=question.prompt,
        why=question.why,
        choices=choices,
        tally=tally,
        anonymous=session.anonymous,
        quorum=session.quorum,
        advance_rule=advance_rule(session),
        tie_policy=tie_policy(session),
        decider=decider(session),
        awaiting_decision=waiting,
        tied=tuple(c for c in choices if c.id in tally.leaders) if waiting else (),
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
        anonymous=session.anonymous,
        tied=tally.labels(closed.tied) if closed.was_tied else (),
        decided_by=closed.decider_name(session),
    )


def result_reply(pack: Pack, session: TeamSession) -> TeamResultReply:
    """The team's ranking, each member's own pick, the splits and warnings (so far, or final)."""
    out = outcome(pack, session)
    ranking = out.ranking
    runner = ranking.runner_up
    runner_subject = pack.subject(runner.subject_id) if runner else None
    on_top = ranking.tied or (ranking.top.subject_id,)
    names = {s.subject_id: s.name for s in ranking.ranking}
    accepted = session.accepted
    return TeamResultReply(
        session_id=session.id,
        step=session.step,
        topic=session.topic,
        advisor_title=pack.title,
        finished=session.is_finished,
        ranking=ranking,
        reconsider_when=tuple(c.text for c in runner_subject.best_for) if runner_subject else (),
        picks=out.picks,
        splits=out.splits,
        participants=tuple(session.name_of(m) for m in session.members),
        anonymous=session.anonymous,
        pick_counts=count_picks(out.picks),
        first_choices=out.first_choices,
        swing=out.swing,
        warnings=out.warnings,
        starter=session.name_of(session.starter),
        accepted_by=session.name_of(accepted.member) if accepted else "",
        accepted_choice=names.get(accepted.choice, accepted.choice) if accepted else "",
        accept_choices=tuple((s, names[s]) for s in on_top)
        if session.is_finished and accepted is None
        else (),
    )


def present(pack: Pack, session: TeamSession) -> TeamQuestionReply | TeamResultReply:
    reply = question_reply(pack, session)
    return reply if reply is not None else result_reply(pack, session)
