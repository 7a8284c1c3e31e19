"""The decision record in MADR 4 shape: every section, a real status, numbering, and who decided."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import ChoiceNeeded, NotAllowedToAccept, RecordNotReady
from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.team import voting as team
from bot.team.record import (
    RecordPlace,
    build_record,
    decision_record,
    places,
    record_json,
    record_stem,
    slug,
)
from bot.team.scoring import rank_team
from bot.team.session import TeamKey, TeamSession
from tests.conftest import PYTHON_WEB, TINY

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
SAMPLE = Path(__file__).parents[3] / "docs" / "sample-decision-record.md"
MADR_SECTIONS = (
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### Consequences",
    "## Pros and Cons of the Options",
    "## More Information",
)

REALISTIC_VOTES = {
    # question id: (alice, bob, carol)
    "existing": ("fresh", "fresh", "fresh"),
    "scope": ("large", "large", "small"),
    "data": ("relational", "relational", "relational"),
    "team": ("fastapi", "fastapi", "django"),
    "deliver": ("api", "api", "mix"),
    "validation": ("typed", "typed", "full"),
    "builtins": ("none", "accounts", "admin"),  # 1-1-1 as well
    "conc": ("classic", "live", "raw"),  # 1-1-1: Alice, who started, decides
    "priority": ("stable", "typing", "stable"),
    "deploy": ("server", "server", "server"),
}
REALISTIC_TIES = {"builtins": "accounts", "conc": "classic"}


def walk(
    pack: Pack,
    plan: Mapping[str, tuple[str, ...]],
    members: tuple[str, ...],
    *,
    ties: Mapping[str, str] | None = None,
    **kw: object,
) -> TeamSession:
    """Every member votes the planned option on each question the team reaches, then Next;
    a tie is decided by the starter as `ties` says."""
    s = team.start_session(
        pack,
        key=TeamKey("test", "w1", "c1", "", pack.id),
        session_id="Xk3v9QpL2sTa",
        starter=members[0].lower(),
        starter_name=members[0],
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    at = NOW
    starter = members[0].lower()
    while (question := team.current_question(pack, s)) is not None:
        for name, option in zip(members, plan[question.id], strict=True):
            at += timedelta(seconds=20)
            s = team.vote(pack, s, member=name.lower(), name=name, option_id=option, step=s.step, now=at)
        s = team.close_and_advance(pack, s, member=starter, step=s.step, can_manage=False, now=at)
        if s.awaiting_decision:
            chosen = (ties or {})[question.id]
            s = team.decide_tie(
                pack, s, member=starter, option_id=chosen, step=s.step, can_manage=False, now=at
            )
    return s


def accept(
    pack: Pack, s: TeamSession, *, member: str = "", choice: str = "", manager: bool = False
) -> TeamSession:
    ranking = rank_team(pack, s.closed)
    return team.accept_record(
        s,
        member=member or s.starter,
        can_manage=manager,
        choice=choice,
        top=ranking.tied or (ranking.top.subject_id,),
        names={x.subject_id: x.name for x in ranking.ranking},
        now=NOW + timedelta(hours=1),
    )


@pytest.fixture(scope="module")
def tiny() -> Pack:
    return PackRegistry().load(TINY)


@pytest.fixture(scope="module")
def python_web() -> Pack:
    return PackRegistry().load(PYTHON_WEB)


TINY_PLAN = {
    "kind": ("pages", "pages", "api"),
    "admin": ("need", "none", "none"),
    "size": ("large", "small", "small"),
}


def section(md: str, heading: str) -> str:
    return md.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def test_a_three_member_record_has_every_madr_section_in_order(tiny: Pack) -> None:
    md = decision_record(tiny, walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="Shop rewrite"))

    front = md.split("---\n")[1]
    assert 'status: "proposed"' in front
    assert "date: 2026-11-25" in front
    assert 'decision-makers: "Alice, Bob, Carol"' in front
    assert md.split("---\n", 2)[2].lstrip().startswith("# Shop rewrite: Alpha\n")
    positions = [md.index(heading + "\n") for heading in MADR_SECTIONS]
    assert positions == sorted(positions)
    assert "Shop rewrite" in section(md, "## Context and Problem Statement")
    assert "*Tiny test advisor*" in section(md, "## Context and Problem Statement")
    drivers = section(md, "## Decision Drivers")
    assert '* What are you building? "Web pages" (2 of 3)' in drivers
    assert '* Do editors need an admin? "No admin" (2 of 3)' in drivers
    assert section(md, "## Considered Options").strip().splitlines() == [
        "* Alpha (3 points)",
        "* Gamma (2.7 points)",
        "* Beta (1.3 points)",
    ]
    outcome = section(md, "## Decision Outcome")
    assert outcome.startswith('\nChosen option: "Alpha", because it comes out best on everyone\'s answers')
    consequences = outcome.split("### Consequences\n")[1]
    assert "* Good: Pages." in consequences
    assert "* Bad: Slow APIs." in consequences
    assert "* Bad, because 1 of 3: Alpha needs an add-on for APIs. (JSON API)" in consequences
    pros = section(md, "## Pros and Cons of the Options")
    assert "### Gamma\n" in pros
    assert "* Good, because 2 of 3: Gamma fits in one file. (A single file)" in pros
    more = section(md, "## More Information")
    assert "Record 0001-shop-rewrite, from team session `Xk3v9QpL2sTa` started by Alice" in more
    assert "knowledge version" in more
    assert "Where the team split" in more
    assert "* Alice: Alpha (7 points on the 3 question(s) they voted on)" in more
    assert "| 1 | What are you building? | Web pages | Web pages 2 (Alice, Bob); JSON API 1 (Carol) |" in more
    assert "the team said" not in md


def test_considered_options_leave_out_subjects_nothing_spoke_for(python_web: Pack) -> None:
    record = build_record(
        python_web, walk(python_web, REALISTIC_VOTES, ("Alice", "Bob", "Carol"), ties=REALISTIC_TIES)
    )
    assert 2 <= len(record.considered) <= 4
    assert all(o.points > 0 for o in record.considered)
    assert len(python_web.subjects) > len(record.considered)


def test_the_record_names_who_decided_which_tie(tiny: Pack) -> None:
    plan = {"kind": ("api", "pages", "unsure"), "size": ("small", "small", "large")}
    s = walk(tiny, plan, ("Ann", "Ben", "Cy"), ties={"kind": "api"})
    md = decision_record(tiny, s)

    assert (
        '* What are you building? "JSON API" (1 of 3: a tie between "Web pages", "JSON API" and '
        '"Not sure", decided by Ann)' in md
    )
    ties = md.split("### Ties and who decided them\n")[1]
    assert (
        'Question 1 ("What are you building?"): a tie between "Web pages", "JSON API" and "Not sure"; '
        'Ann decided "JSON API".' in ties
    )
    assert "listed first" not in md
    assert "order" not in md.lower().replace("orders", "")


def test_status_is_proposed_until_the_starter_accepts_then_accepted(tiny: Pack) -> None:
    s = walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"))
    assert build_record(tiny, s).status == "proposed"
    with pytest.raises(NotAllowedToAccept, match="Only Alice"):
        accept(tiny, s, member="bob")

    accepted = accept(tiny, s)
    record = build_record(tiny, accepted)

    assert record.status == "accepted"
    assert record.accepted_by == "Alice"
    md = decision_record(tiny, accepted)
    assert 'status: "accepted"' in md
    assert "date: 2026-11-25" in md
    assert "* Accepted by Alice on 2026-11-25." in md
    assert accept(tiny, accepted) is accepted, "accepting twice changes nothing"
    assert build_record(tiny, accept(tiny, s, member="dana", manager=True)).accepted_by == "dana"


def test_an_open_session_cannot_be_accepted_and_says_it_is_open(tiny: Pack) -> None:
    s = team.start_session(tiny, key=TeamKey("t", "w", "c", "", "tiny"), session_id="s", starter="a", now=NOW)
    s = team.vote(tiny, s, member="a", option_id="pages", step=1, now=NOW)
    with pytest.raises(RecordNotReady):
        accept(tiny, s)
    record = build_record(tiny, s)
    assert record.status == "proposed"
    assert record.chosen == ""
    assert record.title.endswith("(undecided)")
    assert record.because.startswith("none yet: the session is still open")


def test_a_tied_result_is_chosen_by_the_starter_when_accepting(tiny: Pack) -> None:
    plan = {"kind": ("pages", "api"), "size": ("large", "small")}
    s = walk(tiny, plan, ("Ann", "Ben"), ties={"kind": "api", "size": "small"})
    record = build_record(tiny, s)
    assert record.tied == ("Alpha", "Beta", "Gamma")
    assert record.chosen == ""
    assert "none yet: Alpha, Beta and Gamma are tied at 2 points" in record.because
    with pytest.raises(ChoiceNeeded, match="accepting needs a choice between them"):
        accept(tiny, s)
    with pytest.raises(ChoiceNeeded, match="Alpha, Beta and Gamma are tied at the top and delta is not"):
        accept(tiny, s, choice="delta")

    chosen = build_record(tiny, accept(tiny, s, choice="gamma"))

    assert chosen.chosen == "Gamma"
    assert chosen.because.startswith('"Gamma", because Alpha, Beta and Gamma tied at 2 points')
    assert "Ann chose Gamma when accepting the decision" in chosen.because


def test_records_are_numbered_per_channel_and_a_later_accepted_one_supersedes(tiny: Pack) -> None:
    first = walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="Backend framework")
    second = replace(
        walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="Other thing"),
        id="second",
        created_at=NOW + timedelta(days=1),
    )
    third = replace(
        accept(tiny, walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="backend  framework!")),
        id="third",
        created_at=NOW + timedelta(days=2),
    )

    numbered = places([third, first, second])

    assert numbered[first.id] == RecordPlace(1, superseded_by="0003-backend-framework")
    assert numbered[second.id] == RecordPlace(2)
    assert numbered[third.id] == RecordPlace(3)
    record = build_record(tiny, first, place=numbered[first.id])
    assert record.filename == "0001-backend-framework.md"
    assert record.status == "superseded by 0003-backend-framework"
    assert "* Superseded by 0003-backend-framework.md" in decision_record(
        tiny, first, place=numbered[first.id]
    )


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("Backend for the orders service", "backend-for-the-orders-service"),
        ("Café API: v2?", "cafe-api-v2"),
        ("../../etc/passwd", "etc-passwd"),
        ("!!!", "team-decision"),
        ("x" * 300, "team-decision"),
    ],
)
def test_file_names_are_safe_slugs_of_the_topic(topic: str, expected: str) -> None:
    assert slug(topic) == expected
    assert record_stem(7, topic) == f"0007-{expected}"


def test_json_has_the_same_facts_with_exact_points(tiny: Pack) -> None:
    record = build_record(tiny, walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="Shop rewrite"))
    data = json.loads(json.dumps(record_json(record)))
    assert data["status"] == "proposed"
    assert data["file"] == "0001-shop-rewrite.md"
    assert data["chosen"] == {"id": "alpha", "name": "Alpha"}
    assert data["considered"][1] == {
        "id": "gamma",
        "name": "Gamma",
        "points": 2.667,
        "points_exact": "8/3",
        "good": ["Good, because 2 of 3: Gamma fits in one file. (A single file)"],
        "bad": [],
    }
    assert data["drivers"][0]["votes"] == 2
    assert data["decision_makers"] == ["Alice", "Bob", "Carol"]


def test_anonymity_is_kept_in_the_record(tiny: Pack) -> None:
    plan = {"kind": ("api", "pages"), "admin": ("need", "need")}
    md = decision_record(tiny, walk(tiny, plan, ("Ann", "Ben"), anonymous=True, ties={"kind": "pages"}))
    assert "Votes were anonymous" in md
    assert "| 1 | What are you building? | Web pages | Web pages 1; JSON API 1 |" in md
    assert "Ann: " not in md, "nobody's own pick is named"


def test_the_record_is_the_same_every_time(tiny: Pack) -> None:
    s = walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"))
    assert decision_record(tiny, s) == decision_record(tiny, s)


def test_a_realistic_three_member_session_gives_the_sample_record(python_web: Pack) -> None:
    """docs/sample-decision-record.md is this test's output: it is rewritten whenever it differs."""
    s = walk(
        python_web,
        REALISTIC_VOTES,
        ("Alice", "Bob", "Carol"),
        ties=REALISTIC_TIES,
        topic="Backend for the orders service",
    )
    md = decision_record(python_web, accept(python_web, s))

    assert len(s.closed) == len(REALISTIC_VOTES)
    for heading in MADR_SECTIONS:
        assert heading + "\n" in md
    for question_id in REALISTIC_VOTES:
        question = python_web.question(question_id)
        assert question is not None
        assert f"| {question.prompt} |" in md
    assert 'status: "accepted"' in md
    assert 'decision-makers: "Alice, Bob, Carol"' in md
    assert "a tie between" in md
    assert "Alice decided" in md
    assert "* Bob: FastAPI" in md
    if not SAMPLE.exists() or SAMPLE.read_text(encoding="utf-8") != md:
        SAMPLE.write_text(md, encoding="utf-8")
    assert SAMPLE.read_text(encoding="utf-8") == md
