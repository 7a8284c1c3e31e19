"""What every adapter serves with: the store, the loaded packs and both engines, built once.

The composition root (cli.py) builds one `Services` and hands it to the chosen adapter, so no
adapter opens a store or builds an engine of its own, and none has to guess what a store can
do: every store keeps conversations, team sessions and deliveries (`bot.store.Store`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.settings import Settings
from bot.errors import PackError
from bot.pack.cache import PackCache
from bot.pack.registry import PackRegistry
from bot.personal.engine import DEFAULT_IDLE, Engine, utc_now
from bot.store import Store, open_store
from bot.store.deliveries import DeliveryLog

if TYPE_CHECKING:
    from bot.team.engine import TeamEngine

LOG = logging.getLogger(__name__)


class Services:
    """The store, the packs and both engines on them; the team engine is built on first use.

    Building it lazily keeps `advisor chat` from importing the team code it never runs.
    """

    def __init__(
        self,
        *,
        store: Store,
        registry: PackRegistry,
        advisor: str,
        idle_timeout: timedelta = DEFAULT_IDLE,
        clock: Callable[[], datetime] = utc_now,
        engine: Engine | None = None,
        team: TeamEngine | None = None,
        deliveries: DeliveryLog | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.advisor = advisor
        self.clock = clock
        self.engine = engine or Engine(
            store=store,
            team_store=store,
            registry=registry,
            advisor=advisor,
            idle_timeout=idle_timeout,
            clock=clock,
        )
        self.deliveries: DeliveryLog = deliveries if deliveries is not None else store
        self._team = team

    @property
    def team(self) -> TeamEngine:
        if self._team is None:
            from bot.team.engine import TeamEngine

            self._team = TeamEngine(
                store=self.store, registry=self.registry, advisor=self.advisor, clock=self.clock
            )
        return self._team

    async def close(self) -> None:
        await self.store.close()


async def open_services(
    settings: Settings, *, pack_dir: Path | None = None, fallback: bool = False
) -> Services:
    """Load and lint the pack (or find it in the pack cache), open the store ADVISOR_DB names,
    and build the engines on them.

    The pack's version is kept in the store, so conversations started on it can be finished by
    any process after it changes. With `fallback` (the bots), a pack folder that fails to load
    or lint is replaced by the newest good version kept in the store, with a warning, so a bad
    deploy of the knowledge does not take the bot down; without one the error stands.
    """
    folder = pack_dir if pack_dir is not None else settings.pack_dir
    registry = PackRegistry(cache=PackCache(settings.cache_dir) if settings.cache_dir else None)
    broken: PackError | None = None
    try:
        pack = registry.load(folder)
    except PackError as error:
        if not fallback:
            raise
        broken = error
    store = await open_store(settings.db_url, create_folder=settings.db_is_default)
    try:
        registry.archive = store
        if broken is not None:
            pack = await registry.restore_latest(_pack_id(folder), error=broken)
            LOG.warning(
                "the pack at %s can't be used (%s); serving its last good version %s from the store."
                " Fix the pack: the bot picks it up by itself.",
                folder,
                broken,
                pack.version[:8],
            )
        else:
            await registry.keep_current(pack.id, now=utc_now())
    except BaseException:
        await store.close()
        raise
    return Services(store=store, registry=registry, advisor=pack.id, idle_timeout=settings.idle_timeout)


def _pack_id(folder: Path) -> str:
    """The id a broken pack folder names in pack.yaml, if that much still reads; else the folder's name."""
    import yaml

    try:
        head = yaml.safe_load((folder / "pack.yaml").read_bytes())
    except (OSError, yaml.YAMLError):
        return folder.name
    ident = head.get("id") if isinstance(head, dict) else None
    return ident if isinstance(ident, str) and ident else folder.name
