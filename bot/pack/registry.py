"""Loaded pack versions by hash; a pack that fails to load or lint never replaces a good one."""

from __future__ import annotations

from pathlib import Path

from bot.errors import LintFailed, PackNotLoaded
from bot.pack.lint import lint_pack
from bot.pack.loader import load_pack
from bot.pack.model import Pack


class PackRegistry:
    """Keeps every version loaded in this process so conversations can finish on theirs."""

    def __init__(self) -> None:
        self._versions: dict[str, dict[str, Pack]] = {}
        self._current: dict[str, Pack] = {}
        self._folders: dict[str, Path] = {}

    def load(self, folder: Path) -> Pack:
        """Load and lint `folder`; on any error the previous version stays current."""
        pack = load_pack(folder)
        errors = [str(f) for f in lint_pack(pack) if f.is_error]
        if errors:
            raise LintFailed(folder, errors)
        self._versions.setdefault(pack.id, {})[pack.version] = pack
        self._current[pack.id] = pack
        self._folders[pack.id] = folder
        return pack

    def reload(self, pack_id: str) -> Pack:
        return self.load(self._folders[pack_id])

    def current(self, pack_id: str) -> Pack:
        try:
            return self._current[pack_id]
        except KeyError:
            raise PackNotLoaded(pack_id=pack_id, loaded=sorted(self._current)) from None

    def version(self, pack_id: str, version: str) -> Pack | None:
        return self._versions.get(pack_id, {}).get(version)

    def add(self, pack: Pack) -> None:
        """Register an already-built pack (tests, generated packs)."""
        self._versions.setdefault(pack.id, {})[pack.version] = pack
        self._current[pack.id] = pack
