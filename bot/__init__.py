"""framework-advisor's platform-neutral core: knowledge packs, personal and team flows, stores.

Nothing here imports a chat SDK or an adapter (ruff's banned-api rule enforces it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    """`__version__` on first use (PEP 562): reading package metadata costs a start ~10 ms
    (importlib.metadata and the email parser), and only `--version` and reports want it."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("framework-advisor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
