"""The `advisor` command as a user or a script runs it: exit codes, messages, and nothing lost."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from adapters.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_STORE, EXIT_USAGE, main
from tests.conftest import TINY


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=env)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_DB": str(tmp_path / "cli.db"), "HOME": str(tmp_path)}


def test_lint_clean_pack_exits_zero(env: dict[str, str]) -> None:
    code, out, _ = run(["lint", str(TINY), "--scenarios"], env)
    assert code == EXIT_OK
    assert "0 error(s), 0 warning(s)" in out


def test_lint_broken_pack_exits_one_with_located_errors_as_text_and_json(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(TINY, folder)
    text = (folder / "questions.yaml").read_text().replace("next: admin", "next: nowhere")
    (folder / "questions.yaml").write_text(text)
    code, out, _ = run(["lint", str(folder)], env)
    assert code == EXIT_FAILED
    assert f"{folder / 'questions.yaml'}:" in out
    assert "E010" in out
    code, out, _ = run(["lint", str(folder), "--format", "json"], env)
    assert code == EXIT_FAILED
    findings = json.loads(out)
    assert {f["code"] for f in findings} >= {"E010"}
    assert all({"file", "line", "column", "code", "message"} <= f.keys() for f in findings)


def test_malformed_yaml_is_one_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(TINY, folder)
    (folder / "pack.yaml").write_text("id: tiny\ntitle: [oops\n")
    code, out, _ = run(["lint", str(folder)], env)
    assert code == EXIT_FAILED
    assert "pack.yaml:" in out
    assert "E001 YAML syntax" in out


def test_graph_draws_mermaid_and_dot_with_parallel_edges_merged(env: dict[str, str]) -> None:
    code, out, _ = run(["graph", str(TINY), "--format", "mermaid"], env)
    assert code == EXIT_OK
    assert out.startswith("flowchart TD")
    # "JSON API" and "Not sure" both lead from kind to size: one edge listing both.
    assert 'kind -- "JSON API<br/>Not sure" --> size' in out
    assert 'size -- "any answer" --> result' in out
    assert out.count("kind --") == 2
    code, out, _ = run(["graph", str(TINY), "--format", "dot"], env)
    assert '"kind" -> "size" [label="JSON API\\lNot sure\\l"];' in out
    assert '"size" -> "result" [label="any answer"];' in out
    assert out.count('"kind" ->') == 2


def test_recommend_answers_a_whole_path_as_json(env: dict[str, str]) -> None:
    code, out, _ = run(
        [
            "recommend",
            "--pack",
            str(TINY),
            "-a",
            "kind=api",
            "-a",
            "size=Large and long-lived",
            "--format",
            "json",
        ],
        env,
    )
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["top"] == "beta"
    assert data["path"] == ["kind=api", "size=large"]
    assert data["reasons_for"][0]["reason"] == "Beta is built for APIs."
    assert (data["fit"], data["possible"], data["margin"]) == (100, 4, 3)
    assert data["points_by_answer"] == [
        {"question": "kind", "answer": "api", "points": 3},
        {"question": "size", "answer": "large", "points": 1},
    ]
    assert [g["gap"] for g in data["why_not_runner_up"]] == [4, -1]  # they sum to the margin


def test_recommend_incomplete_path_says_what_to_add(env: dict[str, str]) -> None:
    code, _, err = run(["recommend", "--pack", str(TINY), "-a", "kind=api"], env)
    assert code == EXIT_USAGE
    assert "add --answer size=OPTION with one of: small, large, unsure" in err


def test_recommend_unknown_option_suggests(env: dict[str, str]) -> None:
    code, _, err = run(["recommend", "--pack", str(TINY), "-a", "kind=jsn api", "-a", "size=small"], env)
    assert code == EXIT_USAGE
    assert "Did you mean 'JSON API'?" in err


def test_chat_over_piped_stdin_reaches_a_recommendation(env: dict[str, str]) -> None:
    code, out, _ = run(["chat", "--pack", str(TINY), "--user", "carol"], env, stdin="html\nwhy\nyes\n")
    assert code == EXIT_OK
    assert "Question 1" in out
    assert "Why we ask" in out
    assert "Top pick: Alpha" in out


def test_piped_chat_stops_with_exit_2_at_an_answer_that_matches_nothing(env: dict[str, str]) -> None:
    """Every later line would answer the wrong question, so a script learns at once (exit 2)."""
    code, out, err = run(["chat", "--pack", str(TINY), "--user", "dan"], env, stdin="kubernetes\nstatus\n")
    assert code == EXIT_USAGE
    assert "'kubernetes' is not one of the options" in err
    assert "Stopped" in err
    assert "Answered 0 question(s)" not in out  # the next line was not run
    code, out, _ = run(["chat", "--pack", str(TINY), "--user", "dan"], env, stdin="status\n")
    assert code == EXIT_OK
    assert "Answered 0 question(s)" in out  # and nothing was changed


def test_unknown_db_scheme_names_the_variable(env: dict[str, str]) -> None:
    env["ADVISOR_DB"] = "mongodb://localhost/x"
    code, _, err = run(["chat", "--pack", str(TINY)], env)
    assert code == EXIT_USAGE
    assert "ADVISOR_DB is 'mongodb://localhost/x'" in err


def test_corrupt_db_exits_three_and_keeps_the_file(env: dict[str, str]) -> None:
    Path(env["ADVISOR_DB"]).write_bytes(b"not sqlite" * 100)
    code, _, err = run(["chat", "--pack", str(TINY)], env)
    assert code == EXIT_STORE
    assert "not a usable SQLite database" in err
    assert Path(env["ADVISOR_DB"]).read_bytes() == b"not sqlite" * 100


def test_forget_and_purge_commands(env: dict[str, str]) -> None:
    run(["chat", "--pack", str(TINY), "--user", "erin"], env, stdin="1\n")
    code, out, _ = run(["forget", "--user", "erin"], env)
    assert code == EXIT_OK
    # An operator reads about someone else: "they", never "you".
    assert out.strip() == (
        "terminal user erin: Deleted 1 conversation(s) and everything they answered in them."
    )
    code, out, _ = run(["forget", "--user", "erin"], env)
    assert out.strip() == "There was nothing stored about terminal user erin."
    assert "you" not in out
    run(["chat", "--pack", str(TINY), "--user", "erin"], env, stdin="1\n")
    code, out, _ = run(["purge", "--older-than", "30d"], env)
    assert (code, out.strip()) == (
        EXIT_OK,
        "Purged 0 conversation(s) and 0 team session(s) idle for longer than 30d.",
    )
    code, out, _ = run(["purge", "--older-than", "12H"], env)
    assert out.strip() == "Purged 0 conversation(s) and 0 team session(s) idle for longer than 12h."


def test_bad_duration_is_a_usage_error(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["purge", "--older-than", "soon"], environ=env)
    assert caught.value.code == 2
    assert "use e.g. 30d" in capsys.readouterr().err


Spawn = Callable[[str], Awaitable[asyncio.subprocess.Process]]


# --- the real process: killed, interrupted, restarted ----------------------------------------


@pytest.fixture
async def spawn(env: dict[str, str]) -> AsyncIterator[Callable[[str], Awaitable[asyncio.subprocess.Process]]]:
    """Start `advisor chat` processes; any still running at the end are killed and reaped."""
    started: list[asyncio.subprocess.Process] = []

    async def start(user: str) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters",
            "chat",
            "--pack",
            str(TINY),
            "--user",
            user,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **env},
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.returncode is None:
            proc.kill()
        await proc.communicate()


async def _read_until(proc: asyncio.subprocess.Process, marker: str) -> str:
    assert proc.stdout is not None
    seen = ""
    while marker not in seen:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
        if not line:
            raise AssertionError(f"process ended before {marker!r}; saw:\n{seen}")
        seen += line.decode()
    return seen


async def test_killed_process_resumes_at_the_same_question(spawn: Spawn) -> None:
    proc = await spawn("frank")
    await _read_until(proc, "Answer with a number")
    assert proc.stdin is not None
    proc.stdin.write(b"html\n")
    await proc.stdin.drain()
    seen = await _read_until(proc, "Answer with a number")
    assert "Do editors need an admin?" in seen
    proc.kill()
    await proc.wait()

    again = await spawn("frank")
    first = await _read_until(again, "Answer with a number")
    assert "Question 2" in first
    assert "Do editors need an admin?" in first
    assert again.stdin is not None
    again.stdin.write(b"yes\n")
    again.stdin.close()
    rest = await _read_until(again, "Alpha renders pages.")
    assert "Top pick: Alpha" in rest
    assert await asyncio.wait_for(again.wait(), timeout=20) == EXIT_OK


async def test_ctrl_c_mid_conversation_keeps_the_answers(spawn: Spawn) -> None:
    proc = await spawn("gina")
    await _read_until(proc, "Answer with a number")
    assert proc.stdin is not None
    proc.stdin.write(b"api\n")
    await proc.stdin.drain()
    await _read_until(proc, "How big is it?")
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), timeout=20) == EXIT_INTERRUPTED
    assert proc.stdout is not None
    tail = (await proc.stdout.read()).decode()
    assert "Your answers are saved" in tail
    again = await spawn("gina")
    assert "How big is it?" in await _read_until(again, "Answer with a number")


def test_chat_path_imports_no_chat_sdk(env: dict[str, str]) -> None:
    """The terminal starts fast because no Slack, Discord or PostgreSQL library is imported."""
    import subprocess

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import io, sys\nfrom adapters.cli import main\n"
            f"main(['chat', '--pack', {str(TINY)!r}, '--user', 'p'], stdin=io.StringIO(''),"
            " stdout=io.StringIO())\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'discord', 'slack_bolt', 'slack_sdk', 'aiohttp', 'asyncpg'}))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    assert probe.stdout.strip() == "[]"


def test_chat_refuses_a_pack_that_fails_lint(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "cyclic"
    shutil.copytree(TINY, folder)
    text = (
        (folder / "questions.yaml")
        .read_text()
        .replace(
            "label: Large and long-lived\n        next: result",
            "label: Large and long-lived\n        next: kind",
        )
    )
    (folder / "questions.yaml").write_text(text)
    code, out, err = run(["chat", "--pack", str(folder)], env, stdin="1\n")
    assert code == EXIT_FAILED
    assert "E013 cycle" in err
    assert f"run `advisor lint {folder}`" in err
    assert out == ""


def test_long_lines_wrap_with_their_indent_on_a_terminal() -> None:
    from adapters.console.personal import wrap_for_terminal

    text = "Why we ask:\n  " + "word " * 30
    wrapped = wrap_for_terminal(text, 40).splitlines()
    assert wrapped[0] == "Why we ask:"
    assert all(len(line) <= 39 for line in wrapped)
    assert all(line.startswith("    ") for line in wrapped[2:])


def test_colour_codes_take_no_room_when_deciding_to_wrap() -> None:
    """A dim hint that fits the screen stays one line, however many escape bytes it carries."""
    from adapters.console.personal import wrap_for_terminal
    from adapters.console.style import Style

    hint = Style(colour=True).dim("x" * 76)
    assert wrap_for_terminal(hint, 80) == hint


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "adapters", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"advisor {version('framework-advisor')}"


def test_lint_robustness_fails_on_a_flip_and_names_the_answer(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "fragile"
    shutil.copytree(TINY, folder)
    (folder / "scenarios.yaml").write_text(
        "scenarios:\n  - name: api\n    answers: {kind: api, size: large}\n    expect_top: beta\n"
        "    acceptable: [alpha]\n"
    )
    code, out, _ = run(["lint", str(folder), "--robustness", "--verbose"], env)
    assert code == EXIT_FAILED
    assert "E023 'api': size=small" in out
    assert "top pick gamma (4) over beta (3)" in out
    assert "ok   'api': kind=pages" in out  # an accepted flip, listed with --verbose
    assert "robustness: 1 scenarios, 4 single-answer variants, 3 flip the top pick, 1 outside" in out


def test_pack_freshness_reports_a_stated_version_older_than_the_installed_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "stale"
    shutil.copytree(TINY, folder)
    # PyYAML is installed wherever the advisor runs, so its metadata is always there to compare.
    text = (folder / "subjects.yaml").read_text()
    text = text.replace('    latest_version: "1.0"\n', '    latest_version: "1.0"\n    package: PyYAML\n', 1)
    (folder / "subjects.yaml").write_text(text)
    code, out, _ = run(["pack", "freshness", str(folder)], env)
    assert code == EXIT_FAILED
    assert "out of date  alpha (pyyaml) 1.0 is out of date; installed has" in out
    assert "1 out of date, 0 current, 0 newer than installed, 2 not found" in out
    code, out, _ = run(["pack", "freshness", str(TINY)], env)
    assert code == EXIT_OK


# --- conventions: help, questions, completion, missing extras, graph formats -------------------


def test_advisor_alone_prints_help_and_exits_zero(env: dict[str, str]) -> None:
    code, out, _ = run([], env)
    assert code == EXIT_OK
    assert out.startswith("usage: advisor")
    for command in ("chat", "recommend", "questions", "lint", "graph", "slack", "discord"):
        assert f"\n    {command} " in out
    done = subprocess.run(
        [str(Path(sys.executable).parent / "advisor")],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert (done.returncode, done.stdout) == (EXIT_OK, out)


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    from adapters.cli import _build_parser
    from adapters.discord import run as discord_run
    from adapters.slack import run as slack_run

    found = [
        ("advisor slack", slack_run._parser()),
        ("advisor slack manifest", slack_run._manifest_parser()),
        ("advisor discord", discord_run._parser()),
    ]
    pending = [("advisor", _build_parser())]
    while pending:
        name, parser = pending.pop()
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{name} {sub}", p) for sub, p in action.choices.items()]
    return found


def test_every_option_of_every_command_has_help_text() -> None:
    missing = []
    for name, parser in _parsers():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [
                    f"{name} {sub.dest}" for sub in action._choices_actions if not (sub.help or "").strip()
                ]
            elif (
                not isinstance(action, argparse._HelpAction | argparse._VersionAction)
                and not (action.help or "").strip()
            ):
                missing.append(f"{name} {action.option_strings or action.dest}")
    assert missing == []


def test_questions_lists_the_ids_recommend_takes(env: dict[str, str]) -> None:
    code, out, _ = run(["questions", "--pack", str(TINY)], env)
    assert code == EXIT_OK
    assert "kind: What are you building?  (the first question)" in out
    assert "  kind=api     JSON API   -> size" in out
    assert "  size=small   A single file         -> the recommendation" in out
    code, out, _ = run(["questions", "--pack", str(TINY), "--format", "json"], env)
    listed = json.loads(out)
    assert listed["start"] == "kind"
    by_id = {q["id"]: q for q in listed["questions"]}
    assert [o["answer"] for o in by_id["kind"]["options"]] == ["kind=pages", "kind=api", "kind=unsure"]
    assert by_id["kind"]["options"][0] | {"synonyms": []} == {
        "id": "pages",
        "label": "Web pages",
        "synonyms": [],
        "next": "admin",
        "answer": "kind=pages",
    }
    # What it lists is what recommend takes: walk the first option of each question to a result.
    answers, here = [], listed["start"]
    while here != "result":
        option = by_id[here]["options"][0]
        answers += ["-a", option["answer"]]
        here = option["next"]
    code, out, _ = run(["recommend", "--pack", str(TINY), *answers], env)
    assert code == EXIT_OK
    assert "Top pick: Alpha" in out


def _complete(line: str, env: dict[str, str]) -> list[str]:
    """What Tab offers after `line`, asked of the installed `advisor` as bash would ask it."""
    out = Path(env["HOME"]) / "completions.txt"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "advisor")],
        env={
            **os.environ,
            **env,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_IFS": "\v",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in out.read_text().split("\v") if word]


def test_completion_offers_commands_options_and_question_ids(env: dict[str, str]) -> None:
    assert {"chat", "recommend", "questions", "graph", "slack", "discord"} <= set(_complete("advisor ", env))
    assert set(_complete("advisor qu", env)) == {"questions"}
    assert "--no-color" in _complete("advisor chat --", env)
    assert set(_complete("advisor graph --format ", env)) == {"mermaid", "dot", "svg", "png"}
    offered = _complete(f"advisor recommend --pack {TINY} -a ", env)
    assert {"kind=pages", "kind=api", "admin=need", "size=small"} <= set(offered)
    assert set(_complete(f"advisor recommend --pack {TINY} -a si", env)) == {
        "size=small",
        "size=large",
        "size=unsure",
    }
    assert "existing=fresh" in _complete("advisor recommend -a exi", env)  # the shipped pack
    assert {"manifest", "--http", "--socket"} <= set(_complete("advisor slack ", env))
    assert {"sync", "invite", "run"} <= set(_complete("advisor discord ", env))


def test_the_completion_script_the_readme_names_is_installed() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "register-python-argcomplete"), "advisor"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "complete " in done.stdout
    assert "advisor" in done.stdout


@pytest.mark.parametrize(
    ("argv", "hidden", "extra"),
    [
        (["discord", "--help"], "discord", "discord"),
        (["discord", "run"], "discord", "discord"),
        (["slack", "--http"], "slack_bolt", "slack"),
        (["slack", "--socket"], "aiohttp", "slack"),
    ],
)
def test_a_missing_extra_is_named_with_its_install_command(
    env: dict[str, str], argv: list[str], hidden: str, extra: str
) -> None:
    """As on a machine without the extra: the module is made unimportable in a fresh process."""
    script = (
        "import sys\n"
        f"sys.modules[{hidden!r}] = None\n"
        "from adapters.cli import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
        check=False,
    )
    assert done.returncode == EXIT_USAGE
    assert "Traceback" not in done.stderr
    assert f"pip install 'framework-advisor[{extra}]'" in done.stderr
    assert f".venv/bin/pip install '.[{extra}]'" in done.stderr
    assert f"`advisor {argv[0]}` needs the optional '{extra}' dependencies" in done.stderr


def test_slack_manifest_and_help_work_without_the_slack_extra(env: dict[str, str]) -> None:
    script = (
        "import sys\n"
        "for name in ('slack_bolt', 'slack_sdk', 'aiohttp'):\n"
        "    sys.modules[name] = None\n"
        "from adapters.cli import main\n"
        "sys.exit(main(['slack', 'manifest']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["features"]["slash_commands"][0]["command"] == "/choose-framework"


FAKE_DOT = """#!{python}
import sys
source = sys.stdin.read()
assert source.startswith("digraph"), source
fmt = sys.argv[1]
if fmt == "-Tsvg":
    sys.stdout.write('<svg xmlns="http://www.w3.org/2000/svg"><!-- %d edges --></svg>' % source.count("->"))
else:
    sys.stdout.buffer.write(b"\\x89PNG\\r\\n\\x1a\\n" + str(source.count("->")).encode())
"""


@pytest.fixture
def graphviz_bin(tmp_path: Path) -> Path:
    """A folder with a stand-in for Graphviz's dot, for machines without Graphviz."""
    folder = tmp_path / "graphviz-bin"
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text(FAKE_DOT.format(python=sys.executable))
    dot.chmod(0o755)
    return folder


def test_svg_and_png_without_graphviz_say_how_to_get_it(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "no-graphviz"
    empty.mkdir()
    for fmt in ("svg", "png"):
        code, out, err = run(["graph", str(TINY), "--format", fmt], {**env, "PATH": str(empty)})
        assert code == EXIT_USAGE
        assert out == ""
        assert "Graphviz" in err
        assert "apt install graphviz" in err
        assert "--format dot" in err


def test_svg_and_png_are_drawn_by_dot_when_it_is_on_path(
    env: dict[str, str], tmp_path: Path, graphviz_bin: Path
) -> None:
    path = {**env, "PATH": str(graphviz_bin)}
    code, out, _ = run(["graph", str(TINY), "--format", "svg"], path)
    assert code == EXIT_OK
    assert out == '<svg xmlns="http://www.w3.org/2000/svg"><!-- 5 edges --></svg>'  # merged edges
    png = tmp_path / "flow.png"
    code, _, _ = run(["graph", str(TINY), "--format", "png", "--output", str(png)], path)
    assert code == EXIT_OK
    assert png.read_bytes().startswith(b"\x89PNG")
    code, _, err = run(["graph", str(TINY), "--format", "png"], path)  # text stream: refused
    assert code == EXIT_USAGE
    assert "--output flow.png" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed here")
def test_real_graphviz_draws_the_shipped_pack(env: dict[str, str]) -> None:
    code, out, _ = run(["graph", "--format", "svg"], {**env, "PATH": os.environ["PATH"]})
    assert code == EXIT_OK
    assert "<svg" in out
    assert "Where will it run?" in out


def test_each_subcommand_parses_alone_as_in_the_whole_parser() -> None:
    """A start builds only its own subcommand's parser: the list of them is the whole parser's, and
    each one alone reads its arguments (and says its help) as the whole parser does."""
    from adapters.cli import SUBCOMMANDS, _build_parser

    whole = _build_parser()
    [choices] = [a for a in whole._actions if isinstance(a, argparse._SubParsersAction)]
    assert tuple(choices.choices) == SUBCOMMANDS
    for name in SUBCOMMANDS:
        alone = _build_parser(name)
        [own] = [a for a in alone._actions if isinstance(a, argparse._SubParsersAction)]
        assert list(own.choices) == [name]
        assert own.choices[name].format_help() == choices.choices[name].format_help()
    argv = ["chat", "--user", "ann", "--no-color"]
    assert _build_parser("chat").parse_args(argv) == whole.parse_args(argv)
