"""@mentions in channels and direct messages, as Slack's Events API delivers them."""

from __future__ import annotations

import pytest

from bot.personal.conversation import ConversationKey
from tests.adapters.slack.conftest import CHANNEL, TEAM, SlackHarness
from tests.adapters.slack.test_flow import buttons
from tests.fakes.slack_api import ApiCall


def mention(ts: str = "1700000100.000200", **extra: str) -> dict[str, str]:
    return {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> help?",
        "ts": ts,
        "channel": CHANNEL,
        **extra,
    }


def dm(text: str, ts: str) -> dict[str, str]:
    return {"type": "message", "channel_type": "im", "user": "U1", "text": text, "ts": ts, "channel": "D1"}


async def test_mention_answers_in_a_thread_with_a_start_button(slack: SlackHarness) -> None:
    assert await slack.event(mention()) == 200
    call = await slack.fake.next_api_call()
    assert call.method == "chat.postMessage"
    assert call.body["channel"] == CHANNEL
    assert call.body["thread_ts"] == "1700000100.000200"
    assert "Python web framework" in call.body["text"]
    start = next(
        e
        for b in call.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Start"
    )
    await slack.click(start["value"], action_id=start["action_id"], user="U7")
    post = await slack.fake.next_post()
    assert post.body["response_type"] == "ephemeral"
    assert "What are you building?" in post.text


async def test_mention_inside_a_thread_stays_in_that_thread(slack: SlackHarness) -> None:
    await slack.event(mention(ts="1700000200.1", thread_ts="1700000100.9"))
    assert (await slack.fake.next_api_call()).body["thread_ts"] == "1700000100.9"


async def _reply(slack: SlackHarness, text: str, ts: str) -> ApiCall:
    assert await slack.event(dm(text, ts)) == 200
    call = await slack.fake.next_api_call()
    assert call.method == "chat.postMessage"
    assert call.body["channel"] == "D1"
    return call


async def test_direct_messages_work_like_the_terminal(slack: SlackHarness) -> None:
    first = await _reply(slack, "hi", "1.1")
    assert "What are you building?" in first.body["text"]
    assert "1. Web pages" in first.body["text"]
    assert "How big is it?" in (await _reply(slack, "2", "1.2")).body["text"]
    assert "Small tools need small frameworks." in (await _reply(slack, "why", "1.3")).body["text"]
    assert "What are you building?" in (await _reply(slack, "back", "1.4")).body["text"]
    assert "not one of the options" in (await _reply(slack, "teapot", "1.5")).body["text"]
    assert "How big is it?" in (await _reply(slack, "JSON API", "1.6")).body["text"]
    assert "Top pick: Beta" in (await _reply(slack, "large", "1.7")).body["text"]


async def test_a_slash_flow_and_a_dm_share_one_conversation(slack: SlackHarness) -> None:
    await slack.command()
    first = buttons(await slack.fake.next_post())
    await slack.click(first["JSON API"])
    await slack.fake.next_post()
    assert "How big is it?" in (await _reply(slack, "status", "2.1")).body["text"]


async def test_bot_and_edited_messages_are_ignored(slack: SlackHarness) -> None:
    await slack.event({**dm("hello", "3.1"), "bot_id": "B9"})
    await slack.event({**dm("hello", "3.2"), "subtype": "message_changed"})
    await slack.event({**dm("hello", "3.3"), "channel_type": "channel"})
    assert "What are you building?" in (await _reply(slack, "start", "3.4")).body["text"]
    assert slack.fake.api_calls.empty()


async def test_resent_event_gets_no_second_reply(slack: SlackHarness) -> None:
    body = slack.event_body(dm("hi", "4.1"), event_id="EvSame")
    await slack.post(body, content_type="application/json")
    await slack.fake.next_api_call()
    await slack.post(body, content_type="application/json", retry=1)
    while (claim := await slack.deliveries.next_claim())[0] != "event:EvSame" or claim[1]:
        pass
    assert "What are you building?" in (await _reply(slack, "status", "4.2")).body["text"]
    assert slack.fake.api_calls.empty()


async def test_a_typed_answer_in_a_dm_is_echoed_as_understood(slack: SlackHarness) -> None:
    await _reply(slack, "hi", "4.1")
    second = (await _reply(slack, "rest", "4.2")).body["text"]
    assert second.startswith("Taken as: JSON API\n\nQuestion 2 (the last): How big is it?")
    result = (await _reply(slack, "2", "4.3")).body["text"]
    assert result.startswith("Taken as: Large and long-lived\n\nTiny test advisor: recommendation")
    assert "  +3 Beta is built for APIs. (you said: JSON API)" in result
    assert "Why not Alpha (runner-up, 1 point): 3 behind, from these answers:" in result
    assert '  +4 "JSON API" gave Beta +3, Alpha -1' in result
    ranking = (await _reply(slack, "ranking", "4.4")).body["text"]
    assert ranking.splitlines()[1:] == [
        '  1. Beta   4 points  +3 "JSON API", +1 "Large and long-lived"',
        '  2. Alpha  1 point   +2 "Large and long-lived", -1 "JSON API"',
        "  3. Gamma  0 points  (no answer moved it)",
    ]


async def test_a_label_typed_in_a_dm_is_not_echoed(slack: SlackHarness) -> None:
    await _reply(slack, "hi", "5.1")
    second = (await _reply(slack, "JSON API", "5.2")).body["text"]
    assert second.startswith("Question 2 (the last): How big is it?")


@pytest.mark.parametrize("typed", ["-1", "0", "+1"])
async def test_negative_or_zero_numbers_are_refused_in_a_dm(slack: SlackHarness, typed: str) -> None:
    await _reply(slack, "hi", "6.1")
    refused = (await _reply(slack, typed, "6.2")).body["text"]
    assert f"'{typed}' is not one of the options." in refused
    assert "Answer with a number or a label: 1. Web pages, 2. JSON API, 3. Not sure." in refused
    state = await slack.store.get(ConversationKey("slack", TEAM, "U1", "tiny"))
    assert state is not None
    assert state.answers == ()  # nothing was taken as option 1
