"""Pick a store by the URL in ADVISOR_DB; backends are imported only when chosen."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import SettingsError
from bot.store.base import ConversationStore, Store, TeamStore
from bot.store.deliveries import DeliveryLog

__all__ = [
    "ConversationStore",
    "DeliveryLog",
    "Store",
    "TeamStore",
    "default_sqlite_path",
    "open_store",
    "sqlite_path",
]


def default_sqlite_path(environ: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/framework-advisor/advisor.db, or ~/.local/share/... when unset."""
    base = environ.get("XDG_DATA_HOME") or os.path.join(
        environ.get("HOME") or str(Path.home()), ".local", "share"
    )
    return Path(base) / "framework-advisor" / "advisor.db"


def sqlite_path(url: str) -> str | None:
    """The file behind ADVISOR_DB when it is SQLite (`path`, `sqlite:///path`), else None."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme == "":
        return url
    if scheme != "sqlite":
        return None
    path = url[len("sqlite://") :]
    return path[1:] if path.startswith("//") else path


async def open_store(url: str, *, create_folder: bool = False) -> Store:
    """Open `url`: a file path, `sqlite:///path`, or `postgresql://...`.

    `create_folder` makes a SQLite file's missing folder (for the default data directory only).
    """
    scheme = urlsplit(url).scheme if "://" in url else ""
    path = sqlite_path(url)
    if path is not None:
        from bot.store.sqlite import SqliteStore

        return await SqliteStore.open(path, create_folder=create_folder)
    if scheme in ("postgresql", "postgres"):
        from bot.store.postgres import PostgresStore

        return await PostgresStore.open(url)
    raise SettingsError(
        name="ADVISOR_DB",
        expected="a file path, sqlite:///path/to/file.db or postgresql://user@host/db",
        got=url,
    )
