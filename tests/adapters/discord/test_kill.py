"""Acknowledged interactions survive a crash: `advisor discord` SIGKILLed during a burst of clicks.

Users click through the advisor as fast as their replies come back (each click chosen from the
reply to the previous one), each interaction sent through the fake gateway as Discord sends it:
once. A killer SIGKILLs the bot after a random number of acknowledged interactions since its
start and starts a fresh one on the same database. Generations alternate between deferring at
once (ADVISOR_DISCORD_DEFER_SECONDS=0: every acknowledged interaction has its reply still to
come, so kills land between the acknowledgement and the reply) and the default (the reply is
the acknowledgement, so kills land before it). The fake keeps Discord's rules: an initial
response only within 3 seconds and once, edits and follow-ups only on an acknowledged token.

An interaction the dead bot never acknowledged shows "This interaction failed", and the user
clicks again, as people do. Then, counting every interaction the fake saw acknowledged:

- lost: acknowledged, and its reply (the content, not just the deferral) never came;
- applied twice: a conversation moved more steps than its user's clicks.

The restarted bot finishes what the dead one acknowledged but did not answer (its lease is one
second here, so the test stays short); the conditional save keeps a replay from applying twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from adapters.ids import Action, ActionId
from tests.adapters.discord.bot_process import START_GUARD, DiscordBotProcess, bot_environment
from tests.adapters.discord.conftest import BOT_TOKEN
from tests.fakes.discord_api import Call, FakeDiscordApi, click_payload, command_payload, user

KILLS = 20
USERS = 6
REPLY_GUARD = 20.0
"""Seconds a user waits for the reply to an acknowledged interaction before calling it lost (a
guard: replies come in milliseconds, or a second or two after a restart)."""
FINISHING = re.compile(r"finishing (\d+) discord delivery")


def components_of(call: Call) -> list[dict[str, Any]]:
    """The components of what a reply shows: a callback's `data`, or an edit's or follow-up's body."""
    body = call.body or {}
    shown = body.get("data", body) if call.is_callback else body
    return list(shown.get("components") or [])


def buttons(rows: list[dict[str, Any]]) -> dict[str, tuple[Action, str]]:
    """Label -> (what it does, its custom_id), for every advisor button shown."""
    return {
        item["label"]: (ActionId.decode(item["custom_id"]).action, item["custom_id"])
        for row in rows
        for item in row.get("components", [])
        if item.get("type") == 2 and str(item.get("custom_id", "")).startswith("adv:")
    }


@dataclass
class Run:
    fake: FakeDiscordApi
    env: Callable[[int], dict[str, str]]
    bots: list[DiscordBotProcess] = field(default_factory=list)
    up: dict[int, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))
    down: dict[int, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))
    generation: int = 0
    clicks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: int = 0
    lost: list[str] = field(default_factory=list)
    done: bool = False

    async def start(self) -> None:
        def identified() -> int:
            return len(self.fake.matching(lambda c: c.path == "gateway/identify"))

        before = identified()
        self.bots.append(await DiscordBotProcess(self.env(self.generation)).start())
        await self.fake.wait_for(lambda: identified() > before, guard=START_GUARD)
        self.up[self.generation].set()

    async def act(self, make: Callable[[], dict[str, Any]]) -> Call | None:
        """Send until acknowledged (a new interaction each time, as a person clicking again); the reply."""
        while True:
            generation = self.generation
            await self.up[generation].wait()
            payload = make()
            ident = str(payload["id"])
            await self.fake.dispatch("INTERACTION_CREATE", payload)
            answered = asyncio.ensure_future(self.fake.wait_callback(ident, guard=REPLY_GUARD))
            died = asyncio.ensure_future(self.down[generation].wait())
            await asyncio.wait({answered, died}, return_when=asyncio.FIRST_COMPLETED)
            answered.cancel()
            died.cancel()
            if ident not in self.fake.acknowledged:
                self.failed += 1  # "This interaction failed": never acknowledged, so click again
                continue
            return await self.reply(ident)

    async def reply(self, ident: str) -> Call | None:
        try:
            await self.fake.wait_for(lambda: bool(self.fake.replies_to(ident)), guard=REPLY_GUARD)
        except TimeoutError:
            self.lost.append(ident)
            return None
        return self.fake.replies_to(ident)[0]

    async def user(self, name: str, number: int) -> None:
        who = user(str(600 + number), name)
        rng = random.Random(name)
        shown: list[dict[str, Any]] = []
        while not self.done:
            choices = buttons(shown)
            if not choices:  # the first message, or a refusal without buttons: carry on where I was
                reply = await self.act(lambda: command_payload(who))
            else:
                # Each click moves the conversation one step: an answer, or Restart on a result.
                answers = [label for label, (action, _) in choices.items() if action is Action.ANSWER]
                label = rng.choice(answers) if answers else "Restart"
                self.clicks[who["id"]] += 1
                make = partial(click_payload, who, custom_id=choices[label][1], components=shown)
                reply = await self.act(make)
            if reply is None:
                return
            shown = components_of(reply)

    async def acknowledged(self, target: int) -> None:
        await self.fake.wait_for(lambda: len(self.fake.acknowledged) >= target, guard=60)

    async def killer(self, rng: random.Random) -> None:
        for _ in range(KILLS):
            await self.acknowledged(len(self.fake.acknowledged) + rng.randint(2, 10))
            await self.bots[-1].kill()  # SIGKILL, right after that acknowledgement
            self.down[self.generation].set()
            self.generation += 1
            await self.start()


def steps_moved(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as raw:
        rows = raw.execute("SELECT user_id, step FROM conversations WHERE platform = 'discord'")
        return {who: step - 1 for who, step in rows}


def records(db: Path) -> tuple[int, int, int]:
    """(recorded, resumable, unfinished) Discord interactions."""
    with sqlite3.connect(db) as raw:
        (recorded, resumable, unfinished) = raw.execute(
            "SELECT count(*), coalesce(sum(resumable), 0), coalesce(sum(done_at IS NULL), 0)"
            " FROM deliveries WHERE key LIKE 'discord:%'"
        ).fetchone()
    return int(recorded), int(resumable), int(unfinished)


async def test_sigkill_during_a_burst_of_clicks_loses_and_doubles_no_acknowledged_interaction(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    fake = FakeDiscordApi()
    await fake.start()
    db = tmp_path / "advisor.db"

    def env(generation: int) -> dict[str, str]:
        defer = {"ADVISOR_DISCORD_DEFER_SECONDS": "0"} if generation % 2 == 0 else {}
        return bot_environment(
            api=fake.base_url,
            gateway=fake.gateway_url,
            db=str(db),
            token=BOT_TOKEN,
            ADVISOR_DELIVERY_LEASE_SECONDS="1",
            ADVISOR_PACK_POLL_SECONDS="0",
            **defer,
        )

    run = Run(fake, env)
    seed = random.randrange(1 << 30)
    try:
        await run.start()
        users = [asyncio.create_task(run.user(f"user{n}", n)) for n in range(USERS)]
        await run.killer(random.Random(seed))
        run.done = True  # users finish their current click, then stop
        await asyncio.wait_for(asyncio.gather(*users), REPLY_GUARD + 30)
        # Every acknowledged interaction, also one whose user had already clicked again.
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(lambda: all(fake.replies_to(i) for i in fake.acknowledged), guard=REPLY_GUARD)
        assert await run.bots[-1].stop() == 0
    finally:
        for bot in run.bots:
            await bot.kill()
        await fake.close()
    elapsed = time.monotonic() - began

    lost = sorted(i for i in fake.acknowledged if not fake.replies_to(i))
    moved = steps_moved(db)
    doubled = {who: moved.get(who, 0) - n for who, n in run.clicks.items() if moved.get(who, 0) > n}
    short = {who: n - moved.get(who, 0) for who, n in run.clicks.items() if moved.get(who, 0) < n}
    recorded, resumable, unfinished = records(db)
    replayed = sum(int(m[1]) for bot in run.bots for m in FINISHING.finditer(bot.log))
    repeated = sum(len(fake.replies_to(i)) - 1 for i in fake.acknowledged if fake.replies_to(i))
    # Discord refused nothing but the look a replay takes first at one never acknowledged.
    probes = [c for c, code in fake.refused if c.method == "GET" and code == 10015]
    print(
        f"\ndiscord kill test (seed {seed}): {KILLS} SIGKILLs, {len(fake.sent)} interactions sent,"
        f" {recorded} recorded, {len(fake.acknowledged)} acknowledged, {resumable} resumable,"
        f" {replayed} taken over by a later process ({len(probes)} of them found never acknowledged),"
        f" {run.failed} never acknowledged (clicked again),"
        f" lost {len(lost)}, applied twice {sum(doubled.values())}, replies repeated {repeated},"
        f" {unfinished} records left, {elapsed:.1f} s"
    )
    assert lost == [], f"seed {seed}: acknowledged but never answered: {lost}"
    assert run.lost == []
    assert doubled == {}, f"seed {seed}: conversations moved more steps than clicks: {doubled}"
    assert short == {}, f"seed {seed}: clicks that never applied: {short}"
    assert len(probes) == len(fake.refused), [(c.method, c.path.split("/")[0], k) for c, k in fake.refused]
    assert replayed > 0  # kills did land between an acknowledgement and its reply
    assert sum(run.clicks.values()) > KILLS * 3
    tokens = [str(t) for t, _ in fake.sent.values()]
    assert not any(token in bot.log for bot in run.bots for token in tokens)  # never logged
