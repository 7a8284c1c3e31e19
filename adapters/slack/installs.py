"""Multi-workspace installs through bolt's OAuth flow, with installations in the project's SQLite file.

slack-sdk's SQLite stores create their own tables (`slack_installations`, `slack_bots`,
`oauth_states`) beside the conversations, so one file holds everything the bot keeps. Their
"async" methods run blocking sqlite3 calls on the event loop, and bolt looks the installation
up on every request, so the subclasses below run them on a worker thread (each call opens its
own connection, so threads never share one).
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from adapters.settings import Settings
from adapters.slack.manifest import BOT_SCOPES
from bot.errors import SettingsError
from bot.store import sqlite_path

STATE_SECONDS = 600
"""How long an install link stays valid."""


class ThreadedInstallationStore(SQLite3InstallationStore):
    """slack-sdk's SQLite installation store, its blocking work moved off the event loop."""

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found: Bot | None = await asyncio.to_thread(
            self.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await asyncio.to_thread(
            self.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


class ThreadedStateStore(SQLite3OAuthStateStore):
    """slack-sdk's SQLite OAuth state store, its blocking work moved off the event loop."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state: str = await asyncio.to_thread(self.issue, *args, **kwargs)
        return state

    async def async_consume(self, state: str) -> bool:
        valid: bool = await asyncio.to_thread(self.consume, state)
        return valid


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
    installations = ThreadedInstallationStore(database=path, client_id=settings.slack_client_id)
    states = ThreadedStateStore(database=path, expiration_seconds=STATE_SECONDS)
    # Create the tables now, at start-up: lazily, two first requests on two threads would race.
    installations.init()  # type: ignore[no-untyped-call]  # slack-sdk leaves init() unannotated
    states.init()  # type: ignore[no-untyped-call]
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.reveal(),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
    )
