"""A channel deciding together: the session, pure voting steps, tallies, replies, the engine, the record."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.team.engine import TeamEngine as TeamEngine
    from bot.team.record import decision_record as decision_record
    from bot.team.replies import TeamAdvanced as TeamAdvanced
    from bot.team.replies import TeamClosedReply as TeamClosedReply
    from bot.team.replies import TeamQuestionReply as TeamQuestionReply
    from bot.team.replies import TeamReply as TeamReply
    from bot.team.replies import TeamResultReply as TeamResultReply
    from bot.team.session import ClosedQuestion as ClosedQuestion
    from bot.team.session import TeamKey as TeamKey
    from bot.team.session import TeamSession as TeamSession
    from bot.team.session import TeamStatus as TeamStatus
    from bot.team.tally import MemberPick as MemberPick
    from bot.team.tally import OptionCount as OptionCount
    from bot.team.tally import Split as Split
    from bot.team.tally import Tally as Tally
    from bot.team.tally import TeamOutcome as TeamOutcome

_EXPORTS: dict[str, str] = {
    "ClosedQuestion": "bot.team.session",
    "MemberPick": "bot.team.tally",
    "OptionCount": "bot.team.tally",
    "Split": "bot.team.tally",
    "Tally": "bot.team.tally",
    "TeamAdvanced": "bot.team.replies",
    "TeamClosedReply": "bot.team.replies",
    "TeamEngine": "bot.team.engine",
    "TeamKey": "bot.team.session",
    "TeamOutcome": "bot.team.tally",
    "TeamQuestionReply": "bot.team.replies",
    "TeamReply": "bot.team.replies",
    "TeamResultReply": "bot.team.replies",
    "TeamSession": "bot.team.session",
    "TeamStatus": "bot.team.session",
    "decision_record": "bot.team.record",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so loading one module of the package loads no other (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
