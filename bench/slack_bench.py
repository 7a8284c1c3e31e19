"""Slack endpoint latency: 50 concurrent users sending signed slash commands and button clicks.

Measures, per request, the time to the HTTP acknowledgement and the time until the reply reaches
the `response_url` (a loopback sink standing in for Slack), against `advisor slack --http` run
as its own process, exactly as deployed (the installed console script, SQLite, the shipped
pack). As a baseline in the same run, the same signed requests go to a bare aiohttp process
that only answers 200. Targets (issue 16): ack p99 within 1.5x the bare one, throughput
(acknowledgements per second at the endpoint) at least 0.5x the bare one.

    .venv/bin/python bench/slack_bench.py [--users 50] [--rounds 8] [--pause 0] [--pack DIR]
                                          [--profile FILE.prof | FILE.txt]

Both servers run side by side and are measured in turns (a walk per user on the app, then as
many requests per user on the bare server, --rounds times), so a shared machine's load falls on
both alike. With --pause 0 every user sends its next request as soon as the previous reply
arrived, so 50 requests are always in flight and the figures are those of a saturated process;
--pause 0.2 gives a load closer to people clicking.

Prints one JSON object; times are milliseconds. Besides the targets: the CPU each process used
per request (on a busy machine that decides both ratios), and `reference_minimal_app`, not a
target: a plain aiohttp app that checks, records, acks and replies (FLOOR_SERVER), the floor
of any app that keeps the ack promise on this machine. The servers run in their own processes,
as in production; the senders and the fake Slack that receives the replies at the response_url
share the bench process. `--sink-process` serves that fake Slack from a process of its own
(SINK_SERVER) instead: on two cores a third busy process takes CPU from the app's, and in runs
side by side it gave the app's ack p99 1.5-2.8x the bare one where the shared process gave
0.9-1.4x, so it is there to compare, not the default. All on 127.0.0.1.
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
        self.arrived(request.match_info["hook"], time.perf_counter(), body)
        return web.Response(text="ok")

    def arrived(self, hook: str, at: float, body: dict[str, Any]) -> None:
        future = self.waiting.pop(hook, None)
        if future is not None and not future.done():
            future.set_result((at, body))

    def expect(self, hook: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.waiting[hook] = future
        return future


SINK_SERVER = """
import asyncio, sys, time
from aiohttp import web

AUTH = b'{"ok": true, "team_id": "T1", "user_id": "UBOT", "bot_id": "B1"}'

async def main():
    out = sys.stdout.buffer

    async def api(request):
        return web.Response(body=AUTH, content_type="application/json")

    async def hook(request):
        body = await request.read()
        at = time.perf_counter()  # CLOCK_MONOTONIC: the same clock in every process
        out.write(b"%s %r %d\\n" % (request.match_info["hook"].encode(), at, len(body)) + body)
        out.flush()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    app.router.add_post("/webhook/{hook}", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    out.write(b"listening\\n")
    out.flush()
    await asyncio.Event().wait()

asyncio.run(main())
"""
"""Slack's side of the response_url in a process of its own (`--sink-process`): each reply's
arrival time (taken there, on the monotonic clock every process shares) and body are framed on
stdout for the bench."""


async def relay(stdout: asyncio.StreamReader, sink: Sink) -> None:
    """Hand each reply the sink process framed (`hook at length` then the body) to its waiter."""
    while line := await stdout.readline():
        hook, at, length = line.split()
        body = await stdout.readexactly(int(length))
        sink.arrived(hook.decode(), float(at), json.loads(body))


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
    seconds: float = 0.0
    """Wall time of the timed segments."""
    cpu: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    """CPU seconds in those segments: [the server process, this (the bench) process, the sink's]."""


@dataclass
class User:
    """One person: the command once, then walks (click the first option until the result, then
    Restart), each request waiting for the previous reply as a person waits for the message."""

    http: ClientSession
    url: str
    sink: Sink
    sink_url: str
    name: str
    pause: float = 0.0
    counter: int = 0
    reply: dict[str, Any] | None = None
    first_reply: dict[str, Any] = field(default_factory=dict)

    async def send(self, make: Any, timings: Timings) -> dict[str, Any]:
        self.counter += 1
        if self.pause:
            await asyncio.sleep(self.pause * random.uniform(0.5, 1.5))  # a person reading, then clicking
        hook = f"{self.name}-{self.counter}"
        body = make(f"{self.sink_url}/webhook/{hook}", f"{self.name}.{self.counter}")
        arrived = self.sink.expect(hook)
        started = time.perf_counter()
        async with self.http.post(self.url, data=body, headers=signed(body)) as response:
            await response.read()
            acked = time.perf_counter()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
        at, posted = await asyncio.wait_for(arrived, TIMEOUT)
        timings.ack.append((acked - started) * 1000)
        timings.update.append((at - started) * 1000)
        return posted

    async def walk(self, timings: Timings) -> None:
        user = self.name
        reply = self.reply
        if reply is None:
            reply = self.first_reply = await self.send(
                lambda hook, trig: command_body(user, hook, trig), timings
            )
        while not any(b["type"] == "header" for b in reply.get("blocks", [])):
            value = first_button(reply)
            reply = await self.send(lambda hook, trig, v=value: click_body(user, v, hook, trig), timings)
        value = first_button(reply, "Restart")
        self.reply = await self.send(lambda hook, trig, v=value: click_body(user, v, hook, trig), timings)


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


async def timed(server: Server, timings: Timings, work: Any, sink: Server | None = None) -> float:
    """Run `work` (a gather), adding its wall and CPU time to `timings`; returns its seconds."""
    cpu = (server.cpu_seconds(), time.process_time(), sink.cpu_seconds() if sink else 0.0)
    started = time.perf_counter()
    await work
    seconds = time.perf_counter() - started
    timings.seconds += seconds
    timings.cpu[0] += server.cpu_seconds() - cpu[0]
    timings.cpu[1] += time.process_time() - cpu[1]
    timings.cpu[2] += (sink.cpu_seconds() if sink else 0.0) - cpu[2]
    return seconds


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


FLOOR_SERVER = """
import asyncio, hashlib, hmac, json, sys, time
import aiosqlite
from aiohttp import ClientSession, web
from yarl import URL

async def main():
    port, secret, db, reply_file = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3], sys.argv[4]
    reply = []  # read at the first request: the bench writes it once the app has replied
    conn = await aiosqlite.connect(db, isolation_level=None)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("CREATE TABLE deliveries (key TEXT PRIMARY KEY, payload TEXT, done INTEGER)")
    session, tasks = ClientSession(), set()
    headers = {"Content-Type": "application/json;charset=utf-8"}

    async def answer(key, url):
        if not reply:
            reply.append(open(reply_file).read())
        async with session.post(url, data=reply[0], headers=headers) as response:
            await response.read()
        await conn.execute("UPDATE deliveries SET done = 1, payload = '' WHERE key = ?", (key,))

    async def handle(request):
        raw = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        mac = "v0=" + hmac.new(secret, b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, request.headers.get("X-Slack-Signature", "")):
            return web.Response(status=401)
        fields = dict(URL.build(query_string=raw.decode(), encoded=True).query.items())
        payload = json.loads(fields["payload"])
        key = payload["trigger_id"]
        await conn.execute("INSERT INTO deliveries VALUES (?, ?, 0)", (key, fields["payload"]))
        task = asyncio.create_task(answer(key, payload["response_url"]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("listening", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
"""Not a target: the least any Slack app that keeps the promise does per click, written plainly
(signature, form and JSON, one durable INSERT before the 200, then one POST of a real reply
and one UPDATE), with no framework, engine or rendering: where this machine puts the floor."""


async def floor_session(
    http: ClientSession, *, url: str, sink: Sink, sink_url: str, user: str, count: int, timings: Timings
) -> None:
    for n in range(count):
        hook = f"{user}-{n}"
        body = click_body(user, "adv:abcdefghijkl:1:a:pages", f"{sink_url}/webhook/{hook}", hook)
        arrived = sink.expect(hook)
        started = time.perf_counter()
        async with http.post(url, data=body, headers=signed(body)) as response:
            await response.read()
            acked = time.perf_counter()
        at, _ = await asyncio.wait_for(arrived, TIMEOUT)
        timings.ack.append((acked - started) * 1000)
        timings.update.append((at - started) * 1000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def advisor_command() -> list[str]:
    """The installed console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("advisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters"]


def profiled(command: list[str], out: Path) -> list[str]:
    """`command` (the console script, or `python -m adapters`) under cProfile (`out` ending in
    .prof: pstats) or pyinstrument (any other name: its text report; `pip install pyinstrument`)."""
    target = command[1:] if command[0] == sys.executable else command  # ["-m", "adapters"] or [script]
    if os.environ.get("SLACK_BENCH_PROFILER"):  # a wrapper of one's own: PROFILER OUT COMMAND...
        return [sys.executable, os.environ["SLACK_BENCH_PROFILER"], str(out), *target]
    if out.suffix == ".prof":
        return [sys.executable, "-m", "cProfile", "-o", str(out), *target]
    return [sys.executable, "-m", "pyinstrument", "--renderer", "text", "-o", str(out), *target]


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

    def cpu_seconds(self) -> float:
        """User + system CPU the server process used so far (Linux /proc; 0 elsewhere)."""
        if self.process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()


async def measure(
    users: int,
    rounds: int,
    pack_dir: Path,
    pause: float,
    profile: Path | None = None,
    *,
    sink_process: bool = False,
) -> dict[str, Any]:
    """Both servers run side by side, measured in turns: one walk per user on the app, then as
    many requests per user on the bare server, `rounds` times. The machine is shared, so each
    side is sampled across the same stretch of time rather than one after the other."""
    sink = Sink()
    fake_runner: web.AppRunner | None = None
    sink_server: Server | None = None
    relaying: asyncio.Task[None] | None = None
    if sink_process:
        sink_port = free_port()
        sink_server = Server(
            [sys.executable, "-c", SINK_SERVER, str(sink_port)],
            env=dict(os.environ),
            marker="listening",
            port=sink_port,
        )
        fake_url = await sink_server.__aenter__()
        assert sink_server.process is not None
        assert sink_server.process.stdout is not None
        relaying = asyncio.create_task(relay(sink_server.process.stdout, sink))
    else:
        fake = web.Application()
        fake.router.add_post("/api/{method}", sink.api)
        fake.router.add_post("/webhook/{hook}", sink.hook)
        fake_runner, fake_url = await serve(fake)
    app_t, bare_t = Timings(), Timings()
    pairs: list[tuple[float, float]] = []
    """(app, bare) requests per second of each pair of turns."""
    with tempfile.TemporaryDirectory() as tmp:
        async with ClientSession(connector=TCPConnector(limit=0)) as http:
            port, bare_port = free_port(), free_port()
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
            command = advisor_command()
            if profile is not None:  # the same process under a profiler, its report written at the stop
                command = profiled(command, profile)
            app = Server(
                [*command, "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                marker="Slack HTTP mode",
                port=port,
            )
            bare = Server(
                [sys.executable, "-c", BARE_SERVER, str(bare_port)],
                env=dict(os.environ),
                marker="listening",
                port=bare_port,
            )
            reply_file = Path(tmp) / "reply.json"
            floor_port = free_port()
            floor = Server(
                [
                    sys.executable,
                    "-c",
                    FLOOR_SERVER,
                    str(floor_port),
                    SECRET,
                    str(Path(tmp) / "floor.db"),
                    str(reply_file),
                ],
                env=dict(os.environ),
                marker="listening",
                port=floor_port,
            )
            floor_t = Timings()
            async with app as app_url, bare as bare_url, floor as floor_url:
                events = app_url + "/slack/events"
                # Warm up (auth.test, first connections and imports), untimed, as a deployed app is.
                warm = [User(http, events, sink, fake_url, f"W{n:03d}") for n in range(5)]
                await asyncio.gather(*(user.walk(Timings()) for user in warm))
                reply_file.write_text(
                    json.dumps(warm[0].first_reply)
                )  # the floor replies with a real message
                await asyncio.gather(
                    *(
                        baseline_session(http, url=bare_url + "/slack/events", user=f"V{n}", count=2, acks=[])
                        for n in range(users)
                    )
                )
                people = [User(http, events, sink, fake_url, f"U{n:03d}", pause) for n in range(users)]
                for turn in range(rounds):
                    sent = len(app_t.ack)
                    app_s = await timed(
                        app, app_t, asyncio.gather(*(user.walk(app_t) for user in people)), sink_server
                    )
                    per_user = max(1, (len(app_t.ack) - sent) // users)
                    bare_s = await timed(
                        bare,
                        bare_t,
                        asyncio.gather(
                            *(
                                baseline_session(
                                    http,
                                    url=bare_url + "/slack/events",
                                    user=f"B{n:03d}x{turn}",
                                    count=per_user,
                                    acks=bare_t.ack,
                                    pause=pause,
                                )
                                for n in range(users)
                            )
                        ),
                        sink_server,
                    )
                    pairs.append(((len(app_t.ack) - sent) / app_s, per_user * users / bare_s))
                    await timed(
                        floor,
                        floor_t,
                        asyncio.gather(
                            *(
                                floor_session(
                                    http,
                                    url=floor_url + "/slack/events",
                                    sink=sink,
                                    sink_url=fake_url,
                                    user=f"F{n:03d}x{turn}",
                                    count=per_user,
                                    timings=floor_t,
                                )
                                for n in range(users)
                            )
                        ),
                        sink_server,
                    )
    if fake_runner is not None:
        await fake_runner.cleanup()
    if sink_server is not None and relaying is not None:
        await sink_server.__aexit__(None, None, None)
        relaying.cancel()
    ack, update, bare_ack = summary(app_t.ack), summary(app_t.update), summary(bare_t.ack)
    throughput = len(app_t.ack) / app_t.seconds
    bare_throughput = len(bare_t.ack) / bare_t.seconds
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
                "Slack HTTP throughput (acks/s) vs bare aiohttp",
                measured=throughput,
                baseline=bare_throughput,
                at_least=0.5,
            ),
        ],
        "users": users,
        "pause_s": pause,
        "turns": rounds,
        "requests": len(app_t.ack),
        "pack": pack_dir.name,
        "throughput_rps": round(throughput, 1),
        "baseline_bare_aiohttp_throughput_rps": round(bare_throughput, 1),
        "throughput_ratio_per_turn": [round(a / b, 3) for a, b in pairs],
        "ack_ms": ack,
        "response_url_update_ms": update,
        "baseline_bare_aiohttp_ack_ms": bare_ack,
        "cpu_ms_per_request": {
            "app_server": round(app_t.cpu[0] * 1000 / len(app_t.ack), 3),
            "bench_process_with_app": round(app_t.cpu[1] * 1000 / len(app_t.ack), 3),
            "bare_server": round(bare_t.cpu[0] * 1000 / len(bare_t.ack), 3),
            "bench_process_with_bare": round(bare_t.cpu[1] * 1000 / len(bare_t.ack), 3),
            "sink_process_with_app": round(app_t.cpu[2] * 1000 / len(app_t.ack), 3),
            "sink_process_with_bare": round(bare_t.cpu[2] * 1000 / len(bare_t.ack), 3),
        },
        "sink": "its own process" if sink_process else "the bench process",
        "reference_minimal_app": {
            "note": "not a target: a plain aiohttp app that checks, records, acks and replies"
            " (bench FLOOR_SERVER), in each turn after the bare one: the floor of any app here",
            "throughput_rps": round(len(floor_t.ack) / floor_t.seconds, 1),
            "throughput_vs_bare": round(len(floor_t.ack) / floor_t.seconds / bare_throughput, 3),
            "ack_p99_vs_bare": round(summary(floor_t.ack)["p99"] / bare_ack["p99"], 2),
            "ack_ms": summary(floor_t.ack),
            "response_url_update_ms": summary(floor_t.update),
            "cpu_ms_per_request": {
                "server": round(floor_t.cpu[0] * 1000 / len(floor_t.ack), 3),
                "bench_process": round(floor_t.cpu[1] * 1000 / len(floor_t.ack), 3),
                "sink_process": round(floor_t.cpu[2] * 1000 / len(floor_t.ack), 3),
            },
        },
        "ack_vs_baseline": {
            "p50": round(ack["p50"] / bare_ack["p50"], 2),
            "p99": round(ack["p99"] / bare_ack["p99"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, default=8, help="turns: a walk to the result per user, then the bare server"
    )
    parser.add_argument("--pack", type=Path, default=ROOT / "knowledge" / "python-web")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean seconds each user waits before a request, ±50%% (0: flat out)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the app process: FILE.prof for cProfile stats, else a pyinstrument text report",
    )
    parser.add_argument(
        "--sink-process",
        action="store_true",
        help="serve the fake Slack (response_url) from a process of its own, for comparison",
    )
    options = parser.parse_args()
    figures = asyncio.run(
        measure(
            options.users,
            options.rounds,
            options.pack,
            options.pause,
            options.profile,
            sink_process=options.sink_process,
        )
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
