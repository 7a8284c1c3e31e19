"""Each Discord interaction recorded before its first response, finished after its reply.

Discord sends an interaction once and never again, wants an initial response within 3
seconds, and then takes edits of that response and follow-ups on the interaction's token for
15 minutes. So what can survive a crash depends on how far the first process got:

- recorded, no response yet: nobody can answer it any more (the callback refuses after 3
  seconds, and the token of an interaction never acknowledged is dead). The record stays
  *unresumable* and is given up when its lease runs out; the user saw "This interaction failed".
- about to be acknowledged with something still to send (a deferral, or a first message with
  posts to follow): the record is marked *resumable* first, so no acknowledged interaction can
  be lost. A process that finds it unfinished after its lease feeds the stored payload through
  discord.py's parser again (redelivery.py); the router first asks Discord for the original
  response (the acknowledgement may not have gone out), and if there is one the normal handlers
  finish it with an edit of that response or a follow-up.
- replied: the record is *finished*, which deletes the payload and with it the token.

The payload is the INTERACTION_CREATE discord.py parsed, token included, because the token
is what a late reply is sent with: it is a credential for 15 minutes, so it lives in the
store only while the record is unfinished (and `forget` drops it), and it is never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import aiohttp
import discord

from adapters.runtime.service import Runtime
from bot.errors import StoreError
from bot.store.deliveries import Delivery, DeliveryLog, Receipt

log = logging.getLogger(__name__)

PLATFORM: Final = "discord"
TOKEN_VALID: Final = timedelta(minutes=15)
"""How long Discord takes edits and follow-ups on an interaction's token."""
REPLAY_MARGIN: Final = timedelta(minutes=1)
"""Taken off the token's life: a replay must start with time to send its reply (and clocks drift)."""
INBOX_LIMIT: Final = 1024
INBOX_SECONDS: Final = 30.0
"""A payload no handler took by then (an unknown command) is dropped; handlers take theirs in ms."""


def delivery_key(interaction_id: int) -> str:
    """Interaction ids are unique snowflakes; the prefix keeps them apart from Slack's keys."""
    return f"discord:{interaction_id}"


class Inbox:
    """Raw INTERACTION_CREATE payloads from discord.py's parser to our handlers, by interaction id.

    An `Interaction` keeps no raw payload, so the parser's wrapper (client.py) puts each one
    here and the router takes it to record; bounded in count and age, so what no handler
    takes costs nothing for long.
    """

    def __init__(self, *, limit: int = INBOX_LIMIT, keep: float = INBOX_SECONDS) -> None:
        self.limit = limit
        self.keep = keep
        self._payloads: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def put(self, payload: dict[str, Any]) -> None:
        now = time.monotonic()
        ident = payload.get("id")
        key = str(int(ident)) if isinstance(ident, str) and ident.isdigit() else str(ident)
        self._payloads[key] = (now, payload)  # as discord.py reads the id: "0042" is 42
        while self._payloads:
            oldest, _ = next(iter(self._payloads.values()))
            if len(self._payloads) <= self.limit and now - oldest <= self.keep:
                break
            self._payloads.popitem(last=False)

    def take(self, interaction_id: int) -> dict[str, Any] | None:
        kept = self._payloads.pop(str(interaction_id), None)
        return kept[1] if kept is not None else None

    def __len__(self) -> int:
        return len(self._payloads)


def _encoded(payload: dict[str, Any] | None) -> str:
    if payload is None:
        return ""
    try:
        return json.dumps(payload, separators=(",", ":"))
    except (TypeError, ValueError):  # not what a gateway sends: keep the record, not the payload
        return ""


def _user_id(interaction: discord.Interaction) -> str:
    user = interaction.user
    return str(user.id) if isinstance(user, discord.User | discord.Member) else ""


def is_transient(error: BaseException) -> bool:
    """A reply that failed for a reason that may pass (the network, a Discord 5xx)."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500
    return isinstance(error, aiohttp.ClientError | TimeoutError)


@dataclass
class Ticket:
    """One interaction being handled, and how far its reply got.

    `key` is None when it has no record (the store failed): then every step is a no-op.
    """

    records: InteractionLog | None
    key: str | None
    replay: bool
    """A replay after a crash: Discord already has its initial response, only edits and
    follow-ups are left."""
    received_at: datetime
    started: float = field(default_factory=time.monotonic)
    resumable: bool = False
    settled: bool = False

    async def before_acknowledging(self) -> None:
        """An initial response with more to follow is about to go out: from now on another
        process may finish it (it checks first that Discord did get that response)."""
        if self.resumable or self.replay:
            return
        self.resumable = True
        if self.records is not None and self.key is not None:
            await self.records.mark_resumable(self.key)

    async def finish(self) -> None:
        """The reply was sent (or can never be): done, payload and token deleted."""
        if self.settled:
            return
        self.settled = True
        if self.records is not None and self.key is not None:
            await self.records.finish(self.key)

    async def undelivered(self, error: BaseException) -> None:
        """The reply failed: left for a later try if one could succeed, else given up."""
        if (self.resumable or self.replay) and is_transient(error) and self.key is not None:
            self.settled = True  # unfinished on purpose: its lease runs out, a sweep tries again
            return
        await self.finish()

    async def release(self) -> None:
        """A graceful stop cancelled the work: any process may take it over at once."""
        if not self.settled and self.records is not None and self.key is not None:
            self.settled = True
            await self.records.release(self.key)


def unrecorded(received_at: datetime) -> Ticket:
    """For an interaction handled without a record (tests, a failing store)."""
    return Ticket(None, None, False, received_at)


class InteractionLog:
    """Records interactions in the store's delivery log and hands replays to the router."""

    def __init__(self, *, deliveries: DeliveryLog, runtime: Runtime, inbox: Inbox | None = None) -> None:
        self.deliveries = deliveries
        self.runtime = runtime
        self.inbox = inbox if inbox is not None else Inbox()
        self._replays: dict[str, Delivery] = {}

    def expect_replay(self, interaction_id: str, delivery: Delivery) -> None:
        """The sweeper took `delivery` and is about to feed its payload to the parser."""
        self._replays[interaction_id] = delivery
        while len(self._replays) > INBOX_LIMIT:  # replays discord.py dropped: never taken
            self._replays.pop(next(iter(self._replays)))

    async def receive(self, interaction: discord.Interaction, *, resumable: bool = False) -> Ticket | None:
        """Record the interaction before anything is sent; None when it is a duplicate to drop.

        `resumable`: it will be deferred at once, so it is recorded resumable (one write, not two)."""
        raw = self.inbox.take(interaction.id)
        if (replayed := self._replays.pop(str(interaction.id), None)) is not None:
            return Ticket(self, replayed.key, True, replayed.received_at)
        now = self.runtime.clock()
        key = delivery_key(interaction.id)
        delivery = Delivery(
            key=key,
            platform=PLATFORM,
            payload=_encoded(raw),
            user=_user_id(interaction),
            received_at=now,
            valid_until=now + TOKEN_VALID - REPLAY_MARGIN,
            resumable=resumable and raw is not None,
        )
        metrics = self.runtime.metrics
        try:
            receipt = await self.deliveries.record_delivery(delivery, lease=self.runtime.lease)
        except StoreError as error:
            # Answer anyway: the reply will say what is wrong with the store.
            log.warning("could not record a Discord interaction, handling it unrecorded: %s", error)
            metrics.delivery(PLATFORM, "unrecorded")
            return unrecorded(now)
        if receipt is Receipt.SEEN:
            log.info("dropped a Discord interaction delivered twice (id=%s)", interaction.id)
            metrics.delivery(PLATFORM, "resent")
            return None
        if receipt is Receipt.RESUMED:  # delivered again after its first handler died, acknowledged
            metrics.delivery(PLATFORM, "replayed")
            return Ticket(self, key, True, now)
        metrics.delivery(PLATFORM, "recorded")
        return Ticket(self, key, False, now, resumable=delivery.resumable)

    async def mark_resumable(self, key: str) -> None:
        try:
            await self.deliveries.mark_resumable(key)
        except StoreError as error:
            log.warning("could not mark a Discord interaction resumable (lost if the bot dies): %s", error)

    async def finish(self, key: str) -> None:
        try:
            await self.deliveries.finish_delivery(key, now=self.runtime.clock())
        except StoreError as error:
            # Its lease runs out and a resumable one is replayed once more: the conditional save
            # makes that harmless, the reply shows the same state again.
            log.warning("could not mark a Discord interaction finished: %s", error)
            return
        self.runtime.metrics.delivery(PLATFORM, "finished")

    async def release(self, key: str) -> None:
        await self.deliveries.release_delivery(key)
