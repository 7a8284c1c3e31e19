"""The Slack app manifest as data: `advisor slack manifest` prints it, and the app is created in one step.

Field names and maxima follow Slack's manifest schema (slackapi/node-slack-sdk
`packages/web-api/src/types/request/manifest.ts`). In Socket Mode the request URLs are left
out; in HTTP mode commands, interactivity and events all go to bolt's one path.
"""

from __future__ import annotations

from typing import Any

BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "app_mentions:read",
    "im:history",
    "files:write",
    "users:read",
    "channels:read",
    "groups:read",
)
"""commands: the slash command; chat:write: Share to channel, replies and team sessions;
app_mentions:read and im:history: the app_mention and message.im events (mentions in channels,
direct messages); files:write: a team's decision record as a file; users:read: whether someone
who is not the starter may close a team question (workspace admins and owners may);
channels:read and groups:read: the member_left_channel and member_joined_channel events, so a
team session refuses votes from someone who has left the channel (and, with users.conversations,
which team sessions the App Home lists: those in the user's channels). The App Home tab
(views.publish), its modals (views.open) and the global shortcut need no scope beyond these:
`commands` covers shortcuts, `chat:write` posts the questions in the app's Messages tab."""
BOT_EVENTS: tuple[str, ...] = (
    "app_mention",
    "message.im",
    "member_left_channel",
    "member_joined_channel",
    "app_home_opened",
)
SHORTCUTS: tuple[dict[str, str], ...] = (
    {
        "name": "Choose a framework",
        "type": "global",
        "callback_id": "choose_framework",
        "description": "A few questions about your project, then a recommended Python web framework",
    },
)
"""Global shortcuts (the lightning-bolt menu): the callback_id is render/home.py's SHORTCUT."""
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"
MESSAGE_SHORTCUT: dict[str, str] = {
    "name": "Decide a framework here",
    "type": "message",
    "callback_id": "adv-team-from-message",
    "description": "Start a team decision in this message's thread, with the message as its topic",
}
"""A message shortcut: its callback_id is the one adapters/slack/team.py listens for."""
NAME = "Framework Advisor"
DESCRIPTION = "Asks a few questions and recommends a Python web framework, and explains why."


def build_manifest(*, command: str, url: str | None = None, oauth: bool = False) -> dict[str, Any]:
    """Socket Mode when `url` is None; otherwise HTTP mode with every request sent to `url`/slack/events."""
    endpoint = url.rstrip("/") + EVENTS_PATH if url else None
    slash: dict[str, Any] = {
        "command": command,
        "description": "Choose a Python web framework: a few questions, then a recommendation",
        "usage_hint": "[help | status | result | restart | forget | team <topic>]",
        "should_escape": False,
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if endpoint is not None:
        slash["url"] = endpoint
        interactivity["request_url"] = endpoint
        events["request_url"] = endpoint
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if oauth and url:
        oauth_config["redirect_urls"] = [url.rstrip("/") + REDIRECT_PATH]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": NAME, "description": DESCRIPTION},
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "framework-advisor", "always_online": False},
            "shortcuts": [dict(shortcut) for shortcut in (*SHORTCUTS, MESSAGE_SHORTCUT)],
            "slash_commands": [slash],
        },
        "oauth_config": oauth_config,
        "settings": {
            "interactivity": interactivity,
            "event_subscriptions": events,
            "org_deploy_enabled": False,
            "socket_mode_enabled": endpoint is None,
            "token_rotation_enabled": False,
        },
    }
