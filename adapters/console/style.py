"""Bold and colour for a terminal that shows them, and nothing at all for one that does not.

Colour is on only when output is a terminal, `NO_COLOR` is unset or empty (no-color.org),
`TERM` is not `dumb` and `--no-color` was not given: piped output never carries an escape
code, so scripts and files read clean text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_GREEN = "\x1b[1;32m"
_YELLOW = "\x1b[1;33m"
_CYAN = "\x1b[1;36m"
_DIM = "\x1b[2m"


def wants_colour(*, stream: TextIO, environ: Mapping[str, str], disabled: bool = False) -> bool:
    """Colour for `stream`: a terminal, no NO_COLOR, no dumb TERM, no --no-color."""
    if disabled or environ.get("NO_COLOR", "") != "" or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True, slots=True)
class Style:
    """How text is marked up: `Style()` adds nothing, `Style(colour=True)` adds ANSI codes.

    `for_readline` wraps each code in readline's "invisible" markers (\\001, \\002), so a
    coloured prompt does not confuse line editing about where the cursor is.
    """

    colour: bool = False
    for_readline: bool = False

    def _mark(self, code: str, text: str) -> str:
        if not self.colour or not text:
            return text
        if self.for_readline:
            return f"\001{code}\002{text}\001{_RESET}\002"
        return f"{code}{text}{_RESET}"

    def bold(self, text: str) -> str:
        return self._mark(_BOLD, text)

    def pick(self, text: str) -> str:
        """The top pick: bold green."""
        return self._mark(_GREEN, text)

    def warn(self, text: str) -> str:
        """An error or a refusal: bold yellow."""
        return self._mark(_YELLOW, text)

    def prompt(self, text: str) -> str:
        """The input prompt: bold cyan."""
        return self._mark(_CYAN, text)

    def dim(self, text: str) -> str:
        """Hints around the content."""
        return self._mark(_DIM, text)


PLAIN = Style()
