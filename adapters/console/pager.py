"""Long text on a terminal goes through a pager ($PAGER, else `less -FRX`), as git and man do.

`less -FRX` prints text that fits the screen and returns at once (-F), keeps colour (-R) and
leaves the text on screen after quitting (-X). Without a pager, or when it fails to start, the
text is simply written out: a missing pager never hides the explanation.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from typing import TextIO

Pager = Callable[[str], None]


def pager_command(environ: Mapping[str, str]) -> list[str] | None:
    """The pager to run: $PAGER split like a shell would (empty or `cat` means none), else less."""
    chosen = environ.get("PAGER")
    if chosen is not None:
        words = shlex.split(chosen)
        return words if words and words[0] != "cat" else None
    import shutil  # on first use: the chat starts without it

    less = shutil.which("less", path=environ.get("PATH"))
    return [less, "-FRX"] if less else None


def terminal_pager(*, stdout: TextIO, environ: Mapping[str, str]) -> Pager:
    """Show text through the pager, falling back to `stdout` when there is none."""

    def show(text: str) -> None:
        command = pager_command(environ)
        if command is not None:
            stdout.flush()
            try:
                subprocess.run(command, input=text + "\n", text=True, check=False, env=dict(environ))
                return
            except OSError:
                pass  # not installed after all: write it out below
        stdout.write(text + "\n\n")
        stdout.flush()

    return show
