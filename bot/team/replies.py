"""Platform-neutral replies of a team session: what the team engine answers, every adapter renders."""

from __future__ import annotations

from dataclasses import dataclass

from bot.matching import Choice
from bot.team.divergence import Swing
from bot.team.scoring import TeamRanking
from bot.team.tally import FirstChoice, MemberPick, PickCount, Split, Tally


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
    advance_rule: str
    """Who may press Next, e.g. "ann (who started) or anyone who can manage the channel"."""
    tie_policy: str
    """How a tie is settled: by the starter (or a manager) choosing, said under every question."""
    decider: str = ""
    """Who may decide a tie, e.g. "ann (who started) or anyone who can manage the channel"."""
    awaiting_decision: bool = False
    """Next, the quorum or a full round met a tie: the question waits for `decider`."""
    tied: tuple[Choice, ...] = ()
    """The options tied for the most votes while `awaiting_decision` (decide buttons)."""
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
    anonymous: bool
    tied: tuple[str, ...] = ()
    """Labels of the options that tied, when the question closed on a decision."""
    decided_by: str = ""
    """Who chose among `tied` (display name)."""


@dataclass(frozen=True, slots=True)
class TeamResultReply:
    session_id: str
    step: int
    topic: str
    advisor_title: str
    finished: bool
    ranking: TeamRanking
    """The team's ranking: every member's vote, each with its share of the question's voters."""
    reconsider_when: tuple[str, ...]
    picks: tuple[MemberPick, ...]
    splits: tuple[Split, ...]
    participants: tuple[str, ...]
    """Display names, in the order they first voted."""
    anonymous: bool
    pick_counts: tuple[PickCount, ...] = ()
    """Members per own pick: what an anonymous session shows instead of `picks`."""
    first_choices: tuple[FirstChoice, ...] = ()
    swing: Swing | None = None
    warnings: tuple[str, ...] = ()
    starter: str = ""
    """The starter's display name: who accepts the decision (or a manager)."""
    accepted_by: str = ""
    """Display name of who accepted the decision record; empty while it is proposed."""
    accepted_choice: str = ""
    """The subject name accepted."""
    accept_choices: tuple[tuple[str, str], ...] = ()
    """(subject id, name) an Accept button may carry: the top pick, or each tied one."""

    @property
    def status(self) -> str:
        """The decision record's status: proposed until the starter (or a manager) accepts."""
        return "accepted" if self.accepted_by else "proposed"

    def first_choice_lines(self) -> tuple[str, ...]:
        of = len(self.picks)
        return tuple(f.describe(anonymous=self.anonymous, of=of) for f in self.first_choices)


@dataclass(frozen=True, slots=True)
class TeamAdvanced:
    """Next (or the quorum, or a tie decision) closed a question: the closed one and what follows."""

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
