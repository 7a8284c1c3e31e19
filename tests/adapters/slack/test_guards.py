"""What must never happen: unsigned requests acting, stale or foreign clicks changing state,
a click applying twice, a resend replying twice, a slow store missing Slack's 3-second ack."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import pytest

from adapters.ids import ActionId
from bot.personal.conversation import Conversation, ConversationKey
from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from tests.adapters.slack.conftest import SECRET, TEAM, TOKEN, SlackHarness, signed_headers
from tests.adapters.slack.test_flow import buttons
from tests.fakes.slack_api import WAIT

T = TypeVar("T")
KEY = ConversationKey("slack", TEAM, "U1", "tiny")
FORM = "application/x-www-form-urlencoded"


async def _state(slack: SlackHarness) -> Conversation | None:
    return await slack.store.get(KEY)


async def _first_question(slack: SlackHarness) -> dict[str, str]:
    await slack.command()
    return buttons(await slack.fake.next_post())


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            lambda body: {**signed_headers(body, content_type=FORM), "X-Slack-Signature": "v0=" + "0" * 64},
            id="forged",
        ),
        pytest.param(lambda body: {"Content-Type": FORM}, id="missing"),
        pytest.param(
            lambda body: signed_headers(body, content_type=FORM, timestamp=int(time.time()) - 6 * 60),
            id="older-than-5-min",
        ),
        pytest.param(
            lambda body: signed_headers(body, content_type=FORM, secret="not-" + SECRET), id="wrong-secret"
        ),
    ],
)
async def test_bad_signatures_get_401_and_change_nothing(
    slack: SlackHarness, headers: Callable[[str], dict[str, str]]
) -> None:
    body = slack.command_body("", hook="forged")
    status, text = await slack.post(body, headers=headers(body))
    assert status == 401
    assert "invalid request" in text
    # A signed request after it is served normally, and is the only thing Slack ever saw.
    await slack.command("help", hook="real")
    post = await slack.fake.next_post()
    assert post.hook == "real"
    assert slack.fake.webhook_posts.empty()
    assert await _state(slack) is None


async def test_bad_signature_on_a_click_changes_nothing(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    before = await _state(slack)
    body = slack.click_body(first["JSON API"])
    status, _ = await slack.post(
        body, headers={**signed_headers(body, content_type=FORM), "X-Slack-Signature": "v0=bad"}
    )
    assert status == 401
    assert await _state(slack) == before


async def test_stale_click_changes_nothing_and_says_so(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    await slack.click(first["JSON API"])
    await slack.fake.next_post()
    await slack.click(first["Web pages"])  # the old message's button
    post = await slack.fake.next_post()
    assert post.body["response_type"] == "ephemeral"
    assert post.body["replace_original"] is False
    assert "already answered" in post.text
    state = await _state(slack)
    assert state is not None
    assert state.answers == (("kind", "api"),)


async def test_another_users_click_changes_nothing_and_says_so(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    before = await _state(slack)
    await slack.click(first["JSON API"], user="U2")
    post = await slack.fake.next_post()
    assert post.body["response_type"] == "ephemeral"
    assert post.body["replace_original"] is False
    assert "belongs to someone else" in post.text
    assert await _state(slack) == before
    assert await slack.store.get(ConversationKey("slack", TEAM, "U2", "tiny")) is None


async def test_double_click_applies_once(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    statuses = await asyncio.gather(slack.click(first["JSON API"]), slack.click(first["JSON API"]))
    assert list(statuses) == [200, 200]
    posts = [await slack.fake.next_post(), await slack.fake.next_post()]
    advanced = [p for p in posts if p.body.get("replace_original") is True]
    refused = [p for p in posts if p.body.get("replace_original") is False]
    assert len(advanced) == 1
    assert "How big is it?" in advanced[0].text
    assert len(refused) == 1
    assert "already answered" in refused[0].text
    state = await _state(slack)
    assert state is not None
    assert state.answers == (("kind", "api"),)
    assert state.step == ActionId.decode(first["JSON API"]).step + 1


async def test_app_rebuilt_between_two_clicks_carries_on(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    await slack.click(first["JSON API"])
    second = buttons(await slack.fake.next_post())
    await slack.restart()
    await slack.click(second["Large and long-lived"])
    assert "Top pick: Beta" in (await slack.fake.next_post()).text


async def test_malformed_body_gets_a_clear_400_and_the_app_carries_on(slack: SlackHarness) -> None:
    status, text = await slack.post("payload=%7Bnot-json")
    assert status == 400
    assert "malformed request" in text
    await slack.command("help")
    assert "status" in (await slack.fake.next_post()).text


async def test_a_button_value_we_did_not_make_gets_a_clear_message(slack: SlackHarness) -> None:
    await _first_question(slack)
    before = await _state(slack)
    assert await slack.click("adv:hello") == 200
    post = await slack.fake.next_post()
    assert "not one this advisor understands" in post.text
    assert await _state(slack) == before


async def test_a_click_without_actions_runs_nothing_and_the_app_carries_on(slack: SlackHarness) -> None:
    body = slack.click_body("adv:x:1:a:y").replace("%22actions%22%3A%20%5B", "%22actions_gone%22%3A%20%5B")
    assert "actions_gone" in body
    status, _ = await slack.post(body)
    assert status == 404  # bolt finds no listener for an action-less block_actions: nothing runs
    await slack.command("help")
    assert "status" in (await slack.fake.next_post()).text


async def test_resent_command_gets_no_second_reply(slack: SlackHarness) -> None:
    body = slack.command_body("", hook="original")
    assert (await slack.post(body))[0] == 200
    assert (await slack.fake.next_post()).hook == "original"
    assert (await slack.post(body, retry=1))[0] == 200  # acked, so Slack stops resending
    key = await _next_refused_claim(slack)
    assert key.startswith("trigger:T1:")  # the resend was recognised by its trigger_id
    await _assert_nothing_more_posted(slack)


async def test_resent_click_gets_no_second_reply_and_no_second_answer(slack: SlackHarness) -> None:
    first = await _first_question(slack)
    body = slack.click_body(first["JSON API"], trigger="click-trigger")
    await slack.post(body)
    await slack.fake.next_post()
    assert (await slack.post(body, retry=2))[0] == 200
    while True:
        key, is_first = await slack.deliveries.next_claim()
        if key.endswith("click-trigger") and not is_first:
            break
    await _assert_nothing_more_posted(slack)
    state = await _state(slack)
    assert state is not None
    assert state.answers == (("kind", "api"),)


async def test_resent_click_on_another_process_is_still_silent(slack: SlackHarness) -> None:
    """Even when the claim was lost (another database), a resent click's stale step stays quiet."""
    first = await _first_question(slack)
    body = slack.click_body(first["JSON API"], trigger="t-lost")
    await slack.post(body)
    await slack.fake.next_post()
    with sqlite3.connect(slack.db_path) as other:  # as if the first copy had gone elsewhere
        other.execute("DELETE FROM deliveries")
    await slack.post(body, retry=1)
    await _assert_nothing_more_posted(slack)


async def _next_refused_claim(slack: SlackHarness) -> str:
    """The key of the next delivery the log refused as already seen (each wait is guarded)."""
    while True:
        key, first = await slack.deliveries.next_claim()
        if not first:
            return key


async def _assert_nothing_more_posted(slack: SlackHarness) -> None:
    """A later request's reply arrives first and alone: nothing else was sent before it.

    The later request (status) goes through the same delivery log and store connections, which
    serve their callers in order, so anything the resend sent would have arrived first."""
    await slack.command("status", hook="sentinel")
    post = await slack.fake.next_post()
    assert post.hook == "sentinel"
    assert slack.fake.webhook_posts.empty()
    assert slack.fake.api_calls.empty()


class GatedStore:
    """The real store, held at the gate: reads wait until the test opens it (a very slow disk)."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.gate = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in ("get", "get_by_id"):

            async def gated(*args: Any, **kwargs: Any) -> Any:
                await self.gate.wait()
                return await attribute(*args, **kwargs)

            return gated
        return attribute


async def test_ack_comes_before_the_store_answers(slack: SlackHarness) -> None:
    await slack.stop()
    gated = GatedStore(await SqliteStore.open(slack.db_path))
    await slack.start(cast(Store, gated))
    started = time.monotonic()
    # Acknowledged while the store is still blocked (the guard turns a hang into a failure).
    assert await asyncio.wait_for(slack.command(), timeout=WAIT) == 200
    assert time.monotonic() - started < 3
    assert slack.fake.webhook_posts.empty()
    gated.gate.set()
    assert "What are you building?" in (await slack.fake.next_post()).text


async def test_tokens_and_secrets_never_logged(slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    first = await _first_question(slack)
    await slack.click(first["JSON API"])
    await slack.fake.next_post()
    await slack.click("adv:garbage")
    await slack.fake.next_post()
    await slack.post("payload=%7Bbad")
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert caplog.records  # bolt and slack-sdk did log at debug level
    assert TOKEN not in logged
    assert SECRET not in logged
