"""Finishing a Slack delivery that a dead process recorded but never finished.

The stored body goes through bolt once more, as Socket Mode hands bodies over (already parsed,
no signature to check: it comes from our own store, not from the network), with the record's
key in the context so the listener knows it is a replay: it is not recorded again, a click the
first run had applied shows the conversation as it stands, and the reply goes to the body's
response_url, which Slack accepts for 30 minutes.
"""

from __future__ import annotations

import json
import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.runtime.redelivery import Finish
from adapters.slack.app import REPLAY, REPLAY_RECEIVED
from bot.store.deliveries import Delivery

LOG = logging.getLogger(__name__)


def slack_finisher(app: AsyncApp) -> Finish:
    async def finish(delivery: Delivery) -> None:
        body = json.loads(delivery.payload)
        if not isinstance(body, dict):
            LOG.warning("a stored Slack delivery holds no body; given up")
            return
        request = AsyncBoltRequest(
            body=body,
            mode="socket_mode",
            context={REPLAY: delivery.key, REPLAY_RECEIVED: delivery.received_at.isoformat()},
        )
        response = await app.async_dispatch(request)
        if response.status != 200:
            LOG.warning("bolt did not take a replayed Slack delivery (HTTP %d)", response.status)

    return finish
