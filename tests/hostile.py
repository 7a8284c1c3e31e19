"""Strings an attacker types or puts in a pack, shared by the hostile-input tests of every medium."""

from __future__ import annotations

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
