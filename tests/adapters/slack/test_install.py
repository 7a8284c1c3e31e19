"""Multi-workspace mode: a workspace installs through bolt's OAuth flow, then uses the bot.

The installation is kept in the project's SQLite file, so a rebuilt app still serves it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.settings import Secret, Settings
from bot.pack.registry import PackRegistry
from bot.personal.conversation import ConversationKey
from tests.adapters.slack.conftest import SlackHarness
from tests.conftest import Clock
from tests.fakes.slack_api import INSTALLED_TOKEN, FakeSlack


@pytest.fixture
async def oauth_slack(
    fake_slack: FakeSlack, slack_settings: Settings, tmp_path: Path, registry: PackRegistry, clock: Clock
) -> AsyncIterator[SlackHarness]:
    settings = replace(
        slack_settings,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret=Secret("client-secret-value-9"),
    )
    harness = SlackHarness(
        fake=fake_slack, settings=settings, db_path=tmp_path / "advisor.db", registry=registry, clock=clock
    )
    await harness.start()
    yield harness
    await harness.stop()
    await harness.http.close()


async def _install(slack: SlackHarness) -> None:
    base = slack.url.removesuffix("/slack/events")
    async with slack.http.get(base + "/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', html)
    assert link is not None
    assert "client_id=111.222" in link[1]
    assert "scope=commands,chat:write,app_mentions:read,im:history" in link[1]
    state = re.search(r"state=([^&\"]+)", link[1])
    assert state is not None
    async with slack.http.get(
        base + "/slack/oauth_redirect",
        params={"code": "code-1", "state": state[1]},
        headers={"Cookie": cookie},
    ) as done:
        assert done.status == 200
    exchange = await slack.fake.next_api_call()
    assert exchange.method == "oauth.v2.access"


# slack-sdk 3.48 still builds aiohttp.BasicAuth for oauth.v2.access, deprecated since aiohttp 3.14.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_a_workspace_installs_then_uses_the_bot(oauth_slack: SlackHarness) -> None:
    await _install(oauth_slack)
    with sqlite3.connect(oauth_slack.db_path) as db:
        teams = db.execute("SELECT team_id FROM slack_installations").fetchall()
    assert teams == [("T9",)]  # beside the conversations, in the project's database

    await oauth_slack.restart()  # the installation outlives the process
    body = oauth_slack.command_body("").replace("team_id=T1", "team_id=T9")
    assert (await oauth_slack.post(body))[0] == 200
    assert "What are you building?" in (await oauth_slack.fake.next_post()).text
    mention = {"type": "app_mention", "user": "U9", "text": "<@UBOT9>", "ts": "5.1", "channel": "C9"}
    event = oauth_slack.event_body(mention).replace('"team_id": "T1"', '"team_id": "T9"')
    assert (await oauth_slack.post(event, content_type="application/json"))[0] == 200
    reply = await oauth_slack.fake.next_api_call()
    assert reply.method == "chat.postMessage"
    assert reply.authorization == f"Bearer {INSTALLED_TOKEN}"  # the installed workspace's own token


async def test_an_uninstalled_workspace_is_refused(oauth_slack: SlackHarness) -> None:
    status, _ = await oauth_slack.post(oauth_slack.command_body(""))
    assert status == 200  # bolt acknowledges (so Slack stops resending) and runs no listener
    assert await oauth_slack.store.get(ConversationKey("slack", "T1", "U1", "tiny")) is None
