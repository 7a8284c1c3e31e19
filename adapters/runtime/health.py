"""`GET /healthz` (the process answers), `GET /readyz` (it can serve: store reachable, pack
loaded, not shutting down) and `GET /metrics` (Prometheus text).

The same three routes go on the Slack HTTP server and, with `--health-port`, on a small server
of their own for Socket Mode and Discord, which have no HTTP server otherwise. Readiness turns
false as soon as a shutdown begins, so a load balancer stops sending before the work drains.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from adapters.runtime.service import Runtime
from adapters.services import Services
from bot.errors import AdvisorError

LOG = logging.getLogger(__name__)
STORE_CHECK_SECONDS = 2.0


@dataclass
class Health:
    """What the routes report on."""

    services: Services
    runtime: Runtime
    connected: Callable[[], bool] = lambda: True
    """The platform connection is up (Discord's gateway); HTTP mode has none of its own."""

    async def readiness(self) -> tuple[bool, dict[str, object]]:
        report: dict[str, object] = {}
        ready = True
        if not self.runtime.work.accepting:
            report["shutting_down"] = True
            ready = False
        try:
            await asyncio.wait_for(self.services.store.ping(), STORE_CHECK_SECONDS)
            report["store"] = "ok"
        except (AdvisorError, TimeoutError) as error:
            report["store"] = str(error) or "no answer within 2 s"
            ready = False
        try:
            pack = self.services.registry.current(self.services.advisor)
        except AdvisorError as error:
            report["pack"] = str(error)
            ready = False
        else:
            where = self.services.registry.source.get(pack.id, "")
            report["pack"] = {
                "id": pack.id,
                "version": pack.version,
                "source": "store" if where == "store" else "folder",
                **({"folder": where} if where and where != "store" else {}),
            }
        if not self.connected():
            report["platform"] = "not connected"
            ready = False
        report["ready"] = ready
        return ready, report


def health_routes(health: Health) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(request: web.Request) -> web.Response:
        ready, report = await health.readiness()
        return web.json_response(report, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        status, body, content_type = health.runtime.metrics.render()
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]


class HealthServer:
    """The three routes alone on `port` (Socket Mode and Discord)."""

    def __init__(self, health: Health, *, host: str, port: int) -> None:
        app = web.Application()
        app.add_routes(health_routes(health))
        self._runner = web.AppRunner(app, access_log=None)
        self.host, self.port = host, port

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        LOG.info("health, readiness and metrics on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()


def pack_label(services: Services) -> Callable[[], tuple[str, str, str] | None]:
    """The (pack, version, source) the metrics' pack_info reports."""

    def label() -> tuple[str, str, str] | None:
        try:
            pack = services.registry.current(services.advisor)
        except AdvisorError:
            return None
        return (
            pack.id,
            pack.version,
            "store" if services.registry.source.get(pack.id) == "store" else "folder",
        )

    return label
