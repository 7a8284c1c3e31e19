"""The store protocols every backend implements (SQLite and PostgreSQL): conversations, team sessions,
deliveries, pack versions; `Store` is all of them, which is what `open_store` returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.personal.conversation import Conversation, ConversationKey
from bot.store.deliveries import DeliveryLog
from bot.store.packs import PackStore

if TYPE_CHECKING:  # the team model is imported by team code only: `advisor chat` never loads it
    from bot.team.session import TeamKey, TeamSession


class ConversationStore(Protocol):
    """Where conversations live between clicks. Each method is one transaction."""

    async def get(self, key: ConversationKey) -> Conversation | None: ...

    async def get_by_id(self, conversation_id: str) -> Conversation | None: ...

    async def create(self, conversation: Conversation) -> Conversation:
        """Raises ConversationExists: two first clicks race, the loser reloads."""
        ...

    async def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        """Write only if the stored version is still `expected_version`, else raise VersionConflict.

        Optimistic, so it also holds across processes. Returns the conversation with its new version.
        """
        ...

    async def change(
        self, ref: str | ConversationKey, walk: Callable[[Conversation], Conversation | None]
    ) -> tuple[Conversation | None, Conversation | None]:
        """Read the conversation `ref` names (an id, or a key), walk it, write what the walk
        returned if the row is still at the version read; one operation, the click's only one.

        Returns (as read, as saved): (None, None) when there is no such conversation (the walk
        is not called), (read, None) when the walk returned None (nothing written). `walk` must
        be pure and quick: it may run twice (a retry after a lock) and on the store's own
        thread, between the read and the write. What it raises reaches the caller unchanged,
        with nothing written. Raises VersionConflict when another writer got there first.
        """
        ...

    async def delete(self, key: ConversationKey) -> bool: ...

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        """Delete every conversation of a user (all workspaces when `workspace` is None).

        Their unfinished delivery records go too: a forgotten user gets no late replies.
        """
        ...

    async def erase_deleted(self) -> bool:
        """Make deleted rows unrecoverable from the files; False when some may remain for now.

        SQLite: a checkpoint that empties the write-ahead log (secure_delete zeroes freed space).
        PostgreSQL keeps dead rows until VACUUM, which the operator runs.
        """
        ...

    async def purge(self, *, older_than: datetime) -> int:
        """Delete conversations not touched since `older_than`."""
        ...

    async def close(self) -> None: ...


class TeamStore(Protocol):
    """Where team sessions live between votes; the same one-transaction, conditional-save rules.

    At most one session per key is open; finished ones stay readable by id (for the record).
    """

    async def get_team(self, key: TeamKey) -> TeamSession | None:
        """The open session at `key`, else the newest finished one, else None."""
        ...

    async def get_team_by_id(self, session_id: str) -> TeamSession | None: ...

    async def create_team(self, session: TeamSession) -> TeamSession:
        """Raises TeamSessionExists when a session is already open at the same key."""
        ...

    async def save_team(self, session: TeamSession, *, expected_version: int) -> TeamSession:
        """Write only if the stored version is still `expected_version`, else raise VersionConflict."""
        ...

    async def teams_in(self, *, platform: str, workspace: str | None) -> tuple[TeamSession, ...]:
        """Every session (open or finished) of a platform, or of one workspace of it."""
        ...

    async def open_teams(
        self, *, platform: str, workspace: str, advisor: str, limit: int
    ) -> tuple[TeamSession, ...]:
        """The open sessions of one workspace, newest first, at most `limit` (what Slack's App Home lists)."""
        ...

    async def purge_teams(self, *, older_than: datetime) -> int:
        """Delete team sessions (open or finished) not touched since `older_than`."""
        ...


@dataclass(slots=True)
class StoreStats:
    """Counters a store keeps for the metrics endpoint (read when scraped, so free on the hot path)."""

    conflicts: int = 0
    """Conditional saves refused because another click saved first."""


class Store(ConversationStore, TeamStore, DeliveryLog, PackStore, Protocol):
    """One database holding everything the bot keeps; every backend is all of these at once."""

    stats: StoreStats

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers (what readiness checks)."""
        ...
