"""Platform-neutral replies: what the engine answers and every adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.matching import Choice
from bot.pack.model import Source
from bot.ranking import Recommendation


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


Reply = QuestionReply | ResultReply | WhyReply | StatusReply | Notice
