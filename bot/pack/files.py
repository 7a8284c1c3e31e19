"""A pack folder's files, read safely, and the content hash that is the pack's version.

Apart from the loader (no YAML here), so a start that finds its pack in the cache reads and
hashes the files without importing the parser. A pack may come from an untrusted pull
request, so only regular files inside its folder are read (a link to `/etc/passwd` is
refused unread), each at most MAX_FILE bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from bot.pack.findings import Finding
from bot.pack.model import Location

PACK_FILES = ("pack.yaml", "sources.yaml", "subjects.yaml", "questions.yaml")
OPTIONAL_FILES = ("scenarios.yaml",)
MAX_FILE = 8 << 20
"""8 MiB per pack file; the shipped pack's largest is about 100 KB, a generated 10,000-question
pack's questions.yaml about 4 MB."""


def content_version(files: Mapping[str, bytes]) -> str:
    """A pack's version: the hash of its files' names and bytes, so any edit makes a new one."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(files[name])  # not concatenated: a 4 MB file is not copied to be hashed
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def read_pack_files(folder: Path) -> tuple[dict[str, bytes] | None, list[Finding]]:
    """The bytes of a pack's files by name (None when the folder is missing), and what is wrong."""
    findings: list[Finding] = []
    if not folder.is_dir():
        findings.append(
            Finding(
                Location(str(folder), 1, 1), "E003", "no such pack folder; pass the folder holding pack.yaml"
            )
        )
        return None, findings
    raw: dict[str, bytes] = {}
    root = folder.resolve()
    for extra in sorted(folder.glob("*.y*ml")):
        if extra.name not in PACK_FILES + OPTIONAL_FILES:
            findings.append(
                Finding(
                    Location(str(extra), 1, 1),
                    "E002",
                    f"unexpected file {extra.name}; a pack holds {', '.join(PACK_FILES + OPTIONAL_FILES)}",
                )
            )
    for name in PACK_FILES + OPTIONAL_FILES:
        file = folder / name
        if not file.exists() and not file.is_symlink():
            if name in PACK_FILES:
                findings.append(
                    Finding(Location(str(file), 1, 1), "E003", f"missing {name}; every pack needs it")
                )
            continue
        refusal = _refusal(file, root)
        if refusal is not None:
            findings.append(refusal)
            continue
        raw[name] = file.read_bytes()
    return raw, findings


def _refusal(file: Path, root: Path) -> Finding | None:
    """Why `file` must not be read, if it must not: outside the folder, not a file, too big.

    The message names the file only, never what it holds or where a link points.
    """
    at = Location(str(file), 1, 1)
    try:
        resolved = file.resolve(strict=True)
        stat = resolved.stat()
    except (OSError, RuntimeError):  # a dangling link or a loop of links
        return Finding(at, "E031", f"{file.name} is a link that leads nowhere; put the file itself here")
    if root not in resolved.parents:
        return Finding(
            at,
            "E031",
            f"{file.name} resolves outside the pack folder, so it was not read;"
            " a pack holds its own files (copy it in instead of linking to it)",
        )
    if not resolved.is_file():
        return Finding(at, "E031", f"{file.name} is not a regular file; a pack holds YAML files")
    if stat.st_size > MAX_FILE:
        return Finding(
            at, "E032", f"{file.name} is {stat.st_size} bytes, over {MAX_FILE}; split or shorten it"
        )
    return None
