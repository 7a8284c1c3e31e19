"""A fake Discord REST API on 127.0.0.1 (port 0) that records what the bot sent.

It answers the few routes discord.py calls for login, interaction callbacks, followups,
`@original` edits and command sync, with `Content-Type: application/json` exactly
(discord.py reads any other content type as text). Tests wait on `wait_for`, never sleep.

For interactions it sent through its own gateway (`dispatch`) it keeps Discord's rules: the
initial response must come within 3 seconds and only once, and edits and follow-ups on the
token are refused unless the interaction was acknowledged. Refusals are kept in `refused`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

APP_ID = "111"
BOT_ID = "555"
CHANNEL_ID = "333"
BOT_USER = {"id": BOT_ID, "username": "advisor", "discriminator": "0", "avatar": None, "bot": True}
OWNER = {"id": "999", "username": "owner", "discriminator": "0", "avatar": None}

_CALLBACK = re.compile(r"interactions/(\d+)/[^/]+/callback")
_WEBHOOK = re.compile(r"webhooks/\d+/([^/]+)(?:/messages/@original)?")
INITIAL_RESPONSE_SECONDS = 3.0
"""Discord's deadline for an interaction's initial response."""
DEFERRED = (5, 6)
"""Callback types that only acknowledge: the content follows on the token."""


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    """Below /api/v10/, e.g. `interactions/900/tok/callback`."""
    body: Any
    at: float
    """time.perf_counter() when the request arrived."""
    authorization: str = ""
    files: tuple[tuple[str, bytes], ...] = ()
    """Uploaded attachments (filename, content) of a multipart request."""

    @property
    def interaction_id(self) -> str | None:
        match = _CALLBACK.fullmatch(self.path)
        return match[1] if match else None

    @property
    def is_callback(self) -> bool:
        return self.interaction_id is not None

    @property
    def token(self) -> str | None:
        """The interaction token of an `@original` edit or a follow-up."""
        match = _WEBHOOK.fullmatch(self.path)
        return match[1] if match else None


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(obj).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, text: str) -> web.Response:
    return _json({"message": text, "code": code}, status=status)


def message(
    *, components: Any = (), content: str | None = "", flags: int = 0, msg_id: str = "777"
) -> dict[str, Any]:
    """A Message object as Discord returns it (the keys discord.py reads)."""
    return {
        "id": msg_id,
        "channel_id": CHANNEL_ID,
        "author": BOT_USER,
        "content": content or "",
        "timestamp": "2026-11-25T12:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": list(components),
    }


class FakeDiscordApi:
    """Serves `/api/v10/...`; every request is kept in `calls`, in arrival order."""

    def __init__(self, *, on_callback: Callable[[Call], None] | None = None) -> None:
        """`on_callback` sees each interaction callback as it arrives (the benchmark's probe)."""
        self._on_callback = on_callback
        self.calls: list[Call] = []
        self._changed = asyncio.Condition()
        self._callbacks: dict[str, Call] = {}
        self._waiting: dict[str, asyncio.Future[Call]] = {}
        self._ids = itertools.count(2000)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self.base_url = ""
        self.gateway_url = ""
        self.sent: dict[str, tuple[str, float]] = {}
        """Interaction id -> (token, time.perf_counter() when `dispatch` sent it)."""
        self._tokens: dict[str, str] = {}
        self.acknowledged: dict[str, Call] = {}
        """The accepted initial response of each dispatched interaction."""
        self.refused: list[tuple[Call, int]] = []
        """Requests refused by Discord's rules, with the Discord error code."""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/api/v10"
        self.gateway_url = f"ws://{host}:{port}/gateway"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        body = None
        files: tuple[tuple[str, bytes], ...] = ()
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(str(form.get("payload_json", "null")))
                files = tuple(
                    (part.filename, part.file.read())
                    for part in form.values()
                    if isinstance(part, web.FileField)
                )
        async with self._changed:
            auth = request.headers.get("Authorization", "")
            call = Call(request.method, tail, body, time.perf_counter(), auth, files)
            if (refusal := self._rule_broken(call)) is not None:
                self.refused.append((call, refusal[1]))
                self._changed.notify_all()
                return refusal[0]
            self.calls.append(call)
            if call.interaction_id is not None:
                self._callbacks.setdefault(call.interaction_id, call)
                if self._on_callback is not None:
                    self._on_callback(call)
                waiter = self._waiting.pop(call.interaction_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(call)
            self._changed.notify_all()
        return self._answer(request.method, tail, body)

    def _rule_broken(self, call: Call) -> tuple[web.Response, int] | None:
        """Discord's refusal of `call`, for interactions sent through `dispatch`; None if it is fine."""
        ident = call.interaction_id
        if ident is not None and ident in self.sent:
            if ident in self.acknowledged:
                return _error(400, 40060, "Interaction has already been acknowledged."), 40060
            if call.at - self.sent[ident][1] > INITIAL_RESPONSE_SECONDS:
                return _error(404, 10062, "Unknown interaction"), 10062
            self.acknowledged[ident] = call
            return None
        owner = self._tokens.get(call.token or "")
        if owner is not None and owner not in self.acknowledged:
            return _error(404, 10015, "Unknown Webhook"), 10015
        return None

    def replies_to(self, interaction_id: str) -> list[Call]:
        """What the user sees of a dispatched interaction: a callback with content, then any
        `@original` edit or follow-up on its token."""
        token = self.sent[interaction_id][0]

        def has_content(call: Call) -> bool:
            return (call.body or {}).get("type") not in DEFERRED

        return [
            c
            for c in self.calls
            if (c.interaction_id == interaction_id and has_content(c))
            or (c.token == token and c.method != "GET")
        ]

    def _answer(self, method: str, tail: str, body: Any) -> web.Response:
        if tail == "users/@me":
            return _json(BOT_USER)
        if tail == "oauth2/applications/@me":
            return _json(
                {
                    "id": APP_ID,
                    "name": "advisor",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "x",
                    "owner": OWNER,
                    "flags": 0,
                }
            )
        if match := _CALLBACK.fullmatch(tail):
            return _json({"interaction": {"id": match[1], "type": 2}})
        if tail.startswith("webhooks/"):
            fields = body or {}
            return _json(message(content=fields.get("content"), components=fields.get("components", ())))
        if tail.endswith("/commands") and method == "PUT":
            return _json(
                [
                    {"id": str(next(self._ids)), "application_id": APP_ID, "version": "1", **command}
                    for command in (body or [])
                ]
            )
        if tail.endswith("/commands"):
            return _json([])
        return _json({"message": f"fake has no route for {method} {tail}", "code": 0}, status=404)

    # --- the gateway: HELLO, READY after IDENTIFY, then whatever a test dispatches -------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """Plain-text JSON frames (discord.py reads text as well as zlib-compressed binary)."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        try:
            await self._serve_gateway(socket)
        finally:
            if socket in self._sockets:  # the bot closed it or died
                self._sockets.remove(socket)
        return socket

    async def _serve_gateway(self, socket: web.WebSocketResponse) -> None:
        async for frame in socket:
            if frame.type is not web.WSMsgType.TEXT:
                continue
            sent = json.loads(frame.data)
            if sent["op"] == 1:
                await socket.send_json({"op": 11})
            elif sent["op"] == 2:
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": APP_ID, "flags": 0},
                }
                if "shard" in sent["d"]:
                    ready["shard"] = sent["d"]["shard"]  # Discord echoes the shard a session holds
                await socket.send_json({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready})
                self._sockets.append(socket)
                async with self._changed:
                    identify = {k: v for k, v in sent["d"].items() if k != "token"}
                    token = f"Bot {sent['d'].get('token', '')}"
                    self.calls.append(Call("WS", "gateway/identify", identify, time.perf_counter(), token))
                    self._changed.notify_all()

    def track(self, payload: dict[str, Any]) -> None:
        """Keep Discord's rules for this interaction from now on (`dispatch` does it for its own)."""
        self.sent[str(payload["id"])] = (str(payload["token"]), time.perf_counter())
        self._tokens[str(payload["token"])] = str(payload["id"])

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event to every identified connection (a dead one misses it)."""
        if event == "INTERACTION_CREATE":
            self.track(data)
        for socket in list(self._sockets):
            if socket.closed:
                continue
            try:
                await socket.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})
            except (ConnectionError, RuntimeError):
                continue  # the bot died with the connection open: the event is lost, as on Discord

    async def disconnect(self, code: int) -> None:
        """Close every gateway connection with `code` (4004: authentication failed)."""
        for socket in self._sockets:
            await socket.close(code=code)
        self._sockets.clear()

    # --- what tests read ----------------------------------------------------------------

    def matching(self, predicate: Callable[[Call], bool]) -> list[Call]:
        return [c for c in self.calls if predicate(c)]

    def callbacks(self) -> list[Call]:
        return self.matching(lambda c: c.is_callback)

    def callback_for(self, interaction_id: str) -> Call | None:
        return self._callbacks.get(interaction_id)

    async def wait_for(self, predicate: Callable[[], bool], *, guard: float = 5.0) -> None:
        """Return once `predicate()` holds; `guard` seconds is a failure limit, not a delay."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), guard)

    async def wait_callback(self, interaction_id: str, *, guard: float = 5.0) -> Call:
        """The initial response to one interaction (one future each: cheap with many waiters)."""
        if (call := self._callbacks.get(interaction_id)) is not None:
            return call
        waiter = self._waiting.setdefault(interaction_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(asyncio.shield(waiter), guard)


# --- the gateway side: raw INTERACTION_CREATE payloads --------------------------------------

GUILD_ID = "222"
_interaction_ids = itertools.count(900_000)


def user(user_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "username": name, "discriminator": "0", "avatar": None, "global_name": name}


def _base(*, user_obj: dict[str, Any], guild_id: str | None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(next(_interaction_ids)),
        "application_id": APP_ID,
        "token": f"interaction-token-{next(_interaction_ids)}",
        "version": 1,
        "channel_id": CHANNEL_ID,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 8388608,
        **fields,
    }
    if guild_id is not None:
        payload |= {
            "guild_id": guild_id,
            "guild_locale": "en-US",
            "channel": {
                "id": CHANNEL_ID,
                "type": 0,
                "guild_id": guild_id,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            },
            "member": {
                "user": user_obj,
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "0",
            },
            "authorizing_integration_owners": {"0": guild_id},
            "context": 0,
        }
    else:
        payload |= {
            "channel": {"id": CHANNEL_ID, "type": 1, "recipients": [user_obj]},
            "user": user_obj,
            "authorizing_integration_owners": {"1": user_obj["id"]},
            "context": 1,
        }
    return payload


def command_payload(
    user_obj: dict[str, Any], *, action: str | None = None, guild_id: str | None = GUILD_ID
) -> dict[str, Any]:
    """`/choose-framework [action]` as the gateway delivers it."""
    options = [] if action is None else [{"name": "action", "type": 3, "value": action}]
    data = {"id": "1000", "name": "choose-framework", "type": 1, "options": options}
    return _base(user_obj=user_obj, guild_id=guild_id, type=2, data=data)


def click_payload(
    user_obj: dict[str, Any],
    *,
    custom_id: str,
    components: Any,
    values: list[str] | None = None,
    guild_id: str | None = GUILD_ID,
    flags: int = 64,
) -> dict[str, Any]:
    """A click on a component of a message that carries `components` (as the bot sent them)."""
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
    if values is not None:
        data["values"] = values
    return _base(
        user_obj=user_obj,
        guild_id=guild_id,
        type=3,
        data=data,
        message=message(components=components, flags=flags),
    )


def modal_submit_payload(
    user_obj: dict[str, Any],
    *,
    custom_id: str,
    values: dict[str, Any],
    guild_id: str | None = GUILD_ID,
) -> dict[str, Any]:
    """A modal submit as the gateway delivers it: each field wrapped in its Label (type 18).

    A string value is a text input (type 4), a bool a checkbox (type 23).
    """
    components = [
        {
            "type": 18,
            "id": index * 2 + 1,
            "component": {
                "type": 23 if isinstance(value, bool) else 4,
                "id": index * 2 + 2,
                "custom_id": field,
                "value": value,
            },
        }
        for index, (field, value) in enumerate(values.items())
    ]
    data = {"custom_id": custom_id, "components": components}
    return _base(user_obj=user_obj, guild_id=guild_id, type=5, data=data)


def feed_interaction(client: Any, payload: dict[str, Any]) -> None:
    """Hand one INTERACTION_CREATE to the client exactly as its gateway does.

    The only place that touches discord.py internals: `_connection.parsers` is the dict the
    gateway looks the event up in (its entry is `parse_interaction_create`, possibly wrapped
    by the bot), so a discord.py change breaks here and nowhere else.
    """
    client._connection.parsers["INTERACTION_CREATE"](payload)
