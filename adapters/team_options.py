"""`team [--anonymous] [--quorum N] [topic]` typed after a chat command -> the session's options.

Slack passes the command's text as one string; this reads the flags out of it the way a CLI
would, so `/choose-framework team --quorum 3 Orders API` works as people expect.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import AdvisorError

MAX_QUORUM = 1000


class BadTeamOptions(AdvisorError):
    """A flag after `team` is malformed; the message shows the accepted form."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"{problem}. Use: team [--anonymous] [--quorum N] [topic], e.g. team --quorum 3 Orders API"
        )


@dataclass(frozen=True, slots=True)
class TeamOptions:
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
            if not value.isdigit() or not 2 <= int(value) <= MAX_QUORUM:
                raise BadTeamOptions(
                    f"--quorum needs a whole number of votes from 2 to {MAX_QUORUM}, not {value!r}"
                )
            quorum = int(value)
        elif lowered.startswith("--"):
            raise BadTeamOptions(f"{word} is not an option")
        else:
            topic.append(word)
        index += 1
    return TeamOptions(topic=" ".join(topic), anonymous=anonymous, quorum=quorum)
