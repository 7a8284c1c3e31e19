"""How conversations and team sessions become column values, shared by every SQL store.

Answers are kept as compact "question=option" text joined by ";" so ten answers stay far
under a kilobyte per conversation. A team session's votes change on every click while its
key never does, so the key, the status and the version are columns (for lookups and the
conditional save) and everything else is one compact JSON `data` value: 30 members' votes
on ten questions stay a few kilobytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a team session is decoded: `advisor chat` never loads it
    from bot.team.session import Acceptance, ClosedQuestion, TeamKey, TeamSession


def encode_answers(answers: tuple[tuple[str, str], ...]) -> str:
    return ";".join(map("=".join, answers))


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
        "closed": [[c.question_id, c.chosen, c.votes, c.tied, c.decided_by] for c in session.closed],
        "votes": session.votes,
        "names": session.names,
        "left": session.left,
        "step": session.step,
        "created": to_seconds(session.created_at),
        "updated": to_seconds(session.updated_at),
    }
    if session.awaiting_decision:
        data["awaiting"] = True
    if session.finished_at is not None:
        data["finished"] = to_seconds(session.finished_at)
    if session.accepted is not None:
        accepted = session.accepted
        data["accepted"] = [accepted.member, to_seconds(accepted.at), accepted.choice]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_team(*, session_id: str, key: TeamKey, status: str, version: int, data: str) -> TeamSession:
    from bot.team.session import TeamSession, TeamStatus

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
        closed=tuple(_closed(item) for item in raw["closed"]),
        votes=_pairs(raw["votes"]),
        names=_pairs(raw["names"]),
        step=int(raw["step"]),
        version=version,
        created_at=from_seconds(float(raw["created"])),
        updated_at=from_seconds(float(raw["updated"])),
        status=TeamStatus(status),
        left=tuple(str(m) for m in raw.get("left", ())),  # absent in rows written before it existed
        awaiting_decision=bool(raw.get("awaiting", False)),
        finished_at=from_seconds(float(raw["finished"]))
        if "finished" in raw
        else _legacy_finish(raw, status),
        accepted=_accepted(raw.get("accepted")),
    )


def _closed(item: Any) -> ClosedQuestion:
    """[question, chosen, votes, tied, decided_by]; rows written before ties waited for the
    starter hold [question, chosen, votes, tie_broken], whose tie was settled automatically."""
    from bot.team.session import ClosedQuestion

    question_id, chosen, votes = str(item[0]), str(item[1]), _pairs(item[2])
    if len(item) >= 5:
        return ClosedQuestion(question_id, chosen, votes, tuple(str(t) for t in item[3]), str(item[4]))
    if not item[3]:
        return ClosedQuestion(question_id, chosen, votes)
    counts: dict[str, int] = {}
    for _, option_id in votes:
        counts[option_id] = counts.get(option_id, 0) + 1
    best = max(counts.values(), default=0)
    return ClosedQuestion(question_id, chosen, votes, tuple(o for o, n in counts.items() if n == best))


def _legacy_finish(raw: Any, status: str) -> datetime | None:
    from bot.team.session import TeamStatus

    return from_seconds(float(raw["updated"])) if status == TeamStatus.FINISHED.value else None


def _accepted(raw: Any) -> Acceptance | None:
    if not raw:
        return None
    from bot.team.session import Acceptance

    member, at, choice = raw
    return Acceptance(str(member), from_seconds(float(at)), str(choice))


def encode_files(files: Mapping[str, bytes]) -> str:
    """A pack version's files as one JSON text ({name: base64}): exact bytes, nothing executable."""
    return json.dumps({name: base64.b64encode(data).decode("ascii") for name, data in sorted(files.items())})


def decode_files(text: str) -> dict[str, bytes]:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        return {}
    return {str(name): base64.b64decode(str(data), validate=True) for name, data in raw.items()}
