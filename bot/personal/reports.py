"""Replies that report on a conversation rather than ask its next question: the result, the
full ranking, why a question is asked and the status.

They are made only once asked for, so `advisor chat` reaches its first question without
creating them (or the ranking they carry). `bot.personal.replies` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.personal.replies import Answered

if TYPE_CHECKING:
    from bot.pack.model import Source
    from bot.ranking import AnswerPoints, Recommendation


@dataclass(frozen=True, slots=True)
class ResultReply:
    """The recommendation at the end of a path, with what it rests on and when to reconsider."""

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
    """Why the current question is asked, and the sources behind its options."""

    conversation_id: str
    step: int
    prompt: str
    why: str
    help: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class StatusReply:
    """The answers so far, the question waiting and who leads: the `status` command."""

    conversation_id: str
    step: int
    answered: tuple[Answered, ...]
    current_prompt: str | None
    leader: str | None
    expires_at: datetime
