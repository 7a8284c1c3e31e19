"""Any pack lint accepts renders inside Discord's limits (discord.py itself checks none of them)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.pack.registry import PackRegistry
from bot.personal.engine import Engine
from bot.store.sqlite import SqliteStore
from tests.adapters.discord.conftest import ANN, Bot, MakeBot
from tests.conftest import Clock
from tests.fakes.discord_api import Call

OPTIONS = 25


def write_wide_pack(folder: Path, tiny: Path) -> Path:
    """The tiny pack's subjects and sources, with one question of 25 options at lint's maxima."""
    shutil.copytree(tiny, folder)
    (folder / "scenarios.yaml").unlink()
    pack = yaml.safe_load((tiny / "pack.yaml").read_text())
    pack.update(id="wide", start="pick")
    (folder / "pack.yaml").write_text(yaml.safe_dump(pack))
    subjects = yaml.safe_load((tiny / "subjects.yaml").read_text())
    for subject in subjects["subjects"]:
        for companion in subject.get("companions", []):
            companion.pop("when", None)  # it names the tiny pack's questions
    (folder / "subjects.yaml").write_text(yaml.safe_dump(subjects))
    options = [
        {
            "id": f"option-{n:02d}-" + "x" * 22,
            "label": f"{n:02d} " + "L" * 72,  # 75 characters: lint's maximum
            "next": "result",
            "evidence": [
                {"subject": s, "weight": (n % 3) + 1, "reason": "R" * 300, "sources": ["s1"]}
                for s in ("alpha", "beta", "gamma")
            ],
        }
        for n in range(OPTIONS)
    ]
    question = {"id": "pick", "prompt": "P" * 2000, "why": "W" * 2000, "options": options}
    (folder / "questions.yaml").write_text(yaml.safe_dump({"questions": [question]}))
    return folder


async def wide_bot(
    make_bot: MakeBot, tmp_path: Path, tiny_path: Path, clock: Clock
) -> tuple[Bot, SqliteStore]:
    registry = PackRegistry()
    registry.load(write_wide_pack(tmp_path / "wide", tiny_path))
    store = await SqliteStore.open(tmp_path / "wide.db")
    engine = Engine(store=store, registry=registry, advisor="wide", clock=clock)
    return await make_bot(engine_=engine), store


def assert_within_discord_limits(call: Call) -> None:
    data = call.body["data"]
    assert len(data.get("content") or "") <= 2000
    embeds = data.get("embeds", [])
    if embeds:  # screen readers and notifications read the content, never the embed
        assert (data.get("content") or "").strip(), "a message with an embed needs plain-text content"
    assert len(embeds) <= 10
    total = 0
    for embed in embeds:
        assert len(embed.get("title", "")) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for f in embed.get("fields", []):
            assert len(f["name"]) <= 256
            assert len(f["value"]) <= 1024
        assert len(embed.get("footer", {}).get("text", "")) <= 2048
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        total += len(embed.get("footer", {}).get("text", ""))
    assert total <= 6000
    rows = data.get("components", [])
    assert len(rows) <= 5
    ids: list[str] = []
    for row in rows:
        items = row["components"]
        selects = [i for i in items if i["type"] == 3]
        assert len(items) <= 5
        assert not selects or len(items) == 1
        for item in items:
            ids.append(item["custom_id"])
            assert 1 <= len(item["custom_id"]) <= 100
            if item["type"] == 2:
                assert len(item["label"]) <= 80
            else:
                assert len(item["options"]) <= 25
                assert len(item.get("placeholder", "")) <= 150
                for option in item["options"]:
                    assert len(option["label"]) <= 100
                    assert len(option["value"]) <= 100
    assert len(ids) == len(set(ids)), "custom_ids must be unique within a message"


def select_of(call: Call) -> dict[str, Any]:
    return dict(call.body["data"]["components"][0]["components"][0])


async def test_a_25_option_question_renders_as_a_select_within_every_limit(
    make_bot: MakeBot, tmp_path: Path, tiny_path: Path, clock: Clock
) -> None:
    bot, store = await wide_bot(make_bot, tmp_path, tiny_path, clock)
    try:
        call = await bot.command(ANN)
    finally:
        await store.close()

    assert_within_discord_limits(call)
    select = select_of(call)
    assert select["type"] == 3
    assert len(select["options"]) == OPTIONS
    assert select["options"][0]["label"].startswith("00 LLL")
    embed = call.body["data"]["embeds"][0]
    assert embed["description"].startswith("**" + "P" * 100)
    assert embed["description"].endswith("W" * 2000)  # a 2000-character prompt and why both fit
    nav = [b["label"] for b in call.body["data"]["components"][1]["components"]]
    assert nav == ["Restart", "Why?"]


async def test_choosing_in_the_select_answers_and_the_result_fits_too(
    make_bot: MakeBot, tmp_path: Path, tiny_path: Path, clock: Clock
) -> None:
    bot, store = await wide_bot(make_bot, tmp_path, tiny_path, clock)
    try:
        first = await bot.command(ANN)
        select = select_of(first)
        chosen = select["options"][24]["value"]
        result = await bot.click(ANN, select["custom_id"], first.body["data"]["components"], values=[chosen])
    finally:
        await store.close()

    assert result.body["type"] == 7, result.body
    assert result.body["data"]["embeds"][0]["title"].startswith(("Top pick:", "Level at the top:"))
    assert_within_discord_limits(result)  # three 300-character reasons per subject, clipped to fit


async def test_every_message_of_the_tiny_flow_is_within_limits(bot: Bot) -> None:
    call = await bot.command(ANN)
    assert_within_discord_limits(call)
    for label in ("Web pages", "Yes, an admin"):
        button = next(
            b["custom_id"]
            for r in call.body["data"]["components"]
            for b in r["components"]
            if b["label"] == label
        )
        call = await bot.click(ANN, button, call.body["data"]["components"])
        assert_within_discord_limits(call)


async def test_the_full_ranking_of_the_widest_result_fits_too(
    make_bot: MakeBot, tmp_path: Path, tiny_path: Path, clock: Clock
) -> None:
    bot, store = await wide_bot(make_bot, tmp_path, tiny_path, clock)
    try:
        first = await bot.command(ANN)
        select = select_of(first)
        rows = first.body["data"]["components"]
        result = await bot.click(ANN, select["custom_id"], rows, values=[select["options"][0]["value"]])
        full = next(
            b["custom_id"]
            for r in result.body["data"]["components"]
            for b in r["components"]
            if b.get("label") == "Full ranking"
        )
        ranking = await bot.click(ANN, full, result.body["data"]["components"])
    finally:
        await store.close()

    assert_within_discord_limits(result)
    assert_within_discord_limits(ranking)
    lines = ranking.body["data"]["embeds"][0]["description"].splitlines()
    assert [line.split(":")[0] for line in lines] == ["**1. Alpha**", "**1. Beta**", "**1. Gamma**"]
