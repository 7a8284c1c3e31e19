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

from adapters.runtime.service import Runtime
from adapters.runtime.work import InFlight
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


async def test_a_reply_waits_while_another_request_is_being_acknowledged(slack: SlackHarness) -> None:
    """Slack shows an error if the ack takes 3 s; a reply may wait. Request B is still arriving
    (half its body sent) when click A is acknowledged: A's work waits until B has its ack."""
    runtime = Runtime(work=InFlight(yield_bound=WAIT))
    await slack.stop()
    await slack.start(runtime=runtime)
    host, port = slack.url.removeprefix("http://").split("/")[0].split(":")
    second = slack.command_body("", hook="second").encode()
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {
            **signed_headers(second.decode(), content_type="application/x-www-form-urlencoded"),
            "Host": host,
            "Content-Length": str(len(second)),
        }.items()
    )
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"POST /slack/events HTTP/1.1\r\n{head}\r\n".encode() + second[:20])
        await writer.drain()
        assert await slack.command("", hook="first") == 200  # acknowledged while B is half read
        for _ in range(100):  # let A's work run up to its first checkpoint
            if runtime.work.held:
                break
            await asyncio.sleep(0)
        assert runtime.work.held == 1
        assert slack.fake.webhook_posts.empty()  # A's reply waits for B's ack
        writer.write(second[20:])
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), WAIT)
        assert status.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
    hooks = {(await slack.fake.next_post()).hook for _ in range(2)}
    assert hooks == {"first", "second"}


async def test_a_plain_ack_is_answered_exactly_as_bolts_own_adapter_answers_it() -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response
    from slack_bolt.response import BoltResponse

    from adapters.slack.server import web_response

    for body in ("", "noted", {"response_action": "clear"}):
        ours = await web_response(BoltResponse(status=200, body=body))
        bolts = await to_aiohttp_response(BoltResponse(status=200, body=body))
        assert (ours.status, ours.text, dict(ours.headers)) == (bolts.status, bolts.text, dict(bolts.headers))
