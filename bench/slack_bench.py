"""Slack endpoint latency: 50 concurrent users sending signed slash commands and button clicks.

Measures, per request, the time to the HTTP acknowledgement and the time until the reply reaches
the `response_url` (a loopback sink standing in for Slack), against `advisor slack --http` run
as its own process, exactly as deployed (the installed console script, SQLite, the shipped
pack). As a baseline in the same run, the same signed requests go to a bare aiohttp process
that only answers 200. Targets (issue 16): ack p99 within 1.5x the bare one, throughput at
least 0.5x the bare one.

    .venv/bin/python bench/slack_bench.py [--users 50] [--rounds 8] [--pause 0] [--pack DIR]

With --pause 0 every user sends its next request as soon as the previous reply arrived, so 50
requests are always in flight and the figures are those of a saturated process; --pause 0.2
gives a load closer to people clicking.

Prints one JSON object; times are milliseconds. The app (and, for the baseline, the bare
handler) runs in its own process, as in production; the senders and the response_url sink share
the bench process. All on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, TCPConnector, web
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.targets import ratio_target  # noqa: E402

SECRET = "bench-signing-secret"
TIMEOUT = 30.0


@dataclass
class Sink:
    """Fake Slack: auth.test for bolt, and response_url posts resolved to waiting futures."""

    waiting: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = field(default_factory=dict)

    async def api(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "B1"})

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        future = self.waiting.pop(request.match_info["hook"], None)
        if future is not None and not future.done():
            future.set_result((time.perf_counter(), body))
        return web.Response(text="ok")

    def expect(self, hook: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.waiting[hook] = future
        return future


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }


def command_body(user: str, hook_url: str, trigger: str) -> str:
    return urllib.parse.urlencode(
        {
            "command": "/choose-framework",
            "text": "",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": user,
            "api_app_id": "A1",
            "trigger_id": trigger,
            "response_url": hook_url,
        }
    )


def click_body(user: str, value: str, hook_url: str, trigger: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1", "is_ephemeral": True},
        "trigger_id": trigger,
        "response_url": hook_url,
        "actions": [{"action_id": value, "block_id": "b", "type": "button", "value": value}],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def first_button(body: dict[str, Any], label: str | None = None) -> str:
    """The first answer (a button, or the first option of a select), or the button called `label`."""
    for block in body.get("blocks", []):
        if block["type"] != "actions":
            continue
        for element in block["elements"]:
            if label is None and element["type"] == "static_select":
                return str(element["options"][0]["value"])
            if element["type"] == "button" and (label is None or element["text"]["text"] == label):
                return str(element["value"])
    raise LookupError(f"no button {label or ''} in the reply")


@dataclass
class Timings:
    ack: list[float] = field(default_factory=list)
    update: list[float] = field(default_factory=list)


async def user_session(
    http: ClientSession,
    *,
    url: str,
    sink: Sink,
    sink_url: str,
    user: str,
    rounds: int,
    timings: Timings,
    pause: float = 0.0,
) -> None:
    """One user: the command, then click the first option until the result, then Restart; repeat."""
    counter = 0

    async def send(make: Any) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        if pause:
            await asyncio.sleep(pause * random.uniform(0.5, 1.5))  # a person reading, then clicking
        hook = f"{user}-{counter}"
        body = make(f"{sink_url}/webhook/{hook}", f"{user}.{counter}")
        arrived = sink.expect(hook)
        started = time.perf_counter()
        async with http.post(url, data=body, headers=signed(body)) as response:
            await response.read()
            acked = time.perf_counter()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
        at, posted = await asyncio.wait_for(arrived, TIMEOUT)
        timings.ack.append((acked - started) * 1000)
        timings.update.append((at - started) * 1000)
        return posted

    reply = await send(lambda hook, trig: command_body(user, hook, trig))
    for _ in range(rounds):
        while not any(b["type"] == "header" for b in reply.get("blocks", [])):
            value = first_button(reply)
            reply = await send(lambda hook, trig, v=value: click_body(user, v, hook, trig))
        value = first_button(reply, "Restart")
        reply = await send(lambda hook, trig, v=value: click_body(user, v, hook, trig))


async def baseline_session(
    http: ClientSession, *, url: str, user: str, count: int, acks: list[float], pause: float = 0.0
) -> None:
    value = "adv:abcdefghijkl:1:a:pages"
    for n in range(count):
        if pause:
            await asyncio.sleep(pause * random.uniform(0.5, 1.5))
        body = click_body(user, value, "http://127.0.0.1:9/webhook/x", f"{user}.{n}")
        started = time.perf_counter()
        async with http.post(url, data=body, headers=signed(body)) as response:
            await response.read()
        acks.append((time.perf_counter() - started) * 1000)


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 2), "p99": round(p99, 2)}


BARE_SERVER = """
import asyncio, sys
from aiohttp import web

async def bare(request):
    await request.read()
    return web.Response(status=200)

async def main():
    app = web.Application()  # the floor: HTTP over loopback, nothing checked, nothing done
    app.router.add_post("/slack/events", bare)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    print("listening", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def advisor_command() -> list[str]:
    """The installed console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("advisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters"]


class Server:
    """A server process; ready once it prints `marker` on stdout, killed on exit."""

    def __init__(self, command: list[str], *, env: dict[str, str], marker: str, port: int) -> None:
        self.command, self.env, self.marker = command, env, marker
        self.url = f"http://127.0.0.1:{port}"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> str:
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
            if not line:
                raise RuntimeError(f"{self.command[0]} exited before it was ready")
            if self.marker in line.decode():
                return self.url

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()


async def measure(users: int, rounds: int, pack_dir: Path, pause: float) -> dict[str, Any]:
    sink = Sink()
    fake = web.Application()
    fake.router.add_post("/api/{method}", sink.api)
    fake.router.add_post("/webhook/{hook}", sink.hook)
    fake_runner, fake_url = await serve(fake)
    timings = Timings()
    baseline: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with ClientSession(connector=TCPConnector(limit=0)) as http:
            port = free_port()
            env = {
                **os.environ,
                "ADVISOR_DB": str(Path(tmp) / "bench.db"),
                "ADVISOR_KNOWLEDGE": str(pack_dir.parent),
                "ADVISOR_PACK": pack_dir.name,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": fake_url + "/api/",
            }
            env.pop("SLACK_APP_TOKEN", None)
            app = Server(
                [*advisor_command(), "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                marker="Slack HTTP mode",
                port=port,
            )
            async with app as app_url:
                # Warm up (auth.test, first connections and imports), untimed, as a deployed app is.
                await asyncio.gather(
                    *(
                        user_session(
                            http,
                            url=app_url + "/slack/events",
                            sink=sink,
                            sink_url=fake_url,
                            user=f"W{n:03d}",
                            rounds=1,
                            timings=Timings(),
                        )
                        for n in range(5)
                    )
                )
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        user_session(
                            http,
                            url=app_url + "/slack/events",
                            sink=sink,
                            sink_url=fake_url,
                            user=f"U{n:03d}",
                            rounds=rounds,
                            timings=timings,
                            pause=pause,
                        )
                        for n in range(users)
                    )
                )
                elapsed = time.perf_counter() - started
            per_user = len(timings.ack) // users
            bare_port = free_port()
            bare = Server(
                [sys.executable, "-c", BARE_SERVER, str(bare_port)],
                env=dict(os.environ),
                marker="listening",
                port=bare_port,
            )
            async with bare as bare_url:
                bare_started = time.perf_counter()
                await asyncio.gather(
                    *(
                        baseline_session(
                            http,
                            url=bare_url + "/slack/events",
                            user=f"B{n:03d}",
                            count=per_user,
                            acks=baseline,
                            pause=pause,
                        )
                        for n in range(users)
                    )
                )
                bare_elapsed = time.perf_counter() - bare_started
    await fake_runner.cleanup()
    ack, update, bare_ack = summary(timings.ack), summary(timings.update), summary(baseline)
    throughput = len(timings.ack) / elapsed
    bare_throughput = len(baseline) / bare_elapsed
    return {
        "benchmark": "slack_http",
        "targets": [
            ratio_target(
                "Slack HTTP ack p99 vs bare aiohttp",
                measured=ack["p99"],
                baseline=bare_ack["p99"],
                at_most=1.5,
            ),
            ratio_target(
                "Slack HTTP throughput vs bare aiohttp",
                measured=throughput,
                baseline=bare_throughput,
                at_least=0.5,
            ),
        ],
        "users": users,
        "pause_s": pause,
        "requests": len(timings.ack),
        "pack": pack_dir.name,
        "throughput_rps": round(throughput, 1),
        "baseline_bare_aiohttp_throughput_rps": round(bare_throughput, 1),
        "ack_ms": ack,
        "response_url_update_ms": update,
        "baseline_bare_aiohttp_ack_ms": bare_ack,
        "ack_vs_baseline": {
            "p50": round(ack["p50"] / bare_ack["p50"], 2),
            "p99": round(ack["p99"] / bare_ack["p99"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=8, help="walks to the result per user")
    parser.add_argument("--pack", type=Path, default=ROOT / "knowledge" / "python-web")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean seconds each user waits before a request, ±50%% (0: flat out)",
    )
    options = parser.parse_args()
    figures = asyncio.run(measure(options.users, options.rounds, options.pack, options.pause))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
