"""Keeps interaction tokens out of discord.py's own debug logs.

At DEBUG level discord.py logs every gateway event in full (an INTERACTION_CREATE carries the
interaction's token) and every interaction callback and followup URL (the token is part of
the path). A token is valid for 15 minutes: enough to post as the bot in that conversation.
The filter masks it before any handler sees the record, and costs nothing at INFO and above,
because a logger checks the level before it builds a record.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

LOGGERS: Final = ("discord.gateway", "discord.webhook.async_")
MASK: Final = "***"
_TOKEN_IN_URL: Final = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?]+")


def redact(text: str) -> str:
    return _TOKEN_IN_URL.sub(rf"\1{MASK}", text)


def without_tokens(value: Any) -> Any:
    """A copy of a gateway payload with every "token" masked; the original is still parsed."""
    if isinstance(value, dict):
        return {k: MASK if k == "token" else without_tokens(v) for k, v in value.items()}
    return value


class RedactInteractionTokens(logging.Filter):
    """Masks tokens in the message and its arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else without_tokens(a) for a in record.args)
        return True


def install_token_redaction() -> list[tuple[logging.Logger, RedactInteractionTokens]]:
    """Attach the filter to discord.py's loggers once; returns what was attached (for tests)."""
    attached = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactInteractionTokens) for f in logger.filters):
            installed = RedactInteractionTokens()
            logger.addFilter(installed)
            attached.append((logger, installed))
    return attached


def remove_token_redaction(attached: list[tuple[logging.Logger, RedactInteractionTokens]]) -> None:
    for logger, installed in attached:
        logger.removeFilter(installed)
