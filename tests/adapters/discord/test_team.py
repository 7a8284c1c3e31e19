"""A team session in a Discord channel, through the real discord.py on the fake Discord API."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import discord
import pytest

from adapters.ids import Action, ActionId
from bot.pack.registry import PackRegistry
from bot.personal.engine import Engine
from bot.store.base import TeamStore
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply
from bot.team.session import TeamKey
from tests.adapters.discord.conftest import ANN, BEN, BOT_TOKEN, SLOW_CALL, Bot, MakeBot
from tests.conftest import Clock
from tests.fakes.discord_api import APP_ID, Call, click_payload, command_payload, modal_submit_payload, user

CY = user("446", "cy")
EPHEMERAL = 64
MANAGER_PERMISSIONS = str(discord.Permissions(manage_messages=True).value)


def components(call: Call) -> list[dict[str, Any]]:
    return list(call.body["data"].get("components", []))


def labels(call: Call) -> list[list[str]]:
    return [[item.get("label", "") for item in row["components"]] for row in components(call)]


def custom_id(call: Call, label: str) -> str:
    for row in components(call):
        for item in row["components"]:
            if item.get("label") == label:
                return str(item["custom_id"])
    raise AssertionError(f"no button {label!r} in {components(call)}")


def embed(data: dict[str, Any]) -> dict[str, Any]:
    (only,) = data["embeds"]
    return dict(only)


def field(data: dict[str, Any], name: str) -> str:
    for f in embed(data)["fields"]:
        if f["name"].startswith(name):
            return str(f["value"])
    raise AssertionError(f"no field {name!r} in {embed(data)['fields']}")


async def start_team(bot: Bot, topic: str = "Shop rewrite", who: dict[str, Any] = ANN) -> Call:
    payload = command_payload(who, action="team")
    payload["data"]["options"].append({"name": "topic", "type": 3, "value": topic})
    return await bot.api.wait_callback(bot.feed(payload))


async def vote(bot: Bot, who: dict[str, Any], on: Call, label: str) -> Call:
    return await bot.click(who, custom_id(on, label), components(on), flags=0)


async def followups(bot: Bot, count: int = 1) -> list[Call]:
    """The public messages posted after a click was answered (a closed question's successor)."""

    def posted() -> list[Call]:
        return bot.api.matching(lambda c: c.method == "POST" and c.path.startswith(f"webhooks/{APP_ID}/"))

    await bot.api.wait_for(lambda: len(posted()) >= count)
    return posted()


async def test_team_start_posts_a_public_question_with_votes_next_and_the_rules(bot: Bot) -> None:
    call = await start_team(bot)

    assert call.body["type"] == 4
    assert call.body["data"].get("flags", 0) & EPHEMERAL == 0  # the whole channel sees it
    question = embed(call.body["data"])
    assert question["title"] == "Shop rewrite: team question 1"
    assert "What are you building?" in question["description"]
    assert "**Web pages**: 0" in question["description"]
    assert "ann (who started) or anyone who can manage the channel" in question["footer"]["text"]
    assert "A tie waits for ann (who started)" in question["footer"]["text"]
    assert "listed first" not in str(call.body)
    assert labels(call) == [["Web pages", "JSON API", "Not sure"], ["Next"]]
    assert ActionId.decode(custom_id(call, "Web pages")).action is Action.VOTE


async def test_three_members_vote_change_their_minds_and_reach_a_result_with_the_record(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    await vote(bot, BEN, q1, "JSON API")
    edited = await vote(bot, CY, q1, "JSON API")
    assert edited.body["type"] == 7  # the public message, redrawn in place
    assert "**JSON API**: 2 ▰▰ (ben, cy)" in embed(edited.body["data"])["description"]
    changed = await vote(bot, BEN, q1, "Web pages")  # ben changes his vote
    description = embed(changed.body["data"])["description"]
    assert "**Web pages**: 2 ▰▰ (ann, ben)" in description
    assert "**JSON API**: 1 ▰ (cy)" in description

    closed = await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)
    assert closed.body["type"] == 7
    assert "The team chose **Web pages**." in embed(closed.body["data"])["description"]
    assert not components(closed)  # a closed question has nothing left to click
    (post,) = await followups(bot)
    assert "Do editors need an admin?" in embed(post.body)["description"]

    q2 = Call("POST", post.path, {"type": 4, "data": post.body}, post.at)
    await vote(bot, ANN, q2, "Yes, an admin")
    await vote(bot, BEN, q2, "Yes, an admin")
    await vote(bot, CY, q2, "No admin")
    await bot.click(ANN, custom_id(q2, "Next"), components(q2), flags=0)
    posts = await followups(bot, count=2)
    result = posts[-1]

    team = embed(result.body)
    assert team["title"] == "Shop rewrite: Team pick: Alpha"
    picks = field(result.body, "Each member's own answers point to")
    assert "ann: **Alpha**" in picks
    assert "cy: **Beta**" in picks  # cy's own answers (JSON API, no admin) point elsewhere
    splits = field(result.body, "Where the team split")
    assert "What are you building? Web pages 2 (ann, ben), JSON API 1 (cy) → Web pages" in splits
    assert "Do editors need an admin? Yes, an admin 2 (ann, ben), No admin 1 (cy)" in splits
    assert field(result.body, "Participants") == "ann, ben, cy"
    assert "+ 2 of 3: Alpha renders pages. (Web pages)" in field(result.body, "Why")
    assert "Accept decision" in labels(Call("POST", "", {"data": result.body}, 0.0))[0]
    ((name, data),) = result.files
    assert name == "0001-shop-rewrite.md"
    record = data.decode()
    assert "\n# Shop rewrite: Alpha\n" in record
    assert "| 1 | What are you building? | Web pages | Web pages 2 (ann, ben); JSON API 1 (cy) |" in record
    assert 'Chosen option: "Alpha"' in record


async def test_next_is_for_the_starter_or_a_channel_manager(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, BEN, q1, "JSON API")

    refused = await bot.click(BEN, custom_id(q1, "Next"), components(q1), flags=0)
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "Only ann, who started this session" in refused.body["data"]["content"]

    payload = click_payload(BEN, custom_id=custom_id(q1, "Next"), components=components(q1), flags=0)
    payload["member"]["permissions"] = MANAGER_PERMISSIONS
    moved = await bot.api.wait_callback(bot.feed(payload))
    assert moved.body["type"] == 7
    assert "The team chose **JSON API**." in embed(moved.body["data"])["description"]
    (post,) = await followups(bot)
    assert "How big is it?" in embed(post.body)["description"]


async def test_a_vote_on_a_closed_question_says_why_and_changes_nothing(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)

    late = await vote(bot, BEN, q1, "JSON API")

    assert late.body["type"] == 4
    assert late.body["data"]["flags"] == EPHEMERAL
    assert (
        'Voting on "What are you building?" has closed (the team chose Web pages)'
        in late.body["data"]["content"]
    )
    (post,) = await followups(bot)
    assert "**Yes, an admin**: 0" in embed(post.body)["description"]  # ben's vote went nowhere


async def test_a_lost_edit_is_repaired_by_the_next_vote(
    bot: Bot, engine: Engine, registry: PackRegistry, clock: Clock
) -> None:
    q1 = await start_team(bot)
    sid = ActionId.decode(custom_id(q1, "Next")).conversation_id
    # ben's vote was stored but its message edit never reached Discord.
    team = TeamEngine(store=cast(TeamStore, engine.store), registry=registry, advisor="tiny", clock=clock)
    await team.vote(session_id=sid, step=1, member=BEN["id"], option_id="api", name="ben")

    redrawn = await vote(bot, ANN, q1, "Web pages")

    description = embed(redrawn.body["data"])["description"]
    assert "**JSON API**: 1 ▰ (ben)" in description
    assert "**Web pages**: 1 ▰ (ann)" in description


async def test_a_second_team_start_in_the_channel_shows_the_open_session(bot: Bot) -> None:
    first = await start_team(bot)
    second = await start_team(bot, who=BEN)
    assert custom_id(second, "Next") == custom_id(first, "Next")
    assert "already open here" in embed(second.body["data"])["description"]


async def test_the_record_button_posts_the_markdown_file(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)
    (post,) = await followups(bot)
    q2 = Call("POST", post.path, {"type": 4, "data": post.body}, post.at)
    await vote(bot, ANN, q2, "Yes, an admin")
    await bot.click(ANN, custom_id(q2, "Next"), components(q2), flags=0)
    result = (await followups(bot, count=2))[-1]
    as_call = Call("POST", result.path, {"type": 4, "data": result.body}, result.at)

    exported = await bot.click(BEN, custom_id(as_call, "Decision record"), components(as_call), flags=0)

    assert exported.body["type"] == 4
    ((name, data),) = exported.files
    assert name == "0001-shop-rewrite.md"
    assert data.decode() == result.files[0][1].decode()


class GatedTeamStore:
    """The real store, with loads held until the test opens the gate (a slow database)."""

    def __init__(self, store: TeamStore) -> None:
        self._store = store
        self.gate = asyncio.Event()
        self.gate.set()

    async def get_team_by_id(self, session_id: str) -> Any:
        await self.gate.wait()
        return await self._store.get_team_by_id(session_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_a_slow_vote_and_next_are_deferred_then_drawn_and_posted(
    make_bot: MakeBot, engine: Engine, registry: PackRegistry, clock: Clock
) -> None:
    gated = GatedTeamStore(cast(TeamStore, engine.store))
    team = TeamEngine(store=gated, registry=registry, advisor="tiny", clock=clock)
    bot = await make_bot(team_engine=team, defer_after=SLOW_CALL)
    q1 = await start_team(bot)

    def edits() -> list[Call]:
        return bot.api.matching(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))

    gated.gate.clear()
    deferred = await bot.api.wait_callback(
        bot.feed(click_payload(ANN, custom_id=custom_id(q1, "JSON API"), components=components(q1), flags=0))
    )
    assert deferred.body == {"type": 6}  # acknowledged in time; the message stays as it is
    gated.gate.set()
    await bot.api.wait_for(lambda: len(edits()) == 1)
    assert "**JSON API**: 1 ▰ (ann)" in edits()[0].body["embeds"][0]["description"]

    gated.gate.clear()
    deferred = await bot.api.wait_callback(
        bot.feed(click_payload(ANN, custom_id=custom_id(q1, "Next"), components=components(q1), flags=0))
    )
    assert deferred.body == {"type": 6}
    gated.gate.set()
    (post,) = await followups(bot)
    await bot.api.wait_for(lambda: len(edits()) == 2)
    assert "The team chose **JSON API**." in edits()[1].body["embeds"][0]["description"]
    assert "How big is it?" in embed(post.body)["description"]


def test_an_anonymous_tally_shows_counts_and_no_names(registry: PackRegistry) -> None:
    from datetime import UTC, datetime

    from adapters.discord.render.team import render_team_question
    from bot.team import voting as core
    from bot.team.presenting import question_reply

    pack = registry.current("tiny")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    session = core.start_session(
        pack,
        key=TeamKey("discord", "g", "c", "", "tiny"),
        session_id="s1",
        starter="1",
        anonymous=True,
        now=now,
    )
    for member in ("1", "2"):
        session = core.vote(
            pack, session, member=member, name=f"user{member}", option_id="api", step=1, now=now
        )
    reply = question_reply(pack, session)
    assert reply is not None

    rendered = render_team_question(reply)

    description = rendered.embeds[0].description or ""
    assert "**JSON API**: 2 ▰▰" in description
    assert "user1" not in description
    assert "2 vote(s), anonymous" in (rendered.embeds[0].footer.text or "")


async def test_team_traffic_logs_no_token(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """With the redaction `advisor discord run` installs, a whole team round logs no token."""
    from adapters.discord.redaction import install_token_redaction, remove_token_redaction

    attached = install_token_redaction()
    try:
        payload = command_payload(ANN, action="team")
        payload["data"]["options"].append({"name": "topic", "type": 3, "value": "Logs"})
        q1 = await bot.api.wait_callback(bot.feed(payload))
        click = click_payload(ANN, custom_id=custom_id(q1, "Web pages"), components=components(q1), flags=0)
        await bot.api.wait_callback(bot.feed(click))
        nxt = click_payload(ANN, custom_id=custom_id(q1, "Next"), components=components(q1), flags=0)
        await bot.api.wait_callback(bot.feed(nxt))
        await followups(bot)
    finally:
        remove_token_redaction(attached)

    assert BOT_TOKEN not in caplog.text
    assert payload["token"] not in caplog.text
    assert click["token"] not in caplog.text
    assert nxt["token"] not in caplog.text  # its followup URL carries it too


async def test_six_options_are_a_vote_select_and_its_choice_counts(
    make_bot: MakeBot, engine: Engine, clock: Clock
) -> None:
    """The shipped pack's "what does the team know best" question has six options."""
    from adapters.discord.render.team import render_team_question
    from tests.conftest import PYTHON_WEB

    web = PackRegistry()
    pack = web.load(PYTHON_WEB)
    team = TeamEngine(store=cast(TeamStore, engine.store), registry=web, advisor=pack.id, clock=clock)
    bot = await make_bot(team_engine=team)
    reply: Any = await team.start(
        team.key(platform="discord", workspace="222", channel="333"), starter=ANN["id"]
    )
    while isinstance(reply, TeamQuestionReply) and len(reply.choices) <= 5:
        sid, step = reply.session_id, reply.step
        await team.vote(session_id=sid, step=step, member=ANN["id"], option_id=reply.choices[0].id)
        advanced = await team.advance(session_id=sid, step=step, member=ANN["id"], can_manage=False)
        assert isinstance(advanced, TeamAdvanced)
        reply = advanced.following
    assert isinstance(reply, TeamQuestionReply)
    sent = render_team_question(reply).view
    assert sent is not None
    shown = Call("POST", "", {"type": 4, "data": {"components": sent.to_components()}}, 0.0)
    (select,) = components(shown)[0]["components"]
    assert select["type"] == 3
    assert len(select["options"]) == len(reply.choices) == 6

    chosen = select["options"][2]["value"]
    voted = await bot.click(BEN, select["custom_id"], components(shown), values=[chosen], flags=0)

    assert voted.body["type"] == 7
    status = await team.status(reply.session_id)
    assert isinstance(status, TeamQuestionReply)
    assert [(c.option_id, c.count) for c in status.tally.counts if c.count] == [(chosen, 1)]


async def test_anonymous_session_with_a_quorum_closes_by_itself(bot: Bot) -> None:
    payload = command_payload(ANN, action="team")
    payload["data"]["options"] += [
        {"name": "topic", "type": 3, "value": "Billing"},
        {"name": "anonymous", "type": 5, "value": True},
        {"name": "quorum", "type": 4, "value": 2},
    ]
    q1 = await bot.api.wait_callback(bot.feed(payload))
    assert "anonymous" in embed(q1.body["data"])["footer"]["text"]

    first = await vote(bot, BEN, q1, "JSON API")
    assert "ben" not in embed(first.body["data"])["description"], "counts only, no names"
    await vote(bot, ANN, q1, "JSON API")
    (post,) = await followups(bot)
    assert "How big is it?" in embed(post.body)["description"], "the quorum closed question 1"


def as_call(post: Call) -> Call:
    """A followup message, shaped like an interaction callback so the helpers above read it."""
    return Call("POST", post.path, {"type": 4, "data": post.body}, post.at)


def manager_click(who: dict[str, Any], on: Call, label: str) -> dict[str, Any]:
    payload = click_payload(who, custom_id=custom_id(on, label), components=components(on), flags=0)
    payload["member"]["permissions"] = MANAGER_PERMISSIONS
    return payload


async def test_a_one_one_one_split_waits_for_the_starter_or_a_manager(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    await vote(bot, BEN, q1, "JSON API")
    await vote(bot, CY, q1, "Not sure")

    waiting = await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)

    assert waiting.body["type"] == 7
    description = embed(waiting.body["data"])["description"]
    assert "**A tie:** **Web pages**, **JSON API** and **Not sure** have 1 vote(s) each." in description
    assert labels(waiting)[2] == ["Decide: Web pages", "Decide: JSON API", "Decide: Not sure"]
    assert ActionId.decode(custom_id(waiting, "Decide: JSON API")).action is Action.DECIDE

    refused = await bot.click(BEN, custom_id(waiting, "Decide: JSON API"), components(waiting), flags=0)
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "Only ann, who started this session" in refused.body["data"]["content"]

    decided = await bot.api.wait_callback(bot.feed(manager_click(BEN, waiting, "Decide: JSON API")))
    assert decided.body["type"] == 7
    closed = embed(decided.body["data"])["description"]
    assert "A tie between Web pages, JSON API and Not sure: **ben** chose **JSON API**." in closed
    (post,) = await followups(bot)
    assert "How big is it?" in embed(post.body)["description"]


async def test_five_members_split_two_two_one_wait_for_the_starter(bot: Bot) -> None:
    q1 = await start_team(bot)
    five = [ANN, BEN, CY, user("447", "dee"), user("448", "eve")]
    for who, label in zip(five, ["Web pages", "JSON API", "Web pages", "JSON API", "Not sure"], strict=True):
        await vote(bot, who, q1, label)
    waiting = await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)
    assert labels(waiting)[2] == ["Decide: Web pages", "Decide: JSON API"]
    decided = await bot.click(ANN, custom_id(waiting, "Decide: Web pages"), components(waiting), flags=0)
    assert "**ann** chose **Web pages**" in embed(decided.body["data"])["description"]
    (post,) = await followups(bot)
    assert "Do editors need an admin?" in embed(post.body)["description"]


async def test_the_starter_accepts_the_decision(bot: Bot) -> None:
    q1 = await start_team(bot)
    await vote(bot, ANN, q1, "Web pages")
    await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)
    (post,) = await followups(bot)
    q2 = as_call(post)
    await vote(bot, ANN, q2, "Yes, an admin")
    await bot.click(ANN, custom_id(q2, "Next"), components(q2), flags=0)
    result = as_call((await followups(bot, count=2))[-1])
    assert 'status: "proposed"' in (await followups(bot, count=2))[-1].files[0][1].decode()

    refused = await bot.click(BEN, custom_id(result, "Accept decision"), components(result), flags=0)
    assert "Only ann, who started this session" in refused.body["data"]["content"]

    accepted = await bot.click(ANN, custom_id(result, "Accept decision"), components(result), flags=0)

    assert accepted.body["type"] == 7
    assert embed(accepted.body["data"])["title"] == "Shop rewrite: Team decision: Alpha"
    assert field(accepted.body["data"], "Decision") == "Accepted by ann: Alpha."
    assert "Accept decision" not in [label for row in labels(accepted) for label in row]
    said = (await followups(bot, count=3))[-1]
    assert said.body["content"] == "ann accepted the decision: **Alpha**."
    ((name, data),) = said.files
    assert name == "0001-shop-rewrite.md"
    assert 'status: "accepted"' in data.decode()


async def test_team_without_a_topic_opens_a_modal_and_its_submit_starts_the_session(bot: Bot) -> None:
    payload = command_payload(ANN, action="team")
    payload["data"]["options"].append({"name": "quorum", "type": 4, "value": 3})
    opened = await bot.api.wait_callback(bot.feed(payload))

    assert opened.body["type"] == 9  # MODAL
    modal = opened.body["data"]
    assert modal["custom_id"] == "adv-team-start"
    assert modal["title"] == "Start a team decision"
    fields = [row["component"] for row in modal["components"]]
    assert [f["custom_id"] for f in fields] == ["topic", "anonymous", "quorum"]
    assert fields[2]["value"] == "3", "the quorum option is filled in"

    bad = modal_submit_payload(
        BEN, custom_id="adv-team-start", values={"topic": "Billing", "anonymous": False, "quorum": "lots"}
    )
    refused = await bot.api.wait_callback(bot.feed(bad))
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "'lots' is not a quorum" in refused.body["data"]["content"]

    good = modal_submit_payload(
        BEN,
        custom_id="adv-team-start",
        values={"topic": " Billing  service ", "anonymous": True, "quorum": "2"},
    )
    started = await bot.api.wait_callback(bot.feed(good))

    assert started.body["type"] == 4
    assert started.body["data"].get("flags", 0) & EPHEMERAL == 0
    question = embed(started.body["data"])
    assert question["title"] == "Billing service: team question 1"
    assert "anonymous" in question["footer"]["text"]
    assert "ben (who started)" in question["footer"]["text"]
    assert "moves on by itself at 2 vote(s)" in question["footer"]["text"]
