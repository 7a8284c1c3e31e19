"""A user's whole journey over real HTTP: signed requests in, Block Kit out to a fake Slack."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from adapters.ids import Action, ActionId
from tests.adapters.slack.conftest import CHANNEL, TOKEN, SlackHarness
from tests.fakes.slack_api import WebhookPost


def buttons(post: WebhookPost) -> dict[str, str]:
    """Button label -> value, over every actions block of a posted message."""
    out: dict[str, str] = {}
    for block in post.body.get("blocks", []):
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["type"] == "button":
                    out[element["text"]["text"]] = element["value"]
    return out


def read(post: WebhookPost) -> str:
    """What a user reads in a posted message: every section and context text, in order."""
    out = []
    for block in post.body.get("blocks", []):
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def header(post: WebhookPost) -> str:
    return str(next(b["text"]["text"] for b in post.body["blocks"] if b["type"] == "header"))


async def test_slash_command_to_result_by_clicking(slack: SlackHarness) -> None:
    fake = slack.fake
    assert await slack.command() == 200
    first = await fake.next_post()
    assert first.body["response_type"] == "ephemeral"
    assert "What are you building?" in first.text
    assert "Why we ask" in first.text
    assert "Pages and APIs favour different tools." in first.text
    assert "Question 1" in first.text
    assert set(buttons(first)) == {"Web pages", "JSON API", "Not sure", "Restart", "Why?"}

    assert await slack.click(buttons(first)["JSON API"]) == 200
    second = await fake.next_post()
    assert second.body["replace_original"] is True
    assert "How big is it?" in second.text
    assert "Back" in buttons(second)

    await slack.click(buttons(second)["Large and long-lived"])
    result = await fake.next_post()
    assert result.body["replace_original"] is True
    assert header(result) == "Top pick: Beta"
    shown = read(result)
    assert "*Beta*: 4 points, fit 100% (4 of a possible 4)" in shown
    assert "• *+3* Beta is built for APIs. _(you said: JSON API)_" in shown  # points per answer
    assert "• *+1* Beta is stable. _(you said: Large and long-lived)_\n*= 4 points*" in shown
    assert "*Why not Alpha* (runner-up, 1 point): 3 behind, from these answers:" in shown
    assert (
        "• *+4* “JSON API” gave Beta +3, Alpha -1\n• *-1* “Large and long-lived” gave Beta +1, Alpha +2"
        in shown
    )
    assert "https://example.org/two" in result.text  # sources as links
    assert list(buttons(result)) == ["Share to channel", "Full ranking", "Back", "Restart"]


async def test_replies_through_bolts_own_respond_too(slack: SlackHarness) -> None:
    """Without a shared session the app replies with bolt's `respond`, one session per reply."""
    await slack.restart(shared_session=False)
    result = await _to_result(slack)
    assert header(result) == "Top pick: Beta"
    await slack.click(buttons(result)["Share to channel"])
    assert (await slack.fake.next_api_call()).method == "chat.postMessage"
    assert "Shared in" in (await slack.fake.next_post()).text


async def _to_result(slack: SlackHarness) -> WebhookPost:
    await slack.command()
    first = await slack.fake.next_post()
    await slack.click(buttons(first)["JSON API"])
    second = await slack.fake.next_post()
    await slack.click(buttons(second)["Large and long-lived"])
    return await slack.fake.next_post()


async def test_share_posts_the_result_in_the_channel_with_whose_it_is(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    await slack.click(buttons(result)["Share to channel"])
    call = await slack.fake.next_api_call()
    assert call.method == "chat.postMessage"
    assert call.body["channel"] == CHANNEL
    assert "<@U1>" in call.body["text"]
    assert "Beta" in call.body["text"]
    assert not any(b["type"] == "actions" for b in call.body["blocks"])  # nobody else can click it
    assert call.authorization == f"Bearer {TOKEN}"
    updated = await slack.fake.next_post()
    assert updated.body["replace_original"] is True
    assert f"Shared in <#{CHANNEL}>" in updated.text


async def test_share_twice_posts_once(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    share = buttons(result)["Share to channel"]
    await asyncio.gather(slack.click(share), slack.click(share))
    posted = await slack.fake.next_api_call()
    assert posted.method == "chat.postMessage"
    replies = [await slack.fake.next_post(), await slack.fake.next_post()]
    assert sorted("already shared" in r.text for r in replies) == [False, True]
    await slack.command("status", hook="sentinel")
    while (await slack.fake.next_post()).hook != "sentinel":
        pass
    assert slack.fake.api_calls.empty()
    assert slack.fake.counts["chat.postMessage"] == 1


async def test_share_is_retried_after_a_429(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    slack.fake.rate_limited["chat.postMessage"] = 1
    await slack.click(buttons(result)["Share to channel"])
    call = await slack.fake.next_api_call()
    assert call.method == "chat.postMessage"
    assert "Beta" in call.body["text"]
    assert slack.fake.counts["chat.postMessage"] == 2  # the 429, then the retry that went through
    assert "Shared in" in (await slack.fake.next_post()).text


async def test_share_falls_back_to_response_url_where_the_bot_is_not_a_member(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.click(buttons(result)["Share to channel"])
    await slack.fake.next_api_call()
    shared = await slack.fake.next_post()
    assert shared.body["response_type"] == "in_channel"
    assert "<@U1>" in shared.text
    assert "Top pick: Beta" in shared.text


async def test_back_and_why_buttons(slack: SlackHarness) -> None:
    await slack.command()
    first = await slack.fake.next_post()
    await slack.click(buttons(first)["JSON API"])
    second = await slack.fake.next_post()
    await slack.click(buttons(second)["Why?"])
    why = await slack.fake.next_post()
    assert why.body["replace_original"] is False
    assert why.body["response_type"] == "ephemeral"
    assert "Small tools need small frameworks." in why.text
    await slack.click(buttons(second)["Back"])
    back = await slack.fake.next_post()
    assert back.body["replace_original"] is True
    assert "What are you building?" in back.text


async def test_restart_button_begins_again(slack: SlackHarness) -> None:
    await slack.command()
    first = await slack.fake.next_post()
    await slack.click(buttons(first)["JSON API"])
    second = await slack.fake.next_post()
    await slack.click(buttons(second)["Restart"])
    again = await slack.fake.next_post()
    assert "What are you building?" in again.text
    assert "Back" not in buttons(again)


async def test_subcommands_help_status_result_restart_forget(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.command("help")
    assert "status" in (await fake.next_post()).text
    await slack.command("status")
    assert "no advisor conversation yet" in (await fake.next_post()).text
    await slack.command("")
    first = await fake.next_post()
    await slack.click(buttons(first)["Web pages"])
    await fake.next_post()
    await slack.command("status")
    status = await fake.next_post()
    assert "Answered 1 question" in status.text
    assert "Web pages" in status.text
    assert "Alpha" in status.text
    await slack.command("result")
    assert "Top pick: Alpha" in (await fake.next_post()).text
    await slack.command("")  # resumes where it was
    assert "Do editors need an admin?" in (await fake.next_post()).text
    await slack.command("restart")
    assert "What are you building?" in (await fake.next_post()).text
    await slack.command("forget")
    assert "Deleted 1 conversation" in (await fake.next_post()).text
    await slack.command("status")
    assert "no advisor conversation yet" in (await fake.next_post()).text
    await slack.command("dance")
    assert "is not something I know" in (await fake.next_post()).text


async def test_select_menu_answer_is_accepted(slack: SlackHarness) -> None:
    """A click from a static_select carries its value in selected_option."""
    await slack.command()
    first = await slack.fake.next_post()
    value = buttons(first)["Web pages"]
    action = ActionId.decode(value)
    select_id = f"adv:select:{action.conversation_id}:{action.step}"
    await slack.click(value, select=True, action_id=select_id)
    assert "Do editors need an admin?" in (await slack.fake.next_post()).text


def _decode_all(post: WebhookPost) -> list[Any]:
    return [ActionId.decode(v) for v in buttons(post).values()]


async def test_every_button_carries_conversation_and_step(slack: SlackHarness) -> None:
    await slack.command()
    first = await slack.fake.next_post()
    ids = _decode_all(first)
    assert len({(a.conversation_id, a.step) for a in ids}) == 1
    assert {a.action for a in ids} == {Action.ANSWER, Action.RESTART, Action.WHY}


async def test_after_a_long_pause_resume_or_start_over(slack: SlackHarness) -> None:
    await slack.command()
    first = buttons(await slack.fake.next_post())
    await slack.click(first["JSON API"])
    second = buttons(await slack.fake.next_post())
    slack.clock.advance(timedelta(hours=25))
    await slack.click(second["Large and long-lived"])
    offer = await slack.fake.next_post()
    assert "more than 24 hours ago" in offer.text
    assert {"Resume", "Start over"} <= set(buttons(offer))
    await slack.click(buttons(offer)["Resume"])
    resumed = await slack.fake.next_post()
    assert resumed.body["replace_original"] is True
    assert "How big is it?" in resumed.text  # the answer given before the pause is kept


async def test_events_url_verification_answers_the_challenge(slack: SlackHarness) -> None:
    """What Slack sends when the Request URL is saved in the app settings (HTTP mode)."""
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    status, text = await slack.post(body, content_type="application/json")
    assert status == 200
    assert "c-123" in text


async def test_slacks_ssl_check_is_answered_and_does_nothing_else(slack: SlackHarness) -> None:
    """What Slack sends to check the certificate of the Request URL, now and then."""
    status, text = await slack.post("ssl_check=1&token=legacy")
    assert (status, text) == (200, "")
    assert slack.deliveries.claims.empty()
    assert slack.fake.webhook_posts.empty()
    assert slack.fake.api_calls.empty()


# --- Full ranking -------------------------------------------------------------------------


async def test_full_ranking_lists_every_subject_beside_the_result(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    await slack.click(buttons(result)["Full ranking"])
    ranking = await slack.fake.next_post()
    assert ranking.body["response_type"] == "ephemeral"
    assert ranking.body["replace_original"] is False  # the result stays where it is
    assert read(ranking).splitlines() == [
        "*Full ranking* · Tiny test advisor, after 2 answers",
        "*1. Beta*: 4 points · +3 “JSON API”, +1 “Large and long-lived”",
        "*2. Alpha*: 1 point · +2 “Large and long-lived”, -1 “JSON API”",
        "*3. Gamma*: 0 points · no answer moved it",
    ]
    assert ranking.body["text"] == "Full ranking: 1. Beta 4, 2. Alpha 1, 3. Gamma 0"


async def test_someone_elses_full_ranking_is_refused(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    await slack.click(buttons(result)["Full ranking"], user="U2")
    refused = await slack.fake.next_post()
    assert refused.body["replace_original"] is False
    assert "belongs to someone else" in refused.text
    assert "Beta" not in refused.text


async def test_the_full_ranking_of_an_old_result_is_refused(slack: SlackHarness) -> None:
    result = await _to_result(slack)
    await slack.click(buttons(result)["Back"])
    assert "How big is it?" in (await slack.fake.next_post()).text
    await slack.click(buttons(result)["Full ranking"])
    refused = await slack.fake.next_post()
    assert "already answered" in refused.text
    assert "Full ranking" not in read(refused)


async def test_the_ranking_subcommand_shows_the_ranking_so_far(slack: SlackHarness) -> None:
    await slack.command()
    first = await slack.fake.next_post()
    await slack.click(buttons(first)["Web pages"])
    await slack.fake.next_post()
    await slack.command("ranking")
    ranking = await slack.fake.next_post()
    assert read(ranking).splitlines()[:2] == [
        "*Full ranking so far* · Tiny test advisor, after 1 answer",
        "*1. Alpha*: 3 points · +3 “Web pages”",
    ]
