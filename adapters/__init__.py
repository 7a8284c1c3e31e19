"""The edges: the `advisor` CLI (composition root), the terminal, Slack and Discord adapters.

Adapters translate platform events into engine calls and replies into platform messages;
they never touch SQL or YAML. Importing this package imports no chat SDK."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.cli import main as main
    from adapters.ids import Action as Action
    from adapters.ids import ActionId as ActionId
    from adapters.services import Services as Services
    from adapters.services import open_services as open_services
    from adapters.settings import Secret as Secret
    from adapters.settings import Settings as Settings

_EXPORTS: dict[str, str] = {
    "Action": "adapters.ids",
    "ActionId": "adapters.ids",
    "Secret": "adapters.settings",
    "Services": "adapters.services",
    "Settings": "adapters.settings",
    "main": "adapters.cli",
    "open_services": "adapters.services",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
