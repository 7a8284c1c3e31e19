"""The advisor in a terminal: a line in, one engine call, the reply printed as text.

On a terminal, lines are read with the standard library's `readline` where it exists (arrow
keys edit the line, up and down recall earlier ones, Tab completes commands and options), the
prompt and the top pick are coloured (see style.py) and `details` opens a pager. Piped, it
reads plain lines and writes plain text, so it can be scripted: an answer that matches
nothing ends it with exit code 2 after saying so, because every later line would answer the
wrong question. The conversation is in the store, so quitting (or being killed) and running
it again carries on at the same question.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, TextIO

from adapters.console.controls import safe_reply, strip_controls
from adapters.console.pager import Pager
from adapters.console.render import render, render_question, render_result, render_summary
from adapters.console.style import PLAIN, Style
from adapters.typed import command_for
from bot.errors import AdvisorError, NoConversation
from bot.personal import replies
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import Notice, QuestionReply

if TYPE_CHECKING:  # the reports load once one is shown (see replies.py)
    from bot.personal.replies import Reply

HELP = """Commands:
  <number or label>  answer the question
  back               undo your last answer
  restart            start again from the first question
  why                why this question is asked, with sources
  status             your answers so far and who leads
  result             the recommendation as it stands, in five lines
  details            the whole explanation: each answer's points, why not the runner-up, sources
  ranking            every subject with its points and the answers that gave them
  resume             carry on after a long pause
  forget             delete everything stored about you
  help               this list
  quit               leave (or Ctrl-D; your answers are kept: run advisor chat to carry on)"""

QUIT = frozenset({"quit", "exit", "q", ":q"})
COMMANDS = (
    "back",
    "restart",
    "why",
    "status",
    "result",
    "details",
    "ranking",
    "resume",
    "forget",
    "help",
    "quit",
)
GOODBYE = "Bye. Your answers are kept: run `advisor chat` to carry on."
EMPTY_HINT = "Type a number or a label to answer, or help for the commands."
EXIT_OK, EXIT_USAGE = 0, 2
_STYLE_CODES = re.compile(r"\x1b\[[0-9;]*m")
"""Our own colour codes (style.py): they take no room on the screen."""

ReadLine = Callable[[str], str | None]
"""Shows a prompt and returns the line typed, or None at the end of input (Ctrl-D, end of a pipe)."""


def _terminal_width() -> int:
    import shutil  # only on a terminal: a piped chat starts without it

    return shutil.get_terminal_size().columns


def wrap_for_terminal(text: str, width: int) -> str:
    """Wrap long lines at the terminal's width, keeping each line's indent on its continuations.

    Only for a real terminal: piped output stays one line per item, which scripts can grep.
    """
    import textwrap

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
            if len(_STYLE_CODES.sub("", line)) >= width
            else line
        )
    return "\n".join(out)


def stream_reader(stdin: TextIO, stdout: TextIO, *, show_prompt: bool) -> ReadLine:
    """Lines from any stream; the prompt is written only when someone is there to see it."""

    def read(prompt: str) -> str | None:
        if show_prompt:
            stdout.write(prompt)
            stdout.flush()
        line = stdin.readline()
        return line if line else None

    return read


def readline_reader(complete: Callable[[], tuple[str, ...]]) -> ReadLine:
    """`input()` with the standard library's readline: line editing, history, Tab completion.

    Only for a real terminal on sys.stdin. History lives for this session only: answers are
    never written to a history file, so `forget` leaves nothing behind.
    """
    editing: ModuleType | None
    try:
        import readline as editing
    except ImportError:  # Windows: input() still works, without editing
        editing = None
    if editing is not None:

        def completer(text: str, state: int) -> str | None:
            found = [word for word in complete() if word.lower().startswith(text.lower())]
            return found[state] if state < len(found) else None

        editing.set_completer(completer)
        editing.set_completer_delims(" \t")
        # macOS builds Python against libedit, which reads a different binding syntax.
        libedit = "libedit" in (editing.__doc__ or "")
        editing.parse_and_bind("bind ^I rl_complete" if libedit else "tab: complete")

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return read


def run_console(
    *,
    engine: Engine,
    actor: Actor,
    runner: asyncio.Runner,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO | None = None,
    style: Style = PLAIN,
    pager: Pager | None = None,
    use_readline: bool = False,
) -> int:
    """The chat loop; returns the process exit code (0 on quit or end of input, 2 on a piped mistake).

    When a person types (stdin is a terminal) a mistake is explained and the question shown
    again; in a pipe it is written to `stderr` and ends the run with exit code 2. `use_readline`
    is for the process's own terminal only (input() reads sys.stdin and writes sys.stdout).
    """
    interactive = stdin.isatty()
    errors = stderr if stderr is not None else stdout
    width = _terminal_width() if stdout.isatty() else 0
    shown: QuestionReply | None = None

    def say(text: str) -> None:
        stdout.write((wrap_for_terminal(text, width) if width else text) + "\n\n")
        stdout.flush()

    def show(reply: Reply) -> None:
        nonlocal shown
        reply = safe_reply(reply)  # pack and typed text can't reach the terminal as controls
        if isinstance(reply, QuestionReply):
            shown = reply
            say(render_question(reply, style))
        elif isinstance(reply, replies.ResultReply):
            shown = None
            say(render_summary(reply, style))
        else:
            if isinstance(reply, Notice):
                shown = None
            say(render(reply))
            again()

    def again() -> None:
        """The question once more, after anything that scrolled it away (why, status, an error)."""
        if shown is not None:
            say(render_question(shown, style))

    def words() -> tuple[str, ...]:
        options = () if shown is None else tuple(c.label for c in shown.choices)
        return (*COMMANDS, *options)

    def details() -> None:
        reply = safe_reply(runner.run(engine.result(actor)))
        text = render_result(reply) if isinstance(reply, replies.ResultReply) else render(reply)
        if pager is not None:
            pager(text)
        else:
            say(text)
        again()

    read_line: ReadLine
    if use_readline and interactive:
        read_line = readline_reader(words)
        prompt = Style(colour=style.colour, for_readline=True).prompt("> ")
    else:
        read_line = stream_reader(stdin, stdout, show_prompt=interactive)
        prompt = style.prompt("> ")
    show(runner.run(engine.start(actor)))
    while True:
        line = read_line(prompt)
        if line is None:
            # Ctrl-D is quit: the goodbye starts on a fresh line, not after the prompt.
            stdout.write("\n" if interactive else "")
            say(GOODBYE)
            return EXIT_OK
        text = line.strip()
        if not text:
            if shown is not None:
                say(render_question(shown, style))
            else:
                say(style.dim(EMPTY_HINT))
            continue
        word = text.lower()
        if word in QUIT:
            say(GOODBYE)
            return EXIT_OK
        try:
            if word == "details":
                details()
                continue
            call = command_for(engine, actor, text)
            if call is None:
                say(HELP)
                again()
                continue
            try:
                reply = runner.run(call())
            except NoConversation:
                reply = runner.run(engine.start(actor))
        except AdvisorError as error:
            said = strip_controls(str(error))  # it may quote what was typed
            if not interactive:
                errors.write(f"advisor: {said}\nStopped: piped input must answer each question in turn.\n")
                errors.flush()
                return EXIT_USAGE
            say(style.warn(said))
            again()
            continue
        if word == "result" and isinstance(reply, replies.ResultReply):
            say(render_summary(safe_reply(reply), style))  # the ranking so far: the question still waits
            again()
            continue
        show(reply)
