"""framework-advisor's platform-neutral core: knowledge packs, personal and team flows, stores.

Nothing here imports a chat SDK or an adapter (ruff's banned-api rule enforces it).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("framework-advisor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
