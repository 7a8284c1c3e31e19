"""Which platform deliveries were already handled, so a resent request is acted on once.

Chat platforms resend what they believe was not acknowledged (Slack's `X-Slack-Retry-Num`). A
resend carries the same delivery id (Slack: `trigger_id` for commands and clicks, `event_id` for
events), so the first process to *claim* that id handles it and every later copy is dropped.
Claims are rows in the store's own database, written in the store's own transactions, so a
resend that lands on another process, or after a restart, is still recognised.
"""

from __future__ import annotations

from typing import Protocol

KEEP_SECONDS = 3600.0
"""Platforms give up resending after a few minutes (Slack: 3 retries); an hour is ample."""
PURGE_EVERY = 500
"""Claims between two deletions of expired ones."""


class DeliveryLog(Protocol):
    """The record of deliveries a store keeps beside the conversations."""

    async def claim_delivery(self, key: str) -> bool:
        """True the first time `key` is seen: the caller handles it. False for a resend."""
        ...
