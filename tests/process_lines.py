"""What the real-process tests share: a child's stderr collected line by line as it comes, so a
test awaits the line it wants instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class StderrLines:
    """Base of the bot-process helpers: `follow(proc)` after starting the child."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._new_line = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    def follow(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._reader = asyncio.create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            async with self._new_line:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._new_line.notify_all()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    async def logged(self, predicate: Callable[[str], bool], *, guard: float = 10.0) -> str:
        """The first stderr line (already seen or still to come) that `predicate` accepts."""
        async with self._new_line:
            await asyncio.wait_for(self._new_line.wait_for(lambda: any(map(predicate, self.lines))), guard)
        return next(line for line in self.lines if predicate(line))

    async def exited(self, guard: float) -> int:
        """The exit code, once the process has ended and all its stderr is read."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), guard)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, guard)
        return code
