"""Platform-neutral replies: what the engine answers and every adapter renders its own way.

The replies that ask (a question, a notice) are here; those that report on a conversation (its
result, ranking, why and status) are in reports.py and load on first use (PEP 562), as does the
`Reply` union naming them all, so a chat shows its first question without them. Import either
from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.matching import Choice

if TYPE_CHECKING:
    from bot.personal.reports import RankedSubject as RankedSubject
    from bot.personal.reports import RankingReply as RankingReply
    from bot.personal.reports import ResultReply as ResultReply
    from bot.personal.reports import StatusReply as StatusReply
    from bot.personal.reports import WhyReply as WhyReply


@dataclass(frozen=True, slots=True)
class Answered:
    """One answer as a person reads it back: the question's prompt and the label chosen."""

    question_id: str
    prompt: str
    answer: str


@dataclass(frozen=True, slots=True)
class QuestionReply:
    """The question to answer now, its choices and how far along the conversation is."""

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


if TYPE_CHECKING:
    Reply: TypeAlias = QuestionReply | ResultReply | RankingReply | WhyReply | StatusReply | Notice


_REPORTS = frozenset({"RankedSubject", "RankingReply", "ResultReply", "StatusReply", "WhyReply"})


def __getattr__(name: str) -> Any:
    """The reports and the `Reply` union, made on first use (PEP 562)."""
    if name not in _REPORTS and name != "Reply":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from bot.personal import reports

    if name == "Reply":
        union = QuestionReply | reports.ResultReply | reports.RankingReply | reports.WhyReply
        return union | reports.StatusReply | Notice
    return getattr(reports, name)
