"""A team session in one terminal: the members take turns at the keyboard, one vote each per question.

It drives the same team engine and store as the chat platforms, so the whole team flow (majority
path, ties, quorum, splits, the decision record) can be tried and tested without any of them.
Votes are stored as they are typed: quitting and running the same command again carries on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TextIO

from adapters.console.render import render_tally, render_team, render_team_closed
from bot.errors import AdvisorError
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply

PLATFORM = "terminal"
WORKSPACE = "local"
CHANNEL = "team"

HELP = """Each member in turn types an answer: a number or a label.
  tally   the votes so far on this question
  next    close this question now, on the votes given
  help    this list
  quit    leave (the votes are kept; run the same command to carry on)"""

QUIT = frozenset({"quit", "exit", "q", ":q"})


def _who_votes(members: Sequence[str], voted: dict[str, str]) -> list[str]:
    return [m for m in members if m not in voted]


def run_team_console(
    *,
    engine: TeamEngine,
    members: Sequence[str],
    runner: asyncio.Runner,
    stdin: TextIO,
    stdout: TextIO,
    topic: str = "",
    quorum: int = 0,
    anonymous: bool = False,
) -> int:
    """The turn-taking loop; returns the exit code (0 at the result, on quit or at end of input)."""

    def say(text: str) -> None:
        stdout.write(text + "\n\n")
        stdout.flush()

    starter = members[0]
    echoed = stdin.isatty()
    key = engine.key(platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL, thread=",".join(members))
    reply: TeamReply = runner.run(
        engine.start(
            key, starter=starter, starter_name=starter, topic=topic, anonymous=anonymous, quorum=quorum
        )
    )
    say(render_team(reply))
    while isinstance(reply, TeamQuestionReply):
        question = reply
        session = runner.run(engine.session(question.session_id))
        moved: TeamReply | None = None
        for member in _who_votes(members, session.current_votes):
            while True:
                stdout.write(f"{member}> ")
                stdout.flush()
                line = stdin.readline()
                if not line:
                    return 0
                if not echoed:
                    # Piped input is not shown by a terminal: echo it, so the output reads as a transcript.
                    stdout.write(line.strip() + "\n")
                word = line.strip().lower()
                if not word:
                    continue
                if word in QUIT:
                    say(f"Bye. The votes are kept: run the same command to carry on ({question.session_id}).")
                    return 0
                if word in ("help", "?"):
                    say(HELP)
                    continue
                if word == "tally":
                    status = runner.run(engine.status(question.session_id))
                    if isinstance(status, TeamQuestionReply):
                        say(render_tally(status.tally, anonymous=status.anonymous))
                    continue
                try:
                    if word == "next":
                        moved = runner.run(
                            engine.advance(
                                session_id=question.session_id,
                                step=question.step,
                                member=member,
                                can_manage=False,
                            )
                        )
                    else:
                        moved = runner.run(
                            engine.vote_text(
                                session_id=question.session_id,
                                step=question.step,
                                member=member,
                                name=member,
                                text=line.strip(),
                            )
                        )
                except AdvisorError as error:
                    say(str(error))
                    continue
                break
            if isinstance(moved, TeamAdvanced | TeamResultReply):
                break
        if not isinstance(moved, TeamAdvanced | TeamResultReply):
            # Everyone has voted: the starter's turn to close it, as Next would.
            moved = runner.run(
                engine.advance(
                    session_id=question.session_id, step=question.step, member=starter, can_manage=True
                )
            )
        if isinstance(moved, TeamAdvanced):
            say(render_team_closed(moved.closed))
            reply = moved.following
        else:
            reply = moved
        say(render_team(reply))
    if isinstance(reply, TeamResultReply):
        say(f"Decision record: run `advisor record {reply.session_id}` to write it as Markdown.")
    return 0
