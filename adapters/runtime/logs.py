"""Logging for a running bot: the level from ADVISOR_LOG_LEVEL, text or one JSON object per line.

JSON lines (`ADVISOR_LOG_FORMAT=json`) are what log collectors parse without a grok rule; each
holds the time, level, logger and message, and the traceback when there is one. Nothing here
adds request bodies or tokens: the log calls themselves never pass them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("aiohttp.access", "slack_bolt", "slack_sdk", "discord", "asyncio")
"""Third-party loggers kept at WARNING unless ADVISOR_LOG_LEVEL=DEBUG: their INFO lines are
per request or per reconnect, and say nothing an operator acts on."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(*, level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Replace the root logger's handlers with one on stderr, in `fmt` ("text" or "json")."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(level if level == "DEBUG" else "WARNING")
