"""`advisor slack --http` run like a service: health, readiness, metrics, JSON logs, graceful
shutdown (also as PID 1), pack reloads, and a broken pack at start-up."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.adapters.slack.bot_process import ROOT, BotProcess, bot_environment, buttons, click, command
from tests.adapters.slack.conftest import SECRET, TOKEN
from tests.fakes.slack_api import FakeSlack

METRICS = (
    "advisor_deliveries_total",
    "advisor_clicks_total",
    "advisor_conflicts_total",
    "advisor_refusals_total",
    "advisor_errors_total",
    "advisor_reply_seconds_bucket",
    "advisor_pack_reloads_total",
    "advisor_pack_info",
    "advisor_in_flight",
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    started = await FakeSlack().start()
    yield started
    await started.close()


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    """A knowledge folder of our own holding a copy of the tiny pack, to edit under a running bot."""
    folder = tmp_path / "packs"
    shutil.copytree(ROOT / "tests" / "packs" / "tiny", folder / "tiny")
    return folder


def env_for(fake: FakeSlack, tmp_path: Path, packs: Path, **extra: str) -> dict[str, str]:
    return bot_environment(fake, db=str(tmp_path / "advisor.db"), knowledge=packs, **extra)


def edit(packs: Path, old: str, new: str) -> None:
    path = packs / "tiny" / "questions.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def test_health_readiness_and_metrics_answer(fake: FakeSlack, tmp_path: Path, packs: Path) -> None:
    bot = await BotProcess(env_for(fake, tmp_path, packs)).start()
    try:
        async with ClientSession() as http:
            assert await bot.get(http, "/healthz") == (200, '{"alive": true}')
            status, text = await bot.get(http, "/readyz")
            assert status == 200
            ready = json.loads(text)
            assert ready["store"] == "ok"
            assert ready["pack"]["id"] == "tiny"
            assert len(ready["pack"]["version"]) == 16
            assert await bot.post(http, command(fake, user="U1", hook="h1", trigger="t1")) == 200
            first = buttons((await fake.next_post()).body)
            assert (
                await bot.post(http, click(fake, first["JSON API"], user="U1", hook="h2", trigger="t2"))
                == 200
            )
            await fake.next_post()
            stale = click(fake, first["Web pages"], user="U1", hook="h3", trigger="t3")
            assert await bot.post(http, stale) == 200
            assert "already answered" in (await fake.next_post()).text
            status, text = await bot.get(http, "/metrics")
        assert status == 200
        for name in METRICS:
            assert name in text, name
        assert 'advisor_deliveries_total{outcome="recorded",platform="slack"} 3.0' in text
        assert 'advisor_clicks_total{flow="personal",platform="slack"} 2.0' in text
        assert 'advisor_refusals_total{kind="stale_answer",platform="slack"} 1.0' in text
        assert 'advisor_reply_seconds_count{kind="command",platform="slack"} 1.0' in text
        assert f'version="{ready["pack"]["version"]}"' in text
    finally:
        await bot.stop()


async def test_json_log_lines_parse_and_hold_no_secret(fake: FakeSlack, tmp_path: Path, packs: Path) -> None:
    bot = await BotProcess(env_for(fake, tmp_path, packs, ADVISOR_LOG_FORMAT="json")).start()
    async with ClientSession() as http:
        assert await bot.post(http, command(fake, user="U1", hook="h1", trigger="t1")) == 200
        await fake.next_post()
    bot.signal(signal.SIGTERM)
    code, _ = await bot.wait()
    assert code == 0
    assert bot.lines  # at least the start and stop lines
    records = [json.loads(line) for line in bot.lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("stopped in" in r["message"] for r in records)
    assert all(r["level"] in ("DEBUG", "INFO", "WARNING", "ERROR") for r in records)
    assert TOKEN not in bot.log
    assert SECRET not in bot.log


async def test_sigterm_finishes_the_reply_in_flight_then_exits_0(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    fake.held = asyncio.Event()  # Slack is slow to take the reply
    bot = await BotProcess(env_for(fake, tmp_path, packs)).start()
    async with ClientSession() as http:
        assert await bot.post(http, command(fake, user="U1", hook="slow", trigger="t1")) == 200
        assert (await fake.next_post()).hook == "slow"  # the reply is in flight, held by Slack
        bot.signal(signal.SIGTERM)
        await bot.logged(lambda line: "stopping (SIGTERM)" in line)
        # Stopping: no new work is taken (the port is closed, or refuses with 503).
        assert bot.proc is not None
        assert bot.proc.returncode is None
        fake.held.set()
    code, took = await bot.wait()
    assert code == 0
    assert took < 10
    with sqlite3.connect(tmp_path / "advisor.db") as raw:
        assert raw.execute("SELECT count(*) FROM deliveries WHERE done_at IS NULL").fetchone() == (0,)


async def test_work_that_outlasts_the_bound_is_left_to_the_next_process(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    fake.held = asyncio.Event()  # Slack never takes the reply while this bot runs
    env = env_for(fake, tmp_path, packs, ADVISOR_SHUTDOWN_SECONDS="0.5")
    bot = await BotProcess(env).start()
    async with ClientSession() as http:
        assert await bot.post(http, command(fake, user="U1", hook="stuck", trigger="t1")) == 200
        await fake.next_post()
        bot.signal(signal.SIGTERM)
        code, took = await bot.wait()
        assert code == 0
        assert took < 5  # 0.5 s for the work, then the stores close
        assert "1 delivery(ies) left for another process" in bot.log
        fake.held.set()
        # The lease was given back: the next process finishes it at once, not after 30 s.
        again = await BotProcess(env, port=bot.port).start()
        try:
            replayed = await fake.next_post()
            assert replayed.hook == "stuck"
            assert "What are you building?" in replayed.text
        finally:
            await again.stop()


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"unshare --pid is not permitted here: {probe.stderr.decode().strip()}"
    return None


def _child_of(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


async def test_sigterm_as_pid_1_in_a_fresh_pid_namespace_exits_0_within_the_bound(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    """PID 1 gets no default signal actions: without a handler SIGTERM would be ignored."""
    reason = _can_unshare()
    if reason is not None:
        pytest.skip(reason)
    bot = BotProcess(env_for(fake, tmp_path, packs), prefix=["unshare", "--pid", "--fork", "--mount-proc"])
    await bot.start()
    assert bot.proc is not None
    inner = _child_of(bot.proc.pid)
    status = Path(f"/proc/{inner}/status").read_text()
    assert "NSpid:" in status
    nspid = next(line for line in status.splitlines() if line.startswith("NSpid:")).split()
    assert nspid[-1] == "1"  # the bot is PID 1 in its namespace, as in a container
    async with ClientSession() as http:
        assert await bot.post(http, command(fake, user="U1", hook="h1", trigger="t1")) == 200
        await fake.next_post()
    os.kill(inner, signal.SIGTERM)
    code, took = await bot.wait()
    assert code == 0  # unshare --fork exits with the child's status
    assert took < 10  # the default bound
    assert "stopping (SIGTERM)" in bot.log


async def test_a_running_bot_reloads_changed_files_and_sighup_and_keeps_a_good_pack(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    bot = await BotProcess(env_for(fake, tmp_path, packs, ADVISOR_PACK_POLL_SECONDS="0.1")).start()
    try:
        async with ClientSession() as http:
            assert await bot.post(http, command(fake, user="U1", hook="h1", trigger="t1")) == 200
            first = buttons((await fake.next_post()).body)
            assert (
                await bot.post(http, click(fake, first["Web pages"], user="U1", hook="h2", trigger="t2"))
                == 200
            )
            assert "Do editors need an admin?" in (await fake.next_post()).text

            edit(packs, "Do editors need an admin?", "Will editors want an admin screen?")
            await bot.logged(lambda line: "reloaded (its files changed)" in line)
            # Mid-flow, a wording edit carries on with no notice, on the new wording.
            assert await bot.post(http, command(fake, user="U1", hook="h3", trigger="t3")) == 200
            shown = (await fake.next_post()).text
            assert "Will editors want an admin screen?" in shown
            assert "updated" not in shown

            edit(packs, "next: result", "next: nowhere")  # breaks lint
            await bot.logged(lambda line: "not reloaded (its files changed), still serving" in line)
            assert await bot.post(http, command(fake, user="U2", hook="h4", trigger="t4")) == 200
            assert "What are you building?" in (await fake.next_post()).text

            edit(packs, "next: nowhere", "next: result")
            edit(packs, "An admin saves weeks.", "An admin saves a lot of weeks.")
            await bot.logged(
                lambda line: line.count("reloaded (its files changed)") == 1 and "weeks" not in line
            )
            bot.signal(signal.SIGHUP)
            await bot.logged(lambda line: "SIGHUP" in line)
            _, text = await bot.get(http, "/metrics")
            assert 'advisor_pack_reloads_total{outcome="failed"} 1.0' in text
    finally:
        await bot.stop()


async def test_a_broken_pack_at_start_serves_the_last_good_version_from_the_store(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    env = env_for(fake, tmp_path, packs)
    first = await BotProcess(env).start()  # keeps its (good) version in the store
    await first.stop()
    (packs / "tiny" / "questions.yaml").write_text("questions: [")
    bot = await BotProcess(env, port=first.port).start()
    try:
        assert "last good version from the store" in bot.banner
        assert "serving its last good version" in await bot.logged(lambda line: "can't be used" in line)
        async with ClientSession() as http:
            status, text = await bot.get(http, "/readyz")
            assert status == 200
            assert json.loads(text)["pack"]["source"] == "store"
            assert await bot.post(http, command(fake, user="U1", hook="h1", trigger="t1")) == 200
            assert "What are you building?" in (await fake.next_post()).text
    finally:
        await bot.stop()


async def test_a_broken_pack_and_no_stored_version_refuses_to_start(
    fake: FakeSlack, tmp_path: Path, packs: Path
) -> None:
    (packs / "tiny" / "questions.yaml").write_text("questions: [")
    bot = BotProcess(env_for(fake, tmp_path, packs))
    await bot.start(wait=False)
    code, _ = await bot.wait(guard=30)
    assert code == 1
    assert "questions.yaml" in bot.log
