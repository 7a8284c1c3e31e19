"""The App Home tab and the modals around it as Block Kit (pure): Start, the last result, team sessions.

The Home tab is per user and is redrawn whole (views.publish) whenever it is opened or
something it shows changes. Its buttons have action ids of their own (`adv_home_...`): a
view has no response_url, so its clicks are answered by posting to the user's messages with
the app, or by redrawing the tab.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.ids import Action, ActionId
from adapters.points import behind, pick_summary, points, reasons_text, signed
from adapters.slack.render.blocks import Block, clip, context, escape, plain_text, section
from adapters.slack.render.personal import progress
from bot.pack.limits import SLACK_HEADER_TEXT
from bot.personal.replies import Notice, QuestionReply, Reply, ResultReply
from bot.ranking import strongest_first
from bot.team.replies import OpenSessionSummary

HOME_START = "adv_home_start"
"""Start, or carry on: the current question goes to the user's messages with the app."""
HOME_RESTART = "adv_home_restart"
HOME_SHARE = "adv_home_share"
"""Share the last result: opens the channel picker (a Home tab has no channel of its own)."""
HOME_ACTIONS = re.compile(r"^adv_home_")
LINK_ACTIONS = re.compile(r"^adv_link_")
"""Buttons that only open a URL: Slack still reports their clicks, which must be acknowledged."""
SHARE_VIEW = "adv_share"
"""The channel picker modal's callback_id."""
SHORTCUT = "choose_framework"
"""The global shortcut's callback_id (manifest.py declares it)."""
SHORTCUT_NAME = "Choose a framework"
SHARE_BLOCK, SHARE_ELEMENT = "share_channel", "channel"
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{1,20}$")
MAX_HOME_BLOCKS = 100
TITLE = "Framework Advisor"
INTRO = (
    "I ask a few questions about your project and recommend a Python web framework, with the"
    " reasons, the concerns and the sources. The questions come to you here, in *Messages*;"
    " only you see them."
)


@dataclass(frozen=True, slots=True)
class TeamLink:
    """An open team session as the Home tab lists it, with a link to its thread when Slack gave one."""

    summary: OpenSessionSummary
    permalink: str | None = None


def _button(label: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": plain_text(label),
    }
    if style is not None:
        element["style"] = style
    return element


def _actions(block_id: str, *elements: dict[str, Any]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def _channel(channel: str) -> str:
    """A channel link, for ids that look like Slack's only: a stored value never becomes markup."""
    return f"<#{channel}>" if CHANNEL_ID.match(channel) else escape(channel)


def _yours(reply: Reply | None) -> list[Block]:
    if reply is None:
        return [
            section(
                "*Your result*\nNothing yet. Press *Start*, type `/choose-framework` in any channel,"
                " or use the *Choose a framework* shortcut.",
                "home:yours",
            )
        ]
    if isinstance(reply, ResultReply):
        rec = reply.recommendation
        runner = rec.runner_up
        lines = [f"*Your last result:* {escape(pick_summary(rec))}"]
        if runner is not None and not rec.is_level:
            lines.append(f"Runner-up: {escape(runner.name)} ({points(runner.points)}, {behind(rec)})")
        strongest = [a for a in strongest_first(rec.top_points) if a.points > 0]
        lines += [f"• *{signed(a.points)}* {escape(reasons_text(a))}" for a in strongest[:2]]
        cid, step = reply.conversation_id, reply.step
        return [
            section("\n".join(lines), "home:yours"),
            _actions(
                "home:yours:actions",
                _button(
                    "Share to a channel…",
                    HOME_SHARE,
                    ActionId(cid, step, Action.SHARE).encode(),
                    style="primary",
                ),
                _button("Start over", HOME_RESTART, ActionId(cid, step, Action.RESTART).encode()),
            ),
        ]
    if isinstance(reply, QuestionReply):
        text = f"*Your conversation*\n{progress(reply)}: {escape(reply.prompt)}"
    elif isinstance(reply, Notice):
        text = f"*Your conversation*\n{escape(reply.text)}"
    else:
        text = "*Your conversation* is under way."
    return [section(text, "home:yours")]


def _start_label(reply: Reply | None) -> str:
    if reply is None:
        return "Start"
    if isinstance(reply, ResultReply):
        return "See it in Messages"
    return "Carry on"


def _teams(links: Sequence[TeamLink]) -> list[Block]:
    blocks: list[Block] = [section("*Team sessions in your channels*", "home:teams")]
    if not links:
        blocks.append(
            context(
                "None open. Start one in a channel with `/choose-framework team <what you are deciding>`:"
                " everyone there votes in a thread.",
                "home:teams:none",
            )
        )
        return blocks
    for index, link in enumerate(links):
        s = link.summary
        where = f"question {s.number}: {escape(s.prompt)}" if s.prompt else f"question {s.number}"
        text = (
            f"*{escape(s.topic)}* in {_channel(s.channel)}\n{where} · {s.votes} vote(s) so far"
            f" · started by {escape(s.starter)}"
        )
        block = section(text, f"home:team:{index}")
        if link.permalink and link.permalink.startswith("https://"):
            block["accessory"] = {
                "type": "button",
                "action_id": f"adv_link_thread_{index}",
                "text": plain_text("Open thread"),
                "url": clip(link.permalink, 3000),
            }
        blocks.append(block)
    return blocks


def home_view(
    reply: Reply | None,
    teams: Sequence[TeamLink],
    *,
    notice: str = "",
    shared_in: str | None = None,
) -> dict[str, Any]:
    """The whole Home tab for one user: `reply` is their conversation as it stands (None: never began).

    `notice` is what just happened (plain text: an error's message, say); `shared_in` the
    channel a result was just shared in.
    """
    blocks: list[Block] = [
        {"type": "header", "block_id": "home:title", "text": plain_text(TITLE, SLACK_HEADER_TEXT)},
    ]
    if notice:
        blocks.append(context(escape(notice), "home:notice"))
    if shared_in:
        blocks.append(context(f"Shared your result in {_channel(shared_in)}.", "home:shared"))
    blocks += [
        section(INTRO, "home:intro"),
        _actions("home:start", _button(_start_label(reply), HOME_START, "start", style="primary")),
        {"type": "divider", "block_id": "home:d1"},
        *_yours(reply),
        {"type": "divider", "block_id": "home:d2"},
        *_teams(teams),
    ]
    return {"type": "home", "callback_id": "adv_home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def share_picker(action: ActionId, *, origin: str) -> dict[str, Any]:
    """The modal that asks where to post a result; `response_url_enabled` gives a way into channels
    the bot is not a member of."""
    return {
        "type": "modal",
        "callback_id": SHARE_VIEW,
        "private_metadata": json.dumps({"action": action.encode(), "origin": origin}),
        "title": plain_text("Share your result", 24),
        "submit": plain_text("Share", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": SHARE_BLOCK,
                "label": plain_text("Post it in"),
                "element": {
                    "type": "conversations_select",
                    "action_id": SHARE_ELEMENT,
                    "placeholder": plain_text("Choose a channel"),
                    "response_url_enabled": True,
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
            },
            context("Everyone in that channel will see your result and your answers.", "share:hint"),
        ],
    }


def shortcut_opened(app_id: str | None, team_id: str | None) -> dict[str, Any]:
    """What the global shortcut shows at once: the questions are in the user's messages with the app."""
    blocks: list[Block] = [
        section(
            "Your first question is waiting in your *Messages* with me. Answer with the buttons,"
            " or type a number or a label there.",
            "shortcut:where",
        )
    ]
    if app_id and team_id and re.match(r"^[A-Z0-9]+$", app_id + team_id):
        blocks.append(
            _actions(
                "shortcut:open",
                {
                    "type": "button",
                    "action_id": "adv_link_messages",
                    "text": plain_text("Open Messages"),
                    "url": f"https://slack.com/app_redirect?app={app_id}&team={team_id}",
                    "style": "primary",
                },
            )
        )
    return {
        "type": "modal",
        "callback_id": "adv_shortcut",
        "title": plain_text(TITLE, 24),
        "close": plain_text("OK", 24),
        "blocks": blocks,
    }
