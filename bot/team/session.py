"""A team session as stored: who decides, what was decided, the open question's votes.

The session's `step` moves only when a question closes, so the 30 buttons pressed on one
question all name the same step and all count; a vote for an older step is explained as
"closed". Members' answers are not kept twice: each closed question keeps its votes, and a
member's individual path is read back from them (`tally.member_answers`).

A question never closes on a tie by itself: it waits, open, for the starter (or a manager)
to choose among the tied options, and the closed question remembers who chose between which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TeamStatus(StrEnum):
    OPEN = "open"
    FINISHED = "finished"


SETTLED_BEFORE = "an earlier version of the advisor"
"""Who "decided" a tie stored before ties waited for the starter (it was settled automatically)."""


@dataclass(frozen=True, slots=True)
class TeamKey:
    """One open team session per (platform, workspace, channel, thread, advisor)."""

    platform: str
    workspace: str
    channel: str
    thread: str
    advisor: str


def roster_thread(members: Sequence[str]) -> str:
    """The `thread` of a session keyed by who takes part (the terminal's): a hash, never the names.

    So forgetting a member leaves no name in the key; the same members in the same order find
    their session again.
    """
    return "roster-" + hashlib.sha256(",".join(members).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class ClosedQuestion:
    """A question the team has decided, with every vote as it stood when it closed."""

    question_id: str
    chosen: str
    votes: tuple[tuple[str, str], ...]
    """(member, option id) in the order the members first voted."""
    tied: tuple[str, ...] = ()
    """The option ids that shared the most votes when it closed; empty when one option led."""
    decided_by: str = ""
    """Who chose among `tied` (the starter or a manager); empty when one option led."""

    @property
    def was_tied(self) -> bool:
        return len(self.tied) > 1

    def decider_name(self, session: TeamSession) -> str:
        """The display name of who decided the tie ("" when one option led)."""
        if not self.was_tied:
            return ""
        return session.name_of(self.decided_by) if self.decided_by else SETTLED_BEFORE


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The starter (or a manager) signed the decision record: its status becomes accepted."""

    member: str
    at: datetime
    choice: str
    """The subject id accepted: the team's top pick, or the one chosen among tied top picks."""


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
    awaiting_decision: bool = False
    """Next, the quorum or a full round met a tie: the open question waits for the starter."""
    finished_at: datetime | None = None
    accepted: Acceptance | None = None

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
