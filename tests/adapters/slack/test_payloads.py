"""Reading payloads is pure: table-driven cases of what Slack sends and what we take from it."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.ids import MalformedAction
from adapters.slack.payloads import MalformedRequest, actor_of, channel_of, clicked_value, delivery_key
from bot.personal.conversation import Actor


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"team_id": "T1", "user_id": "U1"}, Actor("slack", "T1", "U1")),  # slash command
        ({"team": {"id": "T1"}, "user": {"id": "U2", "team_id": "T1"}}, Actor("slack", "T1", "U2")),  # click
        ({"user": {"id": "U3", "team_id": "T7"}, "team": None}, Actor("slack", "T7", "U3")),  # team null
        (
            {"team_id": "T1", "enterprise_id": "E1", "user_id": "U1"},
            Actor("slack", "E1/T1", "U1"),  # Enterprise Grid: the org is part of the workspace
        ),
        (
            {"team": {"id": "T1"}, "enterprise": {"id": "E2"}, "user": {"id": "U1"}},
            Actor("slack", "E2/T1", "U1"),
        ),
    ],
)
def test_actor_of(body: dict[str, Any], expected: Actor) -> None:
    assert actor_of(body) == expected


@pytest.mark.parametrize("body", [{"user_id": "U1"}, {"team_id": "T1"}, {"team_id": "", "user_id": "U1"}, {}])
def test_actor_of_refuses_a_payload_without_team_or_user(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedRequest, match="could not read this request"):
        actor_of(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"actions": [{"value": "adv:c:1:w"}]}, "adv:c:1:w"),
        ({"actions": [{"selected_option": {"value": "adv:c:1:a:x"}}]}, "adv:c:1:a:x"),
    ],
)
def test_clicked_value(body: dict[str, Any], expected: str) -> None:
    assert clicked_value(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"actions": []},
        {"actions": "x"},
        {"actions": [{}]},
        {"actions": [{"value": 3}]},
        {"actions": [None]},
    ],
)
def test_clicked_value_refuses_malformed_actions(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedAction):
        clicked_value(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"event_id": "Ev1", "team_id": "T1"}, "event:Ev1"),
        ({"trigger_id": "1.2", "team_id": "T1"}, "trigger:T1:1.2"),
        ({"trigger_id": "1.2", "team": {"id": "T2"}}, "trigger:T2:1.2"),
        ({"team_id": "T1"}, None),
    ],
)
def test_delivery_key(body: dict[str, Any], expected: str | None) -> None:
    assert delivery_key(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"channel": {"id": "C1"}}, "C1"),
        ({"container": {"channel_id": "C2"}}, "C2"),
        ({"channel_id": "C3"}, "C3"),
        ({}, None),
    ],
)
def test_channel_of(body: dict[str, Any], expected: str | None) -> None:
    assert channel_of(body) == expected
