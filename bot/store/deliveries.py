"""The durable record of platform deliveries: a resend is dropped, and acknowledged work survives a crash.

A platform hands a request over once it is acknowledged (Slack never resends an acknowledged
click), so each delivery is *recorded* before the acknowledgement, with what is needed to
finish it (the body and its reply URL or interaction token: never a bot token or secret),
*leased* to the process handling it, and *finished* after the reply, which also clears the
payload. A record still unfinished when its lease runs out belongs to a process that died:
exactly one process takes it (one conditional UPDATE, which is what makes it exactly once
across processes) and finishes it while the platform still accepts a reply (Slack's
response_url: 30 minutes; Discord's interaction token: 15 minutes). The conditional save of
conversations then makes the replay apply at most once.

Records are rows in the store's own database, written in the store's own transactions (on
SQLite, in the same group commit as the clicks), so a resend or a replay that lands on another
process, or after a restart, is still recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

KEEP_SECONDS = 3600.0
"""Finished records stay this long to drop resends (Slack gives up after 3 retries in minutes)."""
PURGE_EVERY = 500
"""Records between two deletions of old finished ones."""
MAX_ATTEMPTS = 3
"""A delivery whose handling failed this many times (not a crash: a bug, an unreachable
platform) is given up, so a poisoned record cannot loop until it expires."""


class Receipt(Enum):
    """What recording a delivery found."""

    FIRST = "first"
    """Never seen: this process handles it."""
    RESUMED = "resumed"
    """Recorded by a process that died (its lease ran out): this process finishes it, as a replay."""
    SEEN = "seen"
    """Finished, or being handled elsewhere right now: a resend to drop."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One platform delivery as recorded, with what finishing it needs."""

    key: str
    """Stays the same when the platform resends it (Slack: trigger_id or event_id)."""
    platform: str
    payload: str
    """What the adapter finishes it from (JSON); never a bot token or a signing secret."""
    user: str
    """Whose it is, so `forget` can drop it while it is unfinished; cleared when finished."""
    received_at: datetime
    valid_until: datetime
    """After this the platform refuses a reply, so the record can no longer be finished."""
    resumable: bool = True
    """False until another process could finish it (Discord: only once the interaction is deferred)."""


class DeliveryLog(Protocol):
    """The record of deliveries a store keeps beside the conversations."""

    async def claim_delivery(self, key: str) -> bool:
        """True the first time `key` is seen; a finished record at once (nothing to resume).

        For effects that must happen once but need no replay (a result shared to a channel)."""
        ...

    async def record_delivery(self, delivery: Delivery, *, lease: timedelta) -> Receipt:
        """Record `delivery` (leased to the caller until received_at + lease) before acknowledging it."""
        ...

    async def mark_resumable(self, key: str) -> None:
        """From now on another process may finish it (the platform will accept a late reply)."""
        ...

    async def finish_delivery(self, key: str, *, now: datetime) -> None:
        """Done: the reply was sent. The payload is cleared; the key stays to drop resends."""
        ...

    async def release_delivery(self, key: str) -> None:
        """Give the lease up (a graceful shutdown left it unfinished): any process may take it now."""
        ...

    async def take_unfinished(
        self, *, platform: str, now: datetime, lease: timedelta, limit: int
    ) -> tuple[Delivery, ...]:
        """Lease up to `limit` records whose handler died, for this caller only; oldest first."""
        ...

    async def abandon_unfinishable(self, *, platform: str, now: datetime) -> int:
        """Mark done, payload cleared, the records that can no longer be finished; returns how many."""
        ...
