"""Multi-workspace installs through bolt's OAuth flow, with installations in the project's SQLite file.

slack-sdk's SQLite stores create their own tables (`slack_installations`, `slack_bots`,
`oauth_states`) beside the conversations, so one file holds everything the bot keeps.
"""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from adapters.settings import Settings
from adapters.slack.deliveries import sqlite_path
from adapters.slack.manifest import BOT_SCOPES
from bot.errors import SettingsError

STATE_SECONDS = 600
"""How long an install link stays valid."""


def oauth_settings(settings: Settings) -> AsyncOAuthSettings:
    path = sqlite_path(settings.db_url)
    if path is None or path == ":memory:":
        raise SettingsError(
            name="ADVISOR_DB",
            expected="a SQLite file path when installing through OAuth (SLACK_CLIENT_ID)",
            got=settings.db_url,
        )
    if not settings.slack_client_id or settings.slack_client_secret is None:
        raise SettingsError(name="SLACK_CLIENT_SECRET", expected="the app's client secret")
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.reveal(),
        scopes=list(BOT_SCOPES),
        installation_store=SQLite3InstallationStore(database=path, client_id=settings.slack_client_id),
        state_store=SQLite3OAuthStateStore(database=path, expiration_seconds=STATE_SECONDS),
    )
