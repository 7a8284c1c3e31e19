"""Typed text -> what it asks for: the terminal and Slack direct messages share these commands.

A typed line is a command word (`back`, `why`, ...) or an answer; `team [--anonymous]
[--quorum N] [topic]` after a chat command is read the way a CLI would read flags, so
`/choose-framework team --quorum 3 Orders API` works as people expect.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.errors import InputError, echo
from bot.personal.conversation import Actor
from bot.personal.engine import Engine

if TYPE_CHECKING:
    from bot.personal.replies import Reply

Call: TypeAlias = "Callable[[], Coroutine[Any, Any, Reply]]"


def command_for(engine: Engine, actor: Actor, line: str) -> Call | None:
    """Map one typed line to the engine call it means; None for help."""
    word = " ".join(line.split()).lower()
    verbs: dict[str, Call] = {
        "back": lambda: engine.back(actor),
        "undo": lambda: engine.back(actor),
        "restart": lambda: engine.restart(actor),
        "why": lambda: engine.why(actor),
        "status": lambda: engine.status(actor),
        "result": lambda: engine.result(actor),
        "ranking": lambda: engine.ranking(actor),
        "full ranking": lambda: engine.ranking(actor),
        "resume": lambda: engine.resume(actor),
        "start": lambda: engine.start(actor),
        "forget": lambda: engine.forget(actor),
    }
    if word in ("help", "?"):
        return None
    if word in verbs:
        return verbs[word]
    return lambda: engine.answer_text(actor, line)


MAX_QUORUM = 1000
MAX_TOPIC = 200
"""As Discord's `topic` option allows; a topic is a title, shown in every message of the session."""


class BadTeamOptions(InputError):
    """A flag after `team` is malformed; the message shows the accepted form."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"{problem}. Use: team [--anonymous] [--quorum N] [topic], e.g. team --quorum 3 Orders API"
        )


@dataclass(frozen=True, slots=True)
class TeamOptions:
    """What `team [--anonymous] [--quorum N] [topic]` asked for."""

    topic: str
    anonymous: bool = False
    quorum: int = 0


def parse_team_options(text: str) -> TeamOptions:
    """Flags may come in any order before or after the topic words; the rest is the topic."""
    words = text.split()
    topic: list[str] = []
    anonymous, quorum = False, 0
    index = 0
    while index < len(words):
        word = words[index]
        lowered = word.lower()
        if lowered in ("--anonymous", "--anon"):
            anonymous = True
        elif lowered.startswith("--quorum"):
            value = lowered.partition("=")[2]
            if not value:
                index += 1
                value = words[index] if index < len(words) else ""
            if not (
                value.isascii() and value.isdigit() and len(value) <= 4 and 2 <= int(value) <= MAX_QUORUM
            ):
                raise BadTeamOptions(
                    f"--quorum needs a whole number of votes from 2 to {MAX_QUORUM}, not '{echo(value)}'"
                )
            quorum = int(value)
        elif lowered.startswith("--"):
            raise BadTeamOptions(f"{echo(word)} is not an option")
        else:
            topic.append(word)
        index += 1
    joined = " ".join(topic)
    if len(joined) > MAX_TOPIC:
        raise BadTeamOptions(f"the topic is {len(joined)} characters; keep it to {MAX_TOPIC}")
    return TeamOptions(topic=joined, anonymous=anonymous, quorum=quorum)
