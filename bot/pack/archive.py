"""Pack versions kept by their content hash, so any process can finish a conversation on its version.

What is kept is the pack's own files, names and bytes, read back by the same safe YAML loader
as a folder on disk: no pickle, no second format that could drift from the model, and a stored
version is checked against its hash before it is used. Every store is an archive (the rows sit
beside the conversations pinned to them); this protocol is all the registry needs of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

SERVED_EVERY = 3600.0
"""Seconds: a kept version served again within this, and still the latest served, keeps its mark."""


@dataclass(frozen=True, slots=True)
class StoredPack:
    """A pack version as the store keeps it: its files, so it can be loaded again after the folder changed."""

    pack_id: str
    version: str
    files: Mapping[str, bytes]
    stored_at: datetime


class PackArchive(Protocol):
    async def keep_pack(
        self, *, pack_id: str, version: str, files: Mapping[str, bytes], now: datetime
    ) -> None:
        """Store a version (once: the hash is the key); `now` marks it as served by a running process."""
        ...

    async def serve_pack(self, *, pack_id: str, version: str, now: datetime) -> bool:
        """Mark a kept version as served `now`; False when it is not kept (then `keep_pack` it).

        What every start of a process does, so it writes only what changes the fallback: the
        version becomes the most recently served one, or its mark is older than SERVED_EVERY.
        Rewriting the mark on every start would rewrite the whole row (SQLite rewrites a row
        whole: 5 MB for a 10,000-question pack), and `keep_pack` would send the files too.
        """
        ...

    async def stored_pack(self, pack_id: str, version: str) -> StoredPack | None: ...

    async def latest_pack(self, pack_id: str) -> StoredPack | None:
        """The version most recently served: what a bot with a broken pack falls back to."""
        ...
