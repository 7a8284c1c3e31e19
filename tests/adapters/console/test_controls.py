"""The terminal obeys what it prints, so nothing typed or packed reaches it as a control sequence."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from adapters.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from adapters.console.controls import strip_controls
from tests.conftest import TINY
from tests.hostile import LONG, TERMINAL

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never be printed: C0 but newline and tab, DEL, C1, bidirectional overrides."""


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=env)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_DB": str(tmp_path / "cli.db"), "HOME": str(tmp_path)}


@pytest.mark.parametrize("hostile", TERMINAL)
def test_strip_controls_removes_each_sequence_and_keeps_the_words(hostile: str) -> None:
    cleaned = strip_controls(f"before {hostile} after\n\tindented")
    assert UNSAFE.search(cleaned) is None
    assert cleaned.startswith("before ")
    assert cleaned.endswith(" after\n\tindented")
    assert "\x1b" not in cleaned


def test_whole_sequences_go_not_just_their_escape_byte() -> None:
    assert strip_controls("a\x1b[2Jb") == "ab"
    assert strip_controls("a\x1b]0;pwned\x07b") == "ab"
    assert strip_controls("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert strip_controls("a\x9b31mb") == "ab"


@pytest.mark.parametrize("typed", [*(f"pick {t} now" for t in TERMINAL), LONG])
def test_typed_answers_are_echoed_inert_and_short(env: dict[str, str], typed: str) -> None:
    code, out, err = run(["chat", "--pack", str(TINY), "--user", "mallory"], env, stdin=typed + "\n")
    assert code == EXIT_USAGE, "piped input stops at an answer that matches nothing"
    assert "is not one of the options" in err
    assert UNSAFE.search(out + err) is None, repr(UNSAFE.search(out + err))
    assert "a" * 100 not in err, "a 10,000-character answer is quoted short"
    if typed.startswith("pick \x1b[2J"):
        assert "'pick now' is not one of the options" in err, "escape sequences go whole, not byte by byte"


def test_a_team_session_with_hostile_names_and_topic_prints_nothing_unsafe(env: dict[str, str]) -> None:
    members = "ann\x1b]0;pwned\x07,ben\x1b[2J"
    code, out, _ = run(
        ["chat", "--pack", str(TINY), "--team", members, "--topic", "Topic \x1b[31mred\x1b[0m \x07"],
        env,
        stdin="1\n\x1b[2J2\n1\n1\n",
    )
    assert code == EXIT_OK
    assert UNSAFE.search(out) is None
    assert "Topic red" in out


def test_a_pack_whose_text_holds_escape_sequences_is_refused_with_an_inert_message(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "evil"
    shutil.copytree(TINY, folder)
    questions = folder / "questions.yaml"
    questions.write_text(
        questions.read_text().replace("prompt: What are you building?", 'prompt: "What\\e]0;pwned\\a\\e[2J?"')
    )
    code, out, _ = run(["lint", str(folder)], env)
    assert code == EXIT_FAILED
    assert "E030 prompt holds the control character U+001B" in out
    assert UNSAFE.search(out) is None
    code, out, err = run(["chat", "--pack", str(folder), "--user", "x"], env, stdin="quit\n")
    assert code == EXIT_FAILED
    assert "E030" in err
    assert UNSAFE.search(out + err) is None
