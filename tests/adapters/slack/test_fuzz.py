"""Fuzzing the real app over HTTP: mutated signed payloads and unsigned junk never hurt.

Every signed example carries at least one mutation that makes it unreadable (a field of the
wrong type, a required field gone, an id no platform makes, a button value we never drew)
plus noise anywhere; so none may change the database, whatever the rest of it says. Every
example is asserted on its own (status < 500, no ERROR log) so hypothesis can shrink a
failure to its smallest payload; the database is compared before and after the whole run.
The examples are generated deterministically (`derandomize=True`) and bounded in count.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.platform_ids import SLACK_ID
from adapters.settings import Secret, Settings
from adapters.slack.render.home import SHORTCUT
from adapters.slack.render.team import team_start_modal
from adapters.slack.team import SHORTCUT_CALLBACK
from bot.pack.registry import PackRegistry
from tests.adapters.slack.conftest import CHANNEL, SECRET, TEAM, SlackHarness, signed_headers
from tests.adapters.slack.test_flow import buttons
from tests.adapters.slack.test_team import blocks_of, until
from tests.conftest import Clock
from tests.fakes.slack_api import WAIT, FakeSlack
from tests.hostile import HOSTILE

SIGNED_EXAMPLES = 2000
UNSIGNED_EXAMPLES = 500
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
WORK = frozenset({"run_after_ack", "_send_note", "send_note"})
"""The coroutines the app runs after answering (listener work, the 'could not read' note)."""
WORK_NAMES = ("slack ",)
"""Tasks the app's in-flight work tracker starts (`adapters/runtime/work.py`), by name."""

Payload = dict[str, Any]
Path_ = tuple[str | int, ...]

FUZZ = settings(
    max_examples=SIGNED_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# --- values ------------------------------------------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)
numbers = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False))
small_lists = st.lists(leaves, max_size=3)
small_dicts = st.dictionaries(st.text(max_size=6), leaves, max_size=3)
NOT_TEXT = st.one_of(numbers, small_lists, small_dicts)
"""Anything but text or null, for a field Slack sends as text."""
NOT_ENTITY = st.one_of(numbers, small_lists)
"""For `user`, `team`, `channel`: Slack sends an object (or an id as text)."""
NOT_OBJECT = st.one_of(numbers, small_lists, st.text(max_size=10))
NOT_LIST = st.one_of(numbers, small_dicts, st.text(max_size=10), st.lists(numbers, min_size=1))
"""For a list of objects (`actions`, `authorizations`); an empty `actions` is broken too."""
BAD_IDS = st.one_of(
    st.sampled_from(["", "\x00", "U" * 3000, "u1", "U1 ", "<!channel>", "U1>|<!here", "Ü1", "١٢٣"]),
    st.text(min_size=1, max_size=40).filter(lambda s: SLACK_ID.fullmatch(s) is None),
)
BAD_BUTTON_VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=120).map(lambda s: "adv:" + s),
    st.sampled_from(["adv:", "adv:x:1:z", "adv:x:99999999999:a:y", "adv:../../etc:1:a:y", "adv:x:1:a"]),
)


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for index in range(depth):
        value = [value] if index % 2 else {"d": value}
    return value


deep_values = st.integers(min_value=1, max_value=60).map(deep)

# --- payloads and how to break them ------------------------------------------------------


def get(payload: Any, path: Path_) -> Any:
    for part in path:
        payload = payload[part]
    return payload


def put(payload: Any, path: Path_, value: Any) -> None:
    get(payload, path[:-1])[path[-1]] = value


def delete(payload: Any, path: Path_) -> None:
    parent = get(payload, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


class Breakers:
    """(path, values) pairs: putting any of `values` at `path` makes the payload unreadable."""

    def __init__(self) -> None:
        self.items: list[tuple[Path_, st.SearchStrategy[Any] | None]] = []

    def add(self, path: Path_, values: st.SearchStrategy[Any] | None) -> Breakers:
        """`values` None: deleting the field is what breaks it."""
        self.items.append((path, values))
        return self


def command_breakers(*, json_body: bool) -> Breakers:
    b = Breakers()
    for field in ("user_id", "team_id"):
        b.add((field,), None).add((field,), BAD_IDS)
    b.add(("response_url",), None)
    if json_body:
        for field in ("user_id", "team_id", "response_url", "text", "command", "channel_id", "trigger_id"):
            b.add((field,), NOT_TEXT)
    return b


def click_breakers(*, by_value: bool = True) -> Breakers:
    """`by_value` False for the Start button, which is routed by its action_id alone."""
    b = Breakers()
    b.add(("user",), NOT_ENTITY).add(("user", "id"), NOT_TEXT).add(("user", "id"), None)
    # An empty team.id falls back to user.team_id, as Slack's org-wide installs need: not broken.
    b.add(("user", "id"), BAD_IDS).add(("team",), NOT_ENTITY).add(("team", "id"), BAD_IDS.filter(bool))
    b.add(("team", "id"), NOT_TEXT).add(("channel",), NOT_ENTITY).add(("container",), NOT_OBJECT)
    b.add(("actions",), NOT_LIST).add(("actions",), st.just([])).add(("actions",), None)
    b.add(("actions", 0), NOT_OBJECT)
    b.add(("actions", 0, "action_id"), NOT_TEXT).add(("actions", 0, "action_id"), None)
    b.add(("actions", 0, "value"), NOT_TEXT)
    if by_value:
        b.add(("actions", 0, "value"), BAD_BUTTON_VALUES)
    b.add(("response_url",), NOT_TEXT).add(("response_url",), None).add(("type",), NOT_TEXT)
    b.add(("trigger_id",), NOT_TEXT).add(("message",), NOT_OBJECT)
    return b


def event_breakers() -> Breakers:
    b = Breakers()
    b.add(("event",), NOT_OBJECT).add(("event",), st.none()).add(("event", "type"), NOT_TEXT)
    b.add(("event", "type"), None).add(("event", "user"), NOT_ENTITY).add(("event", "channel"), NOT_ENTITY)
    b.add(("event_id",), NOT_TEXT).add(("team_id",), NOT_TEXT).add(("type",), NOT_TEXT)
    b.add(("authorizations",), NOT_LIST).add(("event", "bot_id"), NOT_TEXT)
    return b


def presence_breakers() -> Breakers:
    return event_breakers().add(("event", "user"), BAD_IDS).add(("team_id",), BAD_IDS)


def surface_breakers(*, view: bool = False) -> Breakers:
    """A shortcut or a modal: who acted is all there is to read before it is recorded."""
    b = Breakers()
    b.add(("user",), NOT_ENTITY).add(("user", "id"), NOT_TEXT).add(("user", "id"), None)
    b.add(("user", "id"), BAD_IDS).add(("team",), NOT_ENTITY).add(("team", "id"), BAD_IDS.filter(bool))
    b.add(("type",), NOT_TEXT).add(("callback_id",), NOT_TEXT).add(("trigger_id",), NOT_TEXT)
    if view:
        b.add(("view",), NOT_OBJECT).add(("view",), None).add(("view", "callback_id"), NOT_TEXT)
    return b


def home_breakers() -> Breakers:
    return event_breakers().add(("event", "user"), BAD_IDS).add(("event", "user"), None)


class Bases:
    """Valid requests of every kind, each of which would change the database if it were read."""

    def __init__(self, slack: SlackHarness, *, vote: str, answer: str) -> None:
        self.slack = slack
        hook = slack.fake.response_url("fuzz")
        self.command = self._form(slack.command_body("", user="U9", hook="fuzz"))
        self.team = self._form(slack.command_body("team Fuzzed topic", user="U9", hook="fuzz"))
        self.click = self._payload(slack.click_body(answer, user="U1", hook="fuzz"))
        self.vote = self._payload(slack.click_body(vote, user="U2", hook="fuzz"))
        self.start = self._payload(
            slack.click_body("adv_start", user="U9", hook="fuzz", action_id="adv_start")
        )
        self.start["actions"][0].pop("value")
        event = {"type": "app_mention", "user": "U9", "text": "<@UBOT> hi", "ts": "9.1", "channel": CHANNEL}
        self.mention = json.loads(slack.event_body(event, event_id="EvFuzzMention"))
        dm = {
            "type": "message",
            "channel_type": "im",
            "user": "U9",
            "text": "start",
            "channel": "D1",
            "ts": "9.2",
        }
        self.dm = json.loads(slack.event_body(dm, event_id="EvFuzzDm"))
        left = {"type": "member_left_channel", "user": "U2", "channel": CHANNEL, "team": TEAM}
        self.left = json.loads(slack.event_body(left, event_id="EvFuzzLeft"))
        for body in (self.command, self.team):
            body["response_url"] = hook
        who = {"id": "U9", "username": "u9", "name": "u9", "team_id": TEAM}
        self.shortcut = {
            "type": "shortcut",
            "callback_id": SHORTCUT,
            "trigger_id": "trigger-fuzz-shortcut",
            "user": who,
            "team": {"id": TEAM, "domain": "test"},
            "api_app_id": "A1",
        }
        message = {"type": "message", "user": "U1", "text": "which one?", "ts": "1700000000.5"}
        self.message_shortcut = self._payload(
            slack.shortcut_body(SHORTCUT_CALLBACK, message=message, user="U9")
        )
        modal = team_start_modal(private_metadata=json.dumps({"channel": "C2", "thread": ""}))
        values = {"topic": {"topic": {"type": "plain_text_input", "value": "Fuzzed"}}}
        self.modal = self._payload(slack.view_submission_body(modal, values=values, user="U9"))
        home = {"type": "app_home_opened", "user": "U9", "channel": "D9", "tab": "home"}
        self.home = json.loads(slack.event_body(home, event_id="EvFuzzHome"))
        self.kinds: list[tuple[str, Payload, Breakers]] = [
            ("form", self.command, command_breakers(json_body=False)),
            ("form", self.team, command_breakers(json_body=False)),
            ("json", self.command, command_breakers(json_body=True)),
            ("interaction", self.click, click_breakers()),
            ("interaction", self.vote, click_breakers()),
            ("interaction", self.start, click_breakers(by_value=False)),
            ("json", self.mention, event_breakers()),
            ("json", self.dm, event_breakers()),
            ("json", self.left, presence_breakers()),
            ("interaction", self.shortcut, surface_breakers()),
            ("interaction", self.message_shortcut, surface_breakers()),
            ("interaction", self.modal, surface_breakers(view=True)),
            ("json", self.home, home_breakers()),
        ]

    @staticmethod
    def _form(body: str) -> Payload:
        return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))

    @staticmethod
    def _payload(body: str) -> Payload:
        payload: Payload = json.loads(urllib.parse.unquote(body.removeprefix("payload=")))
        return payload


def _noise_paths(payload: Any, path: Path_ = ()) -> list[Path_]:
    """Every object in the payload, where an extra field can go."""
    found: list[Path_] = []
    if isinstance(payload, dict):
        found.append(path)
        for key, value in payload.items():
            found += _noise_paths(value, (*path, key))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found += _noise_paths(value, (*path, index))
    return found


@st.composite
def broken_requests(draw: st.DrawFn, bases: Bases) -> tuple[str, str, bool]:
    """(body, content type, is a resend): one base, one breaking mutation, some noise."""
    encoding, base, breakers = draw(st.sampled_from(bases.kinds))
    payload = copy.deepcopy(base)
    noise = draw(st.integers(min_value=0, max_value=3))
    for _ in range(noise):
        where = draw(st.sampled_from(_noise_paths(payload)))
        value = draw(st.one_of(json_values, deep_values) if encoding != "form" else st.text(max_size=50))
        put(payload, (*where, "x_" + draw(st.text(max_size=6))), value)
    path, values = draw(st.sampled_from(breakers.items))
    try:
        if values is None:
            delete(payload, path)
        else:
            put(payload, path, draw(values))
    except (KeyError, IndexError, TypeError):
        put(payload, path[:1], draw(NOT_TEXT))  # noise replaced the parent: break at the top
    if encoding == "form":
        body = urllib.parse.urlencode({k: str(v) for k, v in payload.items()})
        return body, FORM, draw(st.booleans())
    if encoding == "interaction":
        return "payload=" + urllib.parse.quote(json.dumps(payload)), FORM, draw(st.booleans())
    return json.dumps(payload), JSON_TYPE, draw(st.booleans())


# --- unsigned ------------------------------------------------------------------------------

JUNK_BODIES = st.one_of(
    st.sampled_from(["payload=[1]", "payload=null", "[1]", "null", "{", "payload=%7B", "", "ssl_check=1"]),
    st.integers(min_value=1, max_value=100_000).map(lambda n: "[" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    json_values.map(json.dumps),
    json_values.map(lambda v: "payload=" + urllib.parse.quote(json.dumps(v))),
    st.text(max_size=200),
)
TIMESTAMPS = st.one_of(
    st.none(),
    st.sampled_from(["abc", "1e3", "-1", "", " 1", "١٢٣٤", "0x10", "9" * 40, "1.5"]),
    st.integers(min_value=0, max_value=2**40).map(str),
    st.just("old"),
    st.just("future"),
)
SIGNATURES = st.one_of(
    st.none(),
    st.sampled_from(["", "v0=", "v0=" + "0" * 64, "v1=abc", "\u00e9" * 10]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
    st.just("wrong-secret"),
    st.just("other-body"),
)


@st.composite
def unsigned_requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    body = draw(JUNK_BODIES).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = draw(st.binary(max_size=200))
    headers = {
        "Content-Type": draw(st.sampled_from([FORM, JSON_TYPE, "text/plain", "", "multipart/form-data"]))
    }
    now = int(time.time())
    stamp = draw(TIMESTAMPS)
    if stamp == "old":
        stamp = str(now - 301 - draw(st.integers(min_value=0, max_value=10**6)))
    elif stamp == "future":
        stamp = str(now + 301 + draw(st.integers(min_value=0, max_value=10**6)))
    signature = draw(SIGNATURES)
    text = body.decode("utf-8", "replace")
    if signature == "wrong-secret":
        signature = signed_headers(text, secret="not-the-secret", content_type=FORM)["X-Slack-Signature"]
        stamp = stamp if stamp is not None else str(now)
    elif signature == "other-body" and stamp is not None and stamp.isascii() and stamp.isdigit():
        signature = signed_headers(text + "x", timestamp=int(stamp), content_type=FORM)["X-Slack-Signature"]
    elif signature in ("wrong-secret", "other-body"):
        signature = "v0=" + "1" * 64
    if stamp is not None:
        headers["X-Slack-Request-Timestamp"] = stamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    return body, headers


# --- the running app -----------------------------------------------------------------------


def snapshot(db: Path | sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what "no stored change" compares."""
    conn = sqlite3.connect(db) if isinstance(db, Path) else db
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        if isinstance(db, Path):
            conn.close()


async def settle() -> None:
    """Wait until the work the app started after answering has finished (each wait is guarded)."""
    while pending := [
        t
        for t in asyncio.all_tasks()
        if not t.done()
        and (t.get_name().startswith(WORK_NAMES) or getattr(t.get_coro(), "__name__", "") in WORK)
    ]:
        await asyncio.wait(pending, timeout=WAIT)


class Errors:
    """Log records at ERROR or above since the last look."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.seen = 0

    def new(self) -> list[str]:
        records = self.caplog.records[self.seen :]
        self.seen = len(self.caplog.records)
        return [f"{r.name}: {r.getMessage()[:300]}" for r in records if r.levelno >= logging.ERROR]


async def _harness(tmp_path: Path, registry: PackRegistry, clock: Clock) -> tuple[SlackHarness, Bases]:
    fake = await FakeSlack().start()
    settings_ = Settings(
        db_url=str(tmp_path / "advisor.db"),
        knowledge_dir=tmp_path,
        advisor="tiny",
        idle_timeout=timedelta(hours=24),
        slack_bot_token=Secret("xoxb-fuzz"),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake.api_url,
    )
    slack = SlackHarness(
        fake=fake, settings=settings_, db_path=tmp_path / "advisor.db", registry=registry, clock=clock
    )
    await slack.start()
    # State for the clicks to act on: U1's conversation, and a team session U2 could vote in.
    await slack.command("", user="U1")
    answer = buttons(await slack.fake.next_post())["JSON API"]
    await slack.command("team Fuzz", user="U1")
    await until(slack.fake, "chat.postMessage")
    question = await until(slack.fake, "chat.postMessage")
    vote = next(
        e["value"]
        for b in blocks_of(question)
        if b["type"] == "actions"
        for e in b["elements"]
        if ":v:" in e["value"]
    )
    await slack.fake.next_post()
    await settle()
    for queue in (slack.fake.webhook_posts, slack.fake.api_calls):
        while not queue.empty():
            queue.get_nowait()
    return slack, Bases(slack, vote=vote, answer=answer)


async def _close(slack: SlackHarness) -> None:
    await slack.stop()
    await slack.http.close()
    await slack.fake.close()


@dataclass
class Run:
    """One running app under fuzz: its loop, harness, valid requests, log and database."""

    runner: asyncio.Runner
    slack: SlackHarness
    bases: Bases
    errors: Errors
    reader: sqlite3.Connection

    def post(self, body: str, *, content_type: str, resend: bool) -> tuple[int, str]:
        return self.runner.run(self.slack.post(body, content_type=content_type, retry=1 if resend else None))

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        self.runner.run(settle())
        return snapshot(self.reader)


def _run(
    tmp_path: Path,
    registry: PackRegistry,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    test: Callable[[Run], int],
) -> int:
    caplog.set_level(logging.WARNING)
    with asyncio.Runner() as runner:
        slack, bases = runner.run(_harness(tmp_path, registry, clock))
        try:
            errors = Errors(caplog)
            errors.new()
            with sqlite3.connect(slack.db_path) as reader:
                run = Run(runner, slack, bases, errors, reader)
                before = run.state()
                tried = test(run)
                assert run.state() == before, "a request that could not be read changed the database"
            return tried
        finally:
            runner.run(_close(slack))


def test_mutated_signed_payloads_never_hurt(
    tmp_path: Path, registry: PackRegistry, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def fuzz(run: Run) -> int:
        tried = 0

        @FUZZ
        @given(request=broken_requests(run.bases))
        def one(request: tuple[str, str, bool]) -> None:
            nonlocal tried
            body, content_type, resend = request
            before = run.state()
            status, text = run.post(body, content_type=content_type, resend=resend)
            tried += 1
            assert status < 500, (status, text[:200])
            assert run.errors.new() == []
            assert run.state() == before

        one()
        return tried

    tried = _run(tmp_path, registry, clock, caplog, fuzz)
    assert tried >= SIGNED_EXAMPLES


def test_unsigned_junk_gets_401_and_changes_nothing(
    tmp_path: Path, registry: PackRegistry, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def fuzz(run: Run) -> int:
        tried = 0

        @settings(FUZZ, max_examples=UNSIGNED_EXAMPLES)
        @given(request=unsigned_requests())
        def one(request: tuple[bytes, dict[str, str]]) -> None:
            nonlocal tried
            body, headers = request

            async def send() -> int:
                async with run.slack.http.post(run.slack.url, data=body, headers=headers) as response:
                    await response.read()
                    return response.status

            status = run.runner.run(send())
            tried += 1
            assert status == 401
            assert run.errors.new() == []

        one()
        assert run.slack.fake.webhook_posts.empty(), "nothing was answered"
        assert run.slack.fake.api_calls.empty(), "nothing was posted"
        return tried

    tried = _run(tmp_path, registry, clock, caplog, fuzz)
    assert tried >= UNSIGNED_EXAMPLES
