"""Acknowledged work survives a crash: `advisor slack --http` SIGKILLed 20 times during a burst of clicks.

Users click through the advisor as fast as their replies come back (each click chosen from the
reply to the previous one, as a person would). A killer SIGKILLs the bot at random points: after
a random number of acknowledgements since the last start, so some kills land just after an ack,
some mid-reply. A request the dead bot never acknowledged is sent again by the "platform" with
X-Slack-Retry-Num, as Slack does. Then, counting every delivery the bot acknowledged (HTTP 200):

- lost: acknowledged, and its response_url never got a reply;
- applied twice: a conversation moved more steps than its users' acknowledged clicks.

The restarted bot finishes what the dead one recorded but did not finish (its lease is one
second here, so the test stays short); the conditional save keeps a replay from applying twice.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.bot_process import ROOT, BotProcess, bot_environment, buttons, click, command
from tests.fakes.slack_api import FakeSlack, WebhookPost

KILLS = 20
USERS = 8
REPLY_GUARD = 20.0
"""Seconds a user waits for the reply to an acknowledged click before calling it lost (a guard:
replies normally come in milliseconds, or a second or two after a restart)."""


@dataclass
class Run:
    fake: FakeSlack
    bot: BotProcess
    generation: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    acked: int = 0
    acknowledged: list[str] = field(default_factory=list)
    replies: dict[str, list[WebhookPost]] = field(default_factory=lambda: defaultdict(list))
    waiting: dict[str, asyncio.Future[WebhookPost]] = field(default_factory=dict)
    clicks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost: list[str] = field(default_factory=list)
    resent: int = 0
    done: bool = False

    async def route_replies(self) -> None:
        """Hand each response_url post to the user waiting on that hook."""
        while True:
            post = await self.fake.webhook_posts.get()
            self.replies[post.hook].append(post)
            waiter = self.waiting.get(post.hook)
            if waiter is not None and not waiter.done():
                waiter.set_result(post)

    async def send(self, http: aiohttp.ClientSession, body: str, hook: str) -> None:
        """POST until the bot acknowledges it; a dead bot's request is resent, as Slack does."""
        retry = 0
        while True:
            async with self.changed:
                generation = self.generation
            headers = (
                {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
            )
            try:
                status = await self.bot.post(http, body, **headers)
            except (aiohttp.ClientError, OSError):
                status = 0
            if status == 200:
                async with self.changed:
                    self.acknowledged.append(hook)
                    self.acked += 1
                    self.changed.notify_all()
                return
            assert status in (0, 503), status  # only a dead (or stopping) bot refuses
            retry += 1
            self.resent += 1
            await self.next_process(after=generation)

    async def next_process(self, *, after: int) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.generation > after), 60)

    async def reply(self, hook: str) -> WebhookPost | None:
        if self.replies[hook]:
            return self.replies[hook][0]
        waiter = self.waiting.setdefault(hook, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), REPLY_GUARD)
        except TimeoutError:
            return None

    async def user(self, http: aiohttp.ClientSession, name: str) -> None:
        rng = random.Random(name)
        number = 0

        async def act(body_for: Any) -> dict[str, str] | None:
            nonlocal number
            number += 1
            hook = f"{name}-{number}"
            await self.send(http, body_for(hook, f"{name}-t{number}"), hook)
            post = await self.reply(hook)
            if post is None:
                self.lost.append(hook)
                return None
            return buttons(post.body)

        shown = await act(lambda hook, trigger: command(self.fake, user=name, hook=hook, trigger=trigger))
        while shown is not None and not self.done:
            answers = [
                label
                for label in shown
                if label not in ("Back", "Restart", "Why?", "Share to channel", "Full ranking")
            ]
            label = rng.choice(answers) if answers else "Restart"
            value = shown[label]
            self.clicks[name] += 1
            shown = await act(
                lambda hook, trigger, v=value: click(self.fake, v, user=name, hook=hook, trigger=trigger)
            )

    async def acks_reach(self, target: int) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.acked >= target), 60)

    def clicker(self, name: str, value: str) -> Any:
        return lambda hook, trigger: click(self.fake, value, user=name, hook=hook, trigger=trigger)

    async def killer(self, rng: random.Random) -> None:
        for _ in range(KILLS):
            await self.acks_reach(self.acked + rng.randint(2, 12))
            await self.bot.kill()  # SIGKILL, right after that acknowledgement
            await self.bot.start()
            async with self.changed:
                self.generation += 1
                self.changed.notify_all()


def steps_moved(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as raw:
        return {user: step - 1 for user, step in raw.execute("SELECT user_id, step FROM conversations")}


def unfinished(db: Path) -> int:
    """Records whose reply went out but whose "finished" mark died with the bot: replayed later."""
    with sqlite3.connect(db) as raw:
        (count,) = raw.execute("SELECT count(*) FROM deliveries WHERE done_at IS NULL").fetchone()
    return int(count)


async def test_sigkill_20_times_during_a_burst_loses_and_doubles_nothing(tmp_path: Path) -> None:
    began = time.monotonic()
    fake = await FakeSlack().start()
    db = tmp_path / "advisor.db"
    env = bot_environment(
        fake,
        db=str(db),
        knowledge=ROOT / "tests" / "packs",
        ADVISOR_DELIVERY_LEASE_SECONDS="1",
        ADVISOR_PACK_POLL_SECONDS="0",
    )
    run = Run(fake, BotProcess(env))
    seed = random.randrange(1 << 30)
    router = asyncio.create_task(run.route_replies())
    try:
        await run.bot.start()
        connector = aiohttp.TCPConnector(force_close=True)  # a killed bot leaves no pooled socket behind
        async with aiohttp.ClientSession(connector=connector) as http:
            users = [asyncio.create_task(run.user(http, f"U{n}")) for n in range(USERS)]
            await run.killer(random.Random(seed))
            run.done = True  # users finish their current click, then stop
            await asyncio.wait_for(asyncio.gather(*users), REPLY_GUARD + 30)
        await run.bot.stop()
    finally:
        router.cancel()
        await run.bot.kill()
        await fake.close()
    elapsed = time.monotonic() - began

    moved = steps_moved(db)
    doubled = {
        user: moved.get(user, 0) - clicks
        for user, clicks in run.clicks.items()
        if moved.get(user, 0) > clicks
    }
    short = {
        user: clicks - moved.get(user, 0)
        for user, clicks in run.clicks.items()
        if moved.get(user, 0) < clicks
    }
    repeated = sum(len(posts) - 1 for posts in run.replies.values() if len(posts) > 1)
    print(
        f"\nkill test (seed {seed}): {KILLS} SIGKILLs, {len(run.acknowledged)} deliveries acknowledged"
        f" ({sum(run.clicks.values())} clicks, {run.resent} unacknowledged requests resent),"
        f" lost {len(run.lost)}, applied twice {sum(doubled.values())},"
        f" replies repeated {repeated} (the same state redrawn: a reply sent just before a kill,"
        f" then sent again by the replay), {unfinished(db)} records left to finish, {elapsed:.1f} s"
    )
    assert run.lost == [], f"seed {seed}: acknowledged but never answered: {run.lost}"
    assert doubled == {}, f"seed {seed}: conversations moved more steps than clicks: {doubled}"
    assert short == {}, f"seed {seed}: acknowledged clicks that never applied: {short}"
    assert len(set(run.acknowledged)) == len(run.acknowledged)
    assert len(run.acknowledged) > KILLS * 3
