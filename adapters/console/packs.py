"""`advisor pack status` and `advisor pack prune`: the pack versions kept in the database.

Every bot keeps each good version it serves in the store, so conversations finish on the
version they started on. `status` shows what is kept and who is pinned where; `prune` drops the
versions nobody uses (never the current one, nor one a running bot served within the hour).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from adapters.settings import Settings
from bot.errors import PackError
from bot.pack.registry import check_pack
from bot.store import open_store
from bot.store.packs import KeptVersion

EXIT_OK = 0
RECENTLY_SERVED = timedelta(hours=1)
"""A version a running bot served this recently may still be another replica's current one."""


def _when(kept: KeptVersion) -> str:
    return kept.stored_at.strftime("%Y-%m-%d %H:%M UTC")


def pack_command(settings: Settings, action: str, folder: Path, args: argparse.Namespace, out: TextIO) -> int:
    try:
        current = check_pack(folder).pack
        pack_id, current_version, problem = current.id, current.version, ""
    except PackError as error:
        pack_id, current_version, problem = folder.name, "", str(error)

    async def go() -> int:
        from bot.personal.engine import utc_now

        store = await open_store(settings.db_url)
        try:
            if action == "status":
                kept = await store.kept_versions(pack_id)
                _status(pack_id, current_version, problem, folder, kept, fmt=args.format, out=out)
                return EXIT_OK
            now = utc_now()
            recent = {
                k.version for k in await store.kept_versions(pack_id) if now - k.served_at < RECENTLY_SERVED
            }
            keep = recent | ({current_version} if current_version else set())
            dropped = await store.prune_packs(pack_id, keep=keep)
            remaining = await store.kept_versions(pack_id)
            listed = ", ".join(v[:8] for v in dropped) or "none"
            out.write(
                f"{pack_id}: dropped {len(dropped)} version(s) no conversation or open team session uses"
                f" ({listed}); {len(remaining)} kept.\n"
            )
            return EXIT_OK
        finally:
            await store.close()

    return asyncio.run(go())


def _status(
    pack_id: str,
    current: str,
    problem: str,
    folder: Path,
    kept: tuple[KeptVersion, ...],
    *,
    fmt: str,
    out: TextIO,
) -> None:
    if fmt == "json":
        out.write(
            json.dumps(
                {
                    "pack": pack_id,
                    "folder": str(folder),
                    "current": current or None,
                    "problem": problem or None,
                    "kept": [
                        {
                            "version": k.version,
                            "stored_at": k.stored_at.isoformat(),
                            "served_at": k.served_at.isoformat(),
                            "conversations": k.conversations,
                            "open_team_sessions": k.open_sessions,
                            "current": k.version == current,
                        }
                        for k in kept
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        return
    if current:
        out.write(f"{pack_id}: current version {current[:8]} (from {folder})\n")
    else:
        out.write(f"{pack_id}: the pack at {folder} can't be used: {problem}\n")
    if not kept:
        out.write("No versions kept in the database yet (a bot keeps the one it serves).\n")
        return
    out.write(f"{len(kept)} version(s) kept:\n")
    for k in kept:
        mark = "current" if k.version == current else "       "
        out.write(
            f"  {k.version[:8]}  {mark}  stored {_when(k)}  {k.conversations} conversation(s),"
            f" {k.open_sessions} open team session(s)\n"
        )
