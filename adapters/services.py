"""What every adapter serves with: the store, the loaded packs and both engines, built once.

The composition root (cli.py) builds one `Services` and hands it to the chosen adapter, so no
adapter opens a store or builds an engine of its own, and none has to guess what a store can
do: every store keeps conversations, team sessions and deliveries (`bot.store.Store`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.settings import Settings
from bot.pack.registry import PackRegistry
from bot.personal.engine import DEFAULT_IDLE, Engine, utc_now
from bot.store import Store, open_store
from bot.store.deliveries import DeliveryLog

if TYPE_CHECKING:
    from bot.team.engine import TeamEngine


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


async def open_services(settings: Settings, *, pack_dir: Path | None = None) -> Services:
    """Load and lint the pack, open the store ADVISOR_DB names, and build the engines on them."""
    registry = PackRegistry()
    pack = registry.load(pack_dir if pack_dir is not None else settings.pack_dir)
    store = await open_store(settings.db_url)
    return Services(store=store, registry=registry, advisor=pack.id, idle_timeout=settings.idle_timeout)
