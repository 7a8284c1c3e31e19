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
    assert "A tie goes to the option listed first" in text_of(question)
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
    assert "u1: *Gamma*" in shown, "U1's own answers (pages, single file) point elsewhere"
    assert "u2: *Beta*" in shown
    assert "Where the team split" in shown
    assert "What are you building? JSON API 2 (u2, u3), Web pages 1 (u1)" in shown
    assert "Participants: u1, u2, u3" in shown
    assert "Decision record" in buttons(result)

    upload = await until(fake, "files.getUploadURLExternal")
    assert str(upload.body["filename"]).startswith("decision-record-")
    _, content = await fake.next_upload()
    record = content.decode()
    assert record.startswith("# Decision record: Orders API")
    assert "Beta" in record
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
    closed = await until(fake, "chat.update")
    assert "a tie: A tie goes to the option listed first" in text_of(closed)
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
    assert content.decode().startswith("# Decision record: Orders API")


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
