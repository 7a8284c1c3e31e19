"""Text from a user or a pack made safe to print on a terminal.

A terminal obeys what it prints: `ESC [ 2 J` clears the screen, `ESC ] 0 ; title BEL`
retitles the window, a carriage return overwrites the line, a bidirectional override
reverses what follows. So every string that came from outside loses its C0 and C1 control
characters and whole ANSI/OSC sequences before it is printed; newline and tab stay.
"""

from __future__ import annotations

import re
from typing import Final, TypeVar

from adapters.escaping import escape_all

T = TypeVar("T")

_SEQUENCES: Final = re.compile(
    r"""
    \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?    # OSC: ESC ] ... BEL or ESC \ (window titles, links)
  | \x1b[P^_X][^\x1b]*(?:\x1b\\)?         # DCS, PM, APC, SOS strings
  | \x1b\[[0-?]*[ -/]*[@-~]?              # CSI: ESC [ params final (colours, cursor moves, clears)
  | \x9b[0-?]*[ -/]*[@-~]?                # the 8-bit CSI
  | \x1b[ -/]*[0-~]?                      # any other escape (ESC c resets the terminal)
    """,
    re.VERBOSE,
)
_CONTROLS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 but newline and tab, DEL, C1, and the bidirectional marks and overrides."""


def strip_controls(text: str) -> str:
    """`text` without control characters or escape sequences; newline and tab are kept."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def safe_reply(reply: T) -> T:
    """The reply with every string stripped of controls, ready for a renderer to add its own."""
    return escape_all(reply, strip_controls)
