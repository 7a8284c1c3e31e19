"""A level top is shown as level in every adapter: no winner picked by the pack's list order.

On the shipped pack, "Not sure" about existing code, a tiny tool, "Not sure" about the output
and the deployment leaves Flask and Bottle on 2 points each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from adapters.console.render import render_result, render_summary
from adapters.discord.render.personal import render as discord_render
from adapters.slack.render.personal import render as slack_render
from bot.pack.loader import load_pack
from bot.personal.conversation import Conversation, ConversationKey
from bot.personal.presenting import result_reply
from bot.personal.replies import ResultReply
from tests.conftest import PYTHON_WEB

LEVEL_PATH = (("existing", "unsure"), ("scope", "tool"), ("out", "unsure"), ("deploy", "unsure"))
LIST_ORDER = ("pack's order", "listed first", "subject order", "tie rule", "tie-break")


@pytest.fixture(scope="module")
def level_result() -> ResultReply:
    pack = load_pack(PYTHON_WEB)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    conversation = Conversation(
        id="c1",
        key=ConversationKey("terminal", "local", "ann", pack.id),
        pack_version=pack.version,
        answers=LEVEL_PATH,
        step=len(LEVEL_PATH),
        version=1,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    reply = result_reply(pack, conversation)
    assert [s.name for s in reply.recommendation.level_at_top] == ["Flask", "Bottle"]
    return reply


def _no_winner(text: str) -> None:
    assert "Top pick" not in text
    assert "runner-up" not in text.lower()
    assert not [phrase for phrase in LIST_ORDER if phrase in text.lower()]


def test_the_terminal_names_both_and_says_neither_is_ahead(level_result: ResultReply) -> None:
    for text in (render_summary(level_result), render_result(level_result)):
        assert "Level at the top: Flask and Bottle" in text
        assert "neither is ahead" in text
        _no_winner(text)


def test_slack_names_both_in_the_header_and_the_notification(level_result: ResultReply) -> None:
    message = slack_render(level_result)
    blocks = json.dumps(message.blocks)
    assert message.blocks[0]["text"]["text"] == "Level at the top: Flask and Bottle"
    assert "level at the top Flask and Bottle, level (fit 20%, 2 points each)" in message.text
    assert "neither is ahead" in blocks
    _no_winner(message.text + blocks)


def test_discord_names_both_in_the_title_and_the_content(level_result: ResultReply) -> None:
    rendered = discord_render(level_result)
    embed = rendered.embeds[0]
    assert embed.title == "Level at the top: Flask and Bottle (fit 20%, 2 points each)"
    content = rendered.content or ""
    assert content.startswith("Level at the top: Flask and Bottle")
    text = content + json.dumps(embed.to_dict())
    assert "neither is ahead" in text
    _no_winner(text)


def test_recommend_json_lists_everyone_level_at_the_top() -> None:
    args = [f"{q}={o}" for q, o in LEVEL_PATH]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from adapters.cli import main_entry; main_entry()",
            "recommend",
            "--format",
            "json",
            *[part for a in args for part in ("-a", a)],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["level_at_top"] == ["flask", "bottle"]
    assert "tie_rule" not in out
