"""The shipped python-web pack, walked through the engine, renders within Slack's limits everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack.render import blocks as kit
from adapters.slack.render import personal as blocks
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import QuestionReply, RankingReply, ResultReply
from bot.store.sqlite import SqliteStore
from tests.conftest import PYTHON_WEB


def _valid(message: kit.SlackMessage) -> None:
    assert message.text
    assert len(message.blocks) <= 50
    for block in message.blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]  # raises on any broken limit


async def test_every_scenario_renders_question_by_question(tmp_path: Path) -> None:
    if not (PYTHON_WEB / "pack.yaml").exists():
        pytest.skip("knowledge/python-web is not there yet")
    registry = PackRegistry()
    pack = registry.load(PYTHON_WEB)
    store = await SqliteStore.open(tmp_path / "a.db")
    engine = Engine(store=store, registry=registry, advisor=pack.id)
    try:
        for number, scenario in enumerate(pack.scenarios):
            answers = dict(scenario.answers)
            actor = Actor("slack", "T1", f"U{number}")
            reply = await engine.start(actor)
            while isinstance(reply, QuestionReply):
                _valid(blocks.question_message(reply))
                choice = answers.get(reply.question_id, reply.choices[0].id)
                reply = await engine.answer(
                    actor, conversation_id=reply.conversation_id, step=reply.step, option_id=choice
                )
            assert isinstance(reply, ResultReply)
            _valid(blocks.result_message(reply))
            _valid(blocks.shared_result_message(reply, user_id=actor.user))
            ranking = await engine.ranking(actor, conversation_id=reply.conversation_id, step=reply.step)
            assert isinstance(ranking, RankingReply)
            message = blocks.ranking_message(ranking)
            _valid(message)
            assert len(message.text.split(", ")) == len(pack.subjects)  # every framework, listed
    finally:
        await store.close()
