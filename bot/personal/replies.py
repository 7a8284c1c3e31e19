"""Platform-neutral replies: what the engine answers and every adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.matching import Choice
from bot.pack.model import Source
from bot.ranking import AnswerPoints, Recommendation


@dataclass(frozen=True, slots=True)
class Answered:
    question_id: str
    prompt: str
    answer: str


@dataclass(frozen=True, slots=True)
class QuestionReply:
    conversation_id: str
    step: int
    question_id: str
    prompt: str
    why: str
    choices: tuple[Choice, ...]
    answered: int
    remaining: int
    """The fewest questions left, this one included."""
    can_go_back: bool
    notice: str = ""
    """Said before the question, e.g. what would help after a "not sure"."""
    about_total: int = 0
    """The N of "question 3 of about N": answered + the most questions still to come, so it
    never rises from one question to the next (it falls when an answer shortens the way)."""
    taken_as: str = ""
    """The label a typed answer was read as, when it was not typed as that label ("django" ->
    "An existing Django app", "2" -> "JSON API"): said first, so a misreading shows at once."""

    @property
    def number(self) -> int:
        """This question's place in the conversation, 1 for the first."""
        return self.answered + 1

    @property
    def is_last(self) -> bool:
        """No answer to this question leads to another one."""
        return self.about_total == self.number


@dataclass(frozen=True, slots=True)
class ResultReply:
    conversation_id: str
    step: int
    advisor_title: str
    recommendation: Recommendation
    subject_summaries: tuple[tuple[str, str, str], ...]
    """(subject id, summary, url) for the top pick and the runner-up."""
    reconsider_when: tuple[str, ...]
    """The runner-up's "best for" lines: when to choose it instead."""
    answered: tuple[Answered, ...]
    taken_as: str = ""
    """As on QuestionReply: how the typed answer that finished the conversation was read."""


@dataclass(frozen=True, slots=True)
class RankedSubject:
    """One line of the full ranking: a subject, its place and the answers that gave its points."""

    place: int
    """1 for the top; subjects on equal points share a place (1, 2, 2, 4)."""
    subject_id: str
    name: str
    points: int
    answers: tuple[AnswerPoints, ...]
    """Each answer that moved it, most points first; they sum to `points`."""


@dataclass(frozen=True, slots=True)
class RankingReply:
    """Every subject with its points: `ranking`, and the Full ranking button under a result."""

    conversation_id: str
    step: int
    advisor_title: str
    subjects: tuple[RankedSubject, ...]
    answered: int
    finished: bool
    """False while questions remain: the ranking so far."""
    level_note: str = ""
    """Set when two or more subjects share the top: that neither is ahead, and what would separate them."""


@dataclass(frozen=True, slots=True)
class WhyReply:
    conversation_id: str
    step: int
    prompt: str
    why: str
    help: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class StatusReply:
    conversation_id: str
    step: int
    answered: tuple[Answered, ...]
    current_prompt: str | None
    leader: str | None
    expires_at: datetime


class Offer(StrEnum):
    RESUME = "resume"
    RESTART = "restart"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user must decide or know before anything else happens."""

    text: str
    conversation_id: str = ""
    step: int = 0
    offers: tuple[Offer, ...] = ()


Reply = QuestionReply | ResultReply | RankingReply | WhyReply | StatusReply | Notice
