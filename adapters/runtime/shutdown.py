"""Serving until a signal, then stopping gracefully within a bound; also as PID 1 in a container.

PID 1 gets no default signal actions: a SIGTERM without a handler is ignored, which is why
`docker stop` used to wait and then kill the bot mid-work. Here SIGTERM and SIGINT have
handlers on the event loop, so the same sequence runs everywhere:

1. readiness turns false (load balancers stop sending) and the platform stops taking new work
   (the HTTP port closes; Socket Mode disconnects);
2. the pack watcher and the redelivery sweeper stop;
3. the work in flight gets up to ADVISOR_SHUTDOWN_SECONDS (10 s) to finish; what is still
   running then is cancelled and its delivery's lease handed back, so another process (or the
   next start) finishes it at once;
4. the platform connection and the health server close; the caller closes the store; exit 0.

SIGHUP reloads the pack. Signal handlers exist only on the main thread; elsewhere (tests
running a bot in a thread) `Stopper.stop()` does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.runtime.health import Health, HealthServer, pack_label
from adapters.runtime.redelivery import Finish, Redelivery
from adapters.runtime.reload import PackWatcher
from adapters.runtime.service import Runtime
from adapters.services import Services
from adapters.settings import Settings

LOG = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
YOUNG_GC_THRESHOLD = 5000
"""Allocations between two young-generation collections once serving (CPython's default: 700)."""


class Stopper:
    """A stop request, from a signal or from code."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self.reason = ""
        self._installed: list[signal.Signals] = []

    def stop(self, reason: str = "asked to stop") -> None:
        if not self.stopping.is_set():
            self.reason = reason
            self.stopping.set()

    def install(self, *, on_hangup: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        handlers: list[tuple[signal.Signals, Callable[[], None]]] = [
            (sig, self._stopper_for(sig)) for sig in STOP_SIGNALS
        ]
        handlers.append((signal.SIGHUP, on_hangup))
        for sig, handler in handlers:
            try:
                loop.add_signal_handler(sig, handler)
            except (NotImplementedError, RuntimeError, ValueError):
                return  # not the main thread (or no signals here): stop() still works
            self._installed.append(sig)

    def _stopper_for(self, sig: signal.Signals) -> Callable[[], None]:
        return lambda: self.stop(sig.name)

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()


@dataclass
class Platform:
    """How one platform starts, stops taking work, and closes."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop_intake: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    finish: Finish | None = None
    """Finishes a delivery a dead process left unfinished (None: this platform records none)."""
    running: asyncio.Future[Any] | None = None
    """Set by `start` when the platform runs as a task of its own (Discord's gateway): if it
    ends by itself, so does the service, with its error."""
    connected: Callable[[], bool] = field(default=lambda: True)


async def serve(
    platform: Platform,
    *,
    services: Services,
    runtime: Runtime,
    settings: Settings,
    folder: Path | None,
    stopper: Stopper,
    health_host: str = "0.0.0.0",
    health_port: int | None = None,
) -> None:
    """Run `platform` until a stop signal (or until it ends by itself), then stop gracefully."""
    runtime.metrics.watch(
        conflicts=lambda: services.store.stats.conflicts,
        pack=pack_label(services),
        in_flight=lambda: len(runtime.work),
    )
    watcher = (
        PackWatcher(services, runtime, folder=folder, poll_seconds=settings.pack_poll_seconds)
        if folder is not None
        else None
    )
    stopper.install(on_hangup=watcher.request if watcher is not None else lambda: None)
    health_server = None
    if health_port is not None:
        health = Health(services, runtime, connected=platform.connected)
        health_server = HealthServer(health, host=health_host, port=health_port)
        await health_server.start()
    background: list[asyncio.Task[None]] = []
    redelivery = None
    try:
        await platform.start()
        settle_heap()
        if watcher is not None:
            background.append(asyncio.create_task(watcher.run(), name="pack watcher"))
        if platform.finish is not None:
            redelivery = Redelivery(
                deliveries=services.deliveries,
                platform=platform.name,
                finish=platform.finish,
                runtime=runtime,
            )
            background.append(asyncio.create_task(redelivery.run(), name="redelivery"))
        waits: set[asyncio.Future[Any]] = {asyncio.ensure_future(stopper.stopping.wait())}
        if platform.running is not None:
            waits.add(platform.running)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if platform.running is not None and platform.running.done():
            platform.running.result()  # the platform ended by itself: its error ends the service
            return
        began = time.monotonic()
        LOG.info("stopping (%s): finishing the work in flight", stopper.reason)
        runtime.work.accepting = False
        await platform.stop_intake()
        if watcher is not None:
            watcher.stop()
        if redelivery is not None:
            redelivery.stop()
        await asyncio.wait(background, timeout=2.0)
        cancelled = await runtime.work.drain(settings.shutdown_seconds)
        LOG.info(
            "stopped in %.2f s (%s left for another process)",
            time.monotonic() - began,
            f"{cancelled} delivery(ies)" if cancelled else "nothing",
        )
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        try:
            await platform.close()
        finally:
            if health_server is not None:
                await health_server.stop()
            stopper.remove()


def settle_heap() -> None:
    """Once the bot serves: what start-up loaded (the pack, the libraries) is set aside from the
    garbage collector (`gc.freeze`), and young collections run less often. Under load a click
    allocates a few hundred objects; CPython's defaults then spent ~10% of the endpoint's CPU
    collecting, most of it rescanning the pack in full collections (bench/slack_bench.py).
    Only from the main thread: the collector's settings are the whole process's."""
    if threading.current_thread() is not threading.main_thread():
        return
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD)
