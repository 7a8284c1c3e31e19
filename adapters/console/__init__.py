"""The advisor in a terminal: personal chat, team sessions taking turns, replies as text."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.console.personal import run_console as run_console
    from adapters.console.recommend import recommend_path as recommend_path
    from adapters.console.render import render as render
    from adapters.console.render_team import render_team as render_team
    from adapters.console.team import run_team_console as run_team_console

_EXPORTS: dict[str, str] = {
    "recommend_path": "adapters.console.recommend",
    "render": "adapters.console.render",
    "render_team": "adapters.console.render_team",
    "run_console": "adapters.console.personal",
    "run_team_console": "adapters.console.team",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
