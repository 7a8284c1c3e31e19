"""The App Home tab and the "Choose a framework" shortcut, over signed HTTP to the real bolt app.

Slack's side is the fake Web API: each test awaits the calls the app makes (views.publish,
views.open, chat.postMessage, users.conversations) and reads what a user would see in them.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from adapters.slack.render.home import HOME_RESTART, HOME_SHARE, HOME_START, SHARE_VIEW
from tests.adapters.slack.conftest import CHANNEL, TEAM, SlackHarness
from tests.adapters.slack.test_flow import buttons
from tests.fakes.slack_api import ApiCall, WebhookPost


async def next_call(slack: SlackHarness, method: str) -> ApiCall:
    """The next Web API call, which must be `method` (anything else is a surprise worth failing on)."""
    call = await slack.fake.next_api_call()
    assert call.method == method, (call.method, call.body)
    return call


def home_opened(user: str = "U1", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": tab, "event_ts": "1.1"}


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def home_buttons(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Button label -> the button, over the view's actions blocks."""
    return {e["text"]["text"]: e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}


def interaction(payload: dict[str, Any]) -> str:
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def home_click(slack: SlackHarness, button: dict[str, Any], *, user: str = "U1") -> str:
    """A click on a Home tab button: its container is the view, and there is no response_url."""
    return interaction(
        {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "container": {"type": "view", "view_id": "V1"},
            "trigger_id": f"trigger-{slack.next_id()}",
            "team": {"id": TEAM, "domain": "test"},
            "view": {"id": "V1", "type": "home", "callback_id": "adv_home"},
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button.get("value", ""),
                    "action_ts": "1.2",
                }
            ],
        }
    )


def dm_click(slack: SlackHarness, value: str, *, user: str = "U1") -> str:
    """A click on a button of a message in the user's messages with the app (a DM channel)."""
    body = slack.click_body(value, user=user)
    payload = json.loads(urllib.parse.unquote(body[len("payload=") :]))
    payload["channel"] = {"id": "D1", "name": "directmessage"}
    payload["container"]["channel_id"] = "D1"
    payload["container"]["is_ephemeral"] = False
    return interaction(payload)


def submission(slack: SlackHarness, metadata: str, channel: str | None, *, user: str = "U1") -> str:
    selected = {"type": "conversations_select", "selected_conversation": channel}
    return interaction(
        {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": f"trigger-{slack.next_id()}",
            "view": {
                "id": "V2",
                "type": "modal",
                "callback_id": SHARE_VIEW,
                "private_metadata": metadata,
                "state": {"values": {"share_channel": {"channel": selected}}},
            },
            "response_urls": [
                {
                    "block_id": "share_channel",
                    "action_id": "channel",
                    "channel_id": channel,
                    "response_url": slack.fake.response_url("picked"),
                }
            ],
        }
    )


async def _home(slack: SlackHarness, user: str = "U1") -> dict[str, Any]:
    assert await slack.event(home_opened(user)) == 200
    call = await next_call(slack, "views.publish")
    assert call.body["user_id"] == user
    view: dict[str, Any] = call.body["view"]
    assert view["type"] == "home"
    return view


async def _answer_in_messages(slack: SlackHarness) -> WebhookPost:
    """Start from the Home tab and answer in the Messages tab until the result."""
    view = await _home(slack)
    await slack.post(home_click(slack, home_buttons(view)["Start"]))
    first = await next_call(slack, "chat.postMessage")
    assert first.body["channel"] == "U1"  # the user's messages with the app
    await next_call(slack, "views.publish")
    question = {
        e["text"]["text"]: e["value"]
        for b in first.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    await slack.click(question["JSON API"])
    await slack.click(buttons(await slack.fake.next_post())["Large and long-lived"])
    return await slack.fake.next_post()


# --- the Home tab ---------------------------------------------------------------------------


async def test_a_new_user_s_home_has_a_start_button_and_asks_slack_nothing_else(slack: SlackHarness) -> None:
    view = await _home(slack)
    assert "Framework Advisor" in json.dumps(view)
    assert home_buttons(view)["Start"]["action_id"] == HOME_START
    assert "Nothing yet" in view_text(view)
    assert "None open" in view_text(view)
    assert slack.fake.counts["users.conversations"] == 0  # no open team session: nothing to look up


async def test_the_messages_tab_opening_draws_nothing(slack: SlackHarness) -> None:
    await slack.event(home_opened("U1", tab="messages"))
    await slack.event(home_opened("U2"))
    assert (await next_call(slack, "views.publish")).body["user_id"] == "U2"


async def test_start_on_home_asks_in_messages_and_home_shows_the_result_after(slack: SlackHarness) -> None:
    result = await _answer_in_messages(slack)
    assert "Top pick: Beta" in result.text
    view = await _home(slack)
    text = view_text(view)
    assert "Your last result:* Beta (fit 100%, 4 points)" in text
    assert "Runner-up: Alpha (1 point, 3 behind)" in text
    assert "• *+3* Beta is built for APIs." in text  # the strongest answers, with their points
    assert home_buttons(view)["Share to a channel…"]["action_id"] == HOME_SHARE
    assert home_buttons(view)["Start over"]["action_id"] == HOME_RESTART


async def test_home_mid_conversation_offers_to_carry_on(slack: SlackHarness) -> None:
    await slack.command()
    first = await slack.fake.next_post()
    await slack.click(buttons(first)["JSON API"])
    await slack.fake.next_post()
    view = await _home(slack)
    assert "Question 2 · the last one: How big is it?" in view_text(view)
    await slack.post(home_click(slack, home_buttons(view)["Carry on"]))
    again = await next_call(slack, "chat.postMessage")
    assert "How big is it?" in again.body["text"]


async def test_share_from_home_asks_for_a_channel_then_posts_there(slack: SlackHarness) -> None:
    await _answer_in_messages(slack)
    view = await _home(slack)
    await slack.post(home_click(slack, home_buttons(view)["Share to a channel…"]))
    picker = await next_call(slack, "views.open")
    modal = picker.body["view"]
    assert modal["callback_id"] == SHARE_VIEW
    assert modal["blocks"][0]["element"]["type"] == "conversations_select"

    await slack.post(submission(slack, modal["private_metadata"], CHANNEL))
    shared = await next_call(slack, "chat.postMessage")
    assert shared.body["channel"] == CHANNEL
    assert "<@U1>" in shared.body["text"]
    assert "Beta" in shared.body["text"]
    redrawn = await next_call(slack, "views.publish")
    assert f"Shared your result in <#{CHANNEL}>." in view_text(redrawn.body["view"])


async def test_share_into_a_channel_the_bot_is_not_in_goes_through_the_picker_s_response_url(
    slack: SlackHarness,
) -> None:
    await _answer_in_messages(slack)
    view = await _home(slack)
    await slack.post(home_click(slack, home_buttons(view)["Share to a channel…"]))
    modal = (await next_call(slack, "views.open")).body["view"]
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.post(submission(slack, modal["private_metadata"], "C9"))
    await next_call(slack, "chat.postMessage")
    post = await slack.fake.next_post()
    assert post.hook == "picked"
    assert post.body["response_type"] == "in_channel"
    assert "Top pick: Beta" in post.text


async def test_a_stale_share_from_home_is_refused_on_the_home_tab(slack: SlackHarness) -> None:
    await _answer_in_messages(slack)
    view = await _home(slack)
    share = home_buttons(view)["Share to a channel…"]
    await slack.command("restart")  # the result the button was drawn for is gone
    await slack.fake.next_post()
    await slack.post(home_click(slack, share))
    redrawn = await next_call(slack, "views.publish")  # no modal: the refusal is shown at once
    assert "That question was already answered, so this click changed nothing." in view_text(
        redrawn.body["view"]
    )
    assert slack.fake.counts["views.open"] == 0


async def test_home_lists_open_team_sessions_in_the_user_s_channels(slack: SlackHarness) -> None:
    await slack.command("team Orders API")
    await next_call(slack, "chat.postMessage")  # the session's root message
    root_ts = "1700000000.000001"  # the fake's first ts: the session's thread
    await next_call(slack, "chat.postMessage")  # its first question, in the thread
    await slack.fake.next_post()  # what the starter sees privately
    slack.fake.channels_of["U1"] = ["C7", "C8", CHANNEL]  # two pages: the cursor is followed
    assert await slack.event(home_opened("U1")) == 200
    first_page = await next_call(slack, "users.conversations")
    assert first_page.body["user"] == "U1"
    assert "cursor" not in first_page.body
    assert (await next_call(slack, "users.conversations")).body["cursor"] == "2"
    permalink = await next_call(slack, "chat.getPermalink")
    assert (permalink.body["channel"], permalink.body["message_ts"]) == (CHANNEL, root_ts)
    view = (await next_call(slack, "views.publish")).body["view"]
    text = view_text(view)
    assert "*Orders API* in <#C1>" in text
    assert "question 1: What are you building?" in text
    assert "started by u1" in text
    link = next(b["accessory"] for b in view["blocks"] if "accessory" in b)
    assert link["text"]["text"] == "Open thread"
    assert link["url"] == f"https://test.slack.com/archives/{CHANNEL}/p1700000000000001"
    # Someone who is not in the channel does not see it.
    slack.fake.channels_of["U2"] = ["C7"]
    assert await slack.event(home_opened("U2")) == 200
    await next_call(slack, "users.conversations")
    other = await next_call(slack, "views.publish")
    assert "Orders API" not in view_text(other.body["view"])
    assert "None open" in view_text(other.body["view"])


# --- the global shortcut --------------------------------------------------------------------


async def test_the_global_shortcut_says_where_and_asks_the_first_question_in_messages(
    slack: SlackHarness,
) -> None:
    shortcut = interaction(
        {
            "type": "shortcut",
            "callback_id": "choose_framework",
            "trigger_id": "trigger-shortcut-1",
            "user": {"id": "U1", "username": "u1", "team_id": TEAM},
            "team": {"id": TEAM, "domain": "test"},
            "api_app_id": "A1",
            "action_ts": "1.3",
        }
    )
    status, _ = await slack.post(shortcut)
    assert status == 200
    opened = await next_call(slack, "views.open")
    assert opened.body["trigger_id"] == "trigger-shortcut-1"
    modal = opened.body["view"]
    assert "waiting in your *Messages*" in view_text(modal)
    assert home_buttons(modal)["Open Messages"]["url"] == "https://slack.com/app_redirect?app=A1&team=T1"
    question = await next_call(slack, "chat.postMessage")
    assert question.body["channel"] == "U1"
    assert "What are you building?" in question.body["text"]
    # A resend of the same shortcut starts nothing twice.
    await slack.post(shortcut, retry=1)
    await slack.command("status", hook="sentinel")
    while (await slack.fake.next_post()).hook != "sentinel":
        pass
    assert slack.fake.counts["views.open"] == 1


async def test_share_in_the_messages_tab_asks_for_a_channel_instead_of_posting_in_the_dm(
    slack: SlackHarness,
) -> None:
    await _answer_in_messages(slack)
    view = await _home(slack)
    share_value = home_buttons(view)["Share to a channel…"]["value"]
    await slack.post(dm_click(slack, share_value))
    modal = (await next_call(slack, "views.open")).body["view"]
    assert json.loads(modal["private_metadata"])["origin"] == "messages"
    await slack.post(submission(slack, modal["private_metadata"], CHANNEL))
    assert (await next_call(slack, "chat.postMessage")).body["channel"] == CHANNEL
    said = await next_call(slack, "chat.postMessage")
    assert said.body["channel"] == "U1"
    assert said.body["text"] == f"Shared your result in <#{CHANNEL}>."
