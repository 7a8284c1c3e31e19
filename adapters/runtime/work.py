"""Work that runs after its acknowledgement, tracked so a shutdown can finish it within a bound.

Every adapter hands its post-ack work here (`start`). A graceful stop (`drain`) waits for what
is running, up to the bound, then cancels the rest; each cancelled piece's `on_cancel` gives
its delivery's lease back, so another process (or the next start) finishes it at once.

Acknowledgements go first: the platform waits 3 seconds for one and then shows the user an
error, while a reply may take its time (a response_url takes replies for 30 minutes). Requests
being acknowledged are counted (`acknowledging`), and work after an ack waits at its
checkpoints (`after_acks`) while any is, so under load the acks do not queue behind the
engine, the rendering and the replies of earlier requests on the one event loop. When the last
acknowledgement is done, the waiting work is let go one piece per turn of the loop, not all at
once: fifty replies released together would run back to back (tens of milliseconds) before the
loop read the next request, which is the very wait the checkpoints are there to spare it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

LOG = logging.getLogger(__name__)
YIELD_BOUND = 0.05
"""Seconds work after an ack waits for acknowledgements at most: under a stream of requests
that never leaves none in progress, the replies still move."""


class InFlight:
    """The tasks doing acknowledged work in this process."""

    def __init__(self, *, yield_bound: float = YIELD_BOUND) -> None:
        self.yield_bound = yield_bound
        self._tasks: dict[asyncio.Task[None], Callable[[], Awaitable[None]] | None] = {}
        self.accepting = True
        """False once a shutdown began: readiness turns false so load balancers stop sending."""
        self._acking = 0
        self._waiting: dict[asyncio.Future[None], None] = {}
        """Checkpoints waiting for the acknowledgements in progress, in arrival order."""
        self._release_due: asyncio.Handle | None = None
        """The next checkpoint's release, on the loop's next turn."""

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def held(self) -> int:
        """Pieces of work waiting at a checkpoint right now."""
        return len(self._waiting)

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        """Around one request's handling up to its acknowledgement."""
        self._acking += 1
        try:
            yield
        finally:
            self._acking -= 1
            if not self._acking and self._release_due is None:
                self._release()

    def _release(self) -> None:
        """Let the longest-waiting checkpoint go, and the next one on the following turn, while
        nothing is being acknowledged (a request that arrives meanwhile stops the releases)."""
        self._release_due = None
        while self._waiting and not self._acking:
            waiter = next(iter(self._waiting))
            del self._waiting[waiter]
            if not waiter.done():  # else its bound ran out: it is on its way already
                waiter.set_result(None)
                self._release_due = asyncio.get_running_loop().call_soon(self._release)
                return

    async def after_acks(self) -> None:
        """A checkpoint in work after an ack: returns at once unless requests are being
        acknowledged, else once none is (at most `yield_bound` seconds later)."""
        if not self._acking:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiting[waiter] = None
        timer = loop.call_later(self.yield_bound, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiting.pop(waiter, None)

    def start(
        self,
        work: Coroutine[Any, Any, None],
        *,
        on_cancel: Callable[[], Awaitable[None]] | None = None,
        name: str = "delivery",
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks[task] = on_cancel  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() and (error := task.exception()) is not None:
            LOG.error("work after an acknowledgement failed", exc_info=error)

    async def drain(self, bound: float) -> int:
        """Wait up to `bound` seconds for the running work; cancel what is left. Returns how many
        were cancelled (their deliveries stay recorded, unfinished, for another process)."""
        self.accepting = False
        pending = dict(self._tasks)
        if not pending:
            return 0
        LOG.info("finishing %d delivery(ies) in flight (at most %.1f s)", len(pending), bound)
        _, late = await asyncio.wait(pending, timeout=bound)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
            for task in late:
                release = pending[task]
                if release is not None:
                    try:
                        await release()
                    except Exception:  # the lease then simply runs out
                        LOG.warning("could not give back a delivery's lease; it expires by itself")
            LOG.warning(
                "%d delivery(ies) did not finish within %.1f s; another process will finish them",
                len(late),
                bound,
            )
        return len(late)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
