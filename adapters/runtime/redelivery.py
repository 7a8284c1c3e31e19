"""Finishing what a dead process acknowledged: deliveries recorded but never marked finished.

At start-up and then periodically, each bot process takes (leases) the records whose handler's
lease ran out, which only one process can do for a given record, and hands each to its
platform's `finish` (Slack dispatches the stored body to bolt again; Discord feeds the stored
interaction to discord.py's parser again). Records that can no longer be finished (the reply
window closed, or it failed too often) are marked done and counted, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from adapters.runtime.service import Runtime
from bot.errors import StoreError
from bot.store.deliveries import Delivery, DeliveryLog

LOG = logging.getLogger(__name__)
BATCH = 50
"""Records taken per sweep: each is finished inside its lease, so a backlog is taken in steps."""

Finish = Callable[[Delivery], Awaitable[None]]


class Redelivery:
    """The sweeper of one platform's unfinished deliveries."""

    def __init__(self, *, deliveries: DeliveryLog, platform: str, finish: Finish, runtime: Runtime) -> None:
        self.deliveries = deliveries
        self.platform = platform
        self.finish = finish
        self.runtime = runtime
        self.every = min(max(runtime.lease.total_seconds() / 3, 0.2), 10.0)
        """Seconds between sweeps: a record is taken at most a third of a lease after it expires."""
        self._stopped = asyncio.Event()

    async def sweep(self) -> int:
        """Take and hand on what is due now; returns how many were taken."""
        now = self.runtime.clock()
        abandoned = await self.deliveries.abandon_unfinishable(platform=self.platform, now=now)
        if abandoned:
            LOG.warning(
                "%d %s delivery(ies) could not be finished in time (the platform no longer takes a"
                " reply) and were given up",
                abandoned,
                self.platform,
            )
            self.runtime.metrics.delivery(self.platform, "abandoned", abandoned)
        taken = await self.deliveries.take_unfinished(
            platform=self.platform, now=now, lease=self.runtime.lease, limit=BATCH
        )
        for delivery in taken:
            self.runtime.metrics.delivery(self.platform, "replayed")
            try:
                await self.finish(delivery)
            except Exception:  # one bad record must not stop the others
                LOG.exception("could not replay a %s delivery", self.platform)
        if taken:
            LOG.info(
                "finishing %d %s delivery(ies) left unfinished by a stopped process",
                len(taken),
                self.platform,
            )
        return len(taken)

    async def run(self) -> None:
        """Sweep now and every `every` seconds until `stop()`."""
        while not self._stopped.is_set():
            try:
                await self.sweep()
            except StoreError as error:
                LOG.warning("could not look for unfinished deliveries: %s", error)
            try:
                await asyncio.wait_for(self._stopped.wait(), self.every)
            except TimeoutError:
                continue

    def stop(self) -> None:
        self._stopped.set()
