"""What lint and the loader report: one problem at one place, with a code tools can match."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.pack.model import Location


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    at: Location
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.at}: {self.code} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
