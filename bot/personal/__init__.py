"""One person walking a pack: the conversation, pure steps, replies and the engine adapters call."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.personal.conversation import Actor as Actor
    from bot.personal.conversation import Conversation as Conversation
    from bot.personal.conversation import ConversationKey as ConversationKey
    from bot.personal.engine import Engine as Engine
    from bot.personal.replies import Answered as Answered
    from bot.personal.replies import Notice as Notice
    from bot.personal.replies import Offer as Offer
    from bot.personal.replies import QuestionReply as QuestionReply
    from bot.personal.replies import Reply as Reply
    from bot.personal.replies import ResultReply as ResultReply
    from bot.personal.replies import StatusReply as StatusReply
    from bot.personal.replies import WhyReply as WhyReply

_EXPORTS: dict[str, str] = {
    "Actor": "bot.personal.conversation",
    "Answered": "bot.personal.replies",
    "Conversation": "bot.personal.conversation",
    "ConversationKey": "bot.personal.conversation",
    "Engine": "bot.personal.engine",
    "Notice": "bot.personal.replies",
    "Offer": "bot.personal.replies",
    "QuestionReply": "bot.personal.replies",
    "Reply": "bot.personal.replies",
    "ResultReply": "bot.personal.replies",
    "StatusReply": "bot.personal.replies",
    "WhyReply": "bot.personal.replies",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so loading one module of the package loads no other (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
