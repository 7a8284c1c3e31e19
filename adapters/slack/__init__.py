"""Slack adapter (slack-bolt AsyncApp): slash command, Block Kit flows, team threads, OAuth."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.app import build_app as build_app
    from adapters.slack.manifest import build_manifest as build_manifest
    from adapters.slack.run import main as main
    from adapters.slack.server import http_runner as http_runner
    from adapters.slack.server import web_app as web_app

_EXPORTS: dict[str, str] = {
    "build_app": "adapters.slack.app",
    "build_manifest": "adapters.slack.manifest",
    "http_runner": "adapters.slack.server",
    "main": "adapters.slack.run",
    "web_app": "adapters.slack.server",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so importing the package loads no SDK until it is needed (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
