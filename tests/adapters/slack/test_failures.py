"""Failures after the acknowledgement reach the user: a locked database, a reply that can't go.

Slack has its 200 before any of this happens, so silence would be all the user gets: each
case must end in a reply that says what happened, or (when no reply can go) one WARNING line
without a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.failures import BUG_TEXT
from adapters.slack.render.blocks import SlackMessage
from adapters.slack.respond import Responder
from bot.personal.conversation import ConversationKey
from bot.store.sqlite import SqliteStore
from tests.adapters.slack.conftest import TEAM, SlackHarness
from tests.adapters.slack.test_flow import buttons
from tests.adapters.slack.test_fuzz import settle, snapshot
from tests.adapters.slack.test_team import buttons as team_buttons
from tests.adapters.slack.test_team import start_session

NOTHING_SAVED = "nothing was saved. Try again"


@pytest.fixture
async def impatient(slack: SlackHarness) -> SlackHarness:
    """The app on a store that gives up on a lock after 50 ms instead of 5 s."""
    await slack.stop()
    await slack.start(await SqliteStore.open(slack.db_path, busy_timeout_ms=50))
    return slack


@contextmanager
def locked(slack: SlackHarness) -> Iterator[None]:
    """Another program holds the database's write lock (as `sqlite3` in a shell would)."""
    other = sqlite3.connect(slack.db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a failure from outside"


async def test_a_slash_command_on_a_locked_database_says_nothing_was_saved(
    impatient: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    slack = impatient
    with locked(slack):
        assert await slack.command("", hook="locked") == 200
        post = await slack.fake.next_post()
    assert post.hook == "locked"
    assert post.body["response_type"] == "ephemeral"
    assert NOTHING_SAVED in post.text
    assert str(slack.db_path) not in post.text, "a chat user is not shown the file's path"
    assert await slack.store.get(ConversationKey("slack", TEAM, "U1", "tiny")) is None
    no_errors(caplog)
    await slack.command("", hook="after")  # once the lock is gone, the same command works
    assert "What are you building?" in (await slack.fake.next_post()).text


@pytest.mark.parametrize("with_trigger", [True, False], ids=["claim-fails", "save-fails"])
async def test_a_click_on_a_locked_database_says_nothing_was_saved(
    impatient: SlackHarness, caplog: pytest.LogCaptureFixture, with_trigger: bool
) -> None:
    slack = impatient
    await slack.command("")
    first = buttons(await slack.fake.next_post())
    await settle()
    before = snapshot(slack.db_path)
    body = slack.click_body(first["JSON API"], hook="click")
    if not with_trigger:  # no delivery claim: the engine's own save meets the lock
        body = _without(body, "trigger_id")
    with locked(slack):
        assert (await slack.post(body))[0] == 200
        post = await slack.fake.next_post()
    assert post.hook == "click"
    assert post.body["replace_original"] is False, "the question stays, so the user can click again"
    assert NOTHING_SAVED in post.text
    await settle()
    assert snapshot(slack.db_path) == before
    no_errors(caplog)


async def test_a_team_vote_on_a_locked_database_says_nothing_was_saved(
    impatient: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    slack = impatient
    _, question = await start_session(slack)
    await slack.fake.next_post()
    await settle()
    await settle()
    before = snapshot(slack.db_path)
    with locked(slack):
        assert await slack.click(team_buttons(question)["JSON API"], user="U2", hook="vote") == 200
        post = await slack.fake.next_post()
    assert post.hook == "vote"
    assert post.body["response_type"] == "ephemeral"
    assert NOTHING_SAVED in post.text
    await settle()
    assert snapshot(slack.db_path) == before
    no_errors(caplog)


@pytest.mark.parametrize(
    "response_url",
    [
        pytest.param("not a url at all", id="invalid-url"),
        pytest.param("ftp://127.0.0.1/hook", id="not-http"),
        pytest.param("http://127.0.0.1:9/hook", id="connection-refused"),
    ],
)
async def test_a_reply_that_cannot_be_delivered_is_one_warning_without_a_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, response_url: str
) -> None:
    caplog.set_level(logging.WARNING)
    body = _with(slack.command_body("help"), response_url=response_url)
    assert (await slack.post(body))[0] == 200
    await settle()
    undelivered = [r for r in caplog.records if "could not be delivered" in r.getMessage()]
    assert len(undelivered) == 1, [r.getMessage() for r in caplog.records]
    assert undelivered[0].levelno == logging.WARNING
    no_errors(caplog)


async def test_a_response_url_that_answers_500_is_one_warning(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body = _with(slack.command_body("help"), response_url=slack.fake.url + "/api/nonexistent.method/x")
    assert (await slack.post(body))[0] == 200
    await settle()
    refused = [r for r in caplog.records if "refused a reply" in r.getMessage()]
    assert len(refused) == 1
    no_errors(caplog)


async def test_a_click_without_a_response_url_changes_nothing_and_is_one_warning(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """bolt's own `respond` would raise "respond is unsupported here"; nothing is done instead."""
    caplog.set_level(logging.WARNING)
    await slack.command("")
    first = buttons(await slack.fake.next_post())
    await settle()
    before = snapshot(slack.db_path)
    body = slack.click_body(first["JSON API"])
    payload = urllib.parse.unquote(body.split("=", 1)[1])
    payload = payload.replace(f'"response_url": "{slack.fake.response_url("")}', '"unused": "')
    assert "response_url" not in payload
    assert (await slack.post("payload=" + urllib.parse.quote(payload)))[0] == 200
    await settle()
    await settle()
    assert snapshot(slack.db_path) == before
    assert sum("could not be delivered" in r.getMessage() for r in caplog.records) == 1
    no_errors(caplog)


async def test_a_bug_after_the_ack_is_logged_with_its_traceback_and_the_user_hears_of_it(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one case that is ours: anything but an AdvisorError or a delivery failure."""

    async def broken(*args: object, **kwargs: object) -> object:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(slack.engine, "status", broken)
    await slack.command("status", hook="bug")
    post = await slack.fake.next_post()
    assert BUG_TEXT in post.text
    bugs = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(bugs) == 1
    assert bugs[0].exc_info is not None


def _with(body: str, **fields: str) -> str:
    return urllib.parse.urlencode({**dict(urllib.parse.parse_qsl(body)), **fields})


def _without(body: str, field: str) -> str:
    data = json.loads(urllib.parse.unquote(body.split("=", 1)[1]))
    data.pop(field)
    return "payload=" + urllib.parse.quote(json.dumps(data))


class DroppingHook:
    """A response_url whose server answers once per connection, then drops the kept-alive
    connection when it is used again (as a load balancer closing idle connections does)."""

    def __init__(self) -> None:
        self.bodies: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self.dropped = 0
        self.url = ""

    async def __aenter__(self) -> DroppingHook:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        host, port = self.server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                if answered:
                    self.dropped += 1
                    return  # closed without an answer
                self.bodies.put_nowait(json.loads(body))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
                await writer.drain()
                answered = True
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()


async def test_a_reply_goes_through_although_its_kept_alive_connection_was_dropped() -> None:
    async with DroppingHook() as hook, aiohttp.ClientSession() as session:
        responder = Responder(session)
        respond = AsyncRespond(response_url=hook.url)
        await responder.send(respond, SlackMessage("first"), replace_original=True)
        await responder.send(respond, SlackMessage("second"), response_type="ephemeral")
        first, second = hook.bodies.get_nowait(), hook.bodies.get_nowait()
    assert hook.dropped == 1  # the second reply met the dropped connection, and was sent again
    assert first == {"replace_original": True, "text": "first", "blocks": []}  # no null fields
    assert second == {"response_type": "ephemeral", "text": "second", "blocks": []}
    assert hook.bodies.empty()
