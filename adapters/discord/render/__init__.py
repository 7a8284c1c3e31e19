"""Replies as Discord message parts (pure): common limits, personal replies, team replies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.discord.render.common import Rendered as Rendered
    from adapters.discord.render.common import render_text as render_text
    from adapters.discord.render.personal import render as render
    from adapters.discord.render.team import (
        render_team_closed as render_team_closed,
    )
    from adapters.discord.render.team import (
        render_team_question as render_team_question,
    )
    from adapters.discord.render.team import (
        render_team_result as render_team_result,
    )

_EXPORTS: dict[str, str] = {
    "Rendered": "adapters.discord.render.common",
    "render": "adapters.discord.render.personal",
    "render_team_closed": "adapters.discord.render.team",
    "render_team_question": "adapters.discord.render.team",
    "render_team_result": "adapters.discord.render.team",
    "render_text": "adapters.discord.render.common",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
