"""Building the bolt app: one client, pointed where the settings say, and a quiet start."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from adapters.services import Services
from adapters.settings import Settings
from adapters.slack.app import build_app
from bot.pack.registry import PackRegistry
from bot.store.sqlite import SqliteStore
from tests.adapters.slack.conftest import TOKEN


async def test_a_start_with_slack_bot_token_set_warns_about_nothing(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    slack_settings: Settings,
    store: SqliteStore,
    registry: PackRegistry,
) -> None:
    """bolt reads SLACK_BOT_TOKEN itself; given a client too, it warned "token will be unused"."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    services = Services(store=store, registry=registry, advisor="tiny")
    with caplog.at_level(logging.DEBUG):
        app = build_app(services, slack_settings)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert app.client.token == TOKEN
    assert app.client.base_url == slack_settings.slack_api_url
    assert any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in app.client.retry_handlers)
