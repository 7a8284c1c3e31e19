"""Slack endpoint latency: 50 concurrent users sending signed slash commands and button clicks.

Measures, per request, the time to the HTTP acknowledgement and the time until the reply reaches
the `response_url` (a loopback sink standing in for Slack). As a baseline in the same run, the
same signed requests go to a bare aiohttp handler that only answers 200.

    .venv/bin/python bench/slack_bench.py [--users 50] [--rounds 8] [--pause 0] [--pack tests/packs/tiny]

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
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, TCPConnector, web
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.services import Services  # noqa: E402
from adapters.settings import Secret, Settings  # noqa: E402
from adapters.slack.app import build_app  # noqa: E402
from adapters.slack.server import web_app  # noqa: E402
from bot.pack.registry import PackRegistry  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

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


async def _serve_app(pack_dir: Path, db: Path, fake_url: str, ready: Any, stop: Any) -> None:
    registry = PackRegistry()
    pack = registry.load(pack_dir)
    store = await SqliteStore.open(db)
    settings = Settings(
        db_url=str(db),
        knowledge_dir=pack_dir.parent,
        advisor=pack.id,
        idle_timeout=timedelta(hours=24),
        slack_bot_token=Secret("xoxb-bench"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake_url + "/api/",
    )
    services = Services(store=store, registry=registry, advisor=pack.id)
    session = ClientSession(connector=TCPConnector(limit=0))
    runner, url = await serve(web_app(build_app(services, settings, session=session)))
    ready.send(url)
    await asyncio.get_running_loop().run_in_executor(None, stop.recv)
    await runner.cleanup()
    await session.close()
    await store.close()


async def _serve_bare(ready: Any, stop: Any) -> None:
    async def bare(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()  # the floor: HTTP over loopback, nothing checked, nothing done
    app.router.add_post("/slack/events", bare)
    runner, url = await serve(app)
    ready.send(url)
    await asyncio.get_running_loop().run_in_executor(None, stop.recv)
    await runner.cleanup()


def _child(kind: str, ready: Any, stop: Any, *args: Any) -> None:
    if kind == "app":
        asyncio.run(_serve_app(*args, ready, stop))
    else:
        asyncio.run(_serve_bare(ready, stop))


class Server:
    """A server in its own process; its URL comes back through a pipe once it listens."""

    def __init__(self, kind: str, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._ready, ready = context.Pipe()
        self._stop, stop = context.Pipe()
        self.process = context.Process(target=_child, args=(kind, ready, stop, *args), daemon=True)

    async def __aenter__(self) -> str:
        self.process.start()
        url: str = await asyncio.get_running_loop().run_in_executor(None, self._ready.recv)
        return url

    async def __aexit__(self, *exc: object) -> None:
        self._stop.send("stop")
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 10)


async def main(users: int, rounds: int, pack_dir: Path, pause: float) -> dict[str, Any]:
    sink = Sink()
    fake = web.Application()
    fake.router.add_post("/api/{method}", sink.api)
    fake.router.add_post("/webhook/{hook}", sink.hook)
    fake_runner, fake_url = await serve(fake)
    timings = Timings()
    baseline: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with ClientSession(connector=TCPConnector(limit=0)) as http:
            async with Server("app", pack_dir, Path(tmp) / "bench.db", fake_url) as app_url:
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
            async with Server("bare") as bare_url:
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
    await fake_runner.cleanup()
    ack, update, bare_ack = summary(timings.ack), summary(timings.update), summary(baseline)
    return {
        "users": users,
        "pause_s": pause,
        "requests": len(timings.ack),
        "pack": pack_dir.name,
        "throughput_rps": round(len(timings.ack) / elapsed, 1),
        "ack_ms": ack,
        "response_url_update_ms": update,
        "baseline_bare_aiohttp_ack_ms": bare_ack,
        "ack_vs_baseline": {
            "p50": round(ack["p50"] / bare_ack["p50"], 2),
            "p99": round(ack["p99"] / bare_ack["p99"], 2),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=8, help="walks to the result per user")
    parser.add_argument("--pack", type=Path, default=ROOT / "tests" / "packs" / "tiny")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean seconds each user waits before a request, ±50%% (0: flat out)",
    )
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.users, options.rounds, options.pack, options.pause)), indent=2))
