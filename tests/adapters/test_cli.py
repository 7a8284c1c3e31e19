"""The `advisor` command as a user or a script runs it: exit codes, messages, and nothing lost."""

from __future__ import annotations

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


def test_graph_draws_mermaid_and_dot(env: dict[str, str]) -> None:
    code, out, _ = run(["graph", str(TINY), "--format", "mermaid"], env)
    assert code == EXIT_OK
    assert out.startswith("flowchart TD")
    assert 'kind -- "JSON API" --> size' in out
    code, out, _ = run(["graph", str(TINY), "--format", "dot"], env)
    assert '"kind" -> "size" [label="JSON API"];' in out


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


def test_chat_bad_answer_is_explained_and_changes_nothing(env: dict[str, str]) -> None:
    code, out, _ = run(["chat", "--pack", str(TINY), "--user", "dan"], env, stdin="kubernetes\nstatus\n")
    assert code == EXIT_OK
    assert "'kubernetes' is not one of the options" in out
    assert "Answered 0 question(s)" in out


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
    assert out.strip() == (
        "terminal user erin: Deleted 1 conversation(s) and everything you answered in them."
    )
    run(["chat", "--pack", str(TINY), "--user", "erin"], env, stdin="1\n")
    code, out, _ = run(["purge", "--older-than", "30d"], env)
    assert (code, out.strip()) == (
        EXIT_OK,
        "Purged 0 conversation(s) and 0 team session(s) idle for longer than 30 days, 0:00:00.",
    )


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
