"""Socket Mode envelopes checked the way HTTP requests are, before bolt reads them.

Socket Mode has no signature (the app token authenticates the connection), but bolt still
builds its context from the payload first, so a payload of the wrong shape would fail inside
bolt with a logged traceback. Such an envelope is acknowledged (so Slack does not resend it),
logged once at WARNING, and the user gets the same "could not read" note as over HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.runtime.work import InFlight
from adapters.slack.inbound import note_target, send_note, shape_problem

LOG = logging.getLogger(__name__)


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """bolt's Socket Mode handler, with `inbound.shape_problem` in front of it."""

    def __init__(self, *args: Any, work: InFlight | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._notes: set[asyncio.Task[None]] = set()
        self._work = work
        """Counts the envelopes being acknowledged, so work after earlier acks lets them go first."""

    async def handle(self, client: Any, req: SocketModeRequest) -> None:
        payload = req.payload
        problem = shape_problem(payload) if isinstance(payload, dict) else "the payload is not an object"
        if problem is None:
            if self._work is None:
                await super().handle(client, req)
                return
            with self._work.acknowledging():
                await super().handle(client, req)
            return
        LOG.warning("could not read a Socket Mode %s envelope: %s", req.type, problem)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        if isinstance(payload, dict) and (target := note_target(payload)) is not None:
            task = asyncio.create_task(send_note(target))
            self._notes.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._notes.discard)
