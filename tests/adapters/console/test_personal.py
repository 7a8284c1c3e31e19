"""`advisor chat` as a person at a terminal and as a script see it: colour, summary, details, Ctrl-D.

In-process tests drive `main()` with streams that say whether they are a terminal; the pty
test runs the real process on a real pseudo-terminal, so readline, colour and Ctrl-D are the
ones a user gets.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.cli import EXIT_OK, EXIT_USAGE, main
from tests.conftest import PYTHON_WEB, TINY

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as sys.stdin/sys.stdout do on a real one."""

    def isatty(self) -> bool:
        return True


def chat(
    env: dict[str, str],
    stdin: str,
    *,
    user: str = "ann",
    typed: bool = False,
    screen: bool = False,
    flags: tuple[str, ...] = (),
) -> tuple[int, str, str]:
    """Run `advisor chat`; `typed`: stdin is a terminal (a person), `screen`: stdout is one."""
    source = Terminal(stdin) if typed else io.StringIO(stdin)
    out: io.StringIO = Terminal() if screen else io.StringIO()
    err = io.StringIO()
    code = main(
        ["chat", "--pack", str(TINY), "--user", user, *flags],
        stdin=source,
        stdout=out,
        stderr=err,
        environ=env,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_DB": str(tmp_path / "chat.db"), "HOME": str(tmp_path), "TERM": "xterm"}


# --- colour ----------------------------------------------------------------------------------


def test_a_terminal_gets_bold_prompts_and_a_coloured_top_pick(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "html\nyes\n", screen=True)
    assert code == EXIT_OK
    assert "\x1b[1mQuestion 1 of about 3: What are you building?\x1b[0m" in out
    assert "\x1b[1;32mTop pick: Alpha\x1b[0m" in out


def test_piped_output_has_no_escape_codes(env: dict[str, str]) -> None:
    code, out, err = chat(env, "html\nyes\nwhy\nstatus\ndetails\n")
    assert code == EXIT_OK
    assert "Top pick: Alpha" in out
    assert "\x1b" not in out + err


@pytest.mark.parametrize("no_color", ["1", "yes"])
def test_no_color_turns_colour_off_even_on_a_terminal(env: dict[str, str], no_color: str) -> None:
    code, out, _ = chat({**env, "NO_COLOR": no_color}, "html\nyes\n", screen=True)
    assert code == EXIT_OK
    assert "Top pick: Alpha" in out
    assert "\x1b" not in out


def test_an_empty_no_color_leaves_colour_on(env: dict[str, str]) -> None:
    """no-color.org: only a non-empty NO_COLOR disables colour."""
    _, out, _ = chat({**env, "NO_COLOR": ""}, "html\nyes\n", screen=True)
    assert "\x1b[1;32m" in out


def test_the_no_color_flag_and_a_dumb_terminal_turn_colour_off(env: dict[str, str]) -> None:
    _, out, _ = chat(env, "html\nyes\n", screen=True, flags=("--no-color",))
    assert "Top pick: Alpha" in out
    assert "\x1b" not in out
    _, out, _ = chat({**env, "TERM": "dumb"}, "html\nyes\n", user="bo", screen=True)
    assert "\x1b" not in out


def test_refusals_are_highlighted_on_a_terminal(env: dict[str, str]) -> None:
    _, out, _ = chat(env, "kubernetes\n", typed=True, screen=True)
    assert "\x1b[1;33m'kubernetes' is not one of the options" in out


# --- the result: five lines, then details ---------------------------------------------------


def test_the_result_opens_with_a_five_line_summary(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "api\nlarge\n")
    assert code == EXIT_OK
    lines = out[out.index("Top pick:") :].split("\n\n")[0].splitlines()
    assert lines == [
        "Top pick: Beta (fit 100%, 4 points)",
        '  Runner-up: Alpha, 1 point, 3 behind; widest gap: "JSON API" (+4)',
        "  +3 Beta is built for APIs. (you said: JSON API)",
        "  +1 Beta is stable. (you said: Large and long-lived)",
        "Type details (points per answer, why not Alpha), ranking (all 3) or back.",
    ]
    assert "Sources:" not in out  # the long part waits for `details`


def test_details_shows_every_answers_points_and_why_not_the_runner_up(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "api\nlarge\ndetails\n")
    assert code == EXIT_OK
    details = out.split("Type details", 1)[1]
    assert "Top pick: Beta: 4 points, fit 100% (4 of a possible 4)" in details
    expected = [
        "Points for Beta, answer by answer:",
        "  +3 Beta is built for APIs. (you said: JSON API)",
        "  +1 Beta is stable. (you said: Large and long-lived)",
        "  = 4 points",
        "Why not Alpha (runner-up, 1 point): 3 behind, from these answers:",
        '  +4 "JSON API" gave Beta +3, Alpha -1',
        '  -1 "Large and long-lived" gave Beta +1, Alpha +2',
        "  Reconsider if this matters most: Alpha has long support.",
        "  Choose it instead for: Sites with editors.",
    ]
    start = details.index(expected[0])
    assert details[start:].splitlines()[: len(expected)] == expected
    for part in ("The others: Gamma 0", "Sources:", "Type ranking for all 3 with their points"):
        assert part in details


def test_details_on_a_terminal_goes_through_the_pager(env: dict[str, str], tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())\""
    code, out, _ = chat({**env, "PAGER": pager}, "api\nlarge\ndetails\n", typed=True, screen=True)
    assert code == EXIT_OK
    text = paged.read_text()
    assert "Sources:" in text
    assert "Why not Alpha (runner-up, 1 point): 3 behind" in text
    assert "Sources:" not in out  # it went to the pager, not past the summary


# --- a person typing: the question comes back, Ctrl-D is quit -------------------------------


def test_the_question_is_shown_again_after_why_status_and_a_mistake(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "why\nstatus\nkubernetes\nhelp\n", typed=True)
    assert code == EXIT_OK
    # The first question, then once again after each of the four.
    assert out.count("Question 1 of about 3: What are you building?") == 5
    assert "'kubernetes' is not one of the options" in out


def test_an_empty_line_shows_the_question_again(env: dict[str, str]) -> None:
    _, out, _ = chat(env, "\n", typed=True)
    assert out.count("Question 1 of about 3: What are you building?") == 2


def test_ctrl_d_says_goodbye_on_a_new_line_like_quit(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "", typed=True)  # end of input at the first prompt: Ctrl-D
    assert code == EXIT_OK
    assert out.endswith("> \nBye. Your answers are kept: run `advisor chat` to carry on.\n\n")
    code, quit_out, _ = chat(env, "quit\n", typed=True)
    assert quit_out.rsplit("> ", 1)[1] == "Bye. Your answers are kept: run `advisor chat` to carry on.\n\n"


def test_progress_says_about_and_never_rises(env: dict[str, str]) -> None:
    # kind -> admin -> size is the long way (3 questions); kind -> size the short one (2).
    _, out, _ = chat(env, "html\nno\n", user="long", typed=True)
    assert re.findall(r"Question \d+ [^:]*", out) == [
        "Question 1 of about 3",
        "Question 2 of about 3",
        "Question 3 (the last)",
    ]
    _, out, _ = chat(env, "api\n", user="short", typed=True)
    assert re.findall(r"Question \d+ [^:]*", out) == ["Question 1 of about 3", "Question 2 (the last)"]


def test_a_piped_mistake_exits_2_after_saying_so(env: dict[str, str]) -> None:
    code, out, err = chat(env, "html\nmaybe\nyes\n")
    assert code == EXIT_USAGE
    assert "'maybe' is not one of the options" in err
    assert "Top pick" not in out


# --- explanations with points: Taken as, ranking, refusals -----------------------------------


def test_a_typed_answer_is_echoed_as_understood_before_what_follows(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "rest\n2\n")
    assert code == EXIT_OK
    blocks = out.split("\n\n")
    at = blocks.index("Taken as: JSON API")  # "rest" is a synonym
    assert blocks[at + 1].startswith("Question 2 (the last): How big is it?")
    result = next(b for b in blocks if "Top pick" in b).splitlines()
    assert result[:2] == ["Taken as: Large and long-lived", "Top pick: Beta (fit 100%, 4 points)"]


def test_an_answer_typed_as_its_label_is_not_echoed(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "json api\nLarge and long-lived\n")
    assert code == EXIT_OK
    assert "Taken as" not in out
    assert "Top pick: Beta" in out


def test_ranking_lists_every_subject_with_its_points_and_answers(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "JSON API\nLarge and long-lived\nranking\n")
    assert code == EXIT_OK
    ranking = out[out.index("Tiny test advisor: full ranking") :].split("\n\n")[0].splitlines()
    assert ranking == [
        "Tiny test advisor: full ranking (after 2 answers)",
        '  1. Beta   4 points  +3 "JSON API", +1 "Large and long-lived"',
        '  2. Alpha  1 point   +2 "Large and long-lived", -1 "JSON API"',
        "  3. Gamma  0 points  (no answer moved it)",
    ]


def test_ranking_before_the_end_is_the_ranking_so_far_and_the_question_waits(env: dict[str, str]) -> None:
    code, out, _ = chat(env, "Web pages\nranking\n", typed=True)
    assert code == EXIT_OK
    after = out[out.index("full ranking so far (after 1 answer)") :]
    assert '1. Alpha  3 points  +3 "Web pages"' in after
    assert "Question 2 of about 3: Do editors need an admin?" in after  # shown again


@pytest.mark.parametrize("typed", ["-1", "0", "+1"])
def test_negative_or_zero_numbers_are_refused_and_the_question_asked_again(
    env: dict[str, str], typed: str
) -> None:
    code, out, _ = chat(env, f"{typed}\n", typed=True)
    assert code == EXIT_OK
    assert f"'{typed}' is not one of the options. Answer with a number or a label: 1. Web pages" in out
    assert out.count("Question 1 of about 3: What are you building?") == 2
    assert "Taken as" not in out


def test_the_shipped_pack_explains_a_django_teams_api_with_points(env: dict[str, str]) -> None:
    """The issue's case: "django" at the first question is read as the existing Django app."""
    out = io.StringIO()
    answers = "django\napi\nordinary\nLong support; rare upgrades\nServers or containers\nranking\n"
    code = main(
        ["chat", "--pack", str(PYTHON_WEB), "--user", "dj"],
        stdin=io.StringIO(answers + "details\n"),
        stdout=out,
        stderr=io.StringIO(),
        environ=env,
    )
    text = out.getvalue()
    assert code == EXIT_OK
    assert text.startswith("Question 1 of about")
    assert "Taken as: An existing Django app\n\nQuestion 2" in text
    assert "Taken as: A JSON API" in text
    assert "Taken as: Ordinary request/response" in text
    assert "Taken as: Long support" not in text  # typed as the label
    assert "Top pick: Django (fit 100%, 12 points)" in text
    assert '  Runner-up: Falcon, 2 points, 10 behind; widest gap: "An existing Django app" (+5)' in text
    ranking = text[text.index("full ranking (after 5 answers)") :].split("\n\n")[0].splitlines()[1:]
    assert len(ranking) == 12  # every framework of the pack
    assert ranking[0].split()[:4] == ["1.", "Django", "12", "points"]
    details = text[text.index("Points for Django, answer by answer:") :]
    assert "  +5 You already run Django; building on it avoids a rewrite." in details
    assert "  = 12 points" in details
    assert "Why not Falcon (runner-up, 2 points): 10 behind, from these answers:" in details
    assert '  +5 "An existing Django app" gave Django +5, Falcon 0' in details


# --- the real thing: a pseudo-terminal --------------------------------------------------------


PROMPT = "\x1b[1;36m> "


def _read_until(fd: int, marker: str, seen: list[str], *, after: str = "") -> str:
    """Read the terminal until `marker` shows (after `after`, when given); the deadline is a guard."""
    deadline = time.monotonic() + 20

    def found() -> bool:
        text = "".join(seen)
        start = text.find(after) if after else 0
        return start >= 0 and marker in text[start + len(after) :]

    while not found():
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never saw {marker!r}; saw:\n{''.join(seen)}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"terminal closed before {marker!r}; saw:\n{''.join(seen)}")
            seen.append(chunk.decode(errors="replace"))
    return "".join(seen)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_on_a_real_terminal_readline_recalls_lines_colour_shows_and_ctrl_d_quits(
    env: dict[str, str],
) -> None:
    main_fd, child_fd = os.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters", "chat", "--pack", str(TINY), "--user", "pty"],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env={**environ, **env, "PAGER": "cat"},
        close_fds=True,
    )
    os.close(child_fd)
    seen: list[str] = []
    try:
        _read_until(main_fd, PROMPT, seen)  # a coloured prompt on a terminal
        assert "\x1b[1mQuestion 1 of about 3" in "".join(seen)
        os.write(main_fd, b"why\r")
        _read_until(main_fd, PROMPT, seen, after="Pages and APIs favour different tools.")
        del seen[:]
        # Up arrow: readline recalls "why"; without readline the escape bytes would be an answer.
        os.write(main_fd, b"\x1b[A\r")
        why = "Pages and APIs favour different tools."
        again = _read_until(main_fd, PROMPT, seen, after=why)  # the question again, then the prompt
        assert "is not one of the options" not in again
        del seen[:]
        os.write(main_fd, b"\x04")  # Ctrl-D
        tail = _read_until(main_fd, "Bye.", seen)
        assert proc.wait(timeout=20) == EXIT_OK
        assert "\nBye. Your answers are kept" in ESCAPE.sub("", tail).replace("\r", "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
