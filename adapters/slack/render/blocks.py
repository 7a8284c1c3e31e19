"""Block Kit building blocks (pure): every limit of bot/pack/limits.py and Slack's is applied here.

A message is data (`SlackMessage`), so it can be checked in tests against slack_sdk's own
validators without sending anything. Every button carries an `adapters.ids.ActionId`, so a
click is routed by its value alone, after a restart too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from adapters.ids import Action, ActionId
from bot.matching import Choice
from bot.pack.limits import MAX_BUTTON_OPTIONS, MAX_LABEL, MAX_OPTIONS, SLACK_BLOCKS, SLACK_SECTION_TEXT

Block = dict[str, Any]

SELECT_PREFIX = "adv:select"
FALLBACK_TEXT = 3000
"""Notification text is a preview; Slack truncates at 40,000 but nobody reads that much."""
CONTEXT_TEXT = 3000
PLACEHOLDER = 150
_LINK_BREAKERS = frozenset("&<>| ")
"""Characters a link's URL can't carry as they are (`&` is escaped, the rest percent-encoded)."""


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What goes to chat.postMessage or a response_url: fallback text plus blocks."""

    text: str
    blocks: tuple[Block, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


def escape(text: str) -> str:
    """Slack's one escaping: text from a user or a pack never becomes a mention or a link.

    mrkdwn's only control characters are `&`, `<` and `>` (`<!channel>`, `<@U1>`, `<#C1>`,
    `<url|label>` all need `<`), and Slack reads them in blocks and in a message's top-level
    `text` (its notification) alike, so both go through here.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """`<url|label>` from a pack's source: the URL can't close the link early or open another.

    Anything but an http(s) URL is shown as its label alone.
    """
    if not url.startswith(("https://", "http://")):
        return escape(label)
    if url.isprintable() and not _LINK_BREAKERS.intersection(url):
        return f"<{url}|{escape(label)}>"  # a plain URL (nearly all of them) needs no change
    safe = "".join(
        "&amp;" if c == "&" else c if c.isprintable() and c not in "<>| " else quote(c, safe="") for c in url
    )
    return f"<{safe}|{escape(label)}>"


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters, marking the cut, so no block is ever rejected for length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, block_id: str) -> Block:
    return {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": clip(text, SLACK_SECTION_TEXT)},
    }


def sections(lines: Sequence[str], block_id: str, *, heading: str = "") -> list[Block]:
    """`heading` and `lines` in as many sections as they take, each within Slack's 3,000
    characters, so a long list is never cut off mid-way; a line longer than a section is clipped.
    The first section gets `block_id`, the next ones `block_id:2`, `block_id:3`, ..."""
    texts: list[str] = []
    current = heading
    for line in lines:
        line = clip(line, SLACK_SECTION_TEXT)
        joined = f"{current}\n{line}" if current else line
        if len(joined) > SLACK_SECTION_TEXT:
            texts.append(current)
            current = line
        else:
            current = joined
    if current:
        texts.append(current)
    return [section(text, block_id if n == 1 else f"{block_id}:{n}") for n, text in enumerate(texts, 1)]


def context(text: str, block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_TEXT)}],
    }


def button(label: str, action: ActionId, *, style: str | None = None) -> dict[str, Any]:
    value = action.encode()
    button: dict[str, Any] = {
        "type": "button",
        "action_id": value,
        "value": value,
        "text": plain_text(label),
    }
    if style is not None:
        button["style"] = style
    return button


def actions(elements: Sequence[dict[str, Any]], block_id: str) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def fit_blocks(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """At most 50 blocks, keeping the last one (the buttons) when the middle must go."""
    out = list(blocks)
    if len(out) > SLACK_BLOCKS:
        out = [*out[: SLACK_BLOCKS - 1], out[-1]]
    return tuple(out)


def choice_elements(
    choices: Sequence[Choice],
    *,
    key: str,
    step: int,
    action: Action,
    placeholder: str,
    label_prefix: str = "",
    select_suffix: str = "",
) -> list[dict[str, Any]]:
    """Buttons while they fit on a line (5), else one static select; for answers and team votes.

    `select_suffix` keeps a second select in the same message (a team's tie decision) apart:
    Slack wants every action_id in a message to be different.
    """
    choices = choices[:MAX_OPTIONS]
    if len(choices) <= MAX_BUTTON_OPTIONS:
        return [button(label_prefix + c.label, ActionId(key, step, action, c.id)) for c in choices]
    return [
        {
            "type": "static_select",
            "action_id": f"{SELECT_PREFIX}:{key}:{step}{select_suffix}",
            "placeholder": plain_text(placeholder, PLACEHOLDER),
            "options": [
                {
                    "text": plain_text(f"{c.number}. {c.label}"),
                    "value": ActionId(key, step, action, c.id).encode(),
                }
                for c in choices
            ],
        }
    ]


def error_message(text: str) -> SlackMessage:
    """An AdvisorError's message (it already says what to do), as a short ephemeral note."""
    return SlackMessage(
        text=escape(clip(text, FALLBACK_TEXT)), blocks=(context(f":warning: {escape(text)}", "error"),)
    )
