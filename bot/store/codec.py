"""How a conversation's answers and times become column values, shared by every SQL store.

Answers are kept as compact "question=option" text joined by ";" so ten answers stay far
under a kilobyte per conversation.
"""

from __future__ import annotations

from datetime import UTC, datetime


def encode_answers(answers: tuple[tuple[str, str], ...]) -> str:
    return ";".join(f"{q}={o}" for q, o in answers)


def decode_answers(text: str) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    pairs = (item.split("=", 1) for item in text.split(";"))
    return tuple((q, o) for q, o in pairs)


def to_seconds(moment: datetime) -> float:
    return moment.timestamp()


def from_seconds(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
