"""Multi-workspace mode: a workspace installs through bolt's OAuth flow, then uses the bot.

The flow runs for real: the install page issues a state, the callback consumes it and trades
the code at a fake `oauth.v2.access` on 127.0.0.1, and the installation lands in ADVISOR_DB
(the SQLite file, or PostgreSQL). Later requests from that workspace are answered with its own
bot token, by any replica on the same database, after restarts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest
from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.runtime.health import Health
from adapters.runtime.service import Runtime
from adapters.services import Services
from adapters.settings import Secret, Settings
from adapters.slack.app import build_app
from adapters.slack.installs import STATE_SECONDS, close_oauth_stores, oauth_settings, open_oauth_stores
from adapters.slack.server import web_app
from bot.errors import StoreUnavailable
from bot.pack.registry import PackRegistry
from bot.personal.conversation import ConversationKey
from bot.store.sqlite import SqliteStore
from tests.adapters.slack.conftest import SECRET, SlackHarness, signed_headers
from tests.conftest import Clock
from tests.fakes.slack_api import INSTALLED_TOKEN, FakeSlack, oauth_grant

CLIENT_ID = "111.222"
CLIENT_SECRET = "client-secret-value-9"
STATE_COOKIE = "slack-app-oauth-state"
FORM = "application/x-www-form-urlencoded"

# slack-sdk 3.48 still builds aiohttp.BasicAuth for oauth.v2.access, deprecated since aiohttp 3.14.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
def oauth_env(slack_settings: Settings, oauth_db: str) -> Settings:
    """No bot token, an app's client id and secret: the app serves whoever installs it."""
    return replace(
        slack_settings,
        db_url=oauth_db,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=Secret(CLIENT_SECRET),
    )


def _harness(
    settings: Settings, fake: FakeSlack, tmp_path: Path, registry: PackRegistry, clock: Clock
) -> SlackHarness:
    return SlackHarness(
        fake=fake, settings=settings, db_path=tmp_path / "advisor.db", registry=registry, clock=clock
    )


@pytest.fixture
async def oauth_slack(
    fake_slack: FakeSlack, oauth_env: Settings, tmp_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[SlackHarness]:
    harness = _harness(oauth_env, fake_slack, tmp_path, registry, clock)
    await harness.start()
    yield harness
    await harness.stop()
    await harness.http.close()


@pytest.fixture
async def replicas(
    fake_slack: FakeSlack, oauth_env: Settings, tmp_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[tuple[SlackHarness, SlackHarness]]:
    """Two apps, two servers, two sets of stores: one database."""
    pair = (
        _harness(oauth_env, fake_slack, tmp_path, registry, clock),
        _harness(oauth_env, fake_slack, tmp_path, registry, clock),
    )
    for harness in pair:
        await harness.start()
    yield pair
    for harness in pair:
        await harness.stop()
        await harness.http.close()


@dataclass(frozen=True)
class InstallLink:
    """What the install page handed the browser: the state in the link, and its cookie."""

    state: str
    cookie: str


def _base(slack: SlackHarness) -> str:
    return slack.url.removesuffix("/slack/events")


async def open_install_page(slack: SlackHarness) -> InstallLink:
    async with slack.http.get(_base(slack) + "/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', html)
    assert link is not None
    assert f"client_id={CLIENT_ID}" in link[1]
    assert "scope=commands,chat:write,app_mentions:read,im:history" in link[1]
    state = re.search(r"state=([^&\"]+)", link[1])
    assert state is not None
    assert cookie == f"{STATE_COOKIE}={state[1]}"
    return InstallLink(state=state[1], cookie=cookie)


async def return_from_slack(slack: SlackHarness, link: InstallLink, *, code: str = "code-1") -> int:
    """The browser coming back from Slack's consent screen to the redirect URL."""
    async with slack.http.get(
        _base(slack) + "/slack/oauth_redirect",
        params={"code": code, "state": link.state},
        headers={"Cookie": link.cookie},
    ) as done:
        return done.status


async def install(slack: SlackHarness, *, code: str = "code-1", via: SlackHarness | None = None) -> None:
    link = await open_install_page(slack)
    assert await return_from_slack(via or slack, link, code=code) == 200
    exchange = await slack.fake.next_api_call()
    assert exchange.method == "oauth.v2.access"
    assert exchange.body["code"] == code
    assert exchange.authorization.startswith("Basic ")  # the client id and secret, to Slack only


async def start_team_session(slack: SlackHarness, *, team: str) -> str:
    """A signed `/choose-framework team ...` from `team`; the token its thread was posted with."""
    # A trigger id of its own: replicas share the record of deliveries, and their counters do not.
    trigger = f"trigger-{secrets.token_hex(4)}"
    body = slack.command_body("team Launch", trigger=trigger).replace("team_id=T1", f"team_id={team}")
    assert (await slack.post(body))[0] == 200
    posted = await slack.fake.next_api_call()
    assert posted.method == "chat.postMessage"
    await slack.fake.next_api_call()  # the first question, in the thread
    await slack.fake.next_post()  # the starter's private note
    return posted.authorization.removeprefix("Bearer ")


async def stored_teams(db_url: str) -> list[str]:
    """The workspaces installed, read straight from the database rather than through the app."""
    if db_url.startswith("postgresql://"):
        conn = await asyncpg.connect(db_url)
        try:
            rows = await conn.fetch("SELECT team_id FROM advisor_slack_installations ORDER BY team_id")
        finally:
            await conn.close()
        return [row["team_id"] for row in rows]
    with sqlite3.connect(db_url) as db:
        return [row[0] for row in db.execute("SELECT team_id FROM slack_installations ORDER BY team_id")]


async def test_a_workspace_installs_then_uses_the_bot(
    oauth_slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters")
    await install(oauth_slack)
    assert await stored_teams(oauth_slack.settings.db_url) == ["T9"]

    await oauth_slack.restart()  # the installation outlives the process
    body = oauth_slack.command_body("").replace("team_id=T1", "team_id=T9")
    assert (await oauth_slack.post(body))[0] == 200
    assert "What are you building?" in (await oauth_slack.fake.next_post()).text
    assert await start_team_session(oauth_slack, team="T9") == INSTALLED_TOKEN
    mention = {"type": "app_mention", "user": "U9", "text": "<@UBOT9>", "ts": "5.1", "channel": "C9"}
    event = oauth_slack.event_body(mention).replace('"team_id": "T1"', '"team_id": "T9"')
    assert (await oauth_slack.post(event, content_type="application/json"))[0] == 200
    reply = await oauth_slack.fake.next_api_call()
    assert reply.method == "chat.postMessage"
    assert reply.authorization == f"Bearer {INSTALLED_TOKEN}"  # the installed workspace's own token
    assert INSTALLED_TOKEN not in caplog.text
    assert CLIENT_SECRET not in caplog.text


async def test_each_workspace_is_answered_with_its_own_token(oauth_slack: SlackHarness) -> None:
    oauth_slack.fake.grants["code-8"] = oauth_grant(team="T8", token="xoxb-eight-8")
    oauth_slack.fake.grants["code-7"] = oauth_grant(team="T7", token="xoxb-seven-7")
    await install(oauth_slack, code="code-8")
    await install(oauth_slack, code="code-7")
    assert await stored_teams(oauth_slack.settings.db_url) == ["T7", "T8"]

    assert await start_team_session(oauth_slack, team="T8") == "xoxb-eight-8"
    assert await start_team_session(oauth_slack, team="T7") == "xoxb-seven-7"


async def test_replicas_share_installations_and_install_links(
    replicas: tuple[SlackHarness, SlackHarness],
) -> None:
    first, second = replicas
    await install(first, via=second)  # the link from one replica, the callback on the other
    assert await start_team_session(first, team="T9") == INSTALLED_TOKEN
    assert await start_team_session(second, team="T9") == INSTALLED_TOKEN


async def test_a_state_installs_once(oauth_slack: SlackHarness) -> None:
    link = await open_install_page(oauth_slack)
    assert await return_from_slack(oauth_slack, link) == 200
    assert await return_from_slack(oauth_slack, link, code="code-2") == 401  # replayed
    assert oauth_slack.fake.counts["oauth.v2.access"] == 1


async def test_callbacks_racing_on_two_replicas_install_once(
    replicas: tuple[SlackHarness, SlackHarness],
) -> None:
    link = await open_install_page(replicas[0])
    statuses = await asyncio.gather(
        *(return_from_slack(replicas[n % 2], link, code=f"code-{n}") for n in range(10))
    )
    assert sorted(statuses) == [200] + [401] * 9
    assert replicas[0].fake.counts["oauth.v2.access"] == 1


async def test_an_expired_install_link_is_refused(oauth_slack: SlackHarness) -> None:
    # A state issued STATE_SECONDS + 1 minute ago, by a replica on the same database.
    issued_long_ago = oauth_settings(oauth_slack.settings, clock=lambda: time.time() - STATE_SECONDS - 60)
    await open_oauth_stores(issued_long_ago)
    try:
        state = await issued_long_ago.state_store.async_issue()
    finally:
        await close_oauth_stores(issued_long_ago)

    link = InstallLink(state=state, cookie=f"{STATE_COOKIE}={state}")
    assert await return_from_slack(oauth_slack, link) == 401
    assert oauth_slack.fake.counts["oauth.v2.access"] == 0
    assert await stored_teams(oauth_slack.settings.db_url) == []


async def test_an_uninstalled_workspace_is_refused(oauth_slack: SlackHarness) -> None:
    status, _ = await oauth_slack.post(oauth_slack.command_body(""))
    assert status == 200  # bolt acknowledges (so Slack stops resending) and runs no listener
    assert await oauth_slack.store.get(ConversationKey("slack", "T1", "U1", "tiny")) is None
    assert oauth_slack.fake.counts["chat.postMessage"] == 0


async def test_an_unreachable_postgresql_stops_the_start_with_the_fix(
    slack_settings: Settings, registry: PackRegistry, tmp_path: Path
) -> None:
    settings = replace(
        slack_settings,
        db_url="postgresql://advisor:s3cret-pw@127.0.0.1:1/advisor",
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=Secret(CLIENT_SECRET),
    )
    store = await SqliteStore.open(tmp_path / "advisor.db")
    try:
        app = build_app(Services(store=store, registry=registry, advisor="tiny"), settings)
        runner = web.AppRunner(web_app(app, signing_secret="test-signing-secret"))
        with pytest.raises(StoreUnavailable) as caught:
            await runner.setup()
        await runner.cleanup()
    finally:
        await store.close()
    message = str(caught.value)
    assert "postgresql://advisor:***@127.0.0.1:1/advisor" in message
    assert "cannot be reached" in message
    assert "Check that PostgreSQL is running" in message
    assert "s3cret-pw" not in message


async def test_no_route_hands_an_unsigned_or_forged_request_to_bolt(oauth_slack: SlackHarness) -> None:
    """The server hands bolt bodies it has checked and parsed (bolt checks no signature of its
    own then), so every route is tried: the events route refuses each forgery with a 401, and
    none of the others (OAuth, health) ever reaches bolt's dispatcher."""
    dispatched: list[AsyncBoltRequest] = []
    dispatch = oauth_slack.app.async_dispatch

    async def counted(req: AsyncBoltRequest) -> BoltResponse:  # bolt's own parameter name
        dispatched.append(req)
        return await dispatch(req)

    oauth_slack.app.async_dispatch = counted  # type: ignore[method-assign]  # counting, then bolt's own
    health = Health(oauth_slack.services, Runtime())
    runner = web.AppRunner(web_app(oauth_slack.app, signing_secret=SECRET, health=health))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    body = oauth_slack.command_body("")
    now = int(time.time())
    forgeries = {
        "unsigned": {"Content-Type": FORM},
        "another secret": signed_headers(body, secret="not-the-secret", content_type=FORM),
        "stale": signed_headers(body, timestamp=now - 400, content_type=FORM),
        "from the future": signed_headers(body, timestamp=now + 400, content_type=FORM),
        "another body": signed_headers(body + "&text=x", content_type=FORM),
        "no timestamp": {
            name: value
            for name, value in signed_headers(body, content_type=FORM).items()
            if name != "X-Slack-Request-Timestamp"
        },
    }
    routes = {(r.method, r.resource.canonical) for r in runner.app.router.routes() if r.resource is not None}
    try:
        assert ("POST", "/slack/events") in routes
        assert ("GET", "/slack/install") in routes
        assert ("GET", "/healthz") in routes
        for method, path in sorted(routes):
            for name, headers in forgeries.items():
                url = f"http://{host}:{port}{path}"
                async with oauth_slack.http.request(method, url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status < 500, (method, path, name)
                    if method == "POST":
                        assert response.status == 401, (method, path, name)
    finally:
        await runner.cleanup()
    assert dispatched == []
    assert await oauth_slack.store.get(ConversationKey("slack", "T1", "U1", "tiny")) is None
    assert oauth_slack.fake.webhook_posts.empty()
