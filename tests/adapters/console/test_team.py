"""`advisor chat --team` and `advisor record` as a team at one keyboard uses them."""

from __future__ import annotations

import io
import json
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
    # Every vote counts: alice's minority answers (admin, large) lift Alpha past Gamma.
    assert "Top pick: Alpha (3 points" in out
    assert "  + 2 of 3: Alpha renders pages. (Web pages)" in out
    assert "  + 1 of 3: Alpha ships an admin. (Yes, an admin)" in out
    assert "Runner-up: Gamma (2.7 points)" in out
    assert "  alice: Alpha (7 points, 3 question(s) voted)" in out
    assert "  Alpha is the first choice of alice." in out
    assert "  ! A close call: Gamma is only 0.3 points behind Alpha" in out
    assert (
        '  If one member who answered "Large and long-lived" had answered "A single file" on question 3'
        in out
    )
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


def test_a_one_one_one_split_waits_for_the_starter_to_decide(env: dict[str, str]) -> None:
    code, out, _ = run(TEAM, env, stdin="api\npages\nunsure\ndecide 2\nquit\n")
    assert code == EXIT_OK
    assert "A tie: 1. Web pages, 2. JSON API and 3. Not sure have 1 vote(s) each." in out
    assert "alice (decide)> decide 2" in out
    assert (
        "Closed: What are you building? A tie between Web pages, JSON API and Not sure: alice chose JSON API."
        in out
    )
    assert "Team question 2: How big is it?" in out
    assert "listed first" not in out
    sid = re.search(r"carry on \((\S+)\)", out)
    assert sid is not None
    _, md, _ = run(["record", sid[1], "--pack", str(TINY)], env)
    assert 'a tie between "Web pages", "JSON API" and "Not sure", decided by alice)' in md


def test_five_members_split_two_two_one_wait_for_the_starter(env: dict[str, str]) -> None:
    five = ["chat", "--pack", str(TINY), "--team", "a,b,c,d,e", "--topic", "Five"]
    code, out, _ = run(five, env, stdin="pages\napi\npages\napi\nunsure\ndecide unsure\ndecide api\nquit\n")
    assert code == EXIT_OK
    assert "A tie: 1. Web pages and 2. JSON API have 2 vote(s) each." in out
    assert "Not sure is not one of the tied options" in out
    assert "Closed: What are you building? A tie between Web pages and JSON API: a chose JSON API." in out


def test_only_the_starter_decides_and_votes_may_change_until_then(env: dict[str, str]) -> None:
    # While the 1-1-1 tie waits for alice, she lets carol change her vote, which breaks it.
    code, out, _ = run(TEAM, env, stdin="api\npages\nunsure\nvote carol pages\nquit\n")
    assert code == EXIT_OK
    assert "Closed: What are you building? The team chose Web pages." in out
    assert "Team question 2: Do editors need an admin?" in out

    duo = ["chat", "--pack", str(TINY), "--team", "ann,ben", "--topic", "Duo"]
    code, out, _ = run(duo, env, stdin="decide 1\napi\ndecide 1\npages\nquit\n")
    assert "There is no tie to decide on this question: nobody has voted yet" in out  # ann, too early
    assert (
        "Only ann, who started this session, or someone who can manage this channel can decide a tie" in out
    )
    assert "ann (decide)> " in out, "after the round the tie waits for ann"


def test_the_quorum_gives_everyone_a_turn_before_the_question_closes(env: dict[str, str]) -> None:
    code, out, _ = run([*TEAM, "--quorum", "2"], env, stdin="api\napi\npages\nsmall\npass\nlarge\nquit\n")
    assert code == EXIT_OK
    assert "it also moves on by itself at 2 vote(s)" in out
    first = out.split("Closed:")[0]
    assert "carol> pages" in first, "carol votes on question 1 although the quorum was met"
    assert "  3. Not sure: 0 vote(s)" in first.split("carol> pages")[1], "the tally after carol's vote"
    assert "Closed: What are you building? The team chose JSON API." in out
    second = out.split("Closed:")[1]
    assert "bob passes on this question." in second
    assert "carol> large" in second, "carol votes on question 2 too"


def test_a_quorum_not_met_gives_those_who_passed_another_turn(env: dict[str, str]) -> None:
    code, out, _ = run([*TEAM, "--quorum", "2"], env, stdin="api\npass\npass\napi\npass\nquit\n")
    assert code == EXIT_OK
    assert "This question needs 2 vote(s) to close (1 so far): another turn for those who passed." in out
    assert "Closed: What are you building? The team chose JSON API." in out


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
    assert "\n# Shop rewrite: Alpha\n" in md
    assert 'status: "proposed"' in md
    assert (
        "| 2 | Do editors need an admin? | Yes, an admin | Yes, an admin 2 (alice, bob); No admin 1 (carol) |"
        in md
    )
    assert 'Chosen option: "Alpha"' in md
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


FINISH = "pages\npages\napi\nneed\nneed\nnone\n"


def test_record_accept_list_and_json(env: dict[str, str], tmp_path: Path) -> None:
    _, out, _ = run(TEAM, env, stdin=FINISH)
    first = session_id(out)
    _, out, _ = run(
        ["chat", "--pack", str(TINY), "--team", "bob,carol", "--topic", "Shop  rewrite!"], env, FINISH[:-5]
    )
    second = session_id(out)
    pack = ["--pack", str(TINY)]

    code, listed, _ = run(["record", "--list", *pack], env)
    assert code == EXIT_OK
    assert "| 0001-shop-rewrite.md | proposed | 2026-" in listed
    assert f"| Alpha | {first} | terminal local/team |" in listed
    assert "| 0002-shop-rewrite.md | proposed |" in listed

    code, said, _ = run(["record", second, "--accept", *pack], env)
    assert code == EXIT_OK
    assert said == "Accepted: Alpha (by bob).\n"
    _, listed, _ = run(["record", "--list", "--format", "json", *pack], env)
    rows = json.loads(listed)
    assert [(r["record"], r["status"]) for r in rows] == [
        ("0001-shop-rewrite.md", "superseded by 0002-shop-rewrite"),
        ("0002-shop-rewrite.md", "accepted"),
    ]

    folder = tmp_path / "decisions"
    folder.mkdir()
    code, said, _ = run(["record", second, "--format", "json", "-o", str(folder), *pack], env)
    assert code == EXIT_OK
    data = json.loads((folder / "0002-shop-rewrite.json").read_text())
    assert (data["status"], data["accepted_by"], data["chosen"]["name"]) == ("accepted", "bob", "Alpha")
    run(["record", second, "-o", str(folder), *pack], env)
    assert 'status: "accepted"' in (folder / "0002-shop-rewrite.md").read_text()


def test_record_refuses_to_accept_an_open_session_and_needs_a_session(env: dict[str, str]) -> None:
    _, out, _ = run(TEAM, env, stdin="pages\nquit\n")
    sid = re.search(r"carry on \((\S+)\)", out)
    assert sid is not None
    code, _, err = run(["record", sid[1], "--accept", "--pack", str(TINY)], env)
    assert code == EXIT_USAGE
    assert "still open, so its decision cannot be accepted yet" in err
    code, _, err = run(["record", "--pack", str(TINY)], env)
    assert code == EXIT_USAGE
    assert "SESSION_ID is not set" in err


def test_help_documents_the_team_commands(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["chat", "--help"], environ=env)
    shown = capsys.readouterr().out
    for command in ("pass", "tally", "next", "decide ANSWER", "vote NAME ANSWER"):
        assert f"  {command}" in shown
    with pytest.raises(SystemExit):
        main(["record", "--help"], environ=env)
    shown = capsys.readouterr().out
    assert "--accept" in shown
    assert "--list" in shown
    assert "--format {markdown,json}" in shown
