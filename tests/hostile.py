"""Strings an attacker types or puts in a pack, shared by the hostile-input tests of every medium."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, cast

T = TypeVar("T")

SLACK_MARKUP = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<https://evil.example|click>",
    "<!subteam^S123>",
)
DISCORD_MARKUP = (
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@&1234>",
    "<#1234>",
    "[x](https://evil.example)",
)
TERMINAL = (
    "\x1b[2J",  # clears the screen
    "\x1b]0;pwned\x07",  # OSC: retitles the terminal
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x07",  # BEL
    "\x00",  # NUL
    "\x9b31m",  # the 8-bit CSI (C1)
    "\x85",  # NEL (C1)
    "\r",  # carriage return: overwrites the line
    "\u202e",  # right-to-left override
    "\x1bc",  # full terminal reset
)
LONG = "a" * 10_000

HOSTILE = (*SLACK_MARKUP, *DISCORD_MARKUP, *TERMINAL, LONG, "&amp; &lt;", "`code` *bold* _it_ ~s~")
"""Every hostile string; each test embeds them in otherwise normal text."""


def wrapped(text: str) -> str:
    """A hostile string inside normal words, as it would arrive."""
    return f"pick {text} now"


ID_FIRST = frozenset({"accept_choices", "subject_summaries"})
"""Fields holding (id, text, ...) rows."""


def poison(value: T, text: str) -> T:
    """`value` (a reply) with `text` added to every string in it but ids, however deeply nested.

    Ids (`id`, `*_id`, `sources`) stay valid, because renderers put them in button values;
    everything a user or a pack wrote (prompts, labels, reasons, names, topics, urls) carries
    the hostile text.
    """
    return cast(T, _poison(value, text, key=""))


def _poison(value: Any, text: str, *, key: str) -> Any:
    if key == "id" or key.endswith("_id") or key in ("sources", "when", "offers"):
        return value
    if key in ID_FIRST and isinstance(value, tuple):  # (id, text, ...) rows: the id stays
        return tuple((row[0], *(_poison(v, text, key="") for v in row[1:])) for row in value)
    if type(value) is str:
        return f"{value} {text}"
    if isinstance(value, tuple):
        return tuple(_poison(item, text, key=key) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _poison(getattr(value, f.name), text, key=f.name)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value
