"""A team session in one terminal: the members take turns at the keyboard, each on every question.

It drives the same team engine and store as the chat platforms, so the whole team flow (the
path by most votes, ties the starter decides, the quorum, splits, the decision record) can be
tried and tested without any of them. Every member gets a turn on every question; a quorum
only says how many votes a question needs before it may close, never who may vote. Votes are
stored as they are typed: quitting and running the same command again carries on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TextIO, TypeVar

from adapters.console.controls import strip_controls
from adapters.console.render_team import render_tally, render_team, render_team_closed, render_team_question
from bot.errors import AdvisorError
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamQuestionReply, TeamReply, TeamResultReply
from bot.team.session import roster_thread

PLATFORM = "terminal"
WORKSPACE = "local"
CHANNEL = "team"

HELP = """Each member in turn types an answer (a number or a label), or one of:
  pass              skip your turn on this question
  tally             the votes so far on this question
  next              close this question now, on the votes given (the starter only)
  decide ANSWER     settle a tie: choose one of the tied answers (the starter only)
  vote NAME ANSWER  change NAME's vote (while a tie waits for the starter, too)
  help              this list
  quit              leave (the votes are kept; run the same command to carry on)
Every member gets a turn on every question. A question closes after everyone's turn (with
--quorum N, once N members have voted); a tie waits for the starter to decide it."""

QUIT = frozenset({"quit", "exit", "q", ":q"})
T = TypeVar("T")


class TurnTaking:
    """The turn order of one terminal session: whose prompt it is, and what a typed line does."""

    def __init__(
        self,
        *,
        engine: TeamEngine,
        members: Sequence[str],
        runner: asyncio.Runner,
        stdin: TextIO,
        stdout: TextIO,
    ) -> None:
        self.engine = engine
        self.members = list(members)
        self.starter = self.members[0]
        self.runner = runner
        self.stdin = stdin
        self.stdout = stdout
        self.echoed = stdin.isatty()

    def say(self, text: str) -> None:
        # Topics, names and typed answers come from people: the terminal must not obey them.
        self.stdout.write(strip_controls(text) + "\n\n")
        self.stdout.flush()

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(work)

    def read(self, prompt: str) -> str | None:
        """One typed line, stripped; None at the end of input."""
        self.stdout.write(f"{strip_controls(prompt)}> ")
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            return None
        if not self.echoed:
            # Piped input is not shown by a terminal: echo it, so the output reads as a transcript.
            self.stdout.write(strip_controls(line.strip()) + "\n")
        return line.strip()

    def question(self, question: TeamQuestionReply) -> TeamReply | None:
        """Take every member's turn on one question; the reply that follows it, or None to stop."""
        sid = question.session_id
        had_turn = self.voters(question)  # a resumed session: who voted has had their turn
        current = question
        while True:
            if current.awaiting_decision:
                decided = self.decision(current)
                if not isinstance(decided, TeamQuestionReply) or decided.step != current.step:
                    return decided
                current = decided
                continue
            pending = [m for m in self.members if m not in had_turn]
            moved: TeamReply | None
            if not pending:
                moved = self.close_round(current, had_turn)
            else:
                member = pending[0]
                line = self.read(member)
                if line is None:
                    return None
                if line.lower() in QUIT:
                    self.say(f"Bye. The votes are kept: run the same command to carry on ({sid}).")
                    return None
                moved, turn_of = self.command(current, member, line) if line else (None, "")
                if turn_of:
                    had_turn.add(turn_of)
            if moved is None:
                continue
            if isinstance(moved, TeamQuestionReply) and moved.step == current.step:
                if moved.awaiting_decision and not current.awaiting_decision:
                    self.say(render_team_question(moved) + "\n" + self.tie_hint())
                current = moved
                continue
            return moved

    def command(self, current: TeamQuestionReply, member: str, line: str) -> tuple[TeamReply | None, str]:
        """What one typed line at `member`'s turn does: (the new reply or None, whose turn it used)."""
        sid, step = current.session_id, current.step
        word, _, rest = line.partition(" ")
        word = word.lower()
        try:
            if word in ("help", "?"):
                self.say(HELP)
                return None, ""
            if word == "tally":
                self.say(render_tally(current.tally, anonymous=current.anonymous))
                return None, ""
            if word == "pass":
                self.say(f"{member} passes on this question.")
                return None, member
            if word == "next":
                moved = self.call(
                    self.engine.advance(session_id=sid, step=step, member=member, can_manage=False)
                )
                return moved, ""
            if word == "decide":
                decided = self.call(
                    self.engine.decide_text(
                        session_id=sid, step=step, member=member, text=rest.strip(), can_manage=False
                    )
                )
                return decided, ""
            if word == "vote":
                name, _, answer = rest.strip().partition(" ")
                if name not in self.members or not answer.strip():
                    self.say(f"Use: vote NAME ANSWER, where NAME is one of {', '.join(self.members)}.")
                    return None, ""
                return self.vote(current, name, answer.strip()), name
            return self.vote(current, member, line), member
        except AdvisorError as error:
            self.say(str(error))
            return None, ""

    def vote(self, current: TeamQuestionReply, member: str, text: str) -> TeamReply:
        """A typed vote; the quorum never closes a question before everyone's turn."""
        moved = self.call(
            self.engine.vote_text(
                session_id=current.session_id,
                step=current.step,
                member=member,
                name=member,
                text=text,
                closes_at_quorum=False,
            )
        )
        if isinstance(moved, TeamQuestionReply):
            self.say(render_tally(moved.tally, anonymous=moved.anonymous))
        return moved

    def close_round(self, current: TeamQuestionReply, had_turn: set[str]) -> TeamReply | None:
        """Everyone has had their turn: close the question as Next would, if it may close yet."""
        votes = current.tally.total
        needed = max(1, current.quorum)
        if votes < needed:
            self.say(
                f"This question needs {needed} vote(s) to close ({votes} so far): "
                "another turn for those who passed."
            )
            had_turn.intersection_update(self.voters(current))
            return None
        try:
            return self.call(
                self.engine.advance(
                    session_id=current.session_id, step=current.step, member=self.starter, can_manage=True
                )
            )
        except AdvisorError as error:
            self.say(str(error))
            had_turn.intersection_update(self.voters(current))
            return None

    def voters(self, current: TeamQuestionReply) -> set[str]:
        return set(self.call(self.engine.session(current.session_id)).current_votes)

    def tie_hint(self) -> str:
        return (
            f"{self.starter}: type decide and one of the tied answers (its number or label). "
            "Anyone may change a vote first: vote NAME ANSWER."
        )

    def decision(self, current: TeamQuestionReply) -> TeamReply | None:
        """A tie waits for the starter: decide it, or let members change their votes first."""
        line = self.read(f"{self.starter} (decide)")
        if line is None:
            return None
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in QUIT:
            self.say(f"Bye. The votes are kept: run the same command to carry on ({current.session_id}).")
            return None
        if not word:
            return current
        if word in ("help", "?", "tally", "vote"):
            moved, _ = self.command(current, self.starter, line)
            return moved if moved is not None else current
        if word in ("next", "pass"):
            self.say(self.tie_hint())
            return current
        text = rest.strip() if word == "decide" else line
        try:
            return self.call(
                self.engine.decide_text(
                    session_id=current.session_id,
                    step=current.step,
                    member=self.starter,
                    text=text,
                    can_manage=False,
                )
            )
        except AdvisorError as error:
            self.say(str(error))
            return current


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
    turns = TurnTaking(engine=engine, members=members, runner=runner, stdin=stdin, stdout=stdout)
    starter = members[0]
    key = engine.key(platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL, thread=roster_thread(members))
    reply: TeamReply | None = runner.run(
        engine.start(
            key, starter=starter, starter_name=starter, topic=topic, anonymous=anonymous, quorum=quorum
        )
    )
    if isinstance(reply, TeamQuestionReply) and reply.awaiting_decision:
        turns.say(render_team(reply) + "\n" + turns.tie_hint())
    elif reply is not None:
        turns.say(render_team(reply))
    while isinstance(reply, TeamQuestionReply):
        moved = turns.question(reply)
        if moved is None:
            return 0
        if isinstance(moved, TeamAdvanced):
            turns.say(render_team_closed(moved.closed))
            reply = moved.following
        else:
            reply = moved
        turns.say(render_team(reply))
    if isinstance(reply, TeamResultReply):
        sid = reply.session_id
        turns.say(
            f"Decision record: run `advisor record {sid}` to write it as Markdown. It stays proposed "
            f"until {starter} accepts it: `advisor record {sid} --accept`."
        )
    return 0
