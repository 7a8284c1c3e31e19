"""The personal flow as a Discord user sees it: command, clicks that edit in place, result, share."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.ids import ActionId
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.store.sqlite import SqliteStore
from tests.adapters.discord.conftest import ANN, BEN, GUILD_ID, Bot, MakeBot
from tests.conftest import Clock
from tests.fakes.discord_api import Call

EPHEMERAL = 64
ANN_ACTOR = Actor("discord", GUILD_ID, ANN["id"])


def components(call: Call) -> list[dict[str, Any]]:
    return list(call.body["data"].get("components", []))


def custom_id(call: Call, label: str) -> str:
    for row in components(call):
        for item in row["components"]:
            if item.get("label") == label:
                return str(item["custom_id"])
    raise AssertionError(f"no button {label!r} in {components(call)}")


def embed(call: Call) -> dict[str, Any]:
    embeds = call.body["data"]["embeds"]
    assert len(embeds) == 1, embeds
    return dict(embeds[0])


def field(call: Call, name_start: str) -> str:
    for f in embed(call)["fields"]:
        if f["name"].startswith(name_start):
            return str(f["value"])
    raise AssertionError(f"no field {name_start!r}")


async def start_and_answer(bot: Bot, *labels: str) -> Call:
    """Run /choose-framework and click `labels` in order; the last callback."""
    call = await bot.command(ANN)
    for label in labels:
        call = await bot.click(ANN, custom_id(call, label), components(call))
        assert call.body["type"] == 7, call.body
    return call


async def test_command_shows_the_first_question_privately_with_why_and_progress(bot: Bot) -> None:
    call = await bot.command(ANN)

    assert call.body["type"] == 4
    assert call.body["data"]["flags"] == EPHEMERAL
    question = embed(call)
    assert "What are you building?" in question["description"]
    assert "Why we ask:** Pages and APIs favour different tools." in question["description"]
    assert question["footer"]["text"].startswith("Question 1 of about 3")
    rows = components(call)
    assert [b["label"] for b in rows[0]["components"]] == ["Web pages", "JSON API", "Not sure"]
    assert [b["label"] for b in rows[1]["components"]] == ["Restart", "Why?"]


async def test_whole_flow_edits_in_place_and_ends_with_the_result(bot: Bot) -> None:
    second = await start_and_answer(bot, "Web pages")
    assert "Do editors need an admin?" in embed(second)["description"]
    assert embed(second)["footer"]["text"].startswith("Question 2")
    assert "Back" in [b["label"] for b in components(second)[1]["components"]]

    result = await bot.click(ANN, custom_id(second, "Yes, an admin"), components(second))

    assert result.body["type"] == 7  # the same message, edited
    top = embed(result)
    assert top["title"] == "Top pick: Alpha (fit 100%, 5 points)"
    assert top["description"].startswith("5 points, fit 100% (5 of a possible 5)")
    assert "Alpha does pages." in top["description"]
    assert field(result, "Points for Alpha").splitlines() == [
        "**+3** Alpha renders pages. (you said: Web pages)",
        "**+2** Alpha ships an admin. (you said: Yes, an admin)",
        "= 5 points",
    ]
    assert field(result, "Why not Beta").splitlines() == [
        "0 points, 5 behind, from these answers:",
        '**+3** "Web pages" gave Alpha +3, Beta 0',
        '**+2** "Yes, an admin" gave Alpha +2, Beta 0',
        "Choose it instead for: JSON APIs.",
    ]
    assert "AlphaAdmin" in field(result, "Start with")
    assert "https://example.org/one" in field(result, "Sources")
    assert [b["label"] for b in components(result)[0]["components"]] == [
        "Share in channel",
        "Full ranking",
        "Back",
        "Restart",
    ]


async def test_why_not_the_runner_up_shows_the_answers_that_separated_them_and_by_how_much(bot: Bot) -> None:
    result = await start_and_answer(bot, "JSON API", "Large and long-lived")
    assert embed(result)["title"].startswith("Top pick: Beta")
    assert "**-1** Alpha needs an add-on" not in field(result, "Points for Beta")
    why_not = field(result, "Why not Alpha").splitlines()
    assert why_not[:3] == [
        "1 point, 3 behind, from these answers:",
        '**+4** "JSON API" gave Beta +3, Alpha -1',
        '**-1** "Large and long-lived" gave Beta +1, Alpha +2',
    ]
    assert "Reconsider if this matters most: Alpha has long support." in why_not


async def test_share_posts_the_result_publicly_naming_its_owner(bot: Bot) -> None:
    result = await start_and_answer(bot, "Web pages", "Yes, an admin")

    shared = await bot.click(ANN, custom_id(result, "Share in channel"), components(result))

    assert shared.body["type"] == 4
    assert shared.body["data"].get("flags", 0) & EPHEMERAL == 0
    assert shared.body["data"]["content"].startswith(
        f"Framework recommendation for <@{ANN['id']}>:\nTop pick: Alpha (fit 100%"
    )
    assert shared.body["data"]["allowed_mentions"] == {"parse": []}  # named, not pinged
    assert embed(shared)["title"] == embed(result)["title"]
    assert not components(shared)


async def test_back_and_restart_buttons_edit_the_message(bot: Bot) -> None:
    second = await start_and_answer(bot, "Web pages")
    back = await bot.click(ANN, custom_id(second, "Back"), components(second))
    assert back.body["type"] == 7
    assert "What are you building?" in embed(back)["description"]

    again = await bot.click(ANN, custom_id(back, "Web pages"), components(back))
    restarted = await bot.click(ANN, custom_id(again, "Restart"), components(again))
    assert "What are you building?" in embed(restarted)["description"]


async def test_why_opens_a_private_explanation_and_leaves_the_question(bot: Bot) -> None:
    first = await bot.command(ANN)
    why = await bot.click(ANN, custom_id(first, "Why?"), components(first))
    assert why.body["type"] == 4
    assert why.body["data"]["flags"] == EPHEMERAL
    assert embed(why)["title"] == "Why we ask: What are you building?"
    assert "Pages and APIs favour different tools." in embed(why)["description"]


async def test_a_button_from_before_a_restart_works_on_a_new_process(
    make_bot: MakeBot, db_path: Any, tiny_path: Any, clock: Clock
) -> None:
    old = await make_bot()
    first = await old.command(ANN)
    await old.client.close()

    # A new process: a new store connection, registry, engine and client; only the file stays.
    store = await SqliteStore.open(db_path)
    try:
        registry = PackRegistry()
        registry.load(tiny_path)
        engine = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
        new = await make_bot(engine_=engine)
        second = await new.click(ANN, custom_id(first, "JSON API"), components(first))
    finally:
        await store.close()

    assert second.body["type"] == 7
    assert "How big is it?" in embed(second)["description"]


async def test_a_stale_click_is_explained_privately_and_changes_nothing(bot: Bot, engine: Engine) -> None:
    first = await bot.command(ANN)
    await bot.click(ANN, custom_id(first, "Web pages"), components(first))

    stale = await bot.click(ANN, custom_id(first, "JSON API"), components(first))

    assert stale.body["type"] == 4
    assert stale.body["data"]["flags"] == EPHEMERAL
    assert "already answered" in stale.body["data"]["content"]
    status = await engine.status(ANN_ACTOR)
    assert [a.answer for a in status.answered] == ["Web pages"]  # type: ignore[union-attr]


async def test_another_users_click_is_refused_privately_and_changes_nothing(bot: Bot, engine: Engine) -> None:
    first = await bot.command(ANN)
    before = await engine.status(ANN_ACTOR)

    refused = await bot.click(BEN, custom_id(first, "Web pages"), components(first))

    assert refused.body["type"] == 4
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "belongs to someone else" in refused.body["data"]["content"]
    assert await engine.status(ANN_ACTOR) == before


async def test_another_user_cannot_share_someone_elses_result(bot: Bot) -> None:
    result = await start_and_answer(bot, "Web pages", "Yes, an admin")
    await bot.command(BEN)
    refused = await bot.click(BEN, custom_id(result, "Share in channel"), components(result))
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "belongs to someone else" in refused.body["data"]["content"]


async def test_a_double_click_applies_once(bot: Bot, engine: Engine) -> None:
    first = await bot.command(ANN)
    button = custom_id(first, "Web pages")

    ids = [bot.feed(click) for click in [_click(button, first), _click(button, first)]]
    calls = await asyncio.gather(*(bot.api.wait_callback(i) for i in ids))

    assert sorted(c.body["type"] for c in calls) == [4, 7]
    refused = next(c for c in calls if c.body["type"] == 4)
    assert "already answered" in refused.body["data"]["content"]
    status = await engine.status(ANN_ACTOR)
    assert [a.answer for a in status.answered] == ["Web pages"]  # type: ignore[union-attr]
    assert status.step == ActionId.decode(button).step + 1


def _click(button: str, on: Call) -> dict[str, Any]:
    from tests.fakes.discord_api import click_payload

    return click_payload(ANN, custom_id=button, components=components(on))


# --- Full ranking -------------------------------------------------------------------------


async def test_full_ranking_opens_privately_with_every_subject_and_its_points(bot: Bot) -> None:
    result = await start_and_answer(bot, "JSON API", "Large and long-lived")

    ranking = await bot.click(ANN, custom_id(result, "Full ranking"), components(result))

    assert ranking.body["type"] == 4  # a new private message: the result stays as it is
    assert ranking.body["data"]["flags"] == EPHEMERAL
    shown = embed(ranking)
    assert shown["title"] == "Full ranking, after 2 answers"
    assert shown["description"].splitlines() == [
        '**1. Beta**: 4 points · +3 "JSON API", +1 "Large and long-lived"',
        '**2. Alpha**: 1 point · +2 "Large and long-lived", -1 "JSON API"',
        "**3. Gamma**: 0 points · no answer moved it",
    ]
    assert ranking.body["data"]["content"] == "Full ranking: 1. Beta 4, 2. Alpha 1, 3. Gamma 0"


async def test_someone_elses_full_ranking_is_refused_privately(bot: Bot) -> None:
    result = await start_and_answer(bot, "Web pages", "Yes, an admin")
    refused = await bot.click(BEN, custom_id(result, "Full ranking"), components(result))
    assert refused.body["data"]["flags"] == EPHEMERAL
    assert "belongs to someone else" in refused.body["data"]["content"]
    assert not refused.body["data"].get("embeds")


async def test_the_full_ranking_of_an_old_result_is_refused(bot: Bot) -> None:
    result = await start_and_answer(bot, "Web pages", "Yes, an admin")
    back = await bot.click(ANN, custom_id(result, "Back"), components(result))
    assert "Do editors need an admin?" in embed(back)["description"]
    stale = await bot.click(ANN, custom_id(result, "Full ranking"), components(result))
    assert stale.body["data"]["flags"] == EPHEMERAL
    assert "already answered" in stale.body["data"]["content"]


async def test_the_ranking_action_shows_the_ranking_so_far(bot: Bot) -> None:
    await start_and_answer(bot, "Web pages")
    ranking = await bot.command(ANN, action="ranking")
    assert ranking.body["data"]["flags"] == EPHEMERAL
    assert embed(ranking)["title"] == "Full ranking so far, after 1 answer"
    assert embed(ranking)["description"].splitlines()[0] == '**1. Alpha**: 3 points · +3 "Web pages"'
