"""The raw HTTP request from Slack, checked before bolt sees any of it.

bolt parses the body and builds its context from it before its middleware checks the
signature, so an unsigned body that is not a Slack payload (`payload=[1]`, JSON nested
100,000 deep, a timestamp header of `1e3`) failed inside bolt with a 500 and a logged
traceback, and a signed one with a field of the wrong type (`"user": 0`) failed in a bolt
middleware. Here, in this order and on the raw bytes: the size (413, reading no more than the
limit), the signature and its timestamp window (401), a body that parses to one JSON object
(400), and the types of every field bolt or the listeners read (`shape_problem`). Only a
request that passes all of them is handed to bolt.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.webhook.async_client import AsyncWebhookClient
from yarl import URL

LOG = logging.getLogger(__name__)
MAX_BODY = 1 << 20
"""1 MiB, aiohttp's own default; Slack's largest payloads (a message with 50 blocks) are far below."""
TIMESTAMP_WINDOW = 60 * 5
"""Seconds a signature stays valid either side of now, as slack_sdk's SignatureVerifier allows."""
MAX_DEPTH = 24
"""Nesting of objects and lists; real payloads reach about 10 (blocks inside a message)."""
MAX_TIMESTAMP_DIGITS = 12
_CONTAINERS = frozenset({dict, list})


class TooLarge(Exception):
    """The body is over MAX_BODY; nothing past the limit was read."""


async def read_body(request: web.Request, *, limit: int = MAX_BODY) -> bytes:
    """The body's bytes, refusing (TooLarge) before reading past `limit`.

    A Content-Length over the limit is refused without reading anything; a chunked body is
    read until it passes the limit, then dropped.
    """
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge()
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise TooLarge()


def _timestamp(value: str | None) -> int | None:
    """Unix seconds as Slack sends them: ASCII digits only (`1e3`, `abc`, `-1` are not)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > MAX_TIMESTAMP_DIGITS:
        return None
    return int(value)


def is_signed(*, secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float) -> bool:
    """Slack's v0 signature over these exact bytes, within the timestamp window."""
    seconds = _timestamp(timestamp)
    if not secret or seconds is None or signature is None or abs(now - seconds) > TIMESTAMP_WINDOW:
        return False
    if not signature.isascii():
        return False
    try:
        text = body.decode("utf-8")  # what Slack signs; SignatureVerifier would decode it anyway
    except UnicodeDecodeError:
        return False
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))
    return verifier.is_valid(body=text, timestamp=str(seconds), signature=signature)


class _FixedClock(Clock):
    """The `now` the caller passed, so the check is a pure function of its arguments."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


class Unreadable(Exception):
    """A signed body that is not one JSON object (or a form of plain fields) bolt can read."""


def form_fields(text: str) -> dict[str, str]:
    """`application/x-www-form-urlencoded` fields, as `urllib.parse.parse_qsl(text,
    keep_blank_values=True)` reads them (the last of a repeated name wins, as in `dict(...)`).

    Through yarl's C unquoter (aiohttp's own URL library): a click's payload is JSON with
    nearly every character percent-encoded, and urllib's pure-Python unquoting took ~120 us
    of it, more than aiohttp's whole handling of a request (tests/adapters/slack/test_inbound.py
    holds the two to the same result on hostile strings).
    """
    return dict(URL.build(query_string=text, encoded=True).query.items())


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """What bolt's `parse_body` would make of `text`, but refusing what it would choke on.

    Form fields or `payload=<JSON>` for interactions, JSON for events; the result must be
    one object, no deeper than MAX_DEPTH. The server hands this very dict to bolt, so the body
    is parsed once.
    """
    body: Any
    try:
        if content_type == "application/json" or text.startswith("{"):
            body = json.loads(text)
        elif "payload" in text:
            payload = form_fields(text).get("payload")
            body = {} if payload is None else json.loads(payload)
        else:
            body = form_fields(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise Unreadable(type(error).__name__) from None
    if not isinstance(body, dict):
        raise Unreadable(f"a JSON {type(body).__name__}, not an object")
    if _may_nest_deeper(text) and _depth(body) > MAX_DEPTH:
        raise Unreadable(f"nested deeper than {MAX_DEPTH}")
    return body


def _may_nest_deeper(text: str) -> bool:
    """False when `text` has too few brackets to nest past MAX_DEPTH (each level opens one),
    so most payloads, a slash command's form above all, skip the walk. Counted in C, on the
    percent-encoded form too: `%5B` and `%7B` are how a form field's JSON opens a level."""
    opened = text.count("{") + text.count("[")
    if opened <= MAX_DEPTH:
        opened += text.count("%7B") + text.count("%7b") + text.count("%5B") + text.count("%5b")
    return opened > MAX_DEPTH


def _depth(value: dict[str, Any] | list[Any]) -> int:
    """How deeply objects and lists nest, without recursion (the input is hostile).

    Only containers are stacked: a payload is mostly strings, and looking at each of them
    twice cost more than parsing the JSON."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        children = item.values() if type(item) is dict else item  # json.loads makes no subclasses
        stack.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)
    return deepest


# --- the shape: the types of every field bolt or the listeners read ------------------------
#
# bolt indexes these without checking their types (`"id" in user`, `body["actions"][0]`,
# `pattern.search(action["action_id"])`, `body.get("event", {}).get("bot_id")`), so each
# must be what Slack sends or absent. Fields nobody reads are not checked: Slack adds fields
# over time, and a new one must not make a request unreadable.

_TEXT = (str,)
_OPTIONAL_TEXT = (str, type(None))


@dataclass(frozen=True, slots=True)
class _Object:
    fields: Mapping[str, Any]
    required: frozenset[str] = frozenset()
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class _List:
    item: Any
    non_empty: bool = False


@dataclass(frozen=True, slots=True)
class _Either:
    """Text, or an object of this shape (Slack sends `user` and `team` both ways)."""

    shape: _Object


def _obj(*, required: tuple[str, ...] = (), nullable: bool = False, **fields: Any) -> _Object:
    return _Object(fields, frozenset(required), nullable)


_IDS: dict[str, Any] = {
    "id": _OPTIONAL_TEXT,
    "team_id": _OPTIONAL_TEXT,
    "enterprise_id": _OPTIONAL_TEXT,
    "name": _OPTIONAL_TEXT,
    "username": _OPTIONAL_TEXT,
    "domain": _OPTIONAL_TEXT,
}
_ENTITY = _Either(_obj(nullable=True, **_IDS))
_MESSAGE = _obj(
    nullable=True,
    user=_Either(_obj(nullable=True, **_IDS)),
    user_id=_OPTIONAL_TEXT,
    thread_ts=_OPTIONAL_TEXT,
    ts=_OPTIONAL_TEXT,
    subtype=_OPTIONAL_TEXT,
    bot_id=_OPTIONAL_TEXT,
    channel=_OPTIONAL_TEXT,
    text=_OPTIONAL_TEXT,
)
_THREAD = _obj(nullable=True, channel_id=_OPTIONAL_TEXT, thread_ts=_OPTIONAL_TEXT, channel=_OPTIONAL_TEXT)
_EVENT = _obj(
    required=("type",),
    type=_TEXT,
    user=_Either(_obj(nullable=True, **_IDS)),
    user_id=_OPTIONAL_TEXT,
    user_team=_OPTIONAL_TEXT,
    team=_OPTIONAL_TEXT,
    channel=_Either(_obj(nullable=True, **_IDS)),
    channel_id=_OPTIONAL_TEXT,
    channel_type=_OPTIONAL_TEXT,
    subtype=_OPTIONAL_TEXT,
    bot_id=_OPTIONAL_TEXT,
    thread_ts=_OPTIONAL_TEXT,
    ts=_OPTIONAL_TEXT,
    event_ts=_OPTIONAL_TEXT,
    text=_OPTIONAL_TEXT,
    tab=_OPTIONAL_TEXT,
    function_execution_id=_OPTIONAL_TEXT,
    bot_access_token=_OPTIONAL_TEXT,
    inputs=(dict, type(None)),
    message=_MESSAGE,
    previous_message=_MESSAGE,
    item=_obj(nullable=True, channel=_OPTIONAL_TEXT),
    assistant_thread=_THREAD,
)
_ACTION = _obj(
    required=("action_id",),
    action_id=_TEXT,
    block_id=_OPTIONAL_TEXT,
    type=_OPTIONAL_TEXT,
    value=_OPTIONAL_TEXT,
    action_ts=_OPTIONAL_TEXT,
    selected_option=_obj(nullable=True, value=_OPTIONAL_TEXT),
)
_AUTHORIZATION = _obj(
    enterprise_id=_OPTIONAL_TEXT,
    team_id=_OPTIONAL_TEXT,
    user_id=_OPTIONAL_TEXT,
    is_enterprise_install=(bool, str, type(None)),
    is_bot=(bool, type(None)),
)
SHAPE = _obj(
    type=_OPTIONAL_TEXT,
    token=_OPTIONAL_TEXT,
    command=_OPTIONAL_TEXT,
    text=_OPTIONAL_TEXT,
    trigger_id=_OPTIONAL_TEXT,
    response_url=_OPTIONAL_TEXT,
    user_id=_OPTIONAL_TEXT,
    user_name=_OPTIONAL_TEXT,
    team_id=_OPTIONAL_TEXT,
    team_domain=_OPTIONAL_TEXT,
    enterprise_id=_OPTIONAL_TEXT,
    channel_id=_OPTIONAL_TEXT,
    channel_name=_OPTIONAL_TEXT,
    api_app_id=_OPTIONAL_TEXT,
    event_id=_OPTIONAL_TEXT,
    thread_ts=_OPTIONAL_TEXT,
    callback_id=_OPTIONAL_TEXT,
    action_id=_OPTIONAL_TEXT,
    function_execution_id=_OPTIONAL_TEXT,
    bot_access_token=_OPTIONAL_TEXT,
    context_team_id=_OPTIONAL_TEXT,
    context_enterprise_id=_OPTIONAL_TEXT,
    ssl_check=_OPTIONAL_TEXT,
    challenge=_OPTIONAL_TEXT,
    is_enterprise_install=(bool, str, type(None)),
    is_ext_shared_channel=(bool, type(None)),
    user=_ENTITY,
    team=_ENTITY,
    enterprise=_ENTITY,
    channel=_ENTITY,
    authorizations=_List(_AUTHORIZATION),
    event=_EVENT,
    message=_MESSAGE,
    previous_message=_MESSAGE,
    item=_obj(nullable=True, channel=_OPTIONAL_TEXT),
    assistant_thread=_THREAD,
    function_data=_obj(nullable=True, execution_id=_OPTIONAL_TEXT, inputs=(dict, type(None))),
    view=_obj(
        app_installed_team_id=_OPTIONAL_TEXT,
        team_id=_OPTIONAL_TEXT,
        callback_id=_OPTIONAL_TEXT,
        type=_OPTIONAL_TEXT,
        id=_OPTIONAL_TEXT,
    ),
    response_urls=_List(_obj(response_url=_OPTIONAL_TEXT)),  # a modal submission sends []
    actions=_List(_ACTION, non_empty=True),
    container=_obj(
        nullable=True,
        type=_OPTIONAL_TEXT,
        message_ts=_OPTIONAL_TEXT,
        channel_id=_OPTIONAL_TEXT,
        thread_ts=_OPTIONAL_TEXT,
    ),
)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


Problem = tuple[str, str]
"""(where below the value checked, what is wrong): `(".user", "is int")`. The path is built
only for a request that has a problem, never for one that passes."""


def _problem(value: Any, shape: Any) -> Problem | None:
    if type(shape) is tuple:
        return None if isinstance(value, shape) else ("", f"is {_kind(value)}")
    if type(shape) is _Either:
        return None if isinstance(value, str) else _problem(value, shape.shape)
    if type(shape) is _List:
        if not isinstance(value, list):
            return "", f"is {_kind(value)}, not a list"
        if shape.non_empty and not value:
            return "", "is empty"
        for index, item in enumerate(value):
            if (found := _problem(item, shape.item)) is not None:
                return f"[{index}]{found[0]}", found[1]
        return None
    if value is None and shape.nullable:
        return None
    if not isinstance(value, dict):
        return "", f"is {_kind(value)}, not an object"
    for key in shape.required:
        if key not in value:
            return f".{key}", "is missing"
    fields = shape.fields
    # The payload's own keys, not the shape's: a click carries ~10 of the ~45 known fields.
    for key, item in value.items():
        inner = fields.get(key)
        if inner is None:
            continue
        if type(inner) is tuple:  # most fields are text: checked here, no call
            if not isinstance(item, inner):
                return f".{key}", f"is {_kind(item)}"
        elif (found := _problem(item, inner)) is not None:
            return f".{key}{found[0]}", found[1]
    return None


def shape_problem(body: Mapping[str, Any]) -> str | None:
    """The first field bolt or the listeners would misread (`body.user is int`), else None."""
    found = _problem(body if type(body) is dict else dict(body), SHAPE)
    return None if found is None else f"body{found[0]} {found[1]}"


@dataclass(frozen=True, slots=True)
class NoteTarget:
    """Where a "could not read this request" note can go: the request's own response_url."""

    response_url: str
    user: str


def note_target(body: Mapping[str, Any]) -> NoteTarget | None:
    """The response_url and user of a signed but unreadable payload, when both are there."""
    url = body.get("response_url")
    user = body.get("user_id")
    if user is None and isinstance(body.get("user"), Mapping):
        user = body["user"].get("id")
    if not isinstance(url, str) or not isinstance(user, str) or not user:
        return None
    scheme = urllib.parse.urlsplit(url).scheme if len(url) < 2048 else ""
    if scheme not in ("https", "http"):
        return None
    return NoteTarget(url, user)


UNREADABLE_NOTE = (
    "The advisor could not read this request from Slack, so nothing was done. "
    "Try the command again; if it keeps happening, reinstall the app."
)


async def send_note(target: NoteTarget) -> None:
    """Tell the user their request was not understood; a note that can't go is only logged."""
    try:
        response = await AsyncWebhookClient(url=target.response_url).send(
            text=UNREADABLE_NOTE, response_type="ephemeral", replace_original=False
        )
    except Exception as error:  # any failure to deliver a courtesy note is the network's
        LOG.warning("could not deliver the 'could not read' note: %s", type(error).__name__)
        return
    if response.status_code != 200:
        LOG.warning("Slack refused the 'could not read' note (HTTP %d)", response.status_code)
