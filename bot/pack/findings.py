"""What lint and the loader report: one problem at one place, with a code tools can match."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.pack.model import Location

MAX_MESSAGE = 400


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result, at file:line:col, with what to change."""

    at: Location
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        # A message names what a file holds (an id, a label); from an untrusted pack it is
        # quoted short, so no finding can echo a file at length.
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE - 1] + "…")

    def __str__(self) -> str:
        return f"{self.at}: {self.code} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
