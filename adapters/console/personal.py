"""The advisor in a terminal: a line in, one engine call, the reply printed as text.

Works the same with a TTY or piped stdin, so it can be scripted; the conversation is in the
store, so quitting (or being killed) and running it again carries on at the same question.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from typing import TextIO

from adapters.console.render import render
from adapters.typed import command_for
from bot.errors import AdvisorError, NoConversation
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import Reply

HELP = """Commands:
  <number or label>  answer the question
  back               undo your last answer
  restart            start again from the first question
  why                why this question is asked, with sources
  status             your answers so far and who leads
  result             the ranking as it stands
  resume             carry on after a long pause
  forget             delete everything stored about you
  help               this list
  quit               leave (your answers are kept; run advisor chat to carry on)"""

QUIT = frozenset({"quit", "exit", "q", ":q"})


def wrap_for_terminal(text: str, width: int) -> str:
    """Wrap long lines at the terminal's width, keeping each line's indent on its continuations.

    Only for a real terminal: piped output stays one line per item, which scripts can grep.
    """
    out = []
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        out.append(
            textwrap.fill(
                line,
                width=max(width - 1, 40),
                subsequent_indent=indent + "  ",
                break_long_words=False,  # a URL stays whole, so it stays clickable
                break_on_hyphens=False,
            )
            if len(line) >= width
            else line
        )
    return "\n".join(out)


def run_console(
    *,
    engine: Engine,
    actor: Actor,
    runner: asyncio.Runner,
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """The chat loop; returns the process exit code (0 on quit or end of input)."""

    width = shutil.get_terminal_size().columns if stdout.isatty() else 0

    def say(text: str) -> None:
        stdout.write((wrap_for_terminal(text, width) if width else text) + "\n\n")
        stdout.flush()

    say(render(runner.run(engine.start(actor))))
    prompt = stdin.isatty()
    while True:
        if prompt:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        if line.strip().lower() in QUIT:
            say("Bye. Your answers are kept: run `advisor chat` to carry on.")
            return 0
        call = command_for(engine, actor, line.strip())
        if call is None:
            say(HELP)
            continue
        reply: Reply
        try:
            reply = runner.run(call())
        except NoConversation:
            reply = runner.run(engine.start(actor))
        except AdvisorError as error:
            say(str(error))
            continue
        say(render(reply))
