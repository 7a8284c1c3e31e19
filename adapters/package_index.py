"""Where `advisor pack freshness` finds current versions: installed metadata, or PyPI when asked.

This is the I/O half of bot/pack/freshness.py (so it lives at the edge, not in the core).
Installed metadata needs no network; the index is read only on request (`--online`), with an
injectable `fetch` so tests never touch the network.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable
from importlib import metadata

from bot.pack.freshness import FoundVersion, normalise_name

PYPI_JSON = "https://pypi.org/pypi/{name}/json"

Fetch = Callable[[str], bytes]


def installed_versions(
    names: Iterable[str], *, version_of: Callable[[str], str] = metadata.version
) -> dict[str, FoundVersion]:
    """Versions of the named distributions installed in this environment; missing ones are left out."""
    found: dict[str, FoundVersion] = {}
    for name in names:
        try:
            found[normalise_name(name)] = FoundVersion(version_of(name), "installed")
        except metadata.PackageNotFoundError:
            continue
    return found


def _urlopen(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as response:
        body: bytes = response.read()
    return body


def index_versions(
    names: Iterable[str], *, fetch: Fetch = _urlopen
) -> tuple[dict[str, FoundVersion], list[str]]:
    """The index's latest release of each name, and the names it could not answer for (with why)."""
    found: dict[str, FoundVersion] = {}
    failed: list[str] = []
    for name in names:
        try:
            data = json.loads(fetch(PYPI_JSON.format(name=name)))
            version = data["info"]["version"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            failed.append(f"{name}: {error}")
            continue
        if isinstance(version, str) and version:
            found[normalise_name(name)] = FoundVersion(version, "PyPI")
    return found, failed
