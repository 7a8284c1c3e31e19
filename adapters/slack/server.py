"""HTTP mode: bolt's app on an aiohttp web application we own, so a malformed body gets a clear 400.

bolt's own aiohttp server lets a body that is not valid JSON escape as a 500 with a traceback;
here it is answered "malformed" and nothing else happens. OAuth install routes are added when
the app has an OAuth flow, and its stores are connected when the server starts and closed when
it stops.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from adapters.runtime.health import Health, health_routes
from adapters.slack.installs import close_oauth_stores, open_oauth_stores
from adapters.slack.manifest import EVENTS_PATH

LOG = logging.getLogger(__name__)
STOPPING = {"error": "this replica is shutting down; Slack resends the request"}
MALFORMED = {"error": "malformed request: the body is not a Slack payload (form fields or JSON)"}


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access lines without the query string: the OAuth redirect carries a one-time code there.

    At DEBUG (ADVISOR_LOG_LEVEL=DEBUG): a line per request at INFO drowns what an operator needs.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.debug("%s %s %d %.1f ms", request.method, request.path, response.status, time * 1000)


def http_runner(
    app: AsyncApp, *, path: str = EVENTS_PATH, health: Health | None = None, shutdown_seconds: float = 5.0
) -> web.AppRunner:
    """What `advisor slack --http` serves: the app and the health routes, query-free access lines."""
    return web.AppRunner(
        web_app(app, path=path, health=health),
        access_log_class=PathOnlyAccessLogger,
        shutdown_timeout=shutdown_seconds,
    )


def web_app(app: AsyncApp, *, path: str = EVENTS_PATH, health: Health | None = None) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        if health is not None and not health.runtime.work.accepting:
            # Shutting down: Slack resends a refused request, to a replica that is not stopping.
            return web.json_response(STOPPING, status=503, headers={"Retry-After": "1"})
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            LOG.warning("rejected a malformed Slack request body (%d bytes)", request.content_length or 0)
            return web.json_response(MALFORMED, status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    application = web.Application()
    application.router.add_post(path, events)
    flow = app.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        async def open_stores(_: web.Application) -> None:
            await open_oauth_stores(flow.settings)

        async def close_stores(_: web.Application) -> None:
            await close_oauth_stores(flow.settings)

        application.router.add_get(flow.install_path, install)
        application.router.add_get(flow.redirect_uri_path, callback)
        application.on_startup.append(open_stores)
        application.on_cleanup.append(close_stores)
    if health is not None:
        application.add_routes(health_routes(health))
    return application
