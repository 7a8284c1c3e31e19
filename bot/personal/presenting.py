"""A conversation and its pack -> the reply that shows where it stands (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.matching import Choice, numbered_choices
from bot.pack.model import Pack, Question
from bot.personal import walker
from bot.personal.conversation import Conversation
from bot.personal.replies import Answered, QuestionReply

if TYPE_CHECKING:  # made once asked for (see replies.py)
    from bot.personal.reports import RankingReply, ResultReply


@dataclass(frozen=True, slots=True)
class _Asked:
    """What a question's reply shows that is the same for everyone asked it."""

    choices: tuple[Choice, ...]
    remaining: int
    """The fewest questions left, this one included."""
    most: int
    """The most questions left, this one included: the "about N" of the progress line."""


@dataclass(frozen=True, slots=True)
class _Shown:
    """How a pack's questions and answers appear in a reply: the same on every click, so kept
    once per pack (see `Pack.derived`), each entry made the first time it is shown: a start on
    a 10,000-question pack (read lazily from the pack cache) shows one question, and making
    them all up front cost it half a second."""

    asked: dict[str, _Asked]
    """Question id -> its choices and progress."""
    answered: dict[tuple[str, str], Answered]
    """(question id, option id) -> the line it makes in a result's list of answers."""


def _shown(pack: Pack) -> _Shown:
    return _Shown(asked={}, answered={})


def _asked(pack: Pack, question: Question) -> _Asked:
    table = pack.derived(_shown).asked
    asked = table.get(question.id)
    if asked is None:
        asked = table[question.id] = _Asked(
            numbered_choices(question), pack.remaining(question.id), pack.most_remaining(question.id)
        )
    return asked


def answered_questions(pack: Pack, answers: tuple[tuple[str, str], ...]) -> tuple[Answered, ...]:
    """Each answer as a result lists it; answers this version lacks are left out."""
    table = pack.derived(_shown).answered
    lines: list[Answered] = []
    for answer in answers:
        line = table.get(answer)
        if line is None:
            option, question = pack.chosen(answer), pack.question(answer[0])
            if option is None or question is None:
                continue
            line = table[answer] = Answered(answer[0], question.prompt, option.label)
        lines.append(line)
    return tuple(lines)


def result_reply(pack: Pack, conversation: Conversation) -> ResultReply:
    from bot.personal.reports import ResultReply
    from bot.ranking import recommend  # not at import: a chat's first question needs no ranking

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
    from bot.personal.reports import RankedSubject, RankingReply
    from bot.ranking import points_by_answer, recommend, strongest_first

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
    answers = conversation.answers
    last = pack.chosen(answers[-1]) if answers else None
    asked = _asked(pack, question)
    # Positional in field order: keywords cost 40% more, and every click that asks runs this.
    return QuestionReply(
        conversation.id,
        conversation.step,
        question.id,
        question.prompt,
        question.why,
        asked.choices,
        len(answers),  # answered
        asked.remaining,
        bool(answers),  # can_go_back
        last.note if last is not None and last.unsure else "",  # notice
        len(answers) + asked.most,  # about_total
    )
