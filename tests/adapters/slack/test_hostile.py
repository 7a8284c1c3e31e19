"""Hostile input over real HTTP and in every rendered message: no 5xx, no traceback, no mention.

Slack reads mrkdwn in blocks and in a message's top-level `text` (its notification) alike, so a
team topic `<!channel>` must reach chat.postMessage escaped in both, and every field of every
reply (poisoned with each hostile string) must come out escaped in every message kind.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.parse
from typing import Any

import aiohttp
import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.slack.render import blocks as kit
from adapters.slack.render import personal as render_personal
from adapters.slack.render import team as render_team
from adapters.slack.socket_mode import CheckedSocketModeHandler
from adapters.slack.team import read_start_form
from bot.personal.conversation import ConversationKey
from bot.personal.engine import Engine
from bot.personal.replies import ResultReply
from bot.store.sqlite import SqliteStore
from bot.team.engine import TeamEngine
from bot.team.replies import TeamAdvanced, TeamClosedReply, TeamQuestionReply, TeamResultReply
from tests.adapters.replies import personal_replies, team_replies
from tests.adapters.slack.conftest import CHANNEL, TEAM, SlackHarness, signed_headers
from tests.adapters.slack.test_fuzz import settle, snapshot
from tests.adapters.slack.test_render import validate
from tests.adapters.slack.test_team import text_of, until
from tests.conftest import Clock
from tests.hostile import HOSTILE, LONG, SLACK_MARKUP, poison, wrapped

FORM = "application/x-www-form-urlencoded"

# --- over HTTP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param("payload=[1]", {"Content-Type": FORM}, id="payload-list"),
        pytest.param("payload=null", {"Content-Type": FORM}, id="payload-null"),
        pytest.param("[1]", {"Content-Type": "application/json"}, id="json-list"),
        pytest.param("[" * 100_000 + "]" * 100_000, {"Content-Type": "application/json"}, id="nested-100000"),
        pytest.param("command=/x", {"Content-Type": FORM, "X-Slack-Request-Timestamp": "abc"}, id="ts-abc"),
        pytest.param(
            "command=/x",
            {"Content-Type": FORM, "X-Slack-Request-Timestamp": "1e3", "X-Slack-Signature": "v0=00"},
            id="ts-1e3",
        ),
    ],
)
async def test_unsigned_junk_gets_401_without_a_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: str, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    status, text = await slack.post(body, headers=headers)
    assert status == 401
    assert "invalid request" in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "Traceback" not in caplog.text


async def test_an_oversized_body_gets_413_before_it_is_read(slack: SlackHarness) -> None:
    body = ("text=" + "a" * (1 << 20)).encode()
    headers = signed_headers(body.decode(), content_type=FORM)
    async with slack.http.post(slack.url, data=io.BytesIO(body), headers=headers) as response:
        assert response.status == 413
        assert "over 1048576 bytes" in await response.text()

    async def chunks() -> Any:  # no Content-Length: refused once past the limit
        for _ in range(17):
            yield b"a" * 65536

    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
        http.post(slack.url, data=chunks(), headers=signed_headers("", content_type=FORM)) as chunked,
    ):
        assert chunked.status == 413


async def test_a_signed_body_that_is_not_a_payload_gets_400(slack: SlackHarness) -> None:
    status, text = await slack.post("payload=%7Bnot-json")
    assert status == 400
    assert "malformed request" in text
    status, _ = await slack.post('{"a": ' * 30 + "1" + "}" * 30, content_type="application/json")
    assert status == 400


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"user": 0}, id="user-is-0"),
        pytest.param({"team": [1]}, id="team-is-a-list"),
        pytest.param({"actions": []}, id="no-actions"),
        pytest.param({"actions": [{"value": "adv:x:1:a:y"}]}, id="action-without-id"),
    ],
)
async def test_a_signed_but_malformed_click_gets_200_a_note_and_changes_nothing(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    await slack.command("")
    await slack.fake.next_post()
    await settle()
    before = snapshot(slack.db_path)
    payload = json.loads(urllib.parse.unquote(slack.click_body("adv:x:1:a:y", hook="odd").split("=", 1)[1]))
    payload |= change
    if change.get("user") == 0:
        payload["user_id"] = "U1"  # where the note can still find whom to tell
    status, _ = await slack.post("payload=" + urllib.parse.quote(json.dumps(payload)))
    assert status == 200
    note = await slack.fake.next_post()
    assert note.hook == "odd"
    assert "could not read this request" in note.text
    assert note.body["response_type"] == "ephemeral"
    await settle()
    assert snapshot(slack.db_path) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_signed_command_without_a_team_says_it_could_not_be_read(slack: SlackHarness) -> None:
    body = urllib.parse.urlencode(
        {
            k: v
            for k, v in urllib.parse.parse_qsl(slack.command_body("", hook="noteam"))
            if k not in ("team_id", "team_domain")
        }
    )
    assert (await slack.post(body))[0] == 200
    post = await slack.fake.next_post()
    assert post.hook == "noteam"
    assert "could not read this request" in post.text
    assert "no team id" in post.text
    assert snapshot(slack.db_path)["conversations"] == []


@pytest.mark.parametrize("user", ["\x00", "U" * 3000, "U1><!channel", "u1"])
async def test_a_user_id_slack_would_never_send_is_refused_and_not_stored(
    slack: SlackHarness, user: str
) -> None:
    assert await slack.command("", user=user, hook="odd-user") == 200
    post = await slack.fake.next_post()
    assert "could not read this request" in post.text
    assert "user id is not a valid id" in post.text
    assert await slack.store.get(ConversationKey("slack", TEAM, user, "tiny")) is None
    assert snapshot(slack.db_path)["conversations"] == []


@pytest.mark.parametrize("team", ["\x00", "T" * 3000])
async def test_a_workspace_id_slack_would_never_send_is_refused(slack: SlackHarness, team: str) -> None:
    body = slack.command_body("", hook="odd-team").replace(
        f"team_id={TEAM}", "team_id=" + urllib.parse.quote(team)
    )
    assert (await slack.post(body))[0] == 200
    assert "workspace id is not a valid id" in (await slack.fake.next_post()).text
    assert snapshot(slack.db_path)["conversations"] == []


async def test_a_team_topic_that_pings_the_channel_reaches_slack_only_escaped(slack: SlackHarness) -> None:
    assert await slack.command("team <!channel> pick one <@U123> <https://evil.example|click>") == 200
    root = await until(slack.fake, "chat.postMessage")
    question = await until(slack.fake, "chat.postMessage")
    started = await slack.fake.next_post()
    for sent in (root.body["text"], text_of(root), text_of(question), started.text):
        for markup in ("<!channel>", "<@U123>", "<https://evil.example|click>"):
            assert markup not in sent
    assert root.body["text"].startswith("Team decision: &lt;!channel&gt; pick one")
    assert "&lt;!channel&gt;" in text_of(question)
    assert "&lt;!channel&gt;" in started.body["text"]


async def test_an_unknown_command_word_is_echoed_escaped_and_short(slack: SlackHarness) -> None:
    await slack.command("<!here>" + "x" * 500)
    post = await slack.fake.next_post()
    assert "<!here>" not in post.text
    assert "&lt;!here&gt;" in post.body["text"]
    assert "x" * 50 not in post.text


async def test_a_direct_message_echoes_typed_text_escaped(slack: SlackHarness) -> None:
    dm = {"type": "message", "channel_type": "im", "user": "U1", "ts": "1.1", "channel": "D1"}
    await slack.event({**dm, "text": "hi"})
    await until(slack.fake, "chat.postMessage")
    await slack.event({**dm, "text": "<!everyone> " + "y" * 500, "ts": "1.2"})
    reply = await until(slack.fake, "chat.postMessage")
    assert "<!everyone>" not in reply.body["text"]
    assert "&lt;!everyone&gt;" in reply.body["text"]
    assert "y" * 50 not in reply.body["text"]


# --- every message kind, every field -----------------------------------------------------


@pytest.fixture
async def replies(engine: Engine, store: SqliteStore, clock: Clock) -> list[Any]:
    team = TeamEngine(store=store, registry=engine.registry, advisor="tiny", clock=clock)
    return [*await personal_replies(engine), *await team_replies(team)]


def messages(reply: Any, hostile: str) -> list[kit.SlackMessage]:
    """Every Slack message that shows `reply` (or a part of it)."""
    if isinstance(reply, TeamAdvanced):
        return [render_team.team_closed_message(reply.closed), *messages(reply.following, hostile)]
    if isinstance(reply, TeamQuestionReply):
        return [render_team.team_question_message(reply)]
    if isinstance(reply, TeamClosedReply):
        return [render_team.team_closed_message(reply)]
    if isinstance(reply, TeamResultReply):
        return [render_team.team_result_message(reply)]
    out = [render_personal.render(reply)]
    if isinstance(reply, ResultReply):
        out += [
            render_personal.result_message(reply, shared_in=CHANNEL),
            render_personal.shared_result_message(reply, user_id="U1"),
        ]
    return out


def mrkdwn(message: kit.SlackMessage) -> list[str]:
    """What Slack parses as mrkdwn: the top-level text and every mrkdwn text in the blocks."""
    found = [message.text]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(str(value["text"]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(message.blocks))
    return found


@pytest.mark.parametrize("hostile", [*SLACK_MARKUP, "<https://a.example|b>&<>"])
async def test_every_field_of_every_message_is_escaped(replies: list[Any], hostile: str) -> None:
    shown = []
    for reply in replies:
        for message in messages(poison(reply, hostile), hostile):
            validate(message)
            for text in mrkdwn(message):
                assert hostile not in text, text
                shown.append(text)
    assert any(kit.escape(hostile) in text for text in shown)
    started = render_team.team_started_message(
        topic=wrapped(hostile), starter="U1", command="/choose-framework"
    )
    error = kit.error_message(wrapped(hostile))
    for message in (started, error):
        assert all(hostile not in text for text in mrkdwn(message))
        assert kit.escape(hostile) in message.text


@pytest.mark.parametrize("hostile", [LONG, *HOSTILE[-3:]])
async def test_long_or_odd_text_still_renders_within_slacks_limits(replies: list[Any], hostile: str) -> None:
    for reply in replies:
        for message in messages(poison(reply, hostile), hostile):
            validate(message)
            assert len(message.text) <= kit.FALLBACK_TEXT * 5  # escaped, but still a preview


def test_a_pack_link_cannot_close_early_or_add_a_second_link() -> None:
    made = kit.link("https://docs.example/a|<!channel>> x", "Docs <@U1>")
    assert made.count("<") == 1
    assert made.count(">") == 1
    assert made.count("|") == 1
    assert "<!channel>" not in made
    assert kit.link("javascript:alert(1)", "Docs") == "Docs"


class SocketClient:
    """Where Socket Mode acknowledgements go (the websocket to Slack, in production)."""

    def __init__(self) -> None:
        self.acked: list[str] = []
        self.logger = logging.getLogger("tests.socket")

    async def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.acked.append(response.envelope_id)


async def test_a_socket_mode_envelope_of_the_wrong_shape_is_acknowledged_and_dropped(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    handler = CheckedSocketModeHandler(slack.app, app_token="xapp-test-token")
    client = SocketClient()
    try:
        click = json.loads(
            urllib.parse.unquote(slack.click_body("adv:x:1:a:y", hook="sock").split("=", 1)[1])
        )
        odd = SocketModeRequest(
            type="interactive", envelope_id="e1", payload={**click, "user": 0, "user_id": "U1"}
        )
        await handler.handle(client, odd)
        assert client.acked == ["e1"], "acknowledged, so Slack does not resend it"
        assert "could not read this request" in (await slack.fake.next_post()).text
        command = dict(urllib.parse.parse_qsl(slack.command_body("", hook="sock-ok")))
        await handler.handle(
            client, SocketModeRequest(type="slash_commands", envelope_id="e2", payload=command)
        )
        assert client.acked == ["e1", "e2"]
        assert "What are you building?" in (await slack.fake.next_post()).text
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_event_with_an_odd_user_id_and_nobody_to_tell_is_one_warning(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    event = {"type": "member_left_channel", "user": "U1\x00", "channel": CHANNEL, "team": TEAM}
    assert await slack.event(event) == 200
    await settle()
    warned = [r for r in caplog.records if "user id is not a valid id" in r.getMessage()]
    assert len(warned) == 1
    assert warned[0].levelno == logging.WARNING
    assert snapshot(slack.db_path)["deliveries"] == [], "nothing was recorded"


@pytest.mark.parametrize(
    ("quorum", "metadata"),
    [("9" * 5000, '{"channel": "C1"}'), ("\u0663", '{"channel": "C1"}'), ("3", "[" * 5000 + "]" * 5000)],
    ids=["5000-digit-quorum", "arabic-indic-digit", "metadata-nested-5000-deep"],
)
def test_the_team_start_form_refuses_odd_fields_instead_of_failing_in_the_ack(
    quorum: str, metadata: str
) -> None:
    view = {
        "private_metadata": metadata,
        "state": {
            "values": {
                "topic": {"topic": {"type": "plain_text_input", "value": "Orders"}},
                "quorum": {"quorum": {"type": "plain_text_input", "value": quorum}},
            }
        },
    }
    errors = read_start_form(view)
    assert isinstance(errors, dict)
    assert set(errors) <= {"quorum", "topic"}
    assert all(len(text) < 200 for text in errors.values())
