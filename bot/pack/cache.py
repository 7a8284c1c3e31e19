"""Loaded and linted packs kept by content hash in the user's cache folder: a second start
reads one file instead of parsing YAML and linting again.

Where it lives is the composition root's choice (`Settings.cache_dir`: `$ADVISOR_CACHE_DIR`,
else `$XDG_CACHE_HOME/framework-advisor`, else `~/.cache/framework-advisor`). Everything in
it is safe to delete at any time: a missing, stale or damaged entry only means that start
loads and lints the pack from its files and writes the entry again.

Trust: an entry is `MAGIC | HMAC-SHA256(key, payload) | payload`, with `key` 32 random bytes
in the folder's `key` file, created 0600 on first use. An entry whose tag does not verify
(truncated, corrupt, written with another key, or by someone else) is never unmarshalled,
and a key file that is not the user's own private file turns the cache off. The payload is
plain data (bot/pack/codec.py, never pickle) stamped with the codec's format, a fingerprint
of the advisor code that loads and lints packs, and the Python and marshal versions: a new
advisor, or an edited lint rule, never trusts a verdict an older one wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import marshal
import os
import re
import stat
import sys
import time
from functools import cache
from pathlib import Path

from bot.pack import codec
from bot.pack.model import Pack

LOG = logging.getLogger(__name__)

MAGIC = b"framework-advisor pack cache\n"
KEY_BYTES = 32
TAG_BYTES = hashlib.sha256().digest_size
MAX_ENTRY = 256 << 20
"""Bytes an entry may have: a 10,000-question pack's is about 4 MB."""
KEEP = 32
"""Entries kept; the least recently used beyond these are deleted when one is written."""
FOLDER_MAGIC = b"framework-advisor pack folder\n"
SETTLED_NS = 2_000_000_000
"""A file changed less than this long ago is not trusted by its `stat` (see `FolderState`)."""
_VERSION = re.compile(r"^[0-9a-f]{16}$")


@cache
def code_fingerprint() -> str | None:
    """A hash of the code whose output an entry holds (the pack model, loader, lint, codec and
    ranking sources), or None when they can't be read (an install without sources): then
    nothing is cached, since no entry could say which code wrote it."""
    here = Path(__file__).resolve().parent
    sources = [*sorted(here.glob("*.py")), here.parent / "ranking.py"]
    digest = hashlib.sha256()
    try:
        for path in sources:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()[:16] if len(sources) > 1 else None


def _stamp() -> tuple[int, str | None, str, int]:
    return (codec.FORMAT, code_fingerprint(), f"{sys.version_info[0]}.{sys.version_info[1]}", marshal.version)


FolderState = tuple[str, tuple[tuple[str, int, int, int, int, int, int], ...]]
"""A pack folder as `stat` sees it: its resolved path and, per entry, its name, mode, size,
modification and change times (ns), inode and device. Any edit, rename, added or removed file
changes it (the change time can't be set back, even by the file's owner), so a start that
finds the state it recorded beside a version skips reading and hashing the files: 10 ms of
a 10,000-question pack's start. Only states whose files all changed at least SETTLED_NS
before they were taken are recorded (git's "racy" rule: a write in the same clock tick as
the recording could otherwise go unseen), and a state is taken before the files are read,
so an edit while they are read makes the next start hash them again."""


def folder_state(folder: Path) -> FolderState | None:
    """`folder` as `stat` sees it, or None when it can't be trusted that way: a link among its
    entries (what it points to may change unseen), a file changed moments ago, an error."""
    settled = time.time_ns() - SETTLED_NS
    try:
        root = folder.resolve(strict=True)
        seen = []
        with os.scandir(root) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode) or max(info.st_mtime_ns, info.st_ctime_ns) > settled:
                    return None
                seen.append(
                    (
                        entry.name,
                        info.st_mode,
                        info.st_size,
                        info.st_mtime_ns,
                        info.st_ctime_ns,
                        info.st_ino,
                        info.st_dev,
                    )
                )
    except (OSError, RuntimeError):
        return None
    return (str(root), tuple(sorted(seen)))


class PackCache:
    """Packs that passed lint, by content hash, under `root` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries = root / "packs"
        self._key: bytes | None = None
        self._usable = True

    def get(self, version: str, *, folder: Path) -> Pack | None:
        """The pack with content hash `version` as it loads from `folder`, or None (then load it)."""
        if not _VERSION.match(version):
            return None
        key = self._secret()
        if key is None:
            return None
        path = self.entries / f"{version}.pack"
        try:
            with path.open("rb") as file:
                data = file.read(MAX_ENTRY + 1)
        except OSError:
            return None
        payload = self._verified(key, data)
        if payload is None:
            LOG.debug("pack cache entry %s is damaged or not ours; loading the pack from its files", path)
            return None
        try:
            (stamp, stored_version), body = codec.unframe(payload)
            if stamp != _stamp() or stored_version != version:
                LOG.debug("pack cache entry %s is from another advisor version; reloading", path)
                return None
            pack = codec.loads(body, folder=str(folder))
        except (codec.DecodeError, ValueError, TypeError, EOFError) as error:
            LOG.debug("pack cache entry %s does not decode (%s); reloading", path, error)
            return None
        if pack.version != version:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when older entries are pruned
        return pack

    def put(self, pack: Pack, *, folder: Path) -> None:
        """Keep `pack` (loaded from `folder`, lint passed) for the next start; failures are ignored."""
        if not _VERSION.match(pack.version):
            return
        key = self._secret()
        if key is None:
            return
        stamp = codec.frame(marshal.dumps((_stamp(), pack.version)))
        payload = stamp + codec.dumps(pack, folder=str(folder))
        tag = hmac.new(key, payload, hashlib.sha256).digest()
        self._write(self.entries / f"{pack.version}.pack", MAGIC + tag + payload)

    def folder_version(self, state: FolderState) -> str | None:
        """The version `remember_folder` recorded for a folder in exactly this state, or None."""
        key = self._secret()
        if key is None:
            return None
        try:
            with self._folder_note(state).open("rb") as file:
                data = file.read(MAX_ENTRY + 1)
        except OSError:
            return None
        payload = self._verified(key, data, magic=FOLDER_MAGIC)
        if payload is None:
            return None
        try:
            stamp, seen, version = marshal.loads(payload)
        except (ValueError, TypeError, EOFError):
            return None
        if stamp != _stamp() or seen != state or not isinstance(version, str) or not _VERSION.match(version):
            return None
        return version

    def remember_folder(self, state: FolderState, version: str) -> None:
        """Note that a folder in `state` holds the files of `version`; failures are ignored."""
        key = self._secret()
        if key is None or not _VERSION.match(version) or self.folder_version(state) == version:
            return
        payload = marshal.dumps((_stamp(), state, version))
        self._write(
            self._folder_note(state), FOLDER_MAGIC + hmac.new(key, payload, hashlib.sha256).digest() + payload
        )

    def _folder_note(self, state: FolderState) -> Path:
        return self.root / "folders" / f"{hashlib.sha256(state[0].encode()).hexdigest()[:32]}.folder"

    def _write(self, path: Path, data: bytes) -> None:
        """`data` at `path`, whole or not at all; failures are logged and ignored."""
        import tempfile  # only to write: a start that reads its entry never needs it

        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-", suffix=path.suffix)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _prune(path.parent, f"*{path.suffix}")
        except OSError as error:
            LOG.debug("pack cache not written (%s); the next start loads the pack from its files", error)

    def _verified(self, key: bytes, data: bytes, *, magic: bytes = MAGIC) -> memoryview | None:
        """The payload of an entry whose tag verifies (a view: 4 MB are not copied to be checked)."""
        head = len(magic) + TAG_BYTES
        if len(data) > MAX_ENTRY or len(data) <= head or not data.startswith(magic):
            return None
        tag, payload = data[len(magic) : head], memoryview(data)[head:]
        if not hmac.compare_digest(tag, hmac.new(key, payload, hashlib.sha256).digest()):
            return None
        return payload

    def _secret(self) -> bytes | None:
        """The user's cache key, made on first use; None (cache off) when it can't be trusted,
        or when the advisor's code can't be fingerprinted."""
        if self._key is not None or not self._usable:
            return self._key
        if code_fingerprint() is None:
            self._usable = False
            return None
        path = self.root / "key"
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = _read_key(path)
            if key is None and not path.exists():
                key = _make_key(path)
        except OSError as error:
            LOG.debug("pack cache off: %s", error)
            key = None
        if key is None:
            self._usable = False
            if path.exists():
                LOG.warning(
                    "the pack cache key %s is not a private file of this user; the pack cache is off"
                    " (delete the folder %s to start it afresh)",
                    path,
                    self.root,
                )
        self._key = key
        return key


def _prune(folder: Path, pattern: str) -> None:
    """Delete the least recently used files matching `pattern` in `folder` beyond KEEP."""
    entries = []
    for path in folder.glob(pattern):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)


def _read_key(path: Path) -> bytes | None:
    """The key at `path` if it is this user's own regular file, readable by nobody else."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_size != KEY_BYTES:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        key = os.read(handle, KEY_BYTES + 1)
    finally:
        os.close(handle)
    return key if len(key) == KEY_BYTES else None


def _make_key(path: Path) -> bytes | None:
    """A new key, written whole under a temporary name and linked into place, so two starts
    racing to make it agree on one (the loser reads the winner's)."""
    import secrets
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read_key(path)
