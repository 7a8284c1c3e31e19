"""`advisor slack ...` as a user runs it: the manifest Slack accepts, and clear settings errors."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import pytest

from adapters.cli import main as cli_main
from adapters.settings import Secret, Settings
from adapters.slack.run import main
from bot.errors import SettingsError


def _manifest(settings: Settings, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["manifest", *args], settings=settings, stdout=out) == 0
    manifest: dict[str, Any] = json.loads(out.getvalue())
    return manifest


SCHEMA: dict[str, Any] = {
    "_metadata": {"major_version": int, "minor_version": int},
    "display_information": {
        "name": str,
        "description": str,
        "long_description": str,
        "background_color": str,
    },
    "features": {
        "app_home": {
            "home_tab_enabled": bool,
            "messages_tab_enabled": bool,
            "messages_tab_read_only_enabled": bool,
        },
        "bot_user": {"display_name": str, "always_online": bool},
        "shortcuts": [{"type": str, "name": str, "callback_id": str, "description": str}],
        "slash_commands": [
            {"command": str, "description": str, "should_escape": bool, "url": str, "usage_hint": str}
        ],
        "unfurl_domains": [str],
    },
    "oauth_config": {
        "redirect_urls": [str],
        "scopes": {"bot": [str], "user": [str]},
        "token_management_enabled": bool,
    },
    "settings": {
        "allowed_ip_address_ranges": [str],
        "event_subscriptions": {"request_url": str, "bot_events": [str], "user_events": [str]},
        "incoming_webhooks": {"incoming_webhooks_enabled": bool},
        "interactivity": {"is_enabled": bool, "request_url": str, "message_menu_options_url": str},
        "org_deploy_enabled": bool,
        "socket_mode_enabled": bool,
        "token_rotation_enabled": bool,
        "function_runtime": str,
    },
}
"""The fields of Slack's manifest schema and their types, as slackapi/node-slack-sdk declares them
(packages/web-api/src/types/request/manifest.ts): a misspelt or misplaced key fails here."""
REQUIRED = {
    "display_information": {"name"},
    "bot_user": {"display_name"},
    "shortcuts": {"type", "name", "callback_id", "description"},
    "slash_commands": {"command", "description"},
    "interactivity": {"is_enabled"},
}


def _conforms(value: Any, schema: Any, where: str = "manifest", key: str = "") -> list[str]:
    """Every place `value` leaves the schema: unknown keys, wrong types, missing required keys."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        problems = [f"{where}.{k} is not in Slack's schema" for k in value if k not in schema]
        problems += [f"{where} lacks {k}" for k in sorted(REQUIRED.get(key, set()) - value.keys())]
        for k, v in value.items():
            if k in schema:
                problems += _conforms(v, schema[k], f"{where}.{k}", k)
        return problems
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [p for i, item in enumerate(value) for p in _conforms(item, schema[0], f"{where}[{i}]", key)]
    return [] if isinstance(value, schema) else [f"{where} is not {schema.__name__}"]


def _check_shape(manifest: dict[str, Any]) -> None:
    """The fields and maxima of Slack's manifest schema that a typo would break."""
    assert _conforms(manifest, SCHEMA) == []
    assert manifest["_metadata"]["major_version"] == 1
    info = manifest["display_information"]
    assert 0 < len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    features = manifest["features"]
    assert features["bot_user"]["display_name"] == "framework-advisor"
    assert features["app_home"]["messages_tab_enabled"] is True  # direct messages
    assert features["app_home"]["home_tab_enabled"] is True  # the App Home tab
    shortcuts = features["shortcuts"]
    assert len(shortcuts) <= 10
    assert {
        "type": "global",
        "callback_id": "choose_framework",
        "name": "Choose a framework",
    }.items() <= next(s for s in shortcuts if s["type"] == "global").items()
    for shortcut in shortcuts:
        assert shortcut["type"] in ("global", "message")
        assert len(shortcut["callback_id"]) <= 255
        assert len(shortcut["description"]) <= 150
    [slash] = features["slash_commands"]
    assert slash["command"] == "/choose-framework"
    assert len(slash["command"]) <= 32
    assert len(slash["description"]) <= 2000
    assert len(slash["usage_hint"]) <= 1000
    shortcuts = {s["callback_id"]: s for s in features["shortcuts"]}
    decide = shortcuts["adv-team-from-message"]  # adapters/slack/team.py SHORTCUT_CALLBACK
    assert (decide["type"], decide["name"]) == ("message", "Decide a framework here")
    assert all(len(s["name"]) <= 24 and len(s["description"]) <= 150 for s in shortcuts.values())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "app_mentions:read",
        "im:history",
        "files:write",
        "users:read",
        "channels:read",
        "groups:read",
    }
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "member_left_channel",
        "member_joined_channel",
        "app_home_opened",
    }


def test_socket_mode_manifest_has_no_urls(slack_settings: Settings) -> None:
    manifest = _manifest(slack_settings, "--socket")
    _check_shape(manifest)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert _manifest(slack_settings) == manifest  # Socket Mode is the default


def test_http_manifest_sends_everything_to_one_path(slack_settings: Settings) -> None:
    manifest = _manifest(slack_settings, "--url", "https://bot.example.com/", "--oauth")
    _check_shape(manifest)
    endpoint = "https://bot.example.com/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["slash_commands"][0]["url"] == endpoint
    assert manifest["settings"]["interactivity"]["request_url"] == endpoint
    assert manifest["settings"]["event_subscriptions"]["request_url"] == endpoint
    assert manifest["oauth_config"]["redirect_urls"] == ["https://bot.example.com/slack/oauth_redirect"]


def test_manifest_uses_the_configured_command(slack_settings: Settings) -> None:
    manifest = _manifest(replace(slack_settings, slack_command="/pick-framework"))
    assert manifest["features"]["slash_commands"][0]["command"] == "/pick-framework"


def test_manifest_refuses_a_plain_http_url(slack_settings: Settings) -> None:
    with pytest.raises(SettingsError, match="--url"):
        main(["manifest", "--url", "http://bot.example.com"], settings=slack_settings, stdout=io.StringIO())


@pytest.mark.parametrize(
    ("args", "changes", "variable"),
    [
        (["--http"], {"slack_signing_secret": None}, "SLACK_SIGNING_SECRET"),
        (["--http"], {"slack_bot_token": None}, "SLACK_BOT_TOKEN"),
        (["--socket"], {"slack_app_token": None}, "SLACK_APP_TOKEN"),
        (["--socket"], {"slack_app_token": Secret("xapp-1"), "slack_bot_token": None}, "SLACK_BOT_TOKEN"),
    ],
)
def test_missing_credentials_are_named_before_connecting(
    slack_settings: Settings, args: list[str], changes: dict[str, Any], variable: str
) -> None:
    with pytest.raises(SettingsError, match=variable) as caught:
        main(args, settings=replace(slack_settings, **changes), stdout=io.StringIO())
    assert "xoxb-" not in str(caught.value) or "xoxb-…" in str(caught.value)


def test_cli_prints_the_manifest(tmp_path: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    environ = {"ADVISOR_DB": str(tmp_path / "a.db"), "SLACK_COMMAND": "advise", "HOME": str(tmp_path)}
    assert (
        cli_main(["slack", "manifest", "--url", "https://x.example"], stdout=out, stderr=err, environ=environ)
        == 0
    )
    assert json.loads(out.getvalue())["features"]["slash_commands"][0]["command"] == "/advise"


def test_cli_reports_missing_secret_with_exit_2(tmp_path: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    environ = {
        "ADVISOR_DB": str(tmp_path / "a.db"),
        "SLACK_BOT_TOKEN": "xoxb-secret-value-1",
        "HOME": str(tmp_path),
    }
    assert cli_main(["slack", "--http"], stdout=out, stderr=err, environ=environ) == 2
    assert "SLACK_SIGNING_SECRET" in err.getvalue()
    assert "xoxb-secret-value-1" not in err.getvalue()


def test_the_schema_check_catches_a_misplaced_key() -> None:
    """The check above is only worth something if it fails on a manifest Slack would refuse."""
    assert _conforms(
        {"display_information": {"name": "x"}, "features": {"home_tab_enabled": True}}, SCHEMA
    ) == ["manifest.features.home_tab_enabled is not in Slack's schema"]
    assert _conforms({"display_information": {}}, SCHEMA) == ["manifest.display_information lacks name"]
    assert _conforms(
        {"display_information": {"name": "x"}, "features": {"shortcuts": [{"type": "global"}]}}, SCHEMA
    ) == [
        "manifest.features.shortcuts[0] lacks callback_id",
        "manifest.features.shortcuts[0] lacks description",
        "manifest.features.shortcuts[0] lacks name",
    ]
