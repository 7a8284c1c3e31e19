"""Reading Slack payloads (pure): who acted, what they clicked, which delivery it was.

Everything an adapter needs from bolt's `body` dict is taken out here, at the border, so the
listeners deal only in core values (`Actor`, `ActionId` text, keys). Ids are checked here too
(`adapters/platform_ids.py`): one Slack would never send is refused before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.ids import MalformedAction
from adapters.platform_ids import display_name as clean_name
from adapters.platform_ids import slack_id
from bot.errors import AdvisorError
from bot.personal.conversation import Actor

PLATFORM = "slack"

Body = Mapping[str, Any]


class MalformedRequest(AdvisorError):
    """A signed request that lacks what every Slack interaction carries (user, workspace)."""

    def __init__(self, missing: str) -> None:
        self.missing = missing
        super().__init__(
            f"The advisor could not read this request: it has no {missing}, so nothing was done. "
            "Try the command again; if it keeps happening, reinstall the app."
        )


def _get(body: Body, *path: str) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def actor_of(body: Body, *, user: str | None = None) -> Actor:
    """Who acted: the workspace is the team, prefixed by the Enterprise Grid org when there is one."""
    team = body.get("team_id") or _get(body, "team", "id") or _get(body, "user", "team_id")
    enterprise = body.get("enterprise_id") or _get(body, "enterprise", "id")
    who = user or body.get("user_id") or _get(body, "user", "id")
    if not isinstance(team, str) or not team:
        raise MalformedRequest("team id")
    if not isinstance(who, str) or not who:
        raise MalformedRequest("user id")
    team = slack_id(team, kind="workspace id")
    who = slack_id(who, kind="user id")
    if isinstance(enterprise, str) and enterprise:
        return Actor(PLATFORM, f"{slack_id(enterprise, kind='organisation id')}/{team}", who)
    return Actor(PLATFORM, team, who)


def clicked_value(body: Body) -> str:
    """The ActionId text of the clicked button or the chosen select option."""
    actions = body.get("actions")
    if not isinstance(actions, Sequence) or not actions or not isinstance(actions[0], Mapping):
        raise MalformedAction("")
    action = actions[0]
    value = action.get("value") or _get(action, "selected_option", "value")
    if not isinstance(value, str):
        raise MalformedAction("")
    return value


def delivery_key(body: Body) -> str | None:
    """What stays the same when Slack resends one delivery: trigger_id, or event_id for events."""
    if isinstance(event_id := body.get("event_id"), str):
        return f"event:{event_id}"
    if isinstance(trigger := body.get("trigger_id"), str):
        team = body.get("team_id") or _get(body, "team", "id") or ""
        return f"trigger:{team}:{trigger}"
    return None


NOT_KEPT = frozenset({"token", "message", "state", "view", "authed_users", "authed_teams"})
"""Left out of a delivery record: the legacy verification token (a secret), and the bulky parts
(the clicked message, input state, views) that finishing a delivery never reads."""


def kept_body(body: Body) -> dict[str, Any]:
    """What a delivery record keeps of a body: enough for bolt to dispatch it again, no token."""
    return {key: value for key, value in body.items() if key not in NOT_KEPT}


def user_of(body: Body) -> str:
    """Whose delivery it is (commands, clicks and events), or "" when the body names nobody."""
    who = body.get("user_id") or _get(body, "user", "id") or _get(body, "event", "user")
    return who if isinstance(who, str) else ""


def channel_of(body: Body) -> str | None:
    """The channel it happened in; None when there is none (a DM from App Home), refused if odd."""
    channel = _get(body, "channel", "id") or _get(body, "container", "channel_id") or body.get("channel_id")
    return slack_id(channel, kind="channel id") if isinstance(channel, str) and channel else None


def is_resend(request: AsyncBoltRequest) -> bool:
    return bool(request.headers.get("x-slack-retry-num"))


def display_name(body: Body) -> str:
    """The name a tally shows: the Slack user name from the payload, else the user id."""
    user = body.get("user")
    fallback = actor_of(body).user
    if isinstance(user, Mapping):
        for key in ("username", "name"):
            if isinstance(name := user.get(key), str) and name:
                return clean_name(name, fallback=fallback)
    name = body.get("user_name")
    if isinstance(name, str) and name:
        return clean_name(name, fallback=fallback)
    return fallback


def message_ts(body: Body) -> str | None:
    container = body.get("container")
    ts = container.get("message_ts") if isinstance(container, Mapping) else None
    return ts if isinstance(ts, str) else None
