"""Team sessions through the real bolt app: a thread in the channel, votes redrawn from the store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from adapters.ids import Action, ActionId
from bot.team.engine import TeamEngine
from tests.adapters.slack.conftest import CHANNEL, SlackHarness
from tests.fakes.slack_api import ApiCall, FakeSlack

MEMBERS = ("U1", "U2", "U3")


async def until(fake: FakeSlack, method: str) -> ApiCall:
    """The next Web API call of `method`, skipping others (the fake records every call in order)."""
    while True:
        call = await fake.next_api_call()
        if call.method == method:
            return call


def blocks_of(call: ApiCall) -> list[dict[str, Any]]:
    raw = call.body.get("blocks", [])
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def text_of(call: ApiCall) -> str:
    return str(call.body.get("text", "")) + json.dumps(blocks_of(call), ensure_ascii=False)


def view_of(call: ApiCall) -> dict[str, Any]:
    """The modal a views.open call carried (slack-sdk sends it as JSON or as a form field)."""
    raw = call.body["view"]
    return dict(json.loads(raw)) if isinstance(raw, str) else dict(raw)


def buttons(call: ApiCall) -> dict[str, str]:
    out: dict[str, str] = {}
    for block in blocks_of(call):
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["type"] == "button":
                    out[element["text"]["text"]] = element["value"]
    return out


def team_engine(slack: SlackHarness) -> TeamEngine:
    return TeamEngine(store=slack.store, registry=slack.registry, advisor="tiny")


async def start_session(slack: SlackHarness, topic: str = "Orders API") -> tuple[ApiCall, ApiCall]:
    assert await slack.command(f"team {topic}", user="U1") == 200
    root = await until(slack.fake, "chat.postMessage")
    question = await until(slack.fake, "chat.postMessage")
    return root, question


async def test_three_members_reach_a_result_with_tally_splits_picks_and_record(slack: SlackHarness) -> None:
    fake = slack.fake
    root, question = await start_session(slack)
    assert root.body["channel"] == CHANNEL
    assert "Orders API" in text_of(root)
    assert question.body["thread_ts"] == "1700000000.000001", "questions go in the session's own thread"
    assert "Team question 1: What are you building?" in text_of(question)
    assert "A tie waits for u1 (who started) or anyone who can manage the channel" in text_of(question)
    assert "listed first" not in text_of(question)
    started = await fake.next_post()
    assert started.body["response_type"] == "ephemeral"
    assert "started in a thread" in started.text

    vote = buttons(question)
    for member, label in zip(MEMBERS, ("Web pages", "JSON API", "JSON API"), strict=True):
        assert await slack.click(vote[label], user=member) == 200
        redrawn = await until(fake, "chat.update")
    assert redrawn.body["ts"] == "1700000000.1", "the clicked message is redrawn in place"
    assert "Votes so far: 3" in text_of(redrawn)
    assert "*JSON API*: 2 ██ (u2, u3)" in text_of(redrawn)

    await slack.click(buttons(question)["Next"], user="U1")
    closed = await until(fake, "chat.update")
    assert "The team chose *JSON API*" in text_of(closed)
    assert "Next" not in buttons(closed)
    second = await until(fake, "chat.postMessage")
    assert "How big is it?" in text_of(second)

    for member, label in zip(
        MEMBERS, ("A single file", "Large and long-lived", "Large and long-lived"), strict=True
    ):
        await slack.click(buttons(second)[label], user=member)
        await until(fake, "chat.update")
    await slack.click(buttons(second)["Next"], user="U1")
    await until(fake, "chat.update")
    result = await until(fake, "chat.postMessage")
    shown = text_of(result)
    assert "Team pick: Beta" in shown
    assert "2 of 3: Beta is built for APIs." in shown, "every reason carries its support"
    assert "u1: *Gamma*" in shown, "U1's own answers (pages, single file) point elsewhere"
    assert "u2: *Beta*" in shown
    assert "Where the team split" in shown
    assert "What are you building? JSON API 2 (u2, u3), Web pages 1 (u1)" in shown
    assert "Participants: u1, u2, u3" in shown
    assert "Decision record" in buttons(result)
    assert "Accept decision" in buttons(result)
    assert "Decision *proposed*" in shown

    upload = await until(fake, "files.getUploadURLExternal")
    assert upload.body["filename"] == "0001-orders-api.md"
    _, content = await fake.next_upload()
    record = content.decode()
    assert "\n# Orders API: Beta\n" in record
    assert 'status: "proposed"' in record
    completed = await until(fake, "files.completeUploadExternal")
    assert completed.body["thread_ts"] == "1700000000.000001"


async def test_only_the_starter_or_an_admin_may_press_next(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    await slack.click(buttons(question)["JSON API"], user="U2")
    await until(fake, "chat.update")

    await slack.click(buttons(question)["Next"], user="U2")
    refusal = await fake.next_post()
    assert refusal.body["response_type"] == "ephemeral"
    assert "Next" in refusal.text or "started" in refusal.text
    session = await team_engine(slack).session(ActionId.decode(buttons(question)["Next"]).conversation_id)
    assert session.closed == ()

    fake.admins.add("U3")
    await slack.click(buttons(question)["Next"], user="U3")
    await until(fake, "chat.update")
    assert "How big is it?" in text_of(await until(fake, "chat.postMessage"))


async def test_changed_vote_and_a_vote_after_close(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    vote = buttons(question)
    await slack.click(vote["Web pages"], user="U2")
    await until(fake, "chat.update")
    await slack.click(vote["JSON API"], user="U2")
    changed = await until(fake, "chat.update")
    assert "*JSON API*: 1 █ (u2)" in text_of(changed)
    assert "*Web pages*: 0" in text_of(changed)

    await slack.click(vote["Next"], user="U1")
    await until(fake, "chat.postMessage")
    await slack.click(vote["Web pages"], user="U3")
    late = await fake.next_post()
    assert late.body["response_type"] == "ephemeral"
    assert "closed" in late.text
    session = await team_engine(slack).session(ActionId.decode(vote["Next"]).conversation_id)
    assert dict(session.closed[0].votes) == {"U2": "api"}


async def test_thirty_members_voting_at_once_are_all_counted_once(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    vote = buttons(question)
    members = [f"M{i:02d}" for i in range(30)]
    statuses = await asyncio.gather(
        *(slack.click(vote["JSON API" if i % 3 else "Web pages"], user=m) for i, m in enumerate(members))
    )
    assert statuses == [200] * 30
    for _ in members:
        await until(fake, "chat.update")
    session = await team_engine(slack).session(ActionId.decode(vote["Next"]).conversation_id)
    votes = session.current_votes
    assert sorted(votes) == members
    assert sum(option == "api" for option in votes.values()) == 20


async def test_a_restart_mid_session_carries_on(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    vote = buttons(question)
    await slack.click(vote["JSON API"], user="U2")
    await until(fake, "chat.update")
    await slack.restart()
    await slack.click(vote["Web pages"], user="U3")
    redrawn = await until(fake, "chat.update")
    assert "Votes so far: 2" in text_of(redrawn)
    await slack.click(vote["Next"], user="U1")
    waiting = await until(fake, "chat.update")
    assert "A tie:" in text_of(waiting)
    assert {"Decide: Web pages", "Decide: JSON API"} <= set(buttons(waiting))
    await slack.click(buttons(waiting)["Decide: Web pages"], user="U1")
    closed = await until(fake, "chat.update")
    assert "A tie between Web pages and JSON API: *u1* chose *Web pages*." in text_of(closed)
    assert "Do editors need an admin?" in text_of(await until(fake, "chat.postMessage"))


async def test_bot_not_in_channel_is_explained(slack: SlackHarness) -> None:
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.command("team Anything", user="U1")
    post = await slack.fake.next_post()
    assert post.body["response_type"] == "ephemeral"
    assert "Invite me first" in post.text


async def test_record_button_uploads_the_record_again(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    sid = ActionId.decode(buttons(question)["Next"]).conversation_id
    await slack.click(ActionId(sid, 1, Action.RECORD).encode(), user="U2")
    await until(fake, "files.getUploadURLExternal")
    _, content = await fake.next_upload()
    assert "\n# Orders API (undecided)\n" in content.decode()


async def test_anonymous_session_with_a_quorum_closes_by_itself(slack: SlackHarness) -> None:
    fake = slack.fake
    assert await slack.command("team --anonymous --quorum 2 Billing", user="U1") == 200
    root = await until(fake, "chat.postMessage")
    assert "Billing" in text_of(root)
    question = await until(fake, "chat.postMessage")
    assert "closes by itself at 2 votes" in text_of(question)
    await fake.next_post()
    await slack.click(buttons(question)["JSON API"], user="U2")
    first = await until(fake, "chat.update")
    assert "(anonymous)" in text_of(first)
    assert "u2" not in text_of(first), "an anonymous tally shows counts only"
    await slack.click(buttons(question)["JSON API"], user="U3")
    closed = await until(fake, "chat.update")
    assert "The team chose *JSON API*" in text_of(closed)
    assert "How big is it?" in text_of(await until(fake, "chat.postMessage"))


async def test_bad_team_flags_are_explained(slack: SlackHarness) -> None:
    await slack.command("team --quorum lots Billing", user="U1")
    post = await slack.fake.next_post()
    assert post.body["response_type"] == "ephemeral"
    assert "--quorum needs a whole number" in post.text
    assert slack.fake.counts["chat.postMessage"] == 0


async def test_someone_who_left_the_channel_cannot_vote_until_they_rejoin(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    sid = ActionId.decode(buttons(question)["Next"]).conversation_id
    left = {
        "type": "member_left_channel",
        "user": "U2",
        "channel": CHANNEL,
        "channel_type": "C",
        "team": "T1",
    }
    assert await slack.event(left) == 200
    assert await slack.team_engine.next_presence() == ("U2", False)
    assert (await team_engine(slack).session(sid)).left == ("U2",)

    await slack.click(buttons(question)["JSON API"], user="U2")
    refusal = await fake.next_post()
    assert "You left this channel" in refusal.text
    assert (await team_engine(slack).session(sid)).current_votes == {}

    joined = {
        "type": "member_joined_channel",
        "user": "U2",
        "channel": CHANNEL,
        "channel_type": "C",
        "team": "T1",
    }
    await slack.event(joined)
    assert await slack.team_engine.next_presence() == ("U2", True)
    await slack.click(buttons(question)["JSON API"], user="U2")
    redrawn = await until(fake, "chat.update")
    assert "*JSON API*: 1 █ (u2)" in text_of(redrawn)


async def three_way_tie(slack: SlackHarness) -> tuple[ApiCall, str]:
    """U1 starts; U1, U2, U3 vote 1-1-1; U1 presses Next: the question waits for a decision."""
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    for member, label in zip(MEMBERS, ("Web pages", "JSON API", "Not sure"), strict=True):
        await slack.click(buttons(question)[label], user=member)
        await until(fake, "chat.update")
    await slack.click(buttons(question)["Next"], user="U1")
    waiting = await until(fake, "chat.update")
    return waiting, ActionId.decode(buttons(question)["Next"]).conversation_id


async def test_a_one_one_one_split_waits_for_the_starter_or_an_admin(slack: SlackHarness) -> None:
    fake = slack.fake
    waiting, sid = await three_way_tie(slack)
    shown = text_of(waiting)
    assert "*A tie:* *Web pages*, *JSON API* and *Not sure* have 1 vote(s) each." in shown
    assert "u1 (who started) or anyone who can manage the channel decides" in shown
    assert set(buttons(waiting)) >= {"Decide: Web pages", "Decide: JSON API", "Decide: Not sure", "Next"}
    assert fake.counts["chat.postMessage"] == 2, "nothing moved on: no next question was posted"

    await slack.click(buttons(waiting)["Decide: JSON API"], user="U2")
    refusal = await fake.next_post()
    assert refusal.body["response_type"] == "ephemeral"
    assert "Only u1, who started this session, or someone who can manage this channel can decide a tie" in (
        refusal.text
    )
    assert (await team_engine(slack).session(sid)).closed == ()

    fake.admins.add("U3")
    await slack.click(buttons(waiting)["Decide: JSON API"], user="U3")
    closed = await until(fake, "chat.update")
    assert "A tie between Web pages, JSON API and Not sure: *u3* chose *JSON API*." in text_of(closed)
    assert "How big is it?" in text_of(await until(fake, "chat.postMessage"))
    record = await team_engine(slack).record(sid)
    assert 'a tie between "Web pages", "JSON API" and "Not sure", decided by u3)' in record


async def test_five_members_two_two_one_wait_and_a_changed_vote_breaks_the_tie(slack: SlackHarness) -> None:
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    five = ("U1", "U2", "U3", "U4", "U5")
    for member, label in zip(
        five, ("Web pages", "JSON API", "Web pages", "JSON API", "Not sure"), strict=True
    ):
        await slack.click(buttons(question)[label], user=member)
        await until(fake, "chat.update")
    await slack.click(buttons(question)["Next"], user="U1")
    waiting = await until(fake, "chat.update")
    assert "*A tie:* *Web pages* and *JSON API* have 2 vote(s) each." in text_of(waiting)
    assert "Decide: Not sure" not in buttons(waiting)

    await slack.click(buttons(question)["Web pages"], user="U5")  # U5 changes "Not sure" to pages
    closed = await until(fake, "chat.update")
    assert "The team chose *Web pages*." in text_of(closed)
    assert "Do editors need an admin?" in text_of(await until(fake, "chat.postMessage"))


async def finish_tiny(slack: SlackHarness) -> tuple[ApiCall, str]:
    """A two-question session by U1 and U2, finished: the result message and the session id."""
    fake = slack.fake
    _, question = await start_session(slack)
    await fake.next_post()
    for member in ("U1", "U2"):
        await slack.click(buttons(question)["JSON API"], user=member)
        await until(fake, "chat.update")
    await slack.click(buttons(question)["Next"], user="U1")
    await until(fake, "chat.update")
    second = await until(fake, "chat.postMessage")
    for member in ("U1", "U2"):
        await slack.click(buttons(second)["Large and long-lived"], user=member)
        await until(fake, "chat.update")
    await slack.click(buttons(second)["Next"], user="U1")
    await until(fake, "chat.update")
    result = await until(fake, "chat.postMessage")
    await fake.next_upload()
    return result, ActionId.decode(buttons(question)["Next"]).conversation_id


async def test_the_starter_accepts_the_decision_record(slack: SlackHarness) -> None:
    fake = slack.fake
    result, sid = await finish_tiny(slack)
    accept = buttons(result)["Accept decision"]

    await slack.click(accept, user="U2")
    refusal = await fake.next_post()
    assert "Only u1, who started this session" in refusal.text
    assert (await team_engine(slack).session(sid)).accepted is None

    await slack.click(accept, user="U1")
    redrawn = await until(fake, "chat.update")
    assert "Team decision: Beta" in text_of(redrawn)
    assert "Decision *accepted* by u1: Beta." in text_of(redrawn)
    assert "Accept decision" not in buttons(redrawn)
    said = await until(fake, "chat.postMessage")
    assert said.body["thread_ts"] == "1700000000.000001"
    assert "u1 accepted the decision: *Beta*. Record `0001-orders-api` is now accepted." in text_of(said)
    _, content = await fake.next_upload()
    assert 'status: "accepted"' in content.decode()
    assert "* Accepted by u1 on 2026-11-25." in content.decode()


async def test_team_without_a_topic_opens_the_start_modal(slack: SlackHarness) -> None:
    fake = slack.fake
    assert await slack.command("team --anonymous", user="U1", trigger="trig-42") == 200
    opened = await until(fake, "views.open")
    assert opened.body["trigger_id"] == "trig-42"
    view = view_of(opened)
    assert view["type"] == "modal"
    assert [b["block_id"] for b in view["blocks"]] == ["topic", "anonymous", "quorum"]
    assert view["blocks"][1]["element"]["initial_options"], "the --anonymous flag is ticked already"
    assert fake.counts["chat.postMessage"] == 0
    assert fake.webhook_posts.empty(), "nothing is said privately: the modal is the answer"

    values: dict[str, Any] = {
        "topic": {"topic": {"type": "plain_text_input", "value": "Billing service"}},
        "anonymous": {"anonymous": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]}},
        "quorum": {"quorum": {"type": "plain_text_input", "value": "one"}},
    }
    status, body = await slack.submit(view, values=values)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "whole number from 2" in answer["errors"]["quorum"]
    assert fake.counts["chat.postMessage"] == 0

    values["quorum"]["quorum"]["value"] = "2"
    status, body = await slack.submit(view, values=values)
    assert (status, body) == (200, "")
    root = await until(fake, "chat.postMessage")
    assert root.body["channel"] == CHANNEL
    assert "Billing service" in text_of(root)
    question = await until(fake, "chat.postMessage")
    assert question.body["thread_ts"] == "1700000000.000001"
    shown = text_of(question)
    assert "(anonymous)" in shown
    assert "closes by itself at 2 votes" in shown


async def test_an_empty_topic_is_a_field_error(slack: SlackHarness) -> None:
    await slack.command("team", user="U1")
    opened = await until(slack.fake, "views.open")
    view = view_of(opened)
    status, body = await slack.submit(view, values={"topic": {"topic": {"value": "   "}}})
    assert status == 200
    assert "Say what the team is deciding" in json.loads(body)["errors"]["topic"]


async def test_the_message_shortcut_decides_in_that_messages_thread(slack: SlackHarness) -> None:
    from adapters.slack.manifest import MESSAGE_SHORTCUT
    from adapters.slack.team import SHORTCUT_CALLBACK

    fake = slack.fake
    assert MESSAGE_SHORTCUT["callback_id"] == SHORTCUT_CALLBACK
    message = {
        "type": "message",
        "user": "U7",
        "ts": "1699999999.000200",
        "text": "Which  framework\nfor the new billing API?",
    }
    assert await slack.shortcut(SHORTCUT_CALLBACK, message=message, user="U2") == 200
    opened = await until(fake, "views.open")
    view = view_of(opened)
    assert view["blocks"][0]["element"]["initial_value"] == "Which framework for the new billing API?"

    values = {"topic": {"topic": {"value": "Which framework for the new billing API?"}}}
    status, _ = await slack.submit(view, values=values, user="U2")
    assert status == 200
    intro = await until(fake, "chat.postMessage")
    assert intro.body["thread_ts"] == "1699999999.000200", "the session runs in the message's own thread"
    question = await until(fake, "chat.postMessage")
    assert question.body["thread_ts"] == "1699999999.000200"
    assert "Team question 1: What are you building?" in text_of(question)
    session = await team_engine(slack).session(ActionId.decode(buttons(question)["Next"]).conversation_id)
    assert (session.key.thread, session.starter, session.topic) == (
        "1699999999.000200",
        "U2",
        "Which framework for the new billing API?",
    )


async def test_a_modal_start_the_bot_cannot_post_is_explained_privately(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.command("team", user="U1")
    view = view_of(await until(fake, "views.open"))
    fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.submit(view, values={"topic": {"topic": {"value": "Billing"}}})
    told = await until(fake, "chat.postEphemeral")
    assert told.body["user"] == "U1"
    assert "Invite me first" in text_of(told)
