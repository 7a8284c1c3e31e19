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

from adapters.slack.installs import close_oauth_stores, open_oauth_stores
from adapters.slack.manifest import EVENTS_PATH

LOG = logging.getLogger(__name__)
MALFORMED = {"error": "malformed request: the body is not a Slack payload (form fields or JSON)"}


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access lines without the query string: the OAuth redirect carries a one-time code there."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %d %.1f ms", request.method, request.path, response.status, time * 1000)


def http_runner(app: AsyncApp, *, path: str = EVENTS_PATH) -> web.AppRunner:
    """What `advisor slack --http` serves: the app, with query-free access lines."""
    return web.AppRunner(web_app(app, path=path), access_log_class=PathOnlyAccessLogger)


def web_app(app: AsyncApp, *, path: str = EVENTS_PATH) -> web.Application:
    async def events(request: web.Request) -> web.Response:
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
    return application
