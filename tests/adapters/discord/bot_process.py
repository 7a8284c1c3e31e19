"""`advisor discord` in a process of its own, on the fake Discord API and gateway (loopback).

`python -m tests.adapters.discord.bot_process` is the child: it points discord.py at the fake
(the one thing a real deployment never does, so it is done here and nowhere in the product)
and then runs `advisor discord run` exactly as the console script does. The parent side,
`DiscordBotProcess`, starts it, reads its log as it comes, and kills or stops it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.process_lines import StderrLines

ROOT = Path(__file__).resolve().parents[3]
START_GUARD = 30.0
"""A guard against a bot that never starts (imports take a second or two on a busy machine)."""
API_VARIABLE = "FAKE_DISCORD_API"
GATEWAY_VARIABLE = "FAKE_DISCORD_GATEWAY"


def bot_environment(*, api: str, gateway: str, db: str, token: str, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ADVISOR_", "SLACK_"))},
        API_VARIABLE: api,
        GATEWAY_VARIABLE: gateway,
        "DISCORD_TOKEN": token,
        "ADVISOR_DB": db,
        "ADVISOR_KNOWLEDGE": str(ROOT / "tests" / "packs"),
        "ADVISOR_PACK": "tiny",
        **extra,
    }


class DiscordBotProcess(StderrLines):
    """One `advisor discord` process; its stderr lines are collected as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__()
        self.env = env

    async def start(self) -> DiscordBotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.adapters.discord.bot_process",
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self.follow(proc)
        return self

    async def wait(self, *, guard: float = 15.0) -> int:
        return await self.exited(guard)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or released."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.wait()

    async def stop(self) -> int | None:
        """SIGTERM, if it still runs; the exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait()


def main() -> int:
    """The child: discord.py on the fake, then `advisor discord run`."""
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = os.environ[API_VARIABLE]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ[GATEWAY_VARIABLE])
    from adapters.cli import main as advisor

    return advisor(["discord", "run"])


if __name__ == "__main__":
    sys.exit(main())
