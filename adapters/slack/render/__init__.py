"""Replies as Block Kit messages (pure): building blocks, personal replies, team replies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.render.blocks import (
        SlackMessage as SlackMessage,
    )
    from adapters.slack.render.blocks import (
        error_message as error_message,
    )
    from adapters.slack.render.blocks import (
        escape as escape,
    )
    from adapters.slack.render.personal import render as render
    from adapters.slack.render.team import (
        team_closed_message as team_closed_message,
    )
    from adapters.slack.render.team import (
        team_question_message as team_question_message,
    )
    from adapters.slack.render.team import (
        team_result_message as team_result_message,
    )

_EXPORTS: dict[str, str] = {
    "SlackMessage": "adapters.slack.render.blocks",
    "error_message": "adapters.slack.render.blocks",
    "escape": "adapters.slack.render.blocks",
    "render": "adapters.slack.render.personal",
    "team_closed_message": "adapters.slack.render.team",
    "team_question_message": "adapters.slack.render.team",
    "team_result_message": "adapters.slack.render.team",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
