"""The real bolt app served on 127.0.0.1, a fake Slack beside it, and signed requests between them."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from slack_sdk.signature import SignatureVerifier

from adapters.runtime.health import Health
from adapters.runtime.service import Runtime
from adapters.services import Services
from adapters.settings import Secret, Settings
from adapters.slack.app import build_app
from adapters.slack.server import web_app
from bot.pack.registry import PackRegistry
from bot.personal.engine import Engine
from bot.store.base import Store
from bot.store.deliveries import Delivery, DeliveryLog, Receipt
from bot.store.sqlite import SqliteStore
from bot.team.engine import TeamEngine
from tests.bot.store.conftest import postgres_schema_url  # noqa: F401  # a fixture, shared with these tests
from tests.conftest import Clock
from tests.fakes.slack_api import WAIT, FakeSlack

SECRET = "test-signing-secret-8f3a"
TOKEN = "xoxb-test-token-5d1c"
TEAM = "T1"
CHANNEL = "C1"


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only when the timestamp or body is missing
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


class RecordingDeliveries:
    """The store's real delivery log, also telling the test each record's outcome as it happens.

    `claims` gets (key, first) for every delivery recorded (first: handled here) and every claim.
    """

    def __init__(self, log: DeliveryLog) -> None:
        self.log = log
        self.claims: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
        self.finished: asyncio.Queue[str] = asyncio.Queue()

    async def claim_delivery(self, key: str) -> bool:
        first = await self.log.claim_delivery(key)
        self.claims.put_nowait((key, first))
        return first

    async def record_delivery(self, delivery: Delivery, *, lease: timedelta) -> Receipt:
        receipt = await self.log.record_delivery(delivery, lease=lease)
        self.claims.put_nowait((delivery.key, receipt is not Receipt.SEEN))
        return receipt

    async def mark_resumable(self, key: str) -> None:
        await self.log.mark_resumable(key)

    async def finish_delivery(self, key: str, *, now: datetime) -> None:
        await self.log.finish_delivery(key, now=now)
        self.finished.put_nowait(key)

    async def release_delivery(self, key: str) -> None:
        await self.log.release_delivery(key)

    async def take_unfinished(
        self, *, platform: str, now: datetime, lease: timedelta, limit: int
    ) -> tuple[Delivery, ...]:
        return await self.log.take_unfinished(platform=platform, now=now, lease=lease, limit=limit)

    async def abandon_unfinishable(self, *, platform: str, now: datetime) -> int:
        return await self.log.abandon_unfinishable(platform=platform, now=now)

    async def next_claim(self) -> tuple[str, bool]:
        return await asyncio.wait_for(self.claims.get(), timeout=WAIT)

    async def next_finished(self) -> str:
        return await asyncio.wait_for(self.finished.get(), timeout=WAIT)


class RecordingTeamEngine(TeamEngine):
    """The real team engine, also telling the test when a presence change has been stored."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.presence: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()

    async def mark_presence(
        self, *, platform: str, workspace: str, channel: str, member: str, present: bool
    ) -> int:
        changed = await super().mark_presence(
            platform=platform, workspace=workspace, channel=channel, member=member, present=present
        )
        self.presence.put_nowait((member, present))
        return changed

    async def next_presence(self) -> tuple[str, bool]:
        return await asyncio.wait_for(self.presence.get(), timeout=WAIT)


class SlackHarness:
    """One running app (rebuildable on the same database) and helpers that sign what they send."""

    def __init__(
        self, *, fake: FakeSlack, settings: Settings, db_path: Path, registry: PackRegistry, clock: Clock
    ) -> None:
        self.fake = fake
        self.clock = clock
        self.settings = settings
        self.db_path = db_path
        self.registry = registry
        self.store: Store
        self.engine: Engine
        self.deliveries: RecordingDeliveries
        self.app_session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._ids = itertools.count(1)
        self.http = ClientSession()

    async def start(
        self, store: Store | None = None, *, shared_session: bool = True, runtime: Runtime | None = None
    ) -> None:
        """`shared_session=False` replies through bolt's own `respond` (a new session per reply);
        `runtime`: served as `advisor slack` serves it (health routes, replies after acks)."""
        self.store = store if store is not None else await SqliteStore.open(self.db_path)
        self.deliveries = RecordingDeliveries(self.store)
        self.team_engine = RecordingTeamEngine(
            store=self.store, registry=self.registry, advisor="tiny", clock=self.clock
        )
        self.services = Services(
            store=self.store,
            registry=self.registry,
            advisor="tiny",
            clock=self.clock,
            team=self.team_engine,
            deliveries=self.deliveries,
        )
        self.engine = self.services.engine
        self.app_session = ClientSession() if shared_session else None
        app = build_app(self.services, self.settings, session=self.app_session, runtime=runtime)
        self.app = app
        health = Health(self.services, runtime) if runtime is not None else None
        self._runner = web.AppRunner(web_app(app, signing_secret=SECRET, health=health))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/slack/events"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            await self.store.close()
            if self.app_session is not None:
                await self.app_session.close()

    async def restart(self, *, shared_session: bool = True) -> None:
        """A new process in all but name: new AsyncApp, new store object, same database file."""
        await self.stop()
        await self.start(shared_session=shared_session)

    def next_id(self) -> str:
        return str(next(self._ids))

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        retry: int | None = None,
    ) -> tuple[int, str]:
        sent = signed_headers(body, content_type=content_type) if headers is None else headers
        if retry is not None:
            sent = {**sent, "X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        async with self.http.post(self.url, data=body, headers=sent) as response:
            return response.status, await response.text()

    def command_body(
        self, text: str = "", *, user: str = "U1", hook: str | None = None, trigger: str | None = None
    ) -> str:
        return urllib.parse.urlencode(
            {
                "token": "legacy",
                "command": self.settings.slack_command,
                "text": text,
                "team_id": TEAM,
                "team_domain": "test",
                "channel_id": CHANNEL,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "api_app_id": "A1",
                "trigger_id": trigger or f"trigger-{self.next_id()}",
                "response_url": self.fake.response_url(hook or f"cmd-{self.next_id()}"),
            }
        )

    async def command(self, text: str = "", *, user: str = "U1", **kwargs: Any) -> int:
        status, _ = await self.post(self.command_body(text, user=user, **kwargs))
        return status

    def click_body(
        self,
        value: str,
        *,
        user: str = "U1",
        hook: str | None = None,
        trigger: str | None = None,
        select: bool = False,
        action_id: str | None = None,
    ) -> str:
        action: dict[str, Any] = {
            "action_id": action_id or value,
            "block_id": "b1",
            "action_ts": "1700000001.1",
        }
        if select:
            action |= {
                "type": "static_select",
                "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}},
            }
        else:
            action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": "x"}}
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": "1700000000.1",
                "channel_id": CHANNEL,
                "is_ephemeral": True,
            },
            "trigger_id": trigger or f"trigger-{self.next_id()}",
            "team": {"id": TEAM, "domain": "test"},
            "channel": {"id": CHANNEL, "name": "general"},
            "response_url": self.fake.response_url(hook or f"click-{self.next_id()}"),
            "actions": [action],
        }
        return "payload=" + urllib.parse.quote(json.dumps(payload))

    async def click(self, value: str, *, user: str = "U1", **kwargs: Any) -> int:
        status, _ = await self.post(self.click_body(value, user=user, **kwargs))
        return status

    def view_submission_body(
        self, view: dict[str, Any], *, values: dict[str, Any], user: str = "U1", trigger: str | None = None
    ) -> str:
        """A modal's view_submission: the view as views.open sent it, with what the user typed."""
        submitted = {**view, "id": "V1", "team_id": TEAM, "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": trigger or f"trigger-{self.next_id()}",
            "view": submitted,
            "response_urls": [],
        }
        return "payload=" + urllib.parse.quote(json.dumps(payload))

    async def submit(
        self, view: dict[str, Any], *, values: dict[str, Any], user: str = "U1"
    ) -> tuple[int, str]:
        return await self.post(self.view_submission_body(view, values=values, user=user))

    def shortcut_body(self, callback_id: str, *, message: dict[str, Any], user: str = "U1") -> str:
        """A message shortcut on `message` in the test channel."""
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": f"trigger-{self.next_id()}",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "channel": {"id": CHANNEL, "name": "general"},
            "message": message,
            "message_ts": message.get("ts"),
            "response_url": self.fake.response_url(f"shortcut-{self.next_id()}"),
            "token": "legacy",
            "action_ts": "1700000002.1",
        }
        return "payload=" + urllib.parse.quote(json.dumps(payload))

    async def shortcut(self, callback_id: str, *, message: dict[str, Any], user: str = "U1") -> int:
        status, _ = await self.post(self.shortcut_body(callback_id, message=message, user=user))
        return status

    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self.next_id()}",
                "event_time": int(time.time()),
                "event": event,
            }
        )

    async def event(self, event: dict[str, Any], **kwargs: Any) -> int:
        status, _ = await self.post(self.event_body(event, **kwargs), content_type="application/json")
        return status


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.close()


@pytest.fixture
def slack_settings(tmp_path: Path, fake_slack: FakeSlack, tiny_path: Path) -> Settings:
    return Settings(
        db_url=str(tmp_path / "advisor.db"),
        knowledge_dir=tiny_path.parent,
        advisor="tiny",
        idle_timeout=timedelta(hours=24),
        slack_bot_token=Secret(TOKEN),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake_slack.api_url,
    )


@pytest.fixture
async def slack(
    fake_slack: FakeSlack, slack_settings: Settings, tmp_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[SlackHarness]:
    harness = SlackHarness(
        fake=fake_slack,
        settings=slack_settings,
        db_path=tmp_path / "advisor.db",
        registry=registry,
        clock=clock,
    )
    await harness.start()
    yield harness
    await harness.stop()
    await harness.http.close()


def with_command(settings: Settings, command: str) -> Settings:
    return replace(settings, slack_command=command)


@pytest.fixture(params=["sqlite", "postgres"])
def oauth_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """ADVISOR_DB for OAuth installs: the SQLite file beside the conversations, or a fresh
    PostgreSQL schema (skipped without PostgreSQL, except on CI)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_schema_url")
        return url
    return str(tmp_path / "advisor.db")
