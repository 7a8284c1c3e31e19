"""Replies after the acknowledgement: to the interaction's response_url, over one kept-alive session.

The response_url is the only way to update an ephemeral message. bolt's own `respond` opens a
new aiohttp session (and TLS connection) for every reply; with a shared session the
connection to Slack is reused. A reply that can't be delivered raises `ReplyUndeliverable`,
which the listeners' one error handling (`failures.py`) logs once, without a traceback.
"""

from __future__ import annotations

import logging

from aiohttp import ClientError, ClientSession
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render.blocks import SlackMessage, error_message

LOG = logging.getLogger(__name__)


class ReplyUndeliverable(Exception):
    """A reply could not reach Slack: no response_url, a URL that is not one, or the network."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"could not deliver a reply to the response_url: {cause}")


class Responder:
    """Sends messages to response_urls, through `session` when there is one."""

    def __init__(self, session: ClientSession | None) -> None:
        self.session = session

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
        try:
            if self.session is None:
                await respond(
                    response_type=response_type, replace_original=replace_original, **message.as_kwargs()
                )
                return
            webhook = AsyncWebhookClient(url=url, session=self.session)
            response = await webhook.send(
                response_type=response_type, replace_original=replace_original, **message.as_kwargs()
            )
        except (ClientError, TimeoutError, ValueError) as error:
            # aiohttp's InvalidUrlClientError is both a ClientError and a ValueError; bolt's
            # respond raises a ValueError of its own when it has nowhere to send.
            raise ReplyUndeliverable(type(error).__name__) from None
        if response.status_code != 200:
            LOG.warning("Slack refused a reply on its response_url (HTTP %d)", response.status_code)

    async def error(self, respond: AsyncRespond, text: str) -> None:
        """An explanation only the clicker sees, below the message they clicked."""
        await self.send(respond, error_message(text), response_type="ephemeral", replace_original=False)
