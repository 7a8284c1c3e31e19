"""How conversations and team sessions become column values, shared by every SQL store.

Answers are kept as compact "question=option" text joined by ";" so ten answers stay far
under a kilobyte per conversation. A team session's votes change on every click while its
key never does, so the key, the status and the version are columns (for lookups and the
conditional save) and everything else is one compact JSON `data` value: 30 members' votes
on ten questions stay a few kilobytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.team.session import ClosedQuestion, TeamKey, TeamSession, TeamStatus


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


def _pairs(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in items)


def encode_team(session: TeamSession) -> str:
    data = {
        "topic": session.topic,
        "starter": session.starter,
        "anonymous": session.anonymous,
        "quorum": session.quorum,
        "pack": session.pack_version,
        "path": session.path,
        "closed": [[c.question_id, c.chosen, c.votes, c.tie_broken] for c in session.closed],
        "votes": session.votes,
        "names": session.names,
        "left": session.left,
        "step": session.step,
        "created": to_seconds(session.created_at),
        "updated": to_seconds(session.updated_at),
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_team(*, session_id: str, key: TeamKey, status: str, version: int, data: str) -> TeamSession:
    raw = json.loads(data)
    return TeamSession(
        id=session_id,
        key=key,
        topic=str(raw["topic"]),
        starter=str(raw["starter"]),
        anonymous=bool(raw["anonymous"]),
        quorum=int(raw["quorum"]),
        pack_version=str(raw["pack"]),
        path=_pairs(raw["path"]),
        closed=tuple(
            ClosedQuestion(str(q), str(chosen), _pairs(votes), bool(tie))
            for q, chosen, votes, tie in raw["closed"]
        ),
        votes=_pairs(raw["votes"]),
        names=_pairs(raw["names"]),
        step=int(raw["step"]),
        version=version,
        created_at=from_seconds(float(raw["created"])),
        updated_at=from_seconds(float(raw["updated"])),
        status=TeamStatus(status),
        left=tuple(str(m) for m in raw.get("left", ())),  # absent in rows written before it existed
    )
