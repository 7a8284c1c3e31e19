"""A conversation and its pack -> the reply that shows where it stands (pure)."""

from __future__ import annotations

from bot.matching import numbered_choices
from bot.pack.model import Pack
from bot.personal import walker
from bot.personal.conversation import Conversation
from bot.personal.replies import Answered, QuestionReply, RankedSubject, RankingReply, ResultReply
from bot.ranking import points_by_answer, recommend, strongest_first


def answered_questions(pack: Pack, answers: tuple[tuple[str, str], ...]) -> tuple[Answered, ...]:
    out = []
    for question_id, option_id in answers:
        question = pack.question(question_id)
        option = question.option(option_id) if question else None
        if question is not None and option is not None:
            out.append(Answered(question_id, question.prompt, option.label))
    return tuple(out)


def result_reply(pack: Pack, conversation: Conversation) -> ResultReply:
    recommendation = recommend(pack, conversation.answers)
    summaries = []
    for score in recommendation.ranking[:2]:
        subject = pack.subject(score.subject_id)
        if subject is not None:
            summaries.append((subject.id, subject.summary.text, subject.url))
    runner = recommendation.runner_up
    runner_subject = pack.subject(runner.subject_id) if runner else None
    return ResultReply(
        conversation_id=conversation.id,
        step=conversation.step,
        advisor_title=pack.title,
        recommendation=recommendation,
        subject_summaries=tuple(summaries),
        reconsider_when=tuple(c.text for c in runner_subject.best_for) if runner_subject else (),
        answered=answered_questions(pack, conversation.answers),
    )


def ranking_reply(pack: Pack, conversation: Conversation) -> RankingReply:
    """Every subject with its points and the answers that gave them, so far or final."""
    recommendation = recommend(pack, conversation.answers)
    subjects: list[RankedSubject] = []
    for index, score in enumerate(recommendation.ranking):
        tied_above = subjects and subjects[-1].points == score.points
        place = subjects[-1].place if tied_above else index + 1
        answers = strongest_first(points_by_answer(pack, conversation.answers, score.subject_id))
        subjects.append(RankedSubject(place, score.subject_id, score.name, score.points, answers))
    return RankingReply(
        conversation_id=conversation.id,
        step=conversation.step,
        advisor_title=pack.title,
        subjects=tuple(subjects),
        answered=len(conversation.answers),
        finished=walker.current_question(pack, conversation) is None,
        level_note=recommendation.level_note,
    )


def present(pack: Pack, conversation: Conversation) -> QuestionReply | ResultReply:
    """The current question, or the result once the path is complete. Raises PackError on a mismatch."""
    question = walker.current_question(pack, conversation)
    if question is None:
        return result_reply(pack, conversation)
    notice = ""
    if conversation.answers:
        last_q, last_o = conversation.answers[-1]
        last_question = pack.question(last_q)
        last = last_question.option(last_o) if last_question else None
        if last is not None and last.unsure and last.note:
            notice = last.note
    return QuestionReply(
        conversation_id=conversation.id,
        step=conversation.step,
        question_id=question.id,
        prompt=question.prompt,
        why=question.why,
        choices=numbered_choices(question),
        answered=len(conversation.answers),
        remaining=pack.remaining(question.id),
        can_go_back=bool(conversation.answers),
        notice=notice,
        about_total=len(conversation.answers) + pack.most_remaining(question.id),
    )
