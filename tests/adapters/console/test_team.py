"""`advisor chat --team` and `advisor record` as a team at one keyboard uses them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from adapters.cli import EXIT_OK, EXIT_STORE, EXIT_USAGE, main
from tests.conftest import TINY


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=env)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_DB": str(tmp_path / "team.db"), "HOME": str(tmp_path)}


TEAM = ["chat", "--pack", str(TINY), "--team", "alice,bob,carol", "--topic", "Shop rewrite"]


def session_id(out: str) -> str:
    match = re.search(r"advisor record (\S+)`", out)
    assert match, out
    return match[1]


def test_three_members_take_turns_to_a_team_result(env: dict[str, str]) -> None:
    # alice, bob, carol answer each question in turn, by number or by label.
    code, out, _ = run(TEAM, env, stdin="1\nWeb pages\n2\n1\nno admin\nno\nlarge\n1\nsmall\n")

    assert code == EXIT_OK
    assert "[Shop rewrite] Team question 1: What are you building?" in out
    assert "Closed: What are you building? The team chose Web pages." in out
    assert "  Web pages: 2 vote(s)  (alice, bob)" in out
    assert "  JSON API: 1 vote(s)  (carol)" in out
    assert "Closed: Do editors need an admin? The team chose No admin." in out
    assert "Team result\n" in out
    assert "Top pick: Gamma" in out
    assert "  alice: Alpha (7 points, 3 question(s) voted)" in out
    assert "  bob: Gamma" in out
    assert "Where the team split (worth discussing):" in out
    assert "What are you building? Web pages 2 (alice, bob), JSON API 1 (carol)" in out
    assert "Participants: alice, bob, carol" in out


def test_tally_next_and_a_refused_next(env: dict[str, str]) -> None:
    code, out, _ = run(TEAM, env, stdin="next\napi\nnext\ntally\napi\n1\nquit\n")
    assert code == EXIT_OK
    assert "Nobody has voted on this question yet" in out  # alice's early next
    assert "Only alice, who started this session" in out  # bob may not press next
    assert "  2. JSON API: 1 vote(s)  (alice)" in out  # bob's tally
    assert "The team chose JSON API." in out
    assert "Team question 2: How big is it?" in out


def test_a_tie_is_settled_as_the_message_says(env: dict[str, str]) -> None:
    argv = ["chat", "--pack", str(TINY), "--team", "ann,ben"]
    code, out, _ = run(argv, env, stdin="api\npages\nquit\n")
    assert code == EXIT_OK
    assert "A tie goes to the option listed first among the tied ones." in out
    assert "The team chose Web pages (a tie:" in out


def test_the_quorum_moves_on_without_waiting_for_everyone(env: dict[str, str]) -> None:
    code, out, _ = run([*TEAM, "--quorum", "2"], env, stdin="api\napi\nquit\n")
    assert code == EXIT_OK
    assert "it also moves on by itself at 2 vote(s)" in out
    assert "Closed: What are you building? The team chose JSON API." in out
    assert "carol> " not in out.split("Closed:")[0]  # carol never had to vote on it


def test_quitting_and_running_again_carries_on_with_the_same_votes(env: dict[str, str]) -> None:
    run(TEAM, env, stdin="pages\nquit\n")
    code, out, _ = run(TEAM, env, stdin="pages\napi\nquit\n")
    assert code == EXIT_OK
    assert "already open here" in out
    assert "bob> " in out
    assert "alice> " not in out.split("Closed:")[0]
    assert "  Web pages: 2 vote(s)  (alice, bob)" in out


def test_record_writes_the_decision_record_of_a_finished_session(env: dict[str, str], tmp_path: Path) -> None:
    _, out, _ = run(TEAM, env, stdin="pages\npages\napi\nneed\nneed\nnone\n")
    sid = session_id(out)
    target = tmp_path / "adr.md"

    code, said, _ = run(["record", sid, "--pack", str(TINY), "--output", str(target)], env)

    assert code == EXIT_OK
    assert f"to {target}" in said
    md = target.read_text()
    assert md.startswith("# Decision record: Shop rewrite")
    assert "| Yes, an admin | 2 | alice, bob |" in md
    assert "We choose **Alpha**" in md
    code, printed, _ = run(["record", sid, "--pack", str(TINY)], env)
    assert printed == md


def test_record_of_an_unknown_session_and_a_bad_team_say_what_to_do(env: dict[str, str]) -> None:
    code, _, err = run(["record", "nope", "--pack", str(TINY)], env)
    assert code == EXIT_USAGE
    assert "There is no team session 'nope'" in err
    code, _, err = run(["chat", "--pack", str(TINY), "--team", "solo"], env)
    assert code == EXIT_USAGE
    assert "--team is 'solo'; expected two or more different names" in err


def test_an_unusable_database_is_reported_and_kept(env: dict[str, str]) -> None:
    Path(env["ADVISOR_DB"]).write_bytes(b"not sqlite" * 100)
    code, _, err = run(TEAM, env, "")
    assert code == EXIT_STORE
    assert "not a usable SQLite database" in err
    assert Path(env["ADVISOR_DB"]).read_bytes() == b"not sqlite" * 100
