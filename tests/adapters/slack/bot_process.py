"""`advisor slack --http` in a process of its own, as deployed: start, talk to it, signal it, read its log."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from tests.adapters.slack.conftest import SECRET, TOKEN, signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.process_lines import StderrLines

ROOT = Path(__file__).resolve().parents[3]
START_GUARD = 30.0
"""A guard against a bot that never starts (imports take about a second on a busy machine)."""


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bot_environment(
    fake: FakeSlack, *, db: str, knowledge: Path, pack: str = "tiny", **extra: str
) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ADVISOR_"))},
        "ADVISOR_DB": db,
        "ADVISOR_KNOWLEDGE": str(knowledge),
        "ADVISOR_PACK": pack,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        **extra,
    }


class BotProcess(StderrLines):
    """One bot process; its stderr lines are collected as they come, so a test can await one."""

    def __init__(self, env: dict[str, str], *, prefix: Sequence[str] = (), port: int | None = None) -> None:
        super().__init__()
        self.env = env
        self.prefix = list(prefix)
        self.port = port or free_port()
        self.banner = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, wait: bool = True) -> BotProcess:
        args = [sys.executable, "-m", "adapters", "slack", "--http", "--host", "127.0.0.1"]
        proc = await asyncio.create_subprocess_exec(
            *self.prefix,
            *args,
            "--port",
            str(self.port),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.follow(proc)
        if wait:
            await self.ready()
        return self

    async def ready(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), START_GUARD)
        self.banner = line.decode()
        assert f"127.0.0.1:{self.port}/slack/events" in self.banner, (self.banner, self.log)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, *, guard: float = 15.0) -> tuple[int, float]:
        """(exit code, seconds it took) once the process ends."""
        assert self.proc is not None
        began = time.monotonic()
        code = await self.exited(guard)
        return code, time.monotonic() - began

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.wait()

    async def stop(self) -> None:
        """SIGTERM, if it still runs (cleanup after a test)."""
        if self.proc is not None and self.proc.returncode is None:
            self.signal(signal.SIGTERM)
            await self.wait()

    async def get(self, http: ClientSession, path: str) -> tuple[int, str]:
        async with http.get(self.url + path) as response:
            return response.status, await response.text()

    async def post(self, http: ClientSession, body: str, **headers: str) -> int:
        sent = {**signed_headers(body, content_type="application/x-www-form-urlencoded"), **headers}
        async with http.post(self.url + "/slack/events", data=body, headers=sent) as response:
            return response.status


def command(fake: FakeSlack, *, user: str, hook: str, trigger: str, text: str = "") -> str:
    return urllib.parse.urlencode(
        {
            "command": "/choose-framework",
            "text": text,
            "team_id": "T1",
            "user_id": user,
            "channel_id": "C1",
            "trigger_id": trigger,
            "response_url": fake.response_url(hook),
        }
    )


def click(fake: FakeSlack, value: str, *, user: str, hook: str, trigger: str) -> str:
    import json

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": True},
        "trigger_id": trigger,
        "team": {"id": "T1", "domain": "test"},
        "channel": {"id": "C1", "name": "general"},
        "response_url": fake.response_url(hook),
        "actions": [{"action_id": value, "block_id": "b1", "type": "button", "value": value}],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def buttons(post_body: dict[str, Any]) -> dict[str, str]:
    """Button label -> value of every button in a posted message."""
    found: dict[str, str] = {}
    for block in post_body.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button":
                found[element["text"]["text"]] = element["value"]
            for option in element.get("options", []) if element.get("type") == "static_select" else []:
                found[option["text"]["text"]] = option["value"]
    return found
