"""The conversation store protocol every backend implements (SQLite today, PostgreSQL too)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.conversation import Conversation, ConversationKey


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

    async def delete(self, key: ConversationKey) -> bool: ...

    async def forget_user(self, *, platform: str, workspace: str | None, user: str) -> int:
        """Delete every conversation of a user (all workspaces when `workspace` is None)."""
        ...

    async def purge(self, *, older_than: datetime) -> int:
        """Delete conversations not touched since `older_than`."""
        ...

    async def close(self) -> None: ...
