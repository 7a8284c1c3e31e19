"""Every message carries a plain-text `content` beside its embed: screen readers and notifications
read the content, and show nothing for an embed alone."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.conftest import ANN, BEN, Bot
from tests.adapters.discord.test_team import components, custom_id, followups, start_team, vote
from tests.fakes.discord_api import Call

CONTENT = 2000


def content(data: dict[str, Any]) -> str:
    text = data.get("content") or ""
    assert data.get("embeds"), "these messages all have an embed"
    assert text.strip(), f"no plain-text content beside the embed: {data}"
    assert len(text) <= CONTENT
    return str(text)


async def test_personal_messages_say_in_plain_text_what_their_embed_shows(bot: Bot) -> None:
    question = await bot.command(ANN)
    text = content(question.body["data"])
    assert text.splitlines() == [
        "Question 1 of about 3: What are you building?",
        "Options: 1. Web pages, 2. JSON API, 3. Not sure",
    ]

    why = await bot.click(ANN, custom_id(question, "Why?"), components(question))
    assert content(why.body["data"]).startswith("Why we ask: What are you building?\nPages and APIs")

    status = await bot.command(ANN, action="status")
    assert content(status.body["data"]).startswith("Your answers so far: 0.\nNow: What are you building?")

    second = await bot.click(ANN, custom_id(question, "Web pages"), components(question))
    assert "Question 2 of about 3: Do editors need an admin?" in content(second.body["data"])
    result = await bot.click(ANN, custom_id(second, "Yes, an admin"), components(second))
    assert content(result.body["data"]).splitlines() == [
        "Top pick: Alpha (fit 100%, 5 points)",
        'Runner-up: Beta (0 points, 5 behind; widest gap: "Web pages" +3)',
        "+3 Alpha renders pages.",
        "+2 Alpha ships an admin.",
    ]


async def test_team_messages_say_in_plain_text_what_their_embed_shows(bot: Bot) -> None:
    q1 = await start_team(bot, topic="Shop rewrite")
    assert content(q1.body["data"]).splitlines() == [
        "Shop rewrite: team question 1: What are you building?",
        "0 vote(s) so far. Vote with the buttons below.",
    ]
    edited = await vote(bot, ANN, q1, "Web pages")
    assert "1 vote(s) so far" in content(edited.body["data"])
    await vote(bot, BEN, q1, "Web pages")
    closed = await bot.click(ANN, custom_id(q1, "Next"), components(q1), flags=0)
    assert content(closed.body["data"]).splitlines() == [
        "Shop rewrite: team question 1 closed: What are you building?",
        "The team chose Web pages.",
    ]
    (post,) = await followups(bot)
    assert "team question 2: Do editors need an admin?" in content(post.body)

    q2 = Call("POST", post.path, {"type": 4, "data": post.body}, post.at)
    await vote(bot, ANN, q2, "Yes, an admin")
    await bot.click(ANN, custom_id(q2, "Next"), components(q2), flags=0)
    result = (await followups(bot, count=2))[-1]
    assert content(result.body).startswith("Shop rewrite: Team pick: Alpha (fit 100%)")
