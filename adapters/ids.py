"""The value a button carries: `adv:<conversation>:<step>:<action>[:<option>]`, checked against limits.

Everything needed to route a click is in it, so a button works after a restart and without
reading the message it sits on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import AdvisorError
from bot.pack.limits import MAX_CUSTOM_ID

PREFIX = "adv"


class Action(StrEnum):
    ANSWER = "a"
    BACK = "b"
    RESTART = "r"
    WHY = "w"
    RESUME = "u"
    SHARE = "s"
    RANKING = "f"
    """The Full ranking button under a personal result: every subject with its points."""
    VOTE = "v"
    """A team member's vote; carries the option (or, on a select, the question id)."""
    NEXT = "n"
    """Close a team question and move on."""
    RECORD = "x"
    """Export a team session's decision record."""
    DECIDE = "d"
    """The starter (or a manager) settles a tied team question; carries the chosen option."""
    ACCEPT = "c"
    """The starter (or a manager) accepts the decision record; on a tied result, carries the
    subject chosen among the tied ones."""


PATTERN = re.compile(
    r"^adv:(?P<cid>[A-Za-z0-9_-]{1,22}):(?P<step>\d{1,9}):(?P<action>[abrwusfvnxdc])(?::(?P<option>[a-z0-9_-]{1,32}))?$"
)


_WITH_OPTION = frozenset({Action.ANSWER, Action.VOTE, Action.DECIDE})
_OPTION_OPTIONAL = frozenset({Action.ACCEPT})
TEAM_ACTIONS = frozenset({Action.VOTE, Action.NEXT, Action.RECORD, Action.DECIDE, Action.ACCEPT})
"""Clicks that go to a team session; every other action is a personal conversation's."""


class MalformedAction(AdvisorError):
    """A button value that this advisor did not make (or a truncated one)."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            "That button is not one this advisor understands. Start again with /choose-framework."
        )


@dataclass(frozen=True, slots=True)
class ActionId:
    conversation_id: str
    step: int
    action: Action
    option: str = ""

    def encode(self) -> str:
        # A StrEnum formats as its value: no `.value` lookup (a descriptor call), ~7 per message.
        if self.option:
            value = f"{PREFIX}:{self.conversation_id}:{self.step}:{self.action}:{self.option}"
        else:
            value = f"{PREFIX}:{self.conversation_id}:{self.step}:{self.action}"
        if len(value) > MAX_CUSTOM_ID or not PATTERN.match(value):
            raise ValueError(f"action id {value!r} breaks the {MAX_CUSTOM_ID}-character custom_id rules")
        return value

    @classmethod
    def decode(cls, value: str) -> ActionId:
        match = PATTERN.match(value or "")
        if match is None:
            raise MalformedAction(value)
        action = Action(match["action"])
        option = match["option"] or ""
        if action not in _OPTION_OPTIONAL and (action in _WITH_OPTION) != bool(option):
            raise MalformedAction(value)
        return cls(match["cid"], int(match["step"]), action, option)
