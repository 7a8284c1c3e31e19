"""Platform-neutral replies of a team session: what the team engine answers, every adapter renders."""

from __future__ import annotations

from dataclasses import dataclass

from bot.matching import Choice
from bot.ranking import Recommendation
from bot.team.tally import MemberPick, PickCount, Split, Tally


@dataclass(frozen=True, slots=True)
class TeamQuestionReply:
    """The open question with its live tally, drawn from the stored votes."""

    session_id: str
    step: int
    topic: str
    number: int
    """1 for the first question."""
    remaining: int
    """The fewest questions left, this one included."""
    question_id: str
    prompt: str
    why: str
    choices: tuple[Choice, ...]
    tally: Tally
    anonymous: bool
    quorum: int
    tie_rule: str
    advance_rule: str
    """Who may press Next, e.g. "ann (who started) or anyone who can manage the channel"."""
    notice: str = ""


@dataclass(frozen=True, slots=True)
class TeamClosedReply:
    """A question as it closed: its final tally and what the team chose."""

    session_id: str
    step: int
    """The step it had while open: its buttons carry this one."""
    number: int
    topic: str
    prompt: str
    tally: Tally
    chosen: str
    """The label the team went with."""
    tie_broken: bool
    tie_rule: str
    anonymous: bool


@dataclass(frozen=True, slots=True)
class TeamResultReply:
    session_id: str
    step: int
    topic: str
    advisor_title: str
    finished: bool
    recommendation: Recommendation
    """The team's ranking: the evidence of its majority path."""
    reconsider_when: tuple[str, ...]
    picks: tuple[MemberPick, ...]
    splits: tuple[Split, ...]
    participants: tuple[str, ...]
    """Display names, in the order they first voted."""
    anonymous: bool
    pick_counts: tuple[PickCount, ...] = ()
    """Members per own pick: what an anonymous session shows instead of `picks`."""


@dataclass(frozen=True, slots=True)
class TeamAdvanced:
    """Next (or the quorum) closed a question: the closed one and what follows it."""

    closed: TeamClosedReply
    following: TeamQuestionReply | TeamResultReply


TeamReply = TeamQuestionReply | TeamResultReply | TeamAdvanced


@dataclass(frozen=True, slots=True)
class OpenSessionSummary:
    """An open session as a list shows it (Slack's App Home): where it is and how far it got."""

    session_id: str
    channel: str
    thread: str
    topic: str
    starter: str
    """The starter's display name."""
    number: int
    """The open question's number, 1 for the first."""
    prompt: str
    """The open question, or "" when the session's pack version is no longer loaded."""
    votes: int
    """Votes cast on the open question so far."""
