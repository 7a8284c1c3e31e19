"""A team session as stored: who decides, what was decided, the open question's votes.

The session's `step` moves only when a question closes, so the 30 buttons pressed on one
question all name the same step and all count; a vote for an older step is explained as
"closed". Members' answers are not kept twice: each closed question keeps its votes, and a
member's individual path is read back from them (`tally.member_answers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TeamStatus(StrEnum):
    OPEN = "open"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class TeamKey:
    """One open team session per (platform, workspace, channel, thread, advisor)."""

    platform: str
    workspace: str
    channel: str
    thread: str
    advisor: str


@dataclass(frozen=True, slots=True)
class ClosedQuestion:
    """A question the team has decided, with every vote as it stood when it closed."""

    question_id: str
    chosen: str
    votes: tuple[tuple[str, str], ...]
    """(member, option id) in the order the members first voted."""
    tie_broken: bool


@dataclass(frozen=True, slots=True)
class TeamSession:
    id: str
    key: TeamKey
    topic: str
    starter: str
    anonymous: bool
    quorum: int
    """Votes that close a question by themselves; 0 means only Next does."""
    pack_version: str
    path: tuple[tuple[str, str], ...]
    """The team's (question, option) path: the majority answer of each closed question."""
    closed: tuple[ClosedQuestion, ...]
    votes: tuple[tuple[str, str], ...]
    """Votes on the open question: (member, option id), in the order members first voted."""
    names: tuple[tuple[str, str], ...]
    """(member, display name) as the platform last showed them."""
    step: int
    version: int
    created_at: datetime
    updated_at: datetime
    status: TeamStatus = TeamStatus.OPEN
    left: tuple[str, ...] = ()
    """Members the platform reported as gone from the channel: their new votes are refused."""

    @property
    def current_votes(self) -> dict[str, str]:
        return dict(self.votes)

    @property
    def is_finished(self) -> bool:
        return self.status is TeamStatus.FINISHED

    def name_of(self, member: str) -> str:
        return dict(self.names).get(member, member)

    @property
    def members(self) -> tuple[str, ...]:
        """Everyone who has voted, in the order they first did."""
        seen: dict[str, None] = {}
        for closed in self.closed:
            seen.update(dict.fromkeys(m for m, _ in closed.votes))
        seen.update(dict.fromkeys(m for m, _ in self.votes))
        return tuple(seen)
