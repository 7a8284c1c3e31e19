"""The one error handling every Slack listener's work runs in after its acknowledgement.

Once Slack has its 200, nothing reaches the user unless we send it, so a failure anywhere
after the ack (claiming the delivery, the engine, the store, rendering, the reply itself)
must end here: an `AdvisorError` is shown to the user as it is; a store that is locked or
gone says that nothing was saved and to try again; a reply that can't be delivered is logged
once at WARNING, without a traceback (anyone can make a response_url fail); anything else is
a bug, logged with its traceback, and the user hears that nothing was changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError

from adapters.slack.respond import ReplyUndeliverable
from bot.errors import AdvisorError, InputError, StoreError

LOG = logging.getLogger(__name__)

BUG_TEXT = "Something went wrong on our side; nothing was changed. Try again."

Tell = Callable[[str], Awaitable[None]]
"""Sends one short explanation to whoever acted (ephemeral where the platform allows)."""

UNDELIVERABLE: tuple[type[BaseException], ...] = (
    ReplyUndeliverable,
    ClientError,
    TimeoutError,
    SlackClientError,
)


def explain(error: Exception, *, what: str, can_tell: bool = True) -> str | None:
    """Log `error` as its kind deserves and return what the user should read (None: nothing).

    When nobody can be told (`can_tell` False: a member leaving a channel, a modal), a request
    that could not be read is logged at WARNING and any other refusal at INFO, so none is silent.
    """
    match error:
        case StoreError():
            LOG.warning("%s: the store failed, nothing was saved: %s", what, error)
            return error.chat_text
        case InputError() if not can_tell:
            LOG.warning("%s: %s", what, error)
            return str(error)
        case AdvisorError():
            if not can_tell:
                LOG.info("%s was refused: %s", what, type(error).__name__)
            return str(error)
        case SlackApiError():
            code = error.response.get("error") if error.response is not None else None
            LOG.warning("%s: Slack refused a call (%s)", what, code or "no error code")
            return (
                f"Slack refused a message the advisor tried to send ({code or 'unknown error'}). Try again."
            )
        case _ if isinstance(error, UNDELIVERABLE):
            LOG.warning("%s: a reply could not be delivered (%s)", what, _cause(error))
            return None
    LOG.error("%s failed after its ack", what, exc_info=error)
    return BUG_TEXT


def _cause(error: BaseException) -> str:
    return error.cause if isinstance(error, ReplyUndeliverable) else type(error).__name__


def is_delivered(error: Exception) -> bool:
    """Whether the user was reached or nothing more can be done (False: try the delivery again)."""
    match error:
        case AdvisorError() | SlackApiError():
            return True
    return False


async def run_after_ack(
    work: Awaitable[None],
    *,
    tell: Tell | None,
    what: str,
    count: Callable[[Exception], None] | None = None,
) -> bool:
    """Run one listener's work; whatever fails is logged once and, where it can be, explained.

    Returns whether the delivery is done with: False when a reply could not be delivered or a
    bug stopped the work, so its record stays unfinished and is tried again while it is valid.
    """
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception as error:
        if count is not None:
            count(error)
        text = explain(error, what=what, can_tell=tell is not None)
        if text is not None and tell is not None:
            try:
                await tell(text)
            except Exception as again:  # the explanation itself could not go: log it once, no more
                if isinstance(again, UNDELIVERABLE):
                    LOG.warning("%s: the explanation could not be delivered either (%s)", what, _cause(again))
                else:
                    LOG.error("%s: explaining a failure failed", what, exc_info=again)
                return False
        return is_delivered(error)
    return True
