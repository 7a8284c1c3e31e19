"""Replies after the acknowledgement: to the interaction's response_url, over one kept-alive session.

The response_url is the only way to update an ephemeral message. bolt's own `respond` opens a
new aiohttp session (and TLS connection) for every reply; with a shared session the
connection to Slack is reused. The POST is made on that session directly, with what
slack-sdk's `AsyncWebhookClient` would send (the same JSON, None fields left out, one retry when
a kept-alive connection turns out closed) but not its per-call overhead (a user agent built,
retry state, response objects: ~200 us a reply, see bench/slack_bench.py). A reply that can't
be delivered raises `ReplyUndeliverable`, which the listeners' one error handling
(`failures.py`) logs once, without a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError, ClientOSError, ClientSession, ClientTimeout, ServerDisconnectedError
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.internal_utils import get_user_agent

from adapters.slack.render.blocks import SlackMessage, error_message

LOG = logging.getLogger(__name__)
TIMEOUT = ClientTimeout(total=30)
"""slack-sdk's webhook default: Slack answers a response_url in well under a second."""
RETRIED = (ServerDisconnectedError, ClientOSError)
"""Connection failures tried once more on a fresh connection (slack-sdk's default retry)."""


def _encoded(body: dict[str, Any]) -> bytes:
    """Compact JSON as bytes (aiohttp then needn't encode a str). ASCII, `\\uXXXX`-escaped:
    a lone surrogate (JSON from Slack can carry one into an echoed word) stays sendable."""
    return json.dumps(body, separators=(",", ":")).encode("ascii")


class ReplyUndeliverable(Exception):
    """A reply could not reach Slack: no response_url, a URL that is not one, or the network."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"could not deliver a reply to the response_url: {cause}")


class Responder:
    """Sends messages to response_urls, through `session` when there is one."""

    def __init__(
        self, session: ClientSession | None, *, after_acks: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.session = session
        self.after_acks = after_acks
        """A checkpoint before each reply: requests being acknowledged go first (runtime/work.py)."""
        self.headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}

    async def send(
        self,
        respond: AsyncRespond,
        message: SlackMessage,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
    ) -> None:
        url = respond.response_url
        if not isinstance(url, str) or not url:
            raise ReplyUndeliverable("the request carries no response_url")
        if self.after_acks is not None:
            await self.after_acks()
        try:
            if self.session is None:
                await respond(
                    response_type=response_type, replace_original=replace_original, **message.as_kwargs()
                )
                return
            body = message.as_kwargs()
            if response_type is not None:
                body["response_type"] = response_type
            if replace_original is not None:
                body["replace_original"] = replace_original
            status = await self._post(self.session, url, _encoded(body))
        except (ClientError, TimeoutError, ValueError) as error:
            # aiohttp's InvalidUrlClientError is both a ClientError and a ValueError; bolt's
            # respond raises a ValueError of its own when it has nowhere to send.
            raise ReplyUndeliverable(type(error).__name__) from None
        if status != 200:
            LOG.warning("Slack refused a reply on its response_url (HTTP %d)", status)

    async def _post(self, session: ClientSession, url: str, data: bytes) -> int:
        try:
            return await self._post_once(session, url, data)
        except RETRIED:  # most often a kept-alive connection the other end had closed
            return await self._post_once(session, url, data)

    async def _post_once(self, session: ClientSession, url: str, data: bytes) -> int:
        async with session.post(url, data=data, headers=self.headers, timeout=TIMEOUT) as response:
            await response.read()
            return response.status

    async def error(self, respond: AsyncRespond, text: str) -> None:
        """An explanation only the clicker sees, below the message they clicked."""
        await self.send(respond, error_message(text), response_type="ephemeral", replace_original=False)
