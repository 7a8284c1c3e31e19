"""User, workspace and channel ids as the platforms make them, checked where a payload enters.

An id becomes part of a stored key and, on Slack, of a mention (`<@U123>`), so one that no
platform would send (a NUL byte, 3,000 characters, `U1> <!channel`) is refused at the border
with a clear message, before anything is stored. Slack ids are upper-case letters and digits
(`U024BE7LH`, `T0001`, `E12345`, `USLACKBOT`); Discord's are snowflakes, decimal numbers below
2**64. Display names are only shown, so they are cut to a readable length instead.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from bot.errors import InputError

SLACK_ID: Final = re.compile(r"[A-Z0-9]{1,32}")
DISCORD_ID: Final = re.compile(r"[0-9]{1,20}")
MAX_NAME: Final = 80
"""Slack and Discord display names are at most 80 characters."""


class UnreadableId(InputError):
    """A request whose user, workspace or channel id is not one the platform makes."""

    def __init__(self, *, kind: str, length: int) -> None:
        self.kind, self.length = kind, length
        super().__init__(
            f"The advisor could not read this request: its {kind} is not a valid id "
            f"({length} characters), so nothing was done. Try again; if it keeps happening, "
            "reinstall the app."
        )


def slack_id(value: object, *, kind: str) -> str:
    """`value` if it is a Slack id (`U024BE7LH`), else UnreadableId naming `kind`."""
    if isinstance(value, str) and SLACK_ID.fullmatch(value):
        return value
    raise UnreadableId(kind=kind, length=len(value) if isinstance(value, str) else 0)


def discord_id(value: object, *, kind: str) -> str:
    """The decimal text of a Discord snowflake, else UnreadableId naming `kind`."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and DISCORD_ID.fullmatch(text) and int(text) < 2**64:
        return text
    raise UnreadableId(kind=kind, length=len(text) if isinstance(text, str) else 0)


def display_name(value: str, *, fallback: str) -> str:
    """A name for tallies: control characters dropped, cut to MAX_NAME, `fallback` if empty."""
    kept = "".join(c for c in value if unicodedata.category(c) != "Cc" and c not in "\u2028\u2029")
    kept = " ".join(kept.split())
    if not kept:
        return fallback
    return kept if len(kept) <= MAX_NAME else kept[: MAX_NAME - 1] + "…"
