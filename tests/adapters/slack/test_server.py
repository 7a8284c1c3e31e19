"""`advisor slack` as deployed: the HTTP server in its own process, and Socket Mode's dispatch path."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
import urllib.parse
from pathlib import Path

from aiohttp import ClientSession
from slack_bolt.request.async_request import AsyncBoltRequest

from tests.adapters.slack.conftest import SECRET, TOKEN, SlackHarness, signed_headers
from tests.fakes.slack_api import WAIT, FakeSlack

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_advisor_slack_http_serves_signed_requests(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ADVISOR_"))},
        "ADVISOR_DB": str(tmp_path / "advisor.db"),
        "ADVISOR_KNOWLEDGE": str(ROOT / "tests" / "packs"),
        "ADVISOR_PACK": "tiny",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.api_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters",
        "slack",
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        banner = await asyncio.wait_for(proc.stdout.readline(), timeout=30)  # type: ignore[union-attr]
        assert f"127.0.0.1:{port}/slack/events" in banner.decode()
        body = urllib.parse.urlencode(
            {
                "command": "/choose-framework",
                "text": "",
                "team_id": "T1",
                "user_id": "U1",
                "channel_id": "C1",
                "trigger_id": "run-1",
                "response_url": fake_slack.response_url("run"),
            }
        )
        async with ClientSession() as http:
            headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
            stale = signed_headers(
                body, content_type="application/x-www-form-urlencoded", timestamp=int(time.time()) - 400
            )
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=stale) as r:
                assert r.status == 401
        post = await fake_slack.next_post()
        assert "What are you building?" in post.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=WAIT)
    assert proc.returncode == 0  # Ctrl+C stops it gracefully, like SIGTERM
    logged = err.decode()
    assert "POST /slack/events" not in logged  # no access line per request by default
    assert "stopped in" in logged
    assert TOKEN not in logged
    assert SECRET not in logged


async def test_socket_mode_requests_take_the_same_path(slack: SlackHarness) -> None:
    """Socket Mode hands bolt an unsigned, already-parsed body; the listeners are the same."""
    body = dict(urllib.parse.parse_qsl(slack.command_body("", hook="socket")))
    response = await slack.app.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=body))
    assert response.status == 200
    post = await slack.fake.next_post()
    assert post.hook == "socket"
    assert "What are you building?" in post.text
    event = json.loads(
        slack.event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "9.1", "channel": "C1"})
    )
    assert (await slack.app.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=event))).status == 200
    assert (await slack.fake.next_api_call()).body["thread_ts"] == "9.1"
