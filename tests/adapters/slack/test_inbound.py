"""The checks on a raw request's body: read the way bolt would read it, once, faster, and no deeper."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.inbound import MAX_DEPTH, Unreadable, form_fields, parse_body

FORM = "application/x-www-form-urlencoded"
PIECES = st.sampled_from(
    ["a", "b", "=", "&", ";", "+", " ", "%", "%2", "%41", "%2B", "%e9", "%C3%A9", "%zz", "%%", "é", "\0", "#"]
)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(text=st.lists(PIECES, max_size=16).map("".join))
def test_form_fields_read_what_urllib_reads(text: str) -> None:
    """Any body, well-formed or not, gives the same fields as urllib (what bolt itself uses)."""
    assert form_fields(text) == dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


def test_a_click_payload_is_read_as_slack_sent_it() -> None:
    payload = {"type": "block_actions", "user": {"id": "U1", "name": "Zoë + ✓ & co"}, "x": "100%"}
    body = parse_body("payload=" + urllib.parse.quote(json.dumps(payload)), FORM)
    assert body == payload


def _nested(depth: int) -> str:
    return json.dumps({"type": "event_callback", "event": {"type": "x", "n": [[[]]]}} | _deep(depth - 1))


def _deep(levels: int) -> dict[str, object]:
    inner: object = {}
    for _ in range(levels - 1):
        inner = [inner]
    return {"deep": inner}


def test_nesting_up_to_the_limit_is_read_and_one_deeper_refused() -> None:
    assert parse_body(_nested(MAX_DEPTH), "application/json")["type"] == "event_callback"
    with pytest.raises(Unreadable, match=f"deeper than {MAX_DEPTH}"):
        parse_body(_nested(MAX_DEPTH + 1), "application/json")


@pytest.mark.parametrize("quote", [urllib.parse.quote, lambda text: urllib.parse.quote(text).lower(), str])
def test_a_click_payload_nested_too_deep_is_refused_however_its_brackets_are_encoded(
    quote: Callable[[str], str],
) -> None:
    """The bracket count that spares most payloads the walk sees `%7B`, `%7b` and a raw `[` alike."""
    deep = "payload=" + quote(_nested(MAX_DEPTH + 1))
    with pytest.raises(Unreadable, match=f"deeper than {MAX_DEPTH}"):
        parse_body(deep, FORM)
    assert parse_body("payload=" + quote(_nested(MAX_DEPTH)), FORM)["type"] == "event_callback"
