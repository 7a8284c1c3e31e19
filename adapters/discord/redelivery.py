"""Finishing a Discord interaction that a dead process acknowledged but never answered.

The sweeper (adapters/runtime/redelivery.py) takes the record, so no other process replays
it; its stored payload then goes through discord.py's own parser again, as the gateway hands
it over, and the normal handlers run on it. The router knows it for a replay (deliveries.py):
it is not recorded again, no initial response is sent (the dead process sent it), and the
reply is the edit of the original response or the follow-up Discord takes on the
interaction's token for 15 minutes.
"""

from __future__ import annotations

import json
import logging

import discord

from adapters.discord.client import parse_as_gateway
from adapters.discord.deliveries import InteractionLog
from adapters.runtime.redelivery import Finish
from bot.store.deliveries import Delivery

LOG = logging.getLogger(__name__)


def discord_finisher(client: discord.Client, interactions: InteractionLog) -> Finish:
    """What the sweeper calls with each record it took; `interactions` is the client's own."""

    async def finish(delivery: Delivery) -> None:
        try:
            payload = json.loads(delivery.payload) if delivery.payload else None
        except ValueError:
            payload = None
        ident = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or not isinstance(ident, str) or not ident.isdigit():
            LOG.warning("a stored Discord interaction holds no payload; given up")
            await interactions.finish(delivery.key)
            return
        interactions.expect_replay(str(int(ident)), delivery)
        parse_as_gateway(client, payload)

    return finish
