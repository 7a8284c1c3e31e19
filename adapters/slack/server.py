"""HTTP mode: bolt's app on an aiohttp web application we own, so no request reaches bolt unchecked.

bolt parses a body before it checks the signature, and its own aiohttp adapter lets a body it
can't parse escape as a 500 with a traceback. Here every request is checked first
(`inbound.py`): over 1 MiB gets 413, unsigned or stale 401, unparsable 400, and a signed
payload bolt would misread a 200 and a short note to the user; nothing else happens to any of
them. What passes is handed to bolt already parsed, as Socket Mode hands bodies over, so bolt
neither parses it again nor checks the signature a second time: this handler is the only way
into bolt's dispatcher in HTTP mode (the OAuth routes call the OAuth flow, never the
dispatcher). OAuth install routes are added when the app has an OAuth flow, and its stores are
connected when the server starts and closed when it stops.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.runtime.health import Health, health_routes
from adapters.slack.inbound import (
    MAX_BODY,
    TooLarge,
    Unreadable,
    is_signed,
    note_target,
    parse_body,
    read_body,
    send_note,
    shape_problem,
)
from adapters.slack.installs import close_oauth_stores, open_oauth_stores
from adapters.slack.manifest import EVENTS_PATH

LOG = logging.getLogger(__name__)
STOPPING = {"error": "this replica is shutting down; Slack resends the request"}
MALFORMED = {"error": "malformed request: the body is not a Slack payload (form fields or JSON)"}
TOO_LARGE = {"error": f"request body over {MAX_BODY} bytes"}
INVALID = {"error": "invalid request"}
"""bolt's own answer to a bad signature, so clients see one answer whichever check refused it."""


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access lines without the query string: the OAuth redirect carries a one-time code there.

    At DEBUG (ADVISOR_LOG_LEVEL=DEBUG): a line per request at INFO drowns what an operator needs.
    """

    @property
    def enabled(self) -> bool:
        """aiohttp asks once per connection; False spares it timing and formatting every request."""
        return self.logger.isEnabledFor(logging.DEBUG)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.debug("%s %s %d %.1f ms", request.method, request.path, response.status, time * 1000)


def http_runner(
    app: AsyncApp,
    *,
    signing_secret: str,
    path: str = EVENTS_PATH,
    health: Health | None = None,
    shutdown_seconds: float = 5.0,
) -> web.AppRunner:
    """What `advisor slack --http` serves: the app and the health routes, query-free access lines."""
    return web.AppRunner(
        web_app(app, signing_secret=signing_secret, path=path, health=health),
        access_log_class=PathOnlyAccessLogger,
        shutdown_timeout=shutdown_seconds,
    )


def web_app(
    app: AsyncApp, *, signing_secret: str, path: str = EVENTS_PATH, health: Health | None = None
) -> web.Application:
    notes: set[asyncio.Task[None]] = set()

    async def events(request: web.Request) -> web.Response:
        if health is None:
            return await checked(request)
        work = health.runtime.work
        if not work.accepting:
            # Shutting down: Slack resends a refused request, to a replica that is not stopping.
            return web.json_response(STOPPING, status=503, headers={"Retry-After": "1"})
        with work.acknowledging():  # work after earlier acks waits for this one (runtime/work.py)
            return await checked(request)

    async def checked(request: web.Request) -> web.Response:
        try:
            raw = await read_body(request)
        except TooLarge:
            LOG.warning("refused a Slack request body over %d bytes", MAX_BODY)
            refused = web.json_response(TOO_LARGE, status=413)
            refused.force_close()  # don't linger reading the rest of a body we refused
            return refused
        headers = request.headers
        signed = is_signed(
            secret=signing_secret,
            body=raw,
            timestamp=headers.get("X-Slack-Request-Timestamp"),
            signature=headers.get("X-Slack-Signature"),
            now=time.time(),
        )
        if not signed:
            # Not logged above DEBUG: anyone can send these, and the access line has the 401.
            LOG.debug("refused an unsigned or stale Slack request (%d bytes)", len(raw))
            return web.json_response(INVALID, status=401)
        try:
            text = raw.decode("utf-8")
            body = parse_body(text, _media_type(headers.get("Content-Type")))
        except (UnicodeDecodeError, Unreadable) as error:
            LOG.warning("rejected a malformed Slack request body (%d bytes): %s", len(raw), _reason(error))
            return web.json_response(MALFORMED, status=400)
        if (problem := shape_problem(body)) is not None:
            LOG.warning("could not read a signed Slack request: %s", problem)
            if (target := note_target(body)) is not None:
                task = asyncio.create_task(send_note(target))
                notes.add(task)  # the loop keeps only weak references to tasks
                task.add_done_callback(notes.discard)
            return web.Response(status=200)
        # Handed over as Socket Mode hands bodies over: already parsed and checked (the signature
        # above), so bolt neither parses the body a second time nor computes the HMAC again.
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string or None, headers=dict(headers), mode="socket_mode"
        )
        return await web_response(await app.async_dispatch(bolt_request))

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


PLAIN_ACK_HEADERS = {"content-type": ["text/plain;charset=utf-8"]}
"""What bolt's `ack()` without arguments answers with, nearly every request's response."""


async def web_response(response: BoltResponse) -> web.Response:
    """bolt's `to_aiohttp_response`, with the plain acknowledgement made directly (the same
    200, empty body and text/plain), sparing its regex, header copy and cookie scan."""
    if response.status == 200 and response.body == "" and response.headers == PLAIN_ACK_HEADERS:
        return web.Response(status=200, body="", content_type="text/plain")
    return await to_aiohttp_response(response)


def _media_type(header: str | None) -> str | None:
    """`application/json` of `Application/JSON; charset=utf-8`: all parse_body asks of the header,
    without aiohttp's full parse of its parameters (`request.content_type`) on every request."""
    return None if header is None else header.partition(";")[0].strip().lower()


def _reason(error: Exception) -> str:
    return "not UTF-8" if isinstance(error, UnicodeDecodeError) else str(error)
