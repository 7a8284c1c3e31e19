"""Discord adapter (discord.py): the app command, components that survive restarts, team sessions."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.discord.client import build_client as build_client
    from adapters.discord.redaction import install_token_redaction as install_token_redaction
    from adapters.discord.run import main as main

_EXPORTS: dict[str, str] = {
    "build_client": "adapters.discord.client",
    "install_token_redaction": "adapters.discord.redaction",
    "main": "adapters.discord.run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
