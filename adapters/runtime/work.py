"""Work that runs after its acknowledgement, tracked so a shutdown can finish it within a bound.

Every adapter hands its post-ack work here (`start`). A graceful stop (`drain`) waits for what
is running, up to the bound, then cancels the rest; each cancelled piece's `on_cancel` gives
its delivery's lease back, so another process (or the next start) finishes it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

LOG = logging.getLogger(__name__)


class InFlight:
    """The tasks doing acknowledged work in this process."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[None], Callable[[], Awaitable[None]] | None] = {}
        self.accepting = True
        """False once a shutdown began: readiness turns false so load balancers stop sending."""

    def __len__(self) -> int:
        return len(self._tasks)

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
