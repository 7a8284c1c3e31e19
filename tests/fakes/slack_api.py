"""A fake Slack on 127.0.0.1: the Web API (`POST /api/{method}`) and `response_url` webhooks.

Like bolt-python's `tests/mock_web_api_server`, but over aiohttp on port 0 and recording each
call in an `asyncio.Queue`, so tests await what the app sent instead of polling or sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

BOT_USER = "UBOT"
INSTALLED_TOKEN = "xoxb-installed-token-77"


def oauth_grant(*, team: str, token: str, installer: str = "U9") -> dict[str, Any]:
    """What oauth.v2.access answers when workspace `team` installs the app and gets `token`."""
    return {
        "ok": True,
        "access_token": token,
        "token_type": "bot",
        "scope": "commands,chat:write,app_mentions:read,im:history",
        "bot_user_id": f"UBOT{team.removeprefix('T')}",
        "app_id": "A1",
        "team": {"id": team, "name": f"Workspace {team}"},
        "enterprise": None,
        "authed_user": {"id": installer},
        "is_enterprise_install": False,
    }


INSTALLATION = oauth_grant(team="T9", token=INSTALLED_TOKEN)
"""What oauth.v2.access answers for a code not in `FakeSlack.grants`: workspace T9 installs."""
CHANNEL_PAGE = 2
"""users.conversations answers this many channels per page, so the app must follow the cursor."""
WAIT = 5.0
"""A guard against hangs, never a delay: every wait returns as soon as the call arrives."""


@dataclass(frozen=True)
class ApiCall:
    method: str
    body: dict[str, Any]
    authorization: str


@dataclass(frozen=True)
class WebhookPost:
    hook: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything a user would read: the fallback text and every text in the blocks."""
        return (
            str(self.body.get("text", ""))
            + "\n"
            + json.dumps(self.body.get("blocks", []), ensure_ascii=False)
        )


class FakeSlack:
    def __init__(self) -> None:
        self.api_calls: asyncio.Queue[ApiCall] = asyncio.Queue()
        self.webhook_posts: asyncio.Queue[WebhookPost] = asyncio.Queue()
        self.counts: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        """method -> how many of its next calls answer 429 (Retry-After: 0)."""
        self.errors: dict[str, str] = {}
        """method -> a Slack error code to answer with (ok: false)."""
        self.grants: dict[str, dict[str, Any]] = {}
        """OAuth code -> what oauth.v2.access answers for it (`oauth_grant`)."""
        self.admins: set[str] = set()
        """Users that users.info reports as workspace admins."""
        self.channels_of: dict[str, list[str]] = {}
        """user -> the channels users.conversations lists for them (two per page, to page through)."""
        self.uploads: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        """(file id, content) of every file uploaded through files.getUploadURLExternal's URL."""
        self.held: asyncio.Event | None = None
        """When set to an Event, each response_url post is recorded at once but answered only
        once the event is set (a slow Slack, to catch a bot mid-reply)."""
        self._timestamps = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and a few others are GETs
        app.router.add_post("/webhook/{hook}", self._webhook)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._app = app

    async def start(self) -> FakeSlack:
        self._runner = web.AppRunner(self._app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, hook: str) -> str:
        return f"{self.url}/webhook/{hook}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            body: dict[str, Any] = {}
        elif request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        body = {**request.query, **body}  # slack-sdk sends some arguments as query parameters
        self.counts[method] += 1
        if self.rate_limited[method] > 0:
            self.rate_limited[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": "T1", "user_id": BOT_USER, "bot_id": "B1", "url": self.url}
            )
        if method == "oauth.v2.access":
            self.api_calls.put_nowait(ApiCall(method, body, request.headers.get("Authorization", "")))
            return web.json_response(self.grants.get(str(body.get("code")), INSTALLATION))
        self.api_calls.put_nowait(ApiCall(method, body, request.headers.get("Authorization", "")))
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if method == "users.info":
            user = body.get("user")
            return web.json_response(
                {"ok": True, "user": {"id": user, "is_admin": user in self.admins, "is_owner": False}}
            )
        if method == "users.conversations":
            channels = self.channels_of.get(str(body.get("user")), [])
            start = int(body.get("cursor") or 0)
            page = channels[start : start + CHANNEL_PAGE]
            more = start + CHANNEL_PAGE < len(channels)
            return web.json_response(
                {
                    "ok": True,
                    "channels": [{"id": c, "is_member": True} for c in page],
                    "response_metadata": {"next_cursor": str(start + CHANNEL_PAGE) if more else ""},
                }
            )
        if method == "chat.getPermalink":
            channel, ts = body.get("channel"), str(body.get("message_ts", "")).replace(".", "")
            return web.json_response(
                {
                    "ok": True,
                    "channel": channel,
                    "permalink": f"https://test.slack.com/archives/{channel}/p{ts}",
                }
            )
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._timestamps)}"
            return web.json_response(
                {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            return web.json_response({"ok": True, "files": [{"id": f["id"]} for f in _files(body)]})
        if method == "views.open":
            # What Slack answers: the view as opened, with its id (the modal's own state lives in Slack).
            view = body.get("view", "{}")
            opened = json.loads(view) if isinstance(view, str) else dict(view)
            return web.json_response({"ok": True, "view": {"id": f"V{next(self._view_ids)}", **opened}})
        if method == "chat.postMessage":
            # Every posted message gets its own ts, as in Slack: a thread hangs off it.
            ts = f"1700000000.{next(self._timestamps):06d}"
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts})
        return web.json_response({"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"})

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads.put_nowait((request.match_info["file_id"], await request.read()))
        return web.Response(text="OK")

    async def next_upload(self) -> tuple[str, bytes]:
        return await asyncio.wait_for(self.uploads.get(), timeout=WAIT)

    async def _webhook(self, request: web.Request) -> web.Response:
        self.webhook_posts.put_nowait(WebhookPost(request.match_info["hook"], await request.json()))
        if self.held is not None:
            await self.held.wait()
        return web.Response(text="ok")

    async def next_post(self) -> WebhookPost:
        return await asyncio.wait_for(self.webhook_posts.get(), timeout=WAIT)

    async def next_api_call(self) -> ApiCall:
        return await asyncio.wait_for(self.api_calls.get(), timeout=WAIT)


def _files(body: dict[str, Any]) -> list[dict[str, Any]]:
    files = body.get("files", "[]")
    parsed = json.loads(files) if isinstance(files, str) else files
    return parsed if isinstance(parsed, list) else []
