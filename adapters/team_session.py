"""Composition for the terminal's team commands: `advisor chat --team ...` and `advisor record ID`.

Kept out of cli.py so the composition root only gains a few lines for team sessions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from adapters.settings import Settings
from bot.errors import SettingsError, StoreUnavailable
from bot.registry import PackRegistry
from bot.store import open_store
from bot.store.base import ConversationStore, TeamStore
from bot.team_engine import TeamEngine


def team_members(text: str) -> list[str]:
    """'alice, bob,carol' -> ['alice', 'bob', 'carol']; duplicates and blanks are refused."""
    members = [m.strip() for m in text.split(",") if m.strip()]
    if len(members) < 2 or len(set(members)) != len(members):
        raise SettingsError(
            name="--team", expected="two or more different names separated by commas", got=text
        )
    return members


async def open_team_engine(settings: Settings, pack_dir: Path) -> tuple[TeamEngine, ConversationStore]:
    registry = PackRegistry()
    pack = registry.load(pack_dir)
    store = await open_store(settings.db_url)
    if not isinstance(store, TeamStore):
        await store.close()
        raise StoreUnavailable(
            location=settings.db_url,
            cause="this store keeps no team sessions",
            fix="Use SQLite or PostgreSQL.",
        )
    return TeamEngine(store=store, registry=registry, advisor=pack.id), store


async def read_record(settings: Settings, pack_dir: Path, session_id: str) -> str:
    """The decision record of a stored session, on the pack version it was decided with."""
    engine, store = await open_team_engine(settings, pack_dir)
    try:
        return await engine.record(session_id)
    finally:
        await store.close()


def write_record(markdown: str, *, session_id: str, output: Path | None, stdout: TextIO) -> int:
    if output is None:
        stdout.write(markdown)
    else:
        output.write_text(markdown, encoding="utf-8")
        stdout.write(f"Wrote the decision record of team session {session_id} to {output}.\n")
    return 0
