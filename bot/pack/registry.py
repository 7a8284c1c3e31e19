"""Pack versions by hash: the current one, and every other one a conversation may still be on.

A pack that fails to load or lint never replaces a good one. With an archive (the store), each
good version is kept there too, so another process, or this one after a restart, can finish a
conversation on the version it started on; a version missing from memory is read back from
the archive the first time it is asked for.

With a cache (bot/pack/cache.py), a version that loaded and passed lint once is read back from
it by content hash, whether its files came from the folder or from the archive: one place
for parsed packs, in front of both. The archive keeps the files themselves (what the hash is
over, and what any advisor version can read); the cache keeps this advisor's parsed form.
The YAML parser and lint are imported only when the cache does not have the version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import LintFailed, PackError, PackFileError, PackNotLoaded
from bot.pack.archive import PackArchive, StoredPack
from bot.pack.cache import PackCache, folder_state
from bot.pack.files import content_version, read_pack_files
from bot.pack.findings import Finding
from bot.pack.model import Location, Pack

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckedPack:
    """A pack that loaded and passed lint, with the files it was read from (what the archive keeps)."""

    pack: Pack
    files: Mapping[str, bytes]


def check_pack(folder: Path, *, cache: PackCache | None = None) -> CheckedPack:
    """Read, parse and lint `folder` (or find its version in `cache`); raises PackFileError or
    LintFailed, changing nothing.

    Pure CPU and file reads, so a running bot calls it on a worker thread. With a cache, a
    folder whose files `stat` the same as when they were last hashed is not read at all
    (bot/pack/cache.py `FolderState`); its files are read when something asks for them.
    """
    state = folder_state(folder) if cache is not None else None
    if cache is not None and state is not None:
        known = cache.folder_version(state)
        cached = cache.get(known, folder=folder) if known is not None else None
        if cached is not None:
            return CheckedPack(cached, FilesOnDisk(folder, cached.version))
    raw, findings = read_pack_files(folder)
    errors = [f for f in findings if f.is_error]
    if raw is not None and not errors and cache is not None:
        version = content_version(raw)
        cached = cache.get(version, folder=folder)
        if cached is not None:
            if state is not None:
                cache.remember_folder(state, version)
            return CheckedPack(cached, raw)
    from bot.pack.lint import lint_pack
    from bot.pack.loader import parse_pack

    pack = None
    if raw is not None:
        pack, findings = parse_pack(raw, folder=folder, findings=findings)
    errors = [f for f in findings if f.is_error]
    if pack is None or errors:
        first = errors[0] if errors else Finding(Location(str(folder), 1, 1), "E003", "pack unusable")
        raise PackFileError(first.at.file, first.at.line, first.at.column, first.code, first.message)
    lint_errors = [str(f) for f in lint_pack(pack) if f.is_error]
    if lint_errors:
        raise LintFailed(folder, lint_errors)
    if cache is not None:
        cache.put(pack, folder=folder)
        if state is not None and raw is not None:
            cache.remember_folder(state, pack.version)
    return CheckedPack(pack, dict(raw or {}))


class FilesOnDisk(Mapping[str, bytes]):
    """The files of a pack version that a start found in the cache without reading them: read
    (once) when first asked for, which a start only does to keep a version the store lacks.

    Raises PackFileError if they no longer hash to the version (edited since the start), so
    the bytes of another version are never kept under this one's name.
    """

    def __init__(self, folder: Path, version: str) -> None:
        self.folder = folder
        self.version = version
        self._files: dict[str, bytes] | None = None

    def _read(self) -> dict[str, bytes]:
        if self._files is None:
            raw, findings = read_pack_files(self.folder)
            if raw is None or any(f.is_error for f in findings) or content_version(raw) != self.version:
                raise PackFileError(
                    self.folder,
                    1,
                    1,
                    "E003",
                    f"the pack changed while the advisor started (it was version {self.version[:8]});"
                    " start it again to serve the new version",
                )
            self._files = raw
        return self._files

    def __getitem__(self, name: str) -> bytes:
        return self._read()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def pack_from_archive(stored: StoredPack, *, cache: PackCache | None = None) -> Pack | None:
    """The pack a stored version holds, or None when its bytes do not match its hash."""
    if content_version(stored.files) != stored.version:
        LOG.warning(
            "stored pack %s version %s does not match its content hash; ignored",
            stored.pack_id,
            stored.version[:8],
        )
        return None
    folder = Path(f"<stored {stored.pack_id}@{stored.version[:8]}>")
    pack = cache.get(stored.version, folder=folder) if cache is not None else None
    if pack is not None and pack.id == stored.pack_id:
        return pack
    from bot.pack.loader import parse_pack

    pack, findings = parse_pack(stored.files, folder=folder)
    if pack is None or any(f.is_error for f in findings) or pack.id != stored.pack_id:
        LOG.warning("stored pack %s version %s no longer loads; ignored", stored.pack_id, stored.version[:8])
        return None
    return pack


class PackRegistry:
    """Keeps every version this process has seen, and the current one per pack id."""

    def __init__(self, archive: PackArchive | None = None, *, cache: PackCache | None = None) -> None:
        self.archive = archive
        self.cache = cache
        self._versions: dict[str, dict[str, Pack]] = {}
        self._files: dict[tuple[str, str], Mapping[str, bytes]] = {}
        self._current: dict[str, Pack] = {}
        self._folders: dict[str, Path] = {}
        self._missing: set[tuple[str, str]] = set()
        self.source: dict[str, str] = {}
        """pack id -> where the current version came from: its folder, or the store (a fallback)."""

    def load(self, folder: Path) -> Pack:
        """Load and lint `folder`; on any error the previous version stays current."""
        checked = check_pack(folder, cache=self.cache)
        self.install(checked, folder=folder)
        return checked.pack

    def install(self, checked: CheckedPack, *, folder: Path | None = None) -> bool:
        """Make a checked pack current; False when it was already the current version."""
        pack = checked.pack
        before = self._current.get(pack.id)
        changed = before is None or before.version != pack.version
        self._versions.setdefault(pack.id, {})[pack.version] = pack
        self._files[(pack.id, pack.version)] = checked.files
        self._current[pack.id] = pack
        if folder is not None:
            self._folders[pack.id] = folder
            self.source[pack.id] = str(folder)
        return changed

    def reload(self, pack_id: str) -> Pack:
        return self.load(self._folders[pack_id])

    def folder(self, pack_id: str) -> Path | None:
        return self._folders.get(pack_id)

    def current(self, pack_id: str) -> Pack:
        try:
            return self._current[pack_id]
        except KeyError:
            raise PackNotLoaded(pack_id=pack_id, loaded=sorted(self._current)) from None

    def version(self, pack_id: str, version: str) -> Pack | None:
        """A version held in memory (see `find` for the archive too)."""
        return self._versions.get(pack_id, {}).get(version)

    def add(self, pack: Pack) -> None:
        """Register an already-built pack (tests, generated packs)."""
        self._versions.setdefault(pack.id, {})[pack.version] = pack
        self._current[pack.id] = pack

    async def find(self, pack_id: str, version: str) -> Pack | None:
        """A version from memory, else from the archive (read once, then kept in memory)."""
        pack = self.version(pack_id, version)
        if pack is not None or self.archive is None or (pack_id, version) in self._missing:
            return pack
        stored = await self.archive.stored_pack(pack_id, version)
        pack = pack_from_archive(stored, cache=self.cache) if stored is not None else None
        if pack is None:
            # Not kept (pruned, or never stored): don't ask the store again on every click.
            self._missing.add((pack_id, version))
            return None
        self._versions.setdefault(pack_id, {})[version] = pack
        return pack

    async def keep_current(self, pack_id: str, *, now: datetime) -> None:
        """Store the current version in the archive (and mark it as served now)."""
        pack = self.current(pack_id)
        files = self._files.get((pack_id, pack.version))
        if self.archive is None or files is None:
            return
        self._missing.discard((pack_id, pack.version))
        if not await self.archive.serve_pack(pack_id=pack_id, version=pack.version, now=now):
            await self.archive.keep_pack(pack_id=pack_id, version=pack.version, files=files, now=now)

    async def restore_latest(self, pack_id: str, *, error: PackError) -> Pack:
        """The fallback of a bot whose pack folder is broken: the archive's latest good version.

        Raises `error` (what is wrong with the folder) when the archive has none.
        """
        stored = await self.archive.latest_pack(pack_id) if self.archive is not None else None
        pack = pack_from_archive(stored, cache=self.cache) if stored is not None else None
        if pack is None:
            raise error
        self._versions.setdefault(pack.id, {})[pack.version] = pack
        self._current[pack.id] = pack
        self.source[pack.id] = "store"
        return pack
