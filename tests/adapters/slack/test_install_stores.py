"""The OAuth stores bolt is given, on SQLite and on PostgreSQL: one contract for both.

The cases follow slack-sdk's own store tests (tests/slack_sdk/oauth/installation_store/), plus
what several replicas need: two sets of stores on one database see the same installations,
and a state is good for one callback only, until it expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.settings import Secret, Settings
from adapters.slack.installs import (
    STATE_SECONDS,
    ThreadedInstallationStore,
    close_oauth_stores,
    oauth_settings,
    open_oauth_stores,
)
from adapters.slack.installs_postgres import OAuthDatabase, PostgresInstallationStore, PostgresOAuthStateStore
from bot.errors import SettingsError, StoreUnavailable
from tests.conftest import Clock


def _oauth_env(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        db_url=db_url,
        knowledge_dir=tmp_path,
        advisor="tiny",
        idle_timeout=timedelta(hours=24),
        slack_client_id="111.222",
        slack_client_secret=Secret("client-secret-value-9"),
    )


@pytest.fixture
def settings(tmp_path: Path, oauth_db: str) -> Settings:
    return _oauth_env(oauth_db, tmp_path)


class Replicas:
    """Opens the stores as a replica would (`oauth_settings`), on one database; closes them all."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._opened: list[AsyncOAuthSettings] = []

    async def open(self) -> AsyncOAuthSettings:
        oauth = oauth_settings(self._settings, clock=lambda: self._clock.now.timestamp())
        await open_oauth_stores(oauth)
        self._opened.append(oauth)
        return oauth

    async def close(self) -> None:
        for oauth in self._opened:
            await close_oauth_stores(oauth)


@pytest.fixture
async def replicas(settings: Settings, clock: Clock) -> AsyncIterator[Replicas]:
    opened = Replicas(settings, clock)
    yield opened
    await opened.close()


@pytest.fixture
async def stores(replicas: Replicas) -> AsyncOAuthSettings:
    return await replicas.open()


@pytest.fixture
async def postgres_stores(
    postgres_schema_url: str, tmp_path: Path, clock: Clock
) -> AsyncIterator[AsyncOAuthSettings]:
    """For what slack-sdk's SQLite store cannot show without sleeping: it dates each row itself,
    to the second, so two saves within one second come back in either order."""
    opened = Replicas(_oauth_env(postgres_schema_url, tmp_path), clock)
    yield await opened.open()
    await opened.close()


def workspace_install(**changes: object) -> Installation:
    fields: dict[str, object] = {
        "app_id": "A111",
        "enterprise_id": "E111",
        "team_id": "T111",
        "user_id": "U111",
        "bot_id": "B111",
        "bot_token": "xoxb-111",
        "bot_scopes": ["chat:write", "commands"],
        "bot_user_id": "U222",
        **changes,
    }
    return Installation(**fields)  # type: ignore[arg-type]


async def test_a_workspace_installation_is_found_by_its_ids(stores: AsyncOAuthSettings) -> None:
    store = stores.installation_store
    await store.async_save(workspace_install())

    bot = await store.async_find_bot(enterprise_id="E111", team_id="T111")
    assert bot is not None
    assert (bot.bot_token, bot.bot_id, bot.bot_user_id) == ("xoxb-111", "B111", "U222")
    assert list(bot.bot_scopes) == ["chat:write", "commands"]
    assert await store.async_find_bot(enterprise_id="E111", team_id="T222") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T111") is None

    found = await store.async_find_installation(enterprise_id="E111", team_id="T111")
    assert found is not None
    assert (found.team_id, found.user_id, found.bot_token) == ("T111", "U111", "xoxb-111")
    assert await store.async_find_installation(enterprise_id="E111", team_id="T222") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T111") is None
    mine = await store.async_find_installation(enterprise_id="E111", team_id="T111", user_id="U111")
    assert mine is not None
    assert await store.async_find_installation(enterprise_id="E111", team_id="T111", user_id="U999") is None


async def test_a_workspace_without_enterprise_is_found(stores: AsyncOAuthSettings) -> None:
    store = stores.installation_store
    await store.async_save(workspace_install(enterprise_id=None, team_id="T9"))
    found = await store.async_find_installation(enterprise_id=None, team_id="T9")
    assert found is not None
    # slack-sdk's SQLite store gives back '' for "no enterprise"; PostgreSQL gives None.
    assert (found.team_id, found.enterprise_id or None) == ("T9", None)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None
    assert bot.team_id == "T9"


async def test_an_org_wide_install_serves_every_workspace_of_the_org(stores: AsyncOAuthSettings) -> None:
    store = stores.installation_store
    org = workspace_install(
        app_id="AO111",
        enterprise_id="EO111",
        team_id=None,
        user_id="UO111",
        bot_token="xoxb-O111",
        is_enterprise_install=True,
    )
    await store.async_save(org)

    assert await store.async_find_bot(enterprise_id="EO111", team_id=None) is not None
    assert await store.async_find_bot(enterprise_id="EO111", team_id="TO222", is_enterprise_install=True)
    assert await store.async_find_bot(enterprise_id="EO111", team_id="TO222") is None
    found = await store.async_find_installation(
        enterprise_id="EO111", team_id="T111", is_enterprise_install=True
    )
    assert found is not None
    assert (found.team_id or None, bool(found.is_enterprise_install)) == (None, True)
    assert found.bot_token == "xoxb-O111"
    assert await store.async_find_installation(enterprise_id="EO111", team_id=None, user_id="UO111")
    assert await store.async_find_installation(enterprise_id="EO111", team_id="T222") is None

    await store.async_delete_bot(enterprise_id="EO111", team_id="TO222")
    assert await store.async_find_bot(enterprise_id="EO111", team_id=None) is not None
    await store.async_delete_all(enterprise_id="EO111", team_id=None)
    assert await store.async_find_bot(enterprise_id="EO111", team_id=None) is None
    assert await store.async_find_installation(enterprise_id="EO111", team_id=None) is None


async def test_a_reinstall_replaces_the_token(postgres_stores: AsyncOAuthSettings) -> None:
    store = postgres_stores.installation_store
    await store.async_save(workspace_install(bot_token="xoxb-old", installed_at=1_700_000_000.0))
    await store.async_save(workspace_install(bot_token="xoxb-new", installed_at=1_700_000_060.0))
    found = await store.async_find_installation(enterprise_id="E111", team_id="T111")
    assert found is not None
    assert found.bot_token == "xoxb-new"
    bot = await store.async_find_bot(enterprise_id="E111", team_id="T111")
    assert bot is not None
    assert bot.bot_token == "xoxb-new"


async def test_a_user_installation_keeps_the_workspace_bot(postgres_stores: AsyncOAuthSettings) -> None:
    """slack-sdk issue #1441: a later user-token-only install must not lose the bot token."""
    store = postgres_stores.installation_store
    await store.async_save(workspace_install(installed_at=1_700_000_000.0))
    user_only = workspace_install(
        bot_id=None,
        bot_token=None,
        bot_user_id=None,
        bot_scopes=["openid"],
        user_token="xoxp-111",
        installed_at=1_700_000_060.0,
    )
    await store.async_save(user_only)

    bot = await store.async_find_bot(enterprise_id="E111", team_id="T111")
    assert bot is not None
    assert bot.bot_token == "xoxb-111"
    latest = await store.async_find_installation(enterprise_id="E111", team_id="T111")
    assert latest is not None
    assert (latest.bot_token, latest.user_token) == ("xoxb-111", "xoxp-111")


async def test_deleting_an_installation_and_everything(stores: AsyncOAuthSettings) -> None:
    store = stores.installation_store
    await store.async_save(workspace_install())
    await store.async_delete_installation(enterprise_id="E111", team_id="T111", user_id="U111")
    assert await store.async_find_installation(enterprise_id="E111", team_id="T111", user_id="U111") is None
    assert await store.async_find_installation(enterprise_id="E111", team_id="T111") is None

    await store.async_save(workspace_install())
    await store.async_delete_all(enterprise_id="E111", team_id="T111")
    assert await store.async_find_installation(enterprise_id="E111", team_id="T111") is None
    assert await store.async_find_bot(enterprise_id="E111", team_id="T111") is None


async def test_two_replicas_see_the_same_installations(replicas: Replicas) -> None:
    first, second = await replicas.open(), await replicas.open()
    await first.installation_store.async_save(workspace_install())
    found = await second.installation_store.async_find_installation(enterprise_id="E111", team_id="T111")
    assert found is not None
    assert found.bot_token == "xoxb-111"
    await second.installation_store.async_delete_all(enterprise_id="E111", team_id="T111")
    assert await first.installation_store.async_find_bot(enterprise_id="E111", team_id="T111") is None


async def test_a_state_is_good_for_one_callback(replicas: Replicas) -> None:
    first, second = await replicas.open(), await replicas.open()
    state = await first.state_store.async_issue()
    assert await second.state_store.async_consume(state)  # any replica may take the callback
    assert not await first.state_store.async_consume(state)
    assert not await second.state_store.async_consume(state)
    assert not await first.state_store.async_consume("never-issued")


async def test_racing_callbacks_consume_a_state_once(replicas: Replicas) -> None:
    first, second = await replicas.open(), await replicas.open()
    state = await first.state_store.async_issue()
    results = await asyncio.gather(
        *((first if n % 2 else second).state_store.async_consume(state) for n in range(20))
    )
    assert results.count(True) == 1


async def test_a_state_expires(stores: AsyncOAuthSettings, clock: Clock) -> None:
    states = stores.state_store
    fresh, stale = await states.async_issue(), await states.async_issue()
    clock.advance(timedelta(seconds=STATE_SECONDS - 1))
    assert await states.async_consume(fresh)
    clock.advance(timedelta(seconds=2))
    assert not await states.async_consume(stale)


async def test_no_token_is_logged(stores: AsyncOAuthSettings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = stores.installation_store
    await store.async_save(workspace_install(bot_token="xoxb-secret-42"))
    await store.async_find_installation(enterprise_id="E111", team_id="T111", user_id="U111")
    await store.async_find_bot(enterprise_id="E111", team_id="T111")
    await store.async_delete_all(enterprise_id="E111", team_id="T111")
    assert "xoxb-secret-42" not in caplog.text


# --- choosing the stores ------------------------------------------------------------------


def test_advisor_db_picks_the_stores(tmp_path: Path) -> None:
    on_file = oauth_settings(_oauth_env(str(tmp_path / "advisor.db"), tmp_path))
    assert isinstance(on_file.installation_store, ThreadedInstallationStore)
    for url in ("postgresql://advisor@127.0.0.1:1/advisor", "postgres://advisor@127.0.0.1:1/advisor"):
        shared = oauth_settings(_oauth_env(url, tmp_path))  # connects only when the server starts
        assert isinstance(shared.installation_store, PostgresInstallationStore)
        assert isinstance(shared.state_store, PostgresOAuthStateStore)
        assert shared.installation_store.database is shared.state_store.database  # one pool


@pytest.mark.parametrize(
    ("db_url", "shown"),
    [(":memory:", "':memory:'"), ("mysql://advisor:s3cret-pw@db/advisor", "'mysql://…'")],
)
def test_a_database_oauth_cannot_use_says_what_to_set(tmp_path: Path, db_url: str, shown: str) -> None:
    with pytest.raises(SettingsError) as caught:
        oauth_settings(_oauth_env(db_url, tmp_path))
    message = str(caught.value)
    assert message.startswith(f"ADVISOR_DB is {shown}; expected a SQLite file path or a postgresql:// URL")
    assert "s3cret-pw" not in message


def test_oauth_without_the_client_secret_names_it(tmp_path: Path) -> None:
    settings = replace(_oauth_env(str(tmp_path / "advisor.db"), tmp_path), slack_client_secret=None)
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET is not set"):
        oauth_settings(settings)


# --- PostgreSQL only ----------------------------------------------------------------------


async def test_replicas_starting_at_once_create_the_tables_once(postgres_schema_url: str) -> None:
    databases = [OAuthDatabase(postgres_schema_url) for _ in range(6)]
    try:
        await asyncio.gather(*(database.open() for database in databases))
    finally:
        for database in databases:
            await database.close()
    conn = await asyncpg.connect(postgres_schema_url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() ORDER BY table_name"
        )
    finally:
        await conn.close()
    assert [t["table_name"] for t in tables] == [
        "advisor_slack_bots",
        "advisor_slack_installations",
        "advisor_slack_oauth_states",
    ]


async def test_an_unreachable_server_names_the_fix_and_hides_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    database = OAuthDatabase("postgresql://advisor:s3cret-pw@127.0.0.1:1/advisor")
    store = PostgresInstallationStore(database, client_id="111.222")
    with pytest.raises(StoreUnavailable) as caught:
        await store.async_find_installation(enterprise_id=None, team_id="T1")  # the first use connects
    await database.close()
    message = str(caught.value)
    assert message.startswith("Cannot use the database at postgresql://advisor:***@127.0.0.1:1/advisor")
    assert "Slack installations: the server cannot be reached" in message
    assert "s3cret-pw" not in message
    assert caught.value.__cause__ is None
    assert "s3cret-pw" not in caplog.text


async def test_a_closed_store_refuses_rather_than_reconnects(postgres_schema_url: str) -> None:
    database = OAuthDatabase(postgres_schema_url)
    states = PostgresOAuthStateStore(database, expiration_seconds=STATE_SECONDS)
    await states.async_issue()
    await database.close()
    with pytest.raises(StoreUnavailable, match="shutting down"):
        await states.async_issue()
