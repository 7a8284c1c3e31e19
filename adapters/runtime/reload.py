"""A running bot picks up pack edits: on SIGHUP, and when the pack's files change (a cheap poll).

The poll compares each file's size, modification time and inode (a `git checkout` replaces
files), so it costs a few `stat` calls. A change is loaded and linted on a worker thread; a
pack that fails either keeps the current version serving, and the log says why. A good new
version is kept in the store, so other processes can finish conversations on it, and
conversations whose answers still fit move to it by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from adapters.runtime.service import Runtime
from adapters.services import Services
from bot.errors import PackError, StoreError
from bot.pack.registry import check_pack

LOG = logging.getLogger(__name__)
SERVED_EVERY = 600.0
"""Seconds between two notes in the store that this process still serves its version, so
`advisor pack prune` never drops a version a running replica starts conversations on."""

Signature = tuple[tuple[str, int, int, int], ...]


def signature(folder: Path) -> Signature:
    """What changes when a pack file is edited, replaced, added or removed."""
    found = []
    try:
        entries = sorted(folder.glob("*.y*ml"))
    except OSError:
        return ()
    for path in entries:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(found)


class PackWatcher:
    """Reloads the current pack from its folder when asked (SIGHUP) or when its files change."""

    def __init__(self, services: Services, runtime: Runtime, *, folder: Path, poll_seconds: float) -> None:
        self.services = services
        self.runtime = runtime
        self.folder = folder
        self.poll_seconds = poll_seconds
        self._seen = signature(folder)
        self._asked = asyncio.Event()
        self._stopped = asyncio.Event()
        self._since_served = 0.0

    def request(self) -> None:
        """SIGHUP: reload now, even if nothing seems to have changed."""
        self._asked.set()

    def stop(self) -> None:
        self._stopped.set()
        self._asked.set()

    async def reload(self, *, why: str) -> bool:
        """Load and lint the folder; True when a new version became current."""
        registry, advisor = self.services.registry, self.services.advisor
        current = registry.current(advisor)
        try:
            checked = await asyncio.to_thread(check_pack, self.folder)
        except PackError as error:
            LOG.warning(
                "pack %s not reloaded (%s), still serving version %s: %s",
                advisor,
                why,
                current.version[:8],
                error,
            )
            self.runtime.metrics.pack_reload("failed")
            return False
        if checked.pack.id != advisor:
            LOG.warning(
                "pack not reloaded (%s): %s now holds pack %r, this bot serves %r",
                why,
                self.folder,
                checked.pack.id,
                advisor,
            )
            self.runtime.metrics.pack_reload("failed")
            return False
        if checked.pack.version == current.version and registry.source.get(advisor) != "store":
            LOG.info("pack %s unchanged (%s): version %s", advisor, why, current.version[:8])
            return False
        registry.install(checked, folder=self.folder)
        try:
            await registry.keep_current(advisor, now=self.runtime.clock())
        except (StoreError, PackError) as error:
            LOG.warning(
                "pack %s version %s serves, but could not be kept in the store: %s",
                advisor,
                checked.pack.version[:8],
                error,
            )
        LOG.info(
            "pack %s reloaded (%s): version %s -> %s",
            advisor,
            why,
            current.version[:8],
            checked.pack.version[:8],
        )
        self.runtime.metrics.pack_reload("reloaded")
        return True

    async def run(self) -> None:
        interval = self.poll_seconds if self.poll_seconds > 0 else None
        while not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asked.wait(), interval)
            if self._stopped.is_set():
                return
            asked, now_seen = self._asked.is_set(), signature(self.folder)
            self._asked.clear()
            if asked or now_seen != self._seen:
                self._seen = now_seen
                await self.reload(why="SIGHUP" if asked else "its files changed")
            await self._note_served(interval or SERVED_EVERY)

    async def _note_served(self, elapsed: float) -> None:
        self._since_served += elapsed
        if self._since_served < SERVED_EVERY:
            return
        self._since_served = 0.0
        try:
            await self.services.registry.keep_current(self.services.advisor, now=self.runtime.clock())
        except (StoreError, PackError) as error:
            # PackError: the version had left the store and its files have changed on disk
            # since the start (registry.FilesOnDisk); the watcher's next poll loads the new ones.
            LOG.warning("could not note the served pack version in the store: %s", error)
