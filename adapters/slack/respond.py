"""Replies after the acknowledgement: to the interaction's response_url, over one kept-alive session.

The response_url is the only way to update an ephemeral message. bolt's own `respond` opens a
new aiohttp session (and TLS connection) for every reply; with a shared session the
connection to Slack is reused.
"""

from __future__ import annotations

import logging

from aiohttp import ClientSession
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render.blocks import SlackMessage, error_message

LOG = logging.getLogger(__name__)


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
        if self.session is None or respond.response_url is None:
            await respond(
                response_type=response_type, replace_original=replace_original, **message.as_kwargs()
            )
            return
        webhook = AsyncWebhookClient(url=respond.response_url, session=self.session)
        response = await webhook.send(
            response_type=response_type, replace_original=replace_original, **message.as_kwargs()
        )
        if response.status_code != 200:
            LOG.warning("Slack refused a reply on its response_url (HTTP %d)", response.status_code)

    async def error(self, respond: AsyncRespond, text: str) -> None:
        """An explanation only the clicker sees, below the message they clicked."""
        await self.send(respond, error_message(text), response_type="ephemeral", replace_original=False)
