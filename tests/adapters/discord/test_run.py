"""`advisor discord invite|sync|run` as an operator uses them."""

from __future__ import annotations

import asyncio
import io
import logging
from urllib.parse import parse_qs, urlsplit

import discord.gateway
import pytest
import yarl
from aiohttp import ClientSession

from adapters.discord.redaction import LOGGERS
from adapters.discord.run import main
from adapters.settings import Settings
from bot.errors import SettingsError
from tests.adapters.discord.conftest import BOT_TOKEN
from tests.adapters.slack.bot_process import free_port
from tests.fakes.discord_api import APP_ID, Call, FakeDiscordApi, command_payload, user


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_invite_prints_the_install_urls_with_scopes_and_permissions(settings: Settings) -> None:
    out = io.StringIO()
    assert main(["invite"], settings=settings, stdout=out, environ={"DISCORD_APP_ID": "1234"}) == 0

    server, user = [line.strip() for line in out.getvalue().splitlines() if line.startswith("  ")]
    assert query(server)["client_id"] == ["1234"]
    assert query(server)["scope"] == ["bot applications.commands"]
    assert query(server)["permissions"] == ["19456"]  # view channel, send messages, embed links
    assert query(user) == {
        "client_id": ["1234"],
        "integration_type": ["1"],
        "scope": ["applications.commands"],
    }


def test_invite_takes_the_app_id_from_the_option_first(settings: Settings) -> None:
    out = io.StringIO()
    main(["invite", "--app-id", "42"], settings=settings, stdout=out, environ={"DISCORD_APP_ID": "1234"})
    assert "client_id=42" in out.getvalue()


def test_invite_without_an_app_id_says_where_to_find_it(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="DISCORD_APP_ID is not set; expected the numeric Application ID"):
        main(["invite"], settings=settings, stdout=io.StringIO(), environ={})


def test_run_without_a_token_says_which_variable_to_set(settings: Settings) -> None:
    without = Settings(
        db_url=settings.db_url,
        knowledge_dir=settings.knowledge_dir,
        advisor=settings.advisor,
        idle_timeout=settings.idle_timeout,
    )
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        main([], settings=without, stdout=io.StringIO(), environ={})


async def run_in_thread(argv: list[str], settings: Settings) -> tuple[int, str]:
    """main() runs its own event loop, so it gets a thread; the fake keeps serving on ours."""
    out = io.StringIO()
    code = await asyncio.to_thread(main, argv, settings=settings, stdout=out, environ={})
    return code, out.getvalue()


async def test_sync_publishes_the_command_globally(fake_api: FakeDiscordApi, settings: Settings) -> None:
    code, out = await run_in_thread(["sync"], settings)

    assert code == 0
    assert out == "Synced 1 command(s) to everywhere the app is installed: /choose-framework\n"
    put = fake_api.matching(lambda c: c.method == "PUT")
    assert [c.path for c in put] == [f"applications/{APP_ID}/commands"]
    (command,) = put[0].body
    assert command["name"] == "choose-framework"
    assert command["contexts"] == [0, 1, 2]  # guilds, DMs with the bot, other DMs (user installs)
    assert command["integration_types"] == [0, 1]  # installable in servers and by users
    action, topic, anonymous, quorum = command["options"]
    assert [c["value"] for c in action["choices"]] == [
        "start",
        "help",
        "status",
        "result",
        "ranking",
        "restart",
        "forget",
        "team",
    ]
    assert (topic["name"], topic["required"]) == ("topic", False)
    assert (anonymous["name"], anonymous["type"], anonymous["required"]) == ("anonymous", 5, False)
    assert (quorum["name"], quorum["type"], quorum["min_value"], quorum["max_value"]) == (
        "quorum",
        4,
        2,
        1000,
    )


async def test_sync_to_one_guild(fake_api: FakeDiscordApi, settings: Settings) -> None:
    code, out = await run_in_thread(["sync", "--guild", "777"], settings)

    assert code == 0
    assert "guild 777" in out
    put = fake_api.matching(lambda c: c.method == "PUT")
    assert [c.path for c in put] == [f"applications/{APP_ID}/guilds/777/commands"]
    assert put[0].body[0]["name"] == "choose-framework"


async def test_sync_logs_in_with_the_token_and_never_prints_it(
    fake_api: FakeDiscordApi, settings: Settings
) -> None:
    _, out = await run_in_thread(["sync"], settings)
    login = fake_api.matching(lambda c: c.path == "users/@me")
    assert [c.authorization for c in login] == [f"Bot {BOT_TOKEN}"]
    assert BOT_TOKEN not in out


async def test_run_answers_interactions_from_the_gateway_until_the_token_is_revoked(
    fake_api: FakeDiscordApi,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_api.gateway_url))
    out = io.StringIO()
    # `run` installs the token filter on discord.py's loggers; remove it after this test.
    for name in LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "filters", [])
    running = asyncio.create_task(asyncio.to_thread(main, ["run"], settings=settings, stdout=out, environ={}))

    await fake_api.wait_for(lambda: bool(fake_api.matching(lambda c: c.path == "gateway/identify")))
    (identify,) = fake_api.matching(lambda c: c.path == "gateway/identify")
    assert identify.authorization == f"Bot {BOT_TOKEN}"
    assert identify.body["intents"] == discord.Intents(guilds=True).value  # no privileged intent, no chat

    payload = command_payload(user("444", "ann"))
    await fake_api.dispatch("INTERACTION_CREATE", payload)
    answer = await fake_api.wait_callback(payload["id"])
    assert "What are you building?" in answer.body["data"]["embeds"][0]["description"]

    await fake_api.disconnect(4004)
    with pytest.raises(SettingsError, match=r"DISCORD_TOKEN .* expected a valid bot token") as raised:
        await asyncio.wait_for(running, 10)
    assert BOT_TOKEN not in str(raised.value) + out.getvalue()
    assert "gateway" in caplog.text  # discord.py logged the session at debug level ...
    assert BOT_TOKEN not in caplog.text  # ... without the token
    assert payload["token"] not in caplog.text


async def test_shards_split_across_processes_each_identify_only_their_own(
    fake_api: FakeDiscordApi,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--shard-count 4 --shard-ids 1,3`: this process opens shards 1 and 3 of 4, and answers on both."""
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_api.gateway_url))

    async def identify_at_once(
        self: discord.AutoShardedClient, shard_id: int | None, *, initial: bool = False
    ) -> None:
        """discord.py waits 5 s between two shards' IDENTIFY (Discord's rate limit); the fake has none."""

    monkeypatch.setattr(discord.AutoShardedClient, "before_identify_hook", identify_at_once)
    for name in LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "filters", [])
    port = free_port()
    argv = ["run", "--shard-count", "4", "--shard-ids", "3,1", "--health-port", str(port)]
    out = io.StringIO()
    running = asyncio.create_task(asyncio.to_thread(main, argv, settings=settings, stdout=out, environ={}))

    def identified() -> list[Call]:
        return fake_api.matching(lambda c: c.path == "gateway/identify")

    await fake_api.wait_for(lambda: len(identified()) == 2)
    assert sorted(tuple(c.body["shard"]) for c in identified()) == [(1, 4), (3, 4)]
    assert "shards 1,3 of 4" in out.getvalue()

    payload = command_payload(user("444", "ann"))
    await fake_api.dispatch("INTERACTION_CREATE", payload)  # to every open shard: answered once
    answer = await fake_api.wait_callback(payload["id"])
    assert "What are you building?" in answer.body["data"]["embeds"][0]["description"]
    assert len([c for c in fake_api.callbacks() if c.interaction_id == payload["id"]]) == 1
    assert fake_api.refused == []  # the second copy was dropped, not answered twice

    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
            assert r.status == 200
        async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
            ready = await r.json()
            assert ready["store"] == "ok"
            assert ready["pack"]["id"] == "tiny"
        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
            text = await r.text()
            assert 'advisor_reply_seconds_count{kind="command",platform="discord"}' in text

    await fake_api.disconnect(4004)
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        await asyncio.wait_for(running, 10)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shard-ids", "0"], "--shard-count N too"),
        (["--shard-count", "2", "--shard-ids", "0,2"], "from 0 to 1"),
        (["--shard-count", "2", "--shard-ids", "1,1"], "different shard numbers"),
        (["--shard-count", "0"], "1 or more"),
        (["run", "--shard-count", "2", "--shard-ids", "x"], "separated by commas"),
    ],
)
def test_shard_options_that_cannot_work_are_refused_before_connecting(
    settings: Settings, argv: list[str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        main(argv, settings=settings, stdout=io.StringIO(), environ={})
