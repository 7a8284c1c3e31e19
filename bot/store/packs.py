"""The store's side of kept pack versions: which are kept, who is pinned to them, and pruning.

The registry only reads and writes versions (`bot.pack.archive.PackArchive`); an operator also
wants to see them and drop the unused ones, which needs the conversations and team sessions
that sit in the same database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.pack.archive import PackArchive


@dataclass(frozen=True, slots=True)
class KeptVersion:
    """One stored version of a pack and how many conversations and open team sessions use it."""

    pack_id: str
    version: str
    stored_at: datetime
    served_at: datetime
    """The last time a running process served it as its current version."""
    conversations: int
    open_sessions: int


class PackStore(PackArchive, Protocol):
    async def kept_versions(self, pack_id: str) -> tuple[KeptVersion, ...]:
        """Every stored version of `pack_id`, newest served first, with what is pinned to it."""
        ...

    async def prune_packs(self, pack_id: str, *, keep: Collection[str]) -> tuple[str, ...]:
        """Delete the versions that no conversation or open team session uses, except `keep`.

        One statement, so a conversation pinned meanwhile is never left without its version.
        Returns the versions deleted.
        """
        ...
