"""Forget a user and purge idle data, across personal conversations, team sessions and deliveries.

One path for everyone who deletes: the personal engine (a user's own `forget`), the CLI (an
operator's `advisor forget` and `advisor purge`) and the adapters, so what "forgotten" means
is decided once: the conversations and any unfinished delivery of the user are deleted, their
name and id are taken out of team sessions (the votes stay, anonymised), and the store is
asked to make the deleted bytes unrecoverable (SQLite: secure_delete plus an emptied
write-ahead log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import VersionConflict
from bot.store.base import ConversationStore, TeamStore
from bot.team.voting import forget_member

MAX_RETRIES = 64
"""Every retry means a vote landed on the session meanwhile; 64 in a row is implausible."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What `forget_user` removed."""

    conversations: int
    teams: int
    erased: bool = True
    """False when deleted bytes may linger in the database files for now (see `Purged.erased`)."""

    def summary(self, *, who: str = "") -> str:
        """The sentence shown after a forget: to the user themselves, or about `who` to an operator."""
        you, your, their = ("you", "your", "you") if not who else (who, "their", "they")
        if self.conversations == 0 and self.teams == 0:
            return f"There was nothing stored about {you}."
        said = [f"Deleted {self.conversations} conversation(s) and everything {their} answered in them."]
        if self.teams:
            said.append(
                f"{your.capitalize()} name and id were removed from {self.teams} team session(s);"
                f" {your} votes stay there, anonymised as a former member, so the team's decisions"
                " still add up."
            )
        return " ".join(said)


@dataclass(frozen=True, slots=True)
class Purged:
    """What `purge_idle` removed."""

    conversations: int
    teams: int
    erased: bool = True
    """False on PostgreSQL (dead rows stay until VACUUM) or when a SQLite reader kept the log busy."""


async def forget_user(
    *,
    conversations: ConversationStore,
    teams: TeamStore | None,
    platform: str,
    workspace: str | None,
    user: str,
) -> Forgotten:
    """Delete a user's conversations and take their name and id out of team sessions.

    `workspace` None means every workspace of the platform (what an operator asks for).
    """
    deleted = await conversations.forget_user(platform=platform, workspace=workspace, user=user)
    changed = 0 if teams is None else await _forget_member_everywhere(teams, platform, workspace, user)
    erased = await conversations.erase_deleted()
    return Forgotten(conversations=deleted, teams=changed, erased=erased)


async def _forget_member_everywhere(store: TeamStore, platform: str, workspace: str | None, user: str) -> int:
    """Anonymise `user` in every team session of the platform (or workspace); returns how many.

    Each session is changed with the same conditional save as a vote, retried on a conflict,
    so a vote landing meanwhile is neither lost nor left under the forgotten name.
    """
    changed = 0
    for session in await store.teams_in(platform=platform, workspace=workspace):
        for _ in range(MAX_RETRIES):
            forgotten = forget_member(session, user)
            if forgotten == session:
                break
            try:
                await store.save_team(forgotten, expected_version=session.version)
            except VersionConflict:
                fresh = await store.get_team_by_id(session.id)
                if fresh is None:
                    break
                session = fresh
                continue
            changed += 1
            break
    return changed


async def purge_idle(
    *, conversations: ConversationStore, teams: TeamStore | None, older_than: datetime
) -> Purged:
    """Delete conversations and team sessions not touched since `older_than`."""
    deleted = await conversations.purge(older_than=older_than)
    sessions = 0 if teams is None else await teams.purge_teams(older_than=older_than)
    erased = await conversations.erase_deleted()
    return Purged(conversations=deleted, teams=sessions, erased=erased)
